// Transfer learning replaces the classifier: a new head with the target task's classes
// (the 256KB paper trains MCUNet on VWW's 2 classes, TinyTL on 10-200-class datasets).
#pragma once

#include "engine/network.h"

namespace tp {

// The classifier: the last Conv or Gemm with trainable parameters. -1 when none.
int classifier_index(const Network& net);

// Returns the network whose classifier has `classes` outputs, shapes re-inferred. New head
// weights, when the network carries weights, are deterministic small values, biases zero.
Result<Network> replace_head(const Network& net, int64_t classes);

}  // namespace tp
