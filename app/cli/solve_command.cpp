#include "app/cli/solve_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/plan_args.h"
#include "engine/device.h"
#include "engine/io/atomic_file.h"
#include "engine/units.h"
#include "solver/plan_solution.h"

namespace tp::cli {

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_interrupt(int) {
    g_cancel.store(true);
}

Result<double> parse_seconds(const std::string& what, const std::string& text) {
    try {
        size_t pos = 0;
        double v = std::stod(text, &pos);
        if (pos == text.size() && v > 0) return v;
    } catch (...) {
    }
    return Error{what + " needs a positive number of seconds, got '" + text + "'"};
}

Result<Device> find_device(const DeviceLibrary& library, const std::string& id) {
    if (const Device* d = library.find(id)) return *d;
    std::string known;
    for (const auto& d : library.devices) known += (known.empty() ? "" : ", ") + d.id;
    return Error{"unknown device '" + id + "' (boards: " + known +
                 "; add your own as a JSON file, see `trainplan devices`)"};
}

Result<SolveOptions> solve_options_from_args(const Args& args) {
    SolveOptions o;
    if (args.options.count("--deadline")) {
        auto d = parse_seconds("--deadline", args.option("--deadline"));
        if (!d) return d.error();
        o.deadline_s = *d;
    }
    if (args.options.count("--time-limit")) {
        auto t = parse_seconds("--time-limit", args.option("--time-limit"));
        if (!t) return t.error();
        o.time_limit_s = *t;
    }
    if (args.options.count("--recompute-depth")) {
        try {
            o.recompute_depth = std::stoi(args.option("--recompute-depth"));
        } catch (...) {
            return Error{"--recompute-depth needs a whole number (0: exact), got '" +
                         args.option("--recompute-depth") + "'"};
        }
        if (o.recompute_depth < 0) return Error{"--recompute-depth must be 0 (exact) or more"};
    }
    // One MILP search per core unless told otherwise (compare divides the cores among its cells).
    o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (args.options.count("--threads")) {
        const std::string v = args.option("--threads");
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 1)
            return Error{"--threads needs a whole number of 1 or more, got '" + v + "'"};
        o.threads = static_cast<int>(std::min<long>(n, 1024));
    }
    return o;
}

std::string joules(double j) {
    char buf[64];
    if (j >= 1.0)
        std::snprintf(buf, sizeof buf, "%.3f J", j);
    else if (j >= 1e-3)
        std::snprintf(buf, sizeof buf, "%.3f mJ", j * 1e3);
    else
        std::snprintf(buf, sizeof buf, "%.3f uJ", j * 1e6);
    return buf;
}

void print_solution(const TrainingGraph& g, const Device& d, const PlanSolution& s) {
    const SolveResult& r = s.result;
    std::printf("%s · plan %s · %s (%s, %lld KiB SRAM)\n", g.network.name.c_str(),
                g.plan.preset.c_str(), d.id.c_str(), d.core.c_str(),
                static_cast<long long>(d.sram_bytes / 1024));
    std::printf("solver %s: %s in %.2f s", r.solver.c_str(), solve_status_name(r.status),
                r.solve_time_s);
    if (r.status == SolveStatus::feasible)
        std::printf(" (proven gap %.2f%%, bound %s)", 100.0 * r.gap,
                    joules(r.lower_bound_j).c_str());
    std::printf("%s\n", claim_scope(r.stats).c_str());
    if (!r.message.empty()) std::printf("  %s\n", r.message.c_str());
    std::printf("budget %s · store-all peak %s · smallest feasible %s%s\n",
                format_bytes(s.options.ram_budget_bytes).c_str(),
                format_bytes(s.store_all_peak_bytes).c_str(),
                format_bytes(s.min_feasible_budget_bytes).c_str(),
                s.min_feasible_exact
                    ? ""
                    : (" (lower bound: " + s.min_feasible_bound_reason + ")").c_str());
    if (!r.has_schedule()) return;
    const ScheduleReplay& p = r.replay;
    std::printf("peak RAM %s at step %d · storage used %s\n",
                format_bytes(p.peak_ram_bytes).c_str(), p.peak_step,
                format_bytes(p.peak_storage_bytes).c_str());
    std::printf("energy %s = compute %s + recompute %s + page-in %s + page-out %s + static %s\n",
                joules(p.energy.total_j()).c_str(), joules(p.energy.compute_j).c_str(),
                joules(p.energy.recompute_j).c_str(), joules(p.energy.page_in_j).c_str(),
                joules(p.energy.page_out_j).c_str(), joules(p.energy.static_j).c_str());
    std::printf("floor (store-all) %s · this schedule ×%.3f · time %.4f s (floor %.4f s)\n",
                joules(s.floor_energy_j).c_str(),
                s.floor_energy_j > 0 ? p.energy.total_j() / s.floor_energy_j : 1.0, p.time_s,
                s.floor_time_s);
    std::printf("steps: %d compute, %d recompute, %d page-out, %d page-in, %d free\n", p.computes,
                p.recomputes, p.page_outs, p.page_ins, p.frees);
}

int exit_code(SolveStatus s) {
    switch (s) {
        case SolveStatus::optimal:
        case SolveStatus::feasible:
            return 0;
        case SolveStatus::cancelled:
            return 130;
        case SolveStatus::time_limit:
            return 3;  // neither a schedule nor a proof: a longer limit may find one
        default:
            return 1;
    }
}

}  // namespace

int run_solve(const std::vector<std::string>& argv) {
    std::set<std::string> valued = kPlanOptions;
    valued.insert({"--device", "--budget", "--deadline", "--solver", "--time-limit", "--out",
                   "--recompute-depth", "--threads"});
    std::set<std::string> switches = kPlanSwitches;
    switches.insert("--json");
    auto args = parse_args(argv, valued, switches);
    if (!args) return fail(args.error().message);
    if (!args->options.count("--device") || !args->options.count("--budget"))
        return fail(
            "usage: trainplan solve MODEL --device ID --budget SIZE [...] "
            "(see trainplan --help)");
    auto budget = parse_bytes(args->option("--budget"));
    if (!budget) return fail(budget.error().message);
    auto options = solve_options_from_args(*args);
    if (!options) return fail(options.error().message);
    options->ram_budget_bytes = *budget;

    DeviceLibrary library = load_device_library(default_device_dirs());
    for (const auto& e : library.problems)
        std::fprintf(stderr, "trainplan: warning: %s\n", e.message.c_str());
    auto device = find_device(library, args->option("--device"));
    if (!device) return fail(device.error().message);
    auto graph = training_graph_from_args(*args, "solve");
    if (!graph) return fail(graph.error().message);
    auto costs = build_cost_model(*graph, *device);
    if (!costs) return fail(costs.error().message);

    std::signal(SIGINT, on_interrupt);
    options->cancel = &g_cancel;
    if (isatty(STDERR_FILENO))
        options->progress = [](const SolveProgress& p) {
            std::fprintf(stderr, "\r%s %.1f s: best %.6g J, bound %.6g J   ", p.phase.c_str(),
                         p.elapsed_s, p.best_energy_j, p.bound_j);
        };
    PlanSolution s = solve_plan(*graph, *costs, args->option("--solver", "milp"), *options);
    if (options->progress) std::fprintf(stderr, "\r%60s\r", "");
    std::signal(SIGINT, SIG_DFL);

    const nlohmann::json j = plan_solution_to_json(*graph, s);
    if (args->options.count("--out")) {
        auto written = write_file_atomically(args->option("--out"), j.dump(1) + "\n");
        if (!written) return fail(written.error().message);
    }
    if (args->flag("--json"))
        std::cout << j.dump(2) << "\n";
    else
        print_solution(*graph, *device, s);
    if (s.result.status == SolveStatus::infeasible || s.result.status == SolveStatus::error ||
        s.result.status == SolveStatus::time_limit)
        std::fprintf(stderr, "trainplan: error: %s\n", s.result.message.c_str());
    return exit_code(s.result.status);
}

namespace {

Result<std::vector<int64_t>> parse_budget_list(const std::string& text) {
    std::vector<int64_t> out;
    const auto range = text.find("..");
    if (range != std::string::npos) {
        const auto colon = text.find(':', range);
        if (colon == std::string::npos)
            return Error{"--budgets range needs a point count: FROM..TO:N, e.g. 64K..512K:8"};
        auto from = parse_bytes(text.substr(0, range));
        auto to = parse_bytes(text.substr(range + 2, colon - range - 2));
        int n = 0;
        try {
            n = std::stoi(text.substr(colon + 1));
        } catch (...) {
        }
        if (!from) return from.error();
        if (!to) return to.error();
        if (n < 1 || n > 1000 || *to < *from)
            return Error{"--budgets range " + text + " needs FROM <= TO and 1..1000 points"};
        for (int i = 0; i < n; ++i)
            out.push_back(n == 1 ? *from
                                 : *from + (*to - *from) * static_cast<int64_t>(i) / (n - 1));
        return out;
    }
    size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        auto b = parse_bytes(
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!b) return b.error();
        out.push_back(*b);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

}  // namespace

// The wall-clock time a compare without --time-limit aims at, whatever its size.
constexpr double kCompareWallSeconds = 45.0;

int run_compare(const std::vector<std::string>& argv) {
    std::set<std::string> valued = kPlanOptions;
    valued.insert({"--devices", "--budgets", "--deadline", "--solver", "--time-limit", "--jobs",
                   "--recompute-depth", "--threads"});
    std::set<std::string> switches = kPlanSwitches;
    switches.insert({"--json", "--csv"});
    auto args = parse_args(argv, valued, switches);
    if (!args) return fail(args.error().message);
    if (!args->options.count("--devices") || !args->options.count("--budgets"))
        return fail("usage: trainplan compare MODEL --devices a,b,... --budgets LIST|FROM..TO:N");
    auto budgets = parse_budget_list(args->option("--budgets"));
    if (!budgets) return fail(budgets.error().message);
    auto options = solve_options_from_args(*args);
    if (!options) return fail(options.error().message);
    const std::string solver = args->option("--solver", "milp");

    DeviceLibrary library = load_device_library(default_device_dirs());
    for (const auto& e : library.problems)
        std::fprintf(stderr, "trainplan: warning: %s\n", e.message.c_str());
    std::vector<Device> devices;
    {
        const std::string list = args->option("--devices");
        size_t start = 0;
        while (start <= list.size()) {
            const auto comma = list.find(',', start);
            auto d = find_device(
                library,
                list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
            if (!d) return fail(d.error().message);
            devices.push_back(*d);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    auto graph = training_graph_from_args(*args, "compare");
    if (!graph) return fail(graph.error().message);
    std::vector<CostModel> costs;
    for (const auto& d : devices) {
        auto c = build_cost_model(*graph, d);
        if (!c) return fail(c.error().message);
        costs.push_back(std::move(*c));
    }

    struct Cell {
        size_t device = 0;
        int64_t budget = 0;
        PlanSolution solution;
    };
    std::vector<Cell> cells;
    for (size_t d = 0; d < devices.size(); ++d)
        for (int64_t b : *budgets) cells.push_back({d, b, {}});
    std::signal(SIGINT, on_interrupt);
    std::atomic<size_t> next{0};
    unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
    if (args->options.count("--jobs"))
        jobs = static_cast<unsigned>(std::max(1, std::atoi(args->option("--jobs").c_str())));
    // Without --time-limit the whole table gets about kCompareWallSeconds: each cell's limit is
    // that share of the workers' time (at least 1 s, at most the solve default). A cell that
    // stops at its limit reports its schedule with the proven gap.
    if (!args->options.count("--time-limit")) {
        const double share = kCompareWallSeconds *
                             static_cast<double>(std::min<size_t>(jobs, cells.size())) /
                             static_cast<double>(cells.size());
        options->time_limit_s = std::clamp(share, 1.0, options->time_limit_s);
        std::fprintf(stderr,
                     "compare: %zu cells on %u workers, %.1f s per cell at most (--time-limit S to "
                     "change)\n",
                     cells.size(), std::min<unsigned>(jobs, static_cast<unsigned>(cells.size())),
                     options->time_limit_s);
    }
    // The cores not taken by a worker of their own go to each cell's MILP searches.
    const unsigned workers_used = static_cast<unsigned>(std::min<size_t>(jobs, cells.size()));
    if (!args->options.count("--threads")) {
        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        options->threads = static_cast<int>(std::max(1u, cores / std::max(1u, workers_used)));
    }
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < workers_used; ++w)
        workers.emplace_back([&] {
            for (size_t i = next++; i < cells.size(); i = next++) {
                SolveOptions o = *options;
                o.ram_budget_bytes = cells[i].budget;
                o.cancel = &g_cancel;
                cells[i].solution = solve_plan(*graph, costs[cells[i].device], solver, o);
            }
        });
    for (auto& w : workers) w.join();
    std::signal(SIGINT, SIG_DFL);

    if (args->flag("--json")) {
        nlohmann::json rows = nlohmann::json::array();
        for (const Cell& c : cells) {
            const SolveResult& r = c.solution.result;
            nlohmann::json row = {
                {"device", devices[c.device].id},
                {"budget_bytes", c.budget},
                {"status", solve_status_name(r.status)},
                {"solver", r.solver},
                {"floor_energy_j", c.solution.floor_energy_j},
                {"min_feasible_budget_bytes", c.solution.min_feasible_budget_bytes},
                {"solve_time_s", r.solve_time_s},
                {"first_schedule_s", r.stats.first_schedule_s},
                {"gap", r.gap}};
            if (r.has_schedule()) {
                row["energy_j"] = r.replay.energy.total_j();
                row["time_s"] = r.replay.time_s;
                row["peak_ram_bytes"] = r.replay.peak_ram_bytes;
            }
            if (!r.message.empty()) row["message"] = r.message;
            rows.push_back(row);
        }
        std::cout << nlohmann::json{{"network", graph->network.name},
                                    {"plan", graph->plan.preset},
                                    {"solver", solver},
                                    {"results", rows}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    const bool csv = args->flag("--csv");
    if (csv)
        std::printf("device,budget_bytes,status,energy_j,time_s,peak_ram_bytes,gap,solve_time_s\n");
    else
        std::printf("%s · plan %s · solver %s\n%-12s %12s %-11s %12s %10s %12s %8s\n",
                    graph->network.name.c_str(), graph->plan.preset.c_str(), solver.c_str(),
                    "device", "budget", "status", "energy", "time", "peak RAM", "solve");
    for (const Cell& c : cells) {
        const SolveResult& r = c.solution.result;
        const bool has = r.has_schedule() && r.status != SolveStatus::infeasible;
        if (csv)
            std::printf("%s,%lld,%s,%.9g,%.9g,%lld,%.6g,%.4f\n", devices[c.device].id.c_str(),
                        static_cast<long long>(c.budget), solve_status_name(r.status),
                        has ? r.replay.energy.total_j() : 0.0, has ? r.replay.time_s : 0.0,
                        static_cast<long long>(has ? r.replay.peak_ram_bytes : 0), r.gap,
                        r.solve_time_s);
        else
            std::printf("%-12s %12s %-11s %12s %9.4fs %12s %7.2fs\n", devices[c.device].id.c_str(),
                        format_bytes(c.budget).c_str(), solve_status_name(r.status),
                        has ? joules(r.replay.energy.total_j()).c_str() : "-",
                        has ? r.replay.time_s : 0.0,
                        has ? format_bytes(r.replay.peak_ram_bytes).c_str() : "-", r.solve_time_s);
    }
    return 0;
}

}  // namespace tp::cli
