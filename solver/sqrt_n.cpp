#include <algorithm>
#include <chrono>
#include <cmath>

#include "solver/baselines.h"
#include "solver/demand_schedule.h"

namespace tp {

std::vector<bool> SqrtNScheduler::checkpoints(const TrainingGraph& graph) {
    const size_t n = graph.nodes.size();
    std::vector<bool> keep(n, false);
    // The forward part and, for each position, whether it cuts the forward graph: no tensor made
    // before it is read by a forward node after it. Recomputing from a cut needs nothing older.
    size_t forward_end = 0;
    while (forward_end < n && (graph.nodes[forward_end].kind == NodeKind::input ||
                               graph.nodes[forward_end].kind == NodeKind::forward ||
                               graph.nodes[forward_end].kind == NodeKind::saved_aux))
        ++forward_end;
    std::vector<int> last_forward_reader(n, -1);
    for (size_t r = 0; r < forward_end; ++r)
        for (int in : graph.nodes[r].inputs)
            last_forward_reader[static_cast<size_t>(in)] =
                std::max(last_forward_reader[static_cast<size_t>(in)], static_cast<int>(r));
    std::vector<bool> cut(n, false);
    int reach = -1;  // the furthest forward reader of anything made so far
    for (size_t x = 0; x < forward_end; ++x) {
        cut[x] = reach <= static_cast<int>(x);
        reach = std::max(reach, last_forward_reader[x]);
    }

    std::vector<int> forward;
    for (const auto& node : graph.nodes) {
        // The inputs cannot be recomputed; masks and pooling indices are compact and would
        // need their op's full output recomputed.
        if (node.kind == NodeKind::input || node.kind == NodeKind::saved_aux)
            keep[static_cast<size_t>(node.id)] = true;
        if (node.kind == NodeKind::forward) forward.push_back(node.id);
    }
    if (graph.loss_node >= 0)
        for (int in : graph.nodes[static_cast<size_t>(graph.loss_node)].inputs)
            keep[static_cast<size_t>(in)] = true;
    if (forward.empty()) return keep;
    // ⌈√F⌉ segments of ⌈F / ⌈√F⌉⌉ forward nodes; a segment ends at the first cut at or after
    // its nominal end (on a chain every node is a cut).
    const size_t segments =
        static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(forward.size()))));
    const size_t length = (forward.size() + segments - 1) / segments;
    size_t since = 0;
    for (int id : forward) {
        ++since;
        if (since >= length && cut[static_cast<size_t>(id)]) {
            keep[static_cast<size_t>(id)] = true;
            since = 0;
        }
    }
    return keep;
}

SolveResult SqrtNScheduler::solve(const TrainingGraph& graph, const CostModel& costs,
                                  const SolveOptions& options) const {
    const auto start = std::chrono::steady_clock::now();
    SolveResult result;
    result.solver = name();
    result.stats.graph_nodes = result.stats.reduced_nodes = static_cast<int>(graph.nodes.size());
    std::vector<bool> keep =
        options.allow_recompute ? checkpoints(graph) : std::vector<bool>(graph.nodes.size(), true);
    DemandSchedule built;
    // Each retry keeps one more node, so this ends after at most one pass per node.
    for (size_t attempt = 0; attempt <= graph.nodes.size(); ++attempt) {
        built = build_demand_schedule(graph, keep);
        if (built.ok || built.blocked_node < 0 || keep[static_cast<size_t>(built.blocked_node)])
            break;
        keep[static_cast<size_t>(built.blocked_node)] = true;
    }
    if (!built.ok) {
        result.status = SolveStatus::error;
        result.message = "sqrt-n could not build a schedule: " + built.message;
    } else {
        result.schedule = std::move(built.schedule);
        result.status = SolveStatus::feasible;
        attach_replay(result, graph, costs, options);
    }
    result.lower_bound_j = 0.0;
    result.gap = result.has_schedule() && result.energy_j > 0 ? 1.0 : 0.0;
    result.solve_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace tp
