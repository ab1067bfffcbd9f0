// A network small enough to count by hand, built directly in the IR:
// input 1x3x8x8 → Conv 4x3x3x3 pad 1 (+bias) → BatchNorm → Relu → GlobalAveragePool
// → Flatten → Gemm 10x4 (+bias).
#pragma once

#include "engine/network.h"
#include "engine/op_semantics.h"

namespace tp::test {

inline Result<Network> tinyNetwork() {
    Network net;
    net.name = "tiny";
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
    net.ops.push_back(Op{"pool", OpType::GlobalAveragePool, {"r"}, {"p"}, {}, {}, "head", 0});
    net.ops.push_back(Op{"flatten", OpType::Flatten, {"p"}, {"f"}, {}, {}, "head", 0});
    Op fc{"fc", OpType::Gemm, {"f"}, {"logits"}, {"fc.weight", "fc.bias"}, {}, "head", 0};
    fc.attrs.set("transB", int64_t{1});
    net.ops.push_back(fc);
    if (auto s = infer_shapes(net); !s) return s.error();
    return net;
}

}  // namespace tp::test
