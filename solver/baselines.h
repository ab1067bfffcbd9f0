// Baseline schedulers the exact solvers are compared against. Each is a heuristic: its result
// is `feasible` (never `optimal`) with lower_bound_j 0, and `infeasible` when its schedule does
// not fit the budget or deadline.
#pragma once

#include <string>
#include <vector>

#include "solver/scheduler.h"

namespace tp {

// Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost": split the forward nodes
// (in graph order) into ⌈√F⌉ segments and keep only each segment's last output (the
// checkpoints), the inputs, the saved masks / pooling indices (compact, and recomputing one
// would recompute its op's whole output) and what the loss reads through the forward pass;
// during backward, recompute every dropped forward tensor on demand from what is resident
// (solver/demand_schedule.h). A segment ends at a node that cuts the forward graph (no older
// tensor is read past it, e.g. not inside a residual block), so recomputing a segment starts
// from its checkpoint. No paging. A node that would have to be recomputed after its op's update
// is kept instead. Without recompute (options.allow_recompute false) it keeps everything, which
// is the store-all schedule.
class SqrtNScheduler final : public Scheduler {
  public:
    std::string name() const override { return "sqrt-n"; }
    SolveResult solve(const TrainingGraph& graph, const CostModel& costs,
                      const SolveOptions& options) const override;
    // The checkpoint policy: which nodes stay in RAM after the forward pass.
    static std::vector<bool> checkpoints(const TrainingGraph& graph);
};

}  // namespace tp
