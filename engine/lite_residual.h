// TinyTL lite-residual adapters (Cai et al., NeurIPS 2020, and mit-han-lab/tinyml's
// LiteResidualModule): beside a frozen block, avg-pool 2x2 → group conv (kernel 5, groups 2,
// the block's stride, no channel expansion) → GroupNorm → ReLU → 1x1 conv → GroupNorm
// (scale zero-initialised, so the adapter starts as a no-op) → bilinear upsample to the block
// output → add. GroupNorm replaces TinyTL's BatchNorm so that batch-1 training works.
#pragma once

#include <string>

#include "engine/network.h"
#include "engine/training_plan.h"

namespace tp {

// The op-name prefix of every op an adapter adds to `block`.
std::string adapter_prefix(const std::string& block);

// Returns the network with an adapter beside every block in plan.adapters; the plan's
// adapter layers are the ops whose names start with adapter_prefix(block).
Result<Network> insert_adapters(const Network& net, const TrainingPlan& plan);

}  // namespace tp
