// The documented JSON network format (*.tpnet.json), lossless with the IR.
// Weights are optional and live in a binary blob beside the JSON (little-endian float32,
// parameters in the order the JSON lists them), referenced by file name and byte size.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine/network.h"

namespace tp {

nlohmann::json network_to_json(const Network& net, const std::string& weights_file = {});
Result<Network> network_from_json(const nlohmann::json& j, const std::string& source_name);

// Writes NAME.tpnet.json (and NAME.weights.bin when the network has weights and
// `with_weights` is set), each atomically (temporary file + rename).
Status save_tpnet(const Network& net, const std::string& json_path, bool with_weights);
Result<Network> load_tpnet(const std::string& json_path);

}  // namespace tp
