// Shape inference and MAC counts for every op in the IR.
//
// MAC convention (documented in README "Supported ops"):
//  - Conv: Cout * Hout * Wout * (Cin / group) * kh * kw per sample (bias adds are not MACs).
//  - Gemm: M * N * K; MatMul: batch * M * N * K.
//  - everything else: one operation per element of the larger of its input and output
//    (reductions and pools count each input element read once; pools count k*k per output).
// MACs are per sample (batch 1), like the shapes stored in the Network.
#pragma once

#include "engine/network.h"

namespace tp {

// Infers the shape and dtype of every op output from the graph inputs' shapes and the
// parameters, in op order, and sets op.macs. Fails naming the op when shapes disagree.
Status infer_shapes(Network& net);

// Infers one op (its inputs' TensorInfo must already be in net.tensors).
Status infer_op(Network& net, Op& op);

}  // namespace tp
