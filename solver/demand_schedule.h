// A demand-driven schedule builder for checkpointing baselines: walk the store-all order, and
// when a node needs a tensor that was dropped, recompute it on demand (recursively, from what is
// resident). A per-node policy says which forward tensors stay in RAM after the forward pass
// (the checkpoints); the others are freed after their last forward reader. No paging.
//
// Frees: a forward tensor that is not kept is freed after its last reader in the forward part
// (right after it is made when no forward node reads it). Every other tensor, and every
// recomputed one, stays until it is last needed: its last reader in store-all order, or later
// when a dropped node that reads it may still be recomputed from it (so a checkpoint outlives
// the segment recomputed from it, and each dropped tensor is recomputed at most once).
// A forward node is never recomputed once its op's update ran (it would read changed weights),
// and inputs and gradients are never recomputed. When a recompute would need either, the build
// fails and names the node whose keeping avoids it, so a caller can keep it and retry.
#pragma once

#include <string>
#include <vector>

#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

struct DemandSchedule {
    bool ok = false;
    Schedule schedule;
    std::string message;    // why it failed
    int blocked_node = -1;  // keeping this node avoids the failure (-1: nothing would)
};

// keep_after_forward[i]: node i's output stays in RAM after the forward pass until its last
// reader. Ignored for nodes after the forward part. Must have one entry per node.
DemandSchedule build_demand_schedule(const TrainingGraph& graph,
                                     const std::vector<bool>& keep_after_forward);

}  // namespace tp
