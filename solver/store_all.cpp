#include <chrono>

#include "engine/units.h"
#include "solver/scheduler.h"

namespace tp {

SolveResult StoreAllScheduler::solve(const TrainingGraph& graph, const CostModel& costs,
                                     const SolveOptions& options) const {
    auto start = std::chrono::steady_clock::now();
    SolveResult result;
    result.solver = name();
    const std::vector<int> last_use = graph.last_reader();
    for (const auto& node : graph.nodes) {
        result.schedule.steps.push_back({StepOp::compute, node.id});
        for (int in : node.inputs)
            if (last_use[static_cast<size_t>(in)] == node.id)
                result.schedule.steps.push_back({StepOp::free, in});
        if (last_use[static_cast<size_t>(node.id)] < 0)
            result.schedule.steps.push_back({StepOp::free, node.id});
    }
    result.status = SolveStatus::optimal;
    result.stats.graph_nodes = result.stats.reduced_nodes = static_cast<int>(graph.nodes.size());
    attach_replay(result, graph, costs, options);
    if (result.status == SolveStatus::optimal) result.lower_bound_j = result.energy_j;
    result.solve_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace tp
