// Internal to the ONNX importer: folds the shape arithmetic torch exports (Shape, Gather,
// Unsqueeze, Concat, Slice, Cast, integer Add/Sub/Mul/Div, ConstantOfShape, Range, ...)
// into constants, so ops that take shapes as inputs get them as attributes.
#pragma once

#include "engine/io/onnx_work_graph.h"

namespace tp::onnx_detail {

// Replaces every node whose inputs are all known constants (or Shape of a tensor with a
// static shape) by constants, in one topological sweep. Returns how many nodes folded.
Result<int> fold_constants(WorkGraph& g);

// Evaluates one node if it folds; nullopt when it must stay in the graph.
Result<std::optional<std::vector<ConstTensor>>> try_fold(const onnx::NodeProto& n,
                                                         const WorkGraph& g);

}  // namespace tp::onnx_detail
