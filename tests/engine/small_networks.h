// Networks small enough to count every byte by hand, built directly in the IR.
#pragma once

#include <string>

#include "engine/network.h"
#include "engine/op_semantics.h"

namespace tp::test {

// x 1x3x8x8 → conv (4x3x3x3, pad 1, bias) → bn → relu → conv2 (4x4x1x1, no bias) → relu2
// → GlobalAveragePool → flatten → fc (10x4, bias). Blocks: "stem" (conv..relu),
// "block1" (conv2, relu2), "head" (pool, flatten, fc).
inline Network two_conv_network() {
    Network net;
    net.name = "two-conv";
    net.inputs = {"x"};
    net.outputs = {"logits"};
    net.tensors["x"] = TensorInfo{"x", {1, 3, 8, 8}, DType::f32};
    auto param = [&](const std::string& name, Shape shape, bool trainable = true) {
        net.params[name] = Parameter{name, std::move(shape), DType::f32, trainable, {}};
    };
    param("conv.weight", {4, 3, 3, 3});
    param("conv.bias", {4});
    param("bn.scale", {4});
    param("bn.bias", {4});
    param("bn.mean", {4}, false);
    param("bn.var", {4}, false);
    param("conv2.weight", {4, 4, 1, 1});
    param("fc.weight", {10, 4});
    param("fc.bias", {10});
    Op conv{"conv", OpType::Conv, {"x"}, {"c"}, {"conv.weight", "conv.bias"}, {}, "stem", 0};
    conv.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    net.ops.push_back(conv);
    net.ops.push_back(Op{"bn",
                         OpType::BatchNormalization,
                         {"c"},
                         {"b"},
                         {"bn.scale", "bn.bias", "bn.mean", "bn.var"},
                         {},
                         "stem",
                         0});
    net.ops.push_back(Op{"relu", OpType::Relu, {"b"}, {"r"}, {}, {}, "stem", 0});
    net.ops.push_back(Op{"conv2", OpType::Conv, {"r"}, {"c2"}, {"conv2.weight"}, {}, "block1", 0});
    net.ops.push_back(Op{"relu2", OpType::Relu, {"c2"}, {"r2"}, {}, {}, "block1", 0});
    net.ops.push_back(Op{"pool", OpType::GlobalAveragePool, {"r2"}, {"p"}, {}, {}, "head", 0});
    net.ops.push_back(Op{"flatten", OpType::Flatten, {"p"}, {"f"}, {}, {}, "head", 0});
    Op fc{"fc", OpType::Gemm, {"f"}, {"logits"}, {"fc.weight", "fc.bias"}, {}, "head", 0};
    fc.attrs.set("transB", int64_t{1});
    net.ops.push_back(fc);
    (void)infer_shapes(net);
    return net;
}

}  // namespace tp::test
