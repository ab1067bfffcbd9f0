// ONNX import through libonnx (opset 11-17): shape inference, constant folding of the
// shape subgraphs torch exports, and mapping onto the IR. Weights are read when present
// (inline or in the external-data file beside the model) and left empty otherwise.
#pragma once

#include <string>

#include "engine/network.h"

namespace tp {

Result<Network> import_onnx_file(const std::string& path);
// `bytes` is a serialized ModelProto; `source_name` names it in messages; `base_dir` is
// where external weight files are looked for (empty: none).
Result<Network> import_onnx_bytes(const std::string& bytes, const std::string& source_name,
                                  const std::string& base_dir = {});

}  // namespace tp
