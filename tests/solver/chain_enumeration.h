// An exhaustive enumeration of the dp's family, written from its definition (chain_dp.h):
// every segmentation × every keep/page choice of the heads' tensors; each schedule is built
// with "free once nothing later uses it", expanded and replayed with the limits.
#pragma once

#include <cstdint>

#include "engine/cost_model.h"
#include "engine/training_graph.h"
#include "solver/scheduler.h"

namespace tp::testing {

struct FamilyOptimum {
    bool feasible = false;
    double energy_j = 0.0;
    int64_t schedules = 0;
};

FamilyOptimum enumerate_family(const TrainingGraph& graph, const CostModel& costs,
                               const SolveOptions& options);

}  // namespace tp::testing
