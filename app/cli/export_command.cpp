#include "app/cli/export_command.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/plan_args.h"
#include "engine/device.h"
#include "engine/firmware_codegen.h"
#include "engine/firmware_export.h"
#include "engine/model_loader.h"
#include "engine/project.h"
#include "engine/units.h"
#include "solver/plan_solution.h"

namespace tp::cli {

namespace {

// How often export solves again at a lower budget when the firmware's RAM exceeds the budget.
constexpr int kFitAttempts = 4;

struct Design {
    TrainingGraph graph;
    std::string model;
    std::string device_id;
    int64_t budget = 0;
    std::string solver = "milp";
    SolveOptions options;
};

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Result<Design> design_from_args(const Args& args) {
    Design d;
    if (args.positional.size() == 1 && ends_with(args.positional[0], ".tplan")) {
        auto loaded = load_project(args.positional[0]);
        if (!loaded) return loaded.error();
        const Project& p = loaded->project;
        Network net = loaded->network;
        if (p.model.rfind("zoo:", 0) == 0) {
            auto weighted = load_model(p.model, true);
            if (!weighted) return weighted.error();
            net = std::move(*weighted);
        }
        auto graph = derive_training_graph(net, p.plan);
        if (!graph) return graph.error();
        d.graph = std::move(*graph);
        d.model = p.model;
        d.device_id = p.device_id;
        d.budget = p.ram_budget_bytes;
        d.solver = p.solver;
        d.options.deadline_s = p.deadline_s;
        d.options.time_limit_s = p.time_limit_s;
        d.options.recompute_depth = p.recompute_depth;
        d.options.allow_paging = p.allow_paging;
        d.options.allow_recompute = p.allow_recompute;
    } else {
        auto graph = training_graph_from_args(args, "export", true);
        if (!graph) return graph.error();
        d.graph = std::move(*graph);
        d.model = args.positional[0];
    }
    // Command-line settings override the project's.
    if (args.options.count("--device")) d.device_id = args.option("--device");
    if (args.options.count("--budget")) {
        auto b = parse_bytes(args.option("--budget"));
        if (!b) return b.error();
        d.budget = *b;
    }
    if (args.options.count("--solver")) d.solver = args.option("--solver");
    if (args.options.count("--time-limit")) {
        try {
            d.options.time_limit_s = std::stod(args.option("--time-limit"));
        } catch (...) {
            return Error{"--time-limit needs seconds, got '" + args.option("--time-limit") + "'"};
        }
    }
    if (d.device_id.empty() || d.budget <= 0)
        return Error{
            "export needs a board and a RAM budget: --device ID --budget SIZE (or a "
            ".tplan project that has them)"};
    d.options.ram_budget_bytes = d.budget;
    return d;
}

}  // namespace

int run_export(const std::vector<std::string>& argv) {
    std::set<std::string> valued = kPlanOptions;
    valued.insert({"--device", "--budget", "--solver", "--time-limit", "--out", "--target", "--lr",
                   "--steps"});
    std::set<std::string> switches = kPlanSwitches;
    switches.insert("--no-reference");
    auto args = parse_args(argv, valued, switches);
    if (!args) return fail(args.error().message);
    if (args->positional.size() != 1 || !args->options.count("--out"))
        return fail(
            "usage: trainplan export (PROJECT.tplan | MODEL --device ID --budget SIZE "
            "[PLAN OPTIONS]) --out DIR [--target host|cortex-m4|cortex-m7] [--lr X] "
            "[--steps N] [--solver NAME] [--time-limit S] [--no-reference]");
    auto design = design_from_args(*args);
    if (!design) return fail(design.error().message);

    FirmwareExportOptions o;
    o.out_dir = args->option("--out");
    auto target = parse_firmware_target(args->option("--target", "host"));
    if (!target) return fail(target.error().message);
    o.target = *target;
    try {
        o.learning_rate = std::stof(args->option("--lr", "0.01"));
        o.steps = std::stoi(args->option("--steps", "0"));
    } catch (...) {
        return fail("--lr needs a number and --steps a whole number");
    }
    if (!(o.learning_rate > 0.0f) || o.steps < 0 || o.steps > 100000)
        return fail("--lr must be positive and --steps between 0 (auto) and 100000");
    o.with_reference = !args->flag("--no-reference");

    // What the runtime cannot run is said before any solving.
    if (auto s = check_exportable(design->graph); !s) return fail(s.error().message);
    DeviceLibrary library = load_device_library(default_device_dirs());
    const Device* device = library.find(design->device_id);
    if (!device)
        return fail("unknown device '" + design->device_id + "' (see `trainplan devices`)");
    auto costs = build_cost_model(design->graph, *device);
    if (!costs) return fail(costs.error().message);
    // The budget is the firmware's RAM: the arena (the Validator's peak plus the placement's
    // fragmentation and alignment), the sample buffers and a reserve for the runtime. When that
    // is over the budget, solve again with the budget lowered by the excess.
    SolveOptions options = design->options;
    options.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    PlanSolution s;
    Result<FirmwareExportReport> fit = Error{"not solved"};
    for (int attempt = 0;; ++attempt) {
        s = solve_plan(design->graph, *costs, design->solver, options);
        const SolveResult& r = s.result;
        if (!r.has_schedule() || !r.replay.valid ||
            (r.status != SolveStatus::optimal && r.status != SolveStatus::feasible))
            return fail("no schedule to export at " + format_bytes(options.ram_budget_bytes) +
                        " (" + std::string(solve_status_name(r.status)) + "): " + r.message +
                        (attempt > 0 ? " — the arena needs more than the schedule's peak; raise "
                                       "the budget"
                                     : ""));
        fit = plan_firmware_arena(design->graph, r.schedule);
        if (!fit) return fail(fit.error().message);
        const int64_t over = fit->firmware_ram_bytes - design->budget;
        if (over <= 0 || attempt == kFitAttempts) break;
        const int64_t lowered = options.ram_budget_bytes - std::max<int64_t>(over, 1024);
        std::printf(
            "the arena (%s, schedule peak %s) + sample buffers (%s) + runtime reserve "
            "(%s) is %s over the budget; solving again at %s\n",
            format_bytes(fit->arena_bytes).c_str(), format_bytes(r.replay.peak_ram_bytes).c_str(),
            format_bytes(fit->caller_buffer_bytes).c_str(),
            format_bytes(kFirmwareRuntimeReserveBytes).c_str(), format_bytes(over).c_str(),
            format_bytes(lowered).c_str());
        std::fflush(stdout);
        options.ram_budget_bytes = lowered;
    }
    const SolveResult& r = s.result;
    SolveOptions unlimited;
    SolveResult store_all = StoreAllScheduler().solve(design->graph, *costs, unlimited);

    o.model = design->model;
    o.device_id = device->id;
    o.sram_bytes = device->sram_bytes;
    o.ram_budget_bytes = design->budget;
    o.validator_peak_bytes = r.replay.peak_ram_bytes;
    o.validator_storage_bytes = r.replay.peak_storage_bytes;
    o.solver = r.solver;
    auto report = export_firmware(design->graph, r.schedule, store_all.schedule, o);
    if (!report) return fail(report.error().message);

    std::printf("exported %s for %s (%s) to %s\n", design->graph.network.name.c_str(),
                device->id.c_str(), firmware_target_name(o.target), o.out_dir.c_str());
    std::printf("schedule: %s, %d steps (%d recompute, %d page-out, %d page-in), %d kernel calls\n",
                solve_status_name(r.status), report->steps, r.replay.recomputes, r.replay.page_outs,
                r.replay.page_ins, report->kernel_calls);
    std::printf("arena %s (%lld B) = parameters+momentum %s + activations %s (peak live %s, %s)\n",
                format_bytes(report->arena_bytes).c_str(),
                static_cast<long long>(report->arena_bytes),
                format_bytes(report->persistent_bytes).c_str(),
                format_bytes(report->activation_bytes).c_str(),
                format_bytes(report->activation_lower_bound).c_str(), report->placement.c_str());
    std::printf("budget %s · Validator peak %s · flash (weights) %s · storage %s (Validator %s)\n",
                format_bytes(design->budget).c_str(), format_bytes(r.replay.peak_ram_bytes).c_str(),
                format_bytes(report->flash_bytes).c_str(),
                format_bytes(report->storage_bytes).c_str(),
                format_bytes(r.replay.peak_storage_bytes).c_str());
    std::printf("%zu files; check it with: trainplan verify %s\n", report->files.size(),
                o.out_dir.c_str());
    return 0;
}

}  // namespace tp::cli
