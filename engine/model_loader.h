// One front door for "MODEL" arguments: a file path (*.onnx, *.tpnet.json) or zoo:NAME.
#pragma once

#include <string>

#include "engine/network.h"

namespace tp {

// Loads and shape-infers a network. `spec` is "zoo:NAME", a path ending in .onnx, or a
// path ending in .tpnet.json / .json. Errors name the file and the cause.
// `zoo_weights`: build a zoo model with its deterministic weights (export needs values; the
// memory and solve paths do not, and building without them is faster). Files load the weights
// they carry either way.
Result<Network> load_model(const std::string& spec, bool zoo_weights = false);

}  // namespace tp
