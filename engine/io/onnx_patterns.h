// Internal to the ONNX importer: recognizes decompositions older opsets force on torch
// exports and replaces each by the one op it stands for. A pattern that does not match
// exactly leaves its nodes alone (they import one by one).
#pragma once

#include "engine/io/onnx_work_graph.h"

namespace tp::onnx_detail {

// x/sqrt(2) -> Erf -> +1 -> *x -> *0.5 (either multiplication order) becomes one node
// op_type "Gelu" with input x.
int fuse_gelu(WorkGraph& g);

// ReduceMean(x) -> Sub -> Pow 2 -> ReduceMean -> Add eps -> Sqrt -> Div -> Mul scale ->
// Add bias, over the last axis, becomes op_type "LayerNormalization" with inputs
// x, scale, bias and attribute epsilon (the opset-17 node).
int fuse_layer_norm(WorkGraph& g);

}  // namespace tp::onnx_detail
