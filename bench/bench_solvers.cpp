// Solve time of every scheduler on zoo training graphs at a budget between the smallest
// feasible one and the store-all peak, on a board from devices/. The counters report the
// energy over the store-all floor and whether the MILP proved its optimum, so one run shows
// the speed/quality trade-off. bench/solver_table.sh sweeps budgets for the README table.
#include <benchmark/benchmark.h>

#include "engine/device.h"
#include "engine/zoo/zoo.h"
#include "solver/plan_solution.h"

namespace {

struct Problem {
    tp::TrainingGraph graph;
    tp::CostModel costs;
    int64_t budget = 0;
};

Problem make_problem(const char* model, const char* preset, const char* board, double where) {
    auto net = tp::build_zoo_model(model);
    auto graph = tp::derive_training_graph(*net, *tp::make_preset(*net, preset));
    auto library = tp::load_device_library(tp::default_device_dirs());
    auto costs = tp::build_cost_model(*graph, *library.find(board));
    Problem p{std::move(*graph), std::move(*costs), 0};
    const int64_t low = tp::smallest_step_bytes(p.graph);
    const int64_t high = tp::StoreAllScheduler().solve(p.graph, p.costs, {}).replay.peak_ram_bytes;
    p.budget = low + static_cast<int64_t>(where * static_cast<double>(high - low));
    return p;
}

void solve(benchmark::State& state, const char* solver, const char* model, const char* preset,
           const char* board, double where) {
    const Problem p = make_problem(model, preset, board, where);
    tp::SolveOptions o;
    o.ram_budget_bytes = p.budget;
    o.time_limit_s = 60;
    tp::PlanSolution s;
    for (auto _ : state) {
        s = tp::solve_plan(p.graph, p.costs, solver, o);
        benchmark::DoNotOptimize(s.result.energy_j);
    }
    state.counters["feasible"] =
        s.result.has_schedule() && s.result.status != tp::SolveStatus::infeasible;
    state.counters["optimal"] = s.result.status == tp::SolveStatus::optimal;
    state.counters["energy_over_floor"] =
        s.result.has_schedule() ? s.result.energy_j / s.floor_energy_j : 0.0;
    state.counters["gap"] = s.result.gap;
}

}  // namespace

int main(int argc, char** argv) {
    struct Case {
        const char *solver, *model, *preset, *board;
    };
    const Case cases[] = {
        {"milp", "mcunet", "full", "stm32f746"},
        {"recompute-only", "mcunet", "full", "stm32f746"},
        {"paging-only", "mcunet", "full", "stm32f746"},
        {"sqrt-n", "mcunet", "full", "stm32f746"},
        {"store-all", "mcunet", "full", "stm32f746"},
        {"milp", "mcunet", "bias-only", "stm32f746"},
        {"milp", "proxylessnas-w0.3", "full", "stm32f746"},
        {"milp", "mobilenetv2-w0.35", "full", "stm32f746"},
    };
    for (const Case& c : cases) {
        const std::string name =
            std::string(c.solver) + "/" + c.model + "/" + c.preset + "/" + c.board + "/mid-budget";
        benchmark::RegisterBenchmark(
            name.c_str(),
            [c](benchmark::State& st) { solve(st, c.solver, c.model, c.preset, c.board, 0.5); })
            ->Unit(benchmark::kMillisecond)
            ->Iterations(1);
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
