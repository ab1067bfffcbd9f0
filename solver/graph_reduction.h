// Shrinks a TrainingGraph before the MILP sees it, without losing any schedule worth having:
// a chain of nodes where each link's output is read only by the next link, which reads nothing
// else, and which run back to back in the graph's order (conv → batch-norm → activation, the
// matching backward chains) becomes one node. Keeping a link's intermediate output can never
// pay (it is read once, right away), so the fused node's output is the chain's last one.
// RAM while a fused node runs is modelled in two phases: its first link runs with every input
// resident; the later links run after the inputs were freed (when the schedule frees them
// there), holding two consecutive intermediates and the link's workspace.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/cost_model.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

struct ReducedGraph {
    TrainingGraph graph;                    // fused nodes; network and plan are left empty
    CostModel costs;                        // summed over each fused node's links
    std::vector<std::vector<int>> members;  // reduced node -> original ids, in order
    std::vector<int64_t> first_bytes;       // RAM above the inputs while the first link runs
    std::vector<int64_t> late_bytes;   // RAM above the inputs while links 2.. run (0: one link)
    std::vector<int> recompute_until;  // last stage a node may be recomputed in (its op's update)
};

ReducedGraph reduce_graph(const TrainingGraph& graph, const CostModel& costs);

// The original graph's steps for a schedule of the reduced graph: each fused compute becomes its
// links in order, intermediates freed as soon as the next link ran, and the fused node's inputs
// that the schedule frees right after it are freed right after its first link instead.
Schedule expand_schedule(const ReducedGraph& reduced, const Schedule& schedule);

}  // namespace tp
