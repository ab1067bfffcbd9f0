// Shapes and MACs of every op, against numbers worked out by hand from the ONNX operator
// definitions (and torch's output-size formulas for pools with ceil_mode).
#include "engine/op_semantics.h"

#include <gtest/gtest.h>

namespace tp {
namespace {

struct OneOp {
    Network net;
    Op* op = nullptr;
};

// Builds a network around one op; `inputs` are activation shapes, `params` weight shapes.
OneOp make(OpType type, std::vector<Shape> inputs, std::vector<Shape> params = {},
           Attributes attrs = {}, int outputs = 1) {
    OneOp o;
    Op op;
    op.name = "op";
    op.type = type;
    op.attrs = std::move(attrs);
    for (size_t i = 0; i < inputs.size(); ++i) {
        std::string n = "in" + std::to_string(i);
        o.net.inputs.push_back(n);
        o.net.tensors[n] = TensorInfo{n, inputs[i], DType::f32};
        op.inputs.push_back(n);
    }
    for (size_t i = 0; i < params.size(); ++i) {
        std::string n = "p" + std::to_string(i);
        o.net.params[n] = Parameter{n, params[i], DType::f32, true, {}};
        op.params.push_back(n);
    }
    for (int i = 0; i < outputs; ++i) op.outputs.push_back("out" + std::to_string(i));
    o.net.ops.push_back(op);
    o.net.outputs = {"out0"};
    o.op = &o.net.ops[0];
    return o;
}

Shape out_shape(OneOp& o, int i = 0) {
    return o.net.tensor("out" + std::to_string(i))->shape;
}

Attributes attrs(std::initializer_list<std::pair<const std::string, AttrValue>> kv) {
    Attributes a;
    for (const auto& [k, v] : kv) a.set(k, v);
    return a;
}

using V = std::vector<int64_t>;

TEST(OpSemantics, ConvStridePadShapeAndMacs) {
    // 3x3 stride 2 pad 1 on 32x32: (32 + 2 - 3) / 2 + 1 = 16.
    auto o = make(OpType::Conv, {{1, 16, 32, 32}}, {{24, 16, 3, 3}},
                  attrs({{"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 24, 16, 16}));
    EXPECT_EQ(o.op->macs, 24LL * 16 * 16 * 16 * 9);
}

TEST(OpSemantics, DepthwiseConvCountsOneInputChannelPerOutput) {
    auto o = make(OpType::Conv, {{1, 32, 14, 14}}, {{32, 1, 5, 5}},
                  attrs({{"group", int64_t{32}}, {"pads", V{2, 2, 2, 2}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 32, 14, 14}));
    EXPECT_EQ(o.op->macs, 32LL * 14 * 14 * 25);
}

TEST(OpSemantics, DilatedGroupedConv) {
    // dilation 2 makes a 3x3 kernel span 5: (20 - 5) / 1 + 1 = 16; groups 4: 8/4 input channels
    // each.
    auto o = make(OpType::Conv, {{1, 8, 20, 20}}, {{12, 2, 3, 3}},
                  attrs({{"group", int64_t{4}}, {"dilations", V{2, 2}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 12, 16, 16}));
    EXPECT_EQ(o.op->macs, 12LL * 16 * 16 * 2 * 9);
}

TEST(OpSemantics, ConvChannelMismatchNamesTheOp) {
    auto o = make(OpType::Conv, {{1, 8, 4, 4}}, {{4, 3, 3, 3}});
    auto s = infer_shapes(o.net);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("'op'"), std::string::npos);
    EXPECT_NE(s.error().message.find("8 channels"), std::string::npos);
}

TEST(OpSemantics, GemmLikeTorchLinearAndOverSequences) {
    auto o =
        make(OpType::Gemm, {{1, 128, 64}}, {{256, 64}, {256}}, attrs({{"transB", int64_t{1}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 128, 256}));
    EXPECT_EQ(o.op->macs, 128LL * 64 * 256);
    auto k = make(OpType::Gemm, {{1, 64}}, {{64, 10}}, attrs({{"transB", int64_t{0}}}));
    ASSERT_TRUE(infer_shapes(k.net));
    EXPECT_EQ(out_shape(k), (Shape{1, 10}));
}

TEST(OpSemantics, MatMulBroadcastsBatchDims) {
    auto o = make(OpType::MatMul, {{1, 2, 128, 64}, {1, 2, 64, 128}});
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 2, 128, 128}));
    EXPECT_EQ(o.op->macs, 2LL * 128 * 128 * 64);
}

TEST(OpSemantics, MaxPoolCeilModeDropsWindowStartingInPadding) {
    // torch: floor((H + 2p - k) / s) + 1 with ceil instead of floor, minus one if the last
    // window starts past the input. 112, k3 s2 p0 ceil → ceil(109/2)+1 = 56.
    auto o =
        make(OpType::MaxPool, {{1, 64, 112, 112}}, {},
             attrs({{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"ceil_mode", int64_t{1}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 64, 56, 56}));
    EXPECT_EQ(o.op->macs, 64LL * 56 * 56 * 9);
    // 13, k3 s2 ceil: ceil(10/2)+1 = 6 (SqueezeNet's fire stages); floor gives 6 as well at 13,
    // but at 14 ceil gives 7 where floor gives 6.
    auto c =
        make(OpType::MaxPool, {{1, 8, 14, 14}}, {},
             attrs({{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"ceil_mode", int64_t{1}}}));
    ASSERT_TRUE(infer_shapes(c.net));
    EXPECT_EQ(out_shape(c), (Shape{1, 8, 7, 7}));
    auto f = make(OpType::MaxPool, {{1, 8, 14, 14}}, {},
                  attrs({{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}}));
    ASSERT_TRUE(infer_shapes(f.net));
    EXPECT_EQ(out_shape(f), (Shape{1, 8, 6, 6}));
    // ResNet stem pool: 112, k3 s2 p1 → 56.
    auto r =
        make(OpType::MaxPool, {{1, 64, 112, 112}}, {},
             attrs({{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}}));
    ASSERT_TRUE(infer_shapes(r.net));
    EXPECT_EQ(out_shape(r), (Shape{1, 64, 56, 56}));
}

TEST(OpSemantics, GlobalPoolAndReduceMean) {
    auto g = make(OpType::GlobalAveragePool, {{1, 1280, 5, 5}});
    ASSERT_TRUE(infer_shapes(g.net));
    EXPECT_EQ(out_shape(g), (Shape{1, 1280, 1, 1}));
    EXPECT_EQ(g.op->macs, 1280LL * 25);
    auto r = make(OpType::ReduceMean, {{1, 96, 7, 7}}, {},
                  attrs({{"axes", V{2, 3}}, {"keepdims", int64_t{0}}}));
    ASSERT_TRUE(infer_shapes(r.net));
    EXPECT_EQ(out_shape(r), (Shape{1, 96}));
}

TEST(OpSemantics, ReshapeCopiesZerosAndInfersMinusOne) {
    auto o = make(OpType::Reshape, {{1, 116, 14, 14}}, {}, attrs({{"shape", V{0, 2, 58, -1}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 2, 58, 196}));
    EXPECT_EQ(o.op->macs, 0);
    auto bad = make(OpType::Reshape, {{1, 10}}, {}, attrs({{"shape", V{3, -1}}}));
    EXPECT_FALSE(infer_shapes(bad.net));
}

TEST(OpSemantics, FlattenTransposeSqueezeUnsqueeze) {
    auto f = make(OpType::Flatten, {{1, 512, 1, 1}}, {}, attrs({{"axis", int64_t{1}}}));
    ASSERT_TRUE(infer_shapes(f.net));
    EXPECT_EQ(out_shape(f), (Shape{1, 512}));
    auto t = make(OpType::Transpose, {{1, 128, 2, 64}}, {}, attrs({{"perm", V{0, 2, 1, 3}}}));
    ASSERT_TRUE(infer_shapes(t.net));
    EXPECT_EQ(out_shape(t), (Shape{1, 2, 128, 64}));
    auto s = make(OpType::Squeeze, {{1, 64, 1, 1}}, {}, attrs({{"axes", V{2, 3}}}));
    ASSERT_TRUE(infer_shapes(s.net));
    EXPECT_EQ(out_shape(s), (Shape{1, 64}));
    auto u = make(OpType::Unsqueeze, {{1, 128}}, {}, attrs({{"axes", V{1, 2}}}));
    ASSERT_TRUE(infer_shapes(u.net));
    EXPECT_EQ(out_shape(u), (Shape{1, 1, 1, 128}));
}

TEST(OpSemantics, SplitEvenlyAndBySizes) {
    auto o = make(OpType::Split, {{1, 116, 28, 28}}, {}, attrs({{"axis", int64_t{1}}}), 2);
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o, 0), (Shape{1, 58, 28, 28}));
    EXPECT_EQ(out_shape(o, 1), (Shape{1, 58, 28, 28}));
    auto s =
        make(OpType::Split, {{1, 10}}, {}, attrs({{"axis", int64_t{1}}, {"split", V{3, 7}}}), 2);
    ASSERT_TRUE(infer_shapes(s.net));
    EXPECT_EQ(out_shape(s, 1), (Shape{1, 7}));
}

TEST(OpSemantics, SliceClampsAndHandlesNegativeIndices) {
    // starts -3 on 10 → 7; ends INT64_MAX clamps to 10 → 3 elements; step 2 over [0, 9) → 5.
    auto o = make(OpType::Slice, {{1, 10, 9}}, {},
                  attrs({{"starts", V{-3, 0}},
                         {"ends", V{INT64_MAX, 9}},
                         {"axes", V{1, 2}},
                         {"steps", V{1, 2}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 3, 5}));
}

TEST(OpSemantics, ConcatPadGatherUpsample) {
    auto c =
        make(OpType::Concat, {{1, 64, 13, 13}, {1, 64, 13, 13}}, {}, attrs({{"axis", int64_t{1}}}));
    ASSERT_TRUE(infer_shapes(c.net));
    EXPECT_EQ(out_shape(c), (Shape{1, 128, 13, 13}));
    auto p = make(OpType::Pad, {{1, 3, 8, 8}}, {}, attrs({{"pads", V{0, 0, 1, 2, 0, 0, 3, 4}}}));
    ASSERT_TRUE(infer_shapes(p.net));
    EXPECT_EQ(out_shape(p), (Shape{1, 3, 12, 14}));
    auto g = make(OpType::Gather, {{1, 128}}, {{30522, 128}});
    g.net.tensors["in0"].dtype = DType::i64;
    ASSERT_TRUE(infer_shapes(g.net));
    EXPECT_EQ(out_shape(g), (Shape{1, 128, 128}));
    auto u = make(OpType::Upsample, {{1, 16, 7, 7}}, {}, attrs({{"sizes", V{14, 13}}}));
    ASSERT_TRUE(infer_shapes(u.net));
    EXPECT_EQ(out_shape(u), (Shape{1, 16, 14, 13}));
}

TEST(OpSemantics, ElementwiseBroadcastsAgainstParameters) {
    auto a = make(OpType::Add, {{1, 128, 128}}, {{128}});
    ASSERT_TRUE(infer_shapes(a.net));
    EXPECT_EQ(out_shape(a), (Shape{1, 128, 128}));
    EXPECT_EQ(a.op->macs, 128LL * 128);
    auto m = make(OpType::Mul, {{1, 96, 14, 14}, {1, 96, 1, 1}});  // squeeze-excite scaling
    ASSERT_TRUE(infer_shapes(m.net));
    EXPECT_EQ(out_shape(m), (Shape{1, 96, 14, 14}));
    auto bad = make(OpType::Add, {{1, 3, 4}, {1, 5, 4}});
    EXPECT_FALSE(infer_shapes(bad.net));
}

TEST(OpSemantics, NormalizationsCheckFeatureCounts) {
    auto bn = make(OpType::BatchNormalization, {{1, 32, 8, 8}}, {{32}, {32}, {32}, {32}});
    ASSERT_TRUE(infer_shapes(bn.net));
    EXPECT_EQ(bn.op->macs, 32LL * 64);
    auto ln = make(OpType::LayerNormalization, {{1, 128, 128}}, {{128}, {128}});
    ASSERT_TRUE(infer_shapes(ln.net));
    auto gn = make(OpType::GroupNormalization, {{1, 12, 8, 8}}, {{12}, {12}},
                   attrs({{"num_groups", int64_t{5}}}));
    EXPECT_FALSE(infer_shapes(gn.net));
}

TEST(OpSemantics, UnaryOpsKeepShapeAndCountOnePerElement) {
    for (OpType t :
         {OpType::Relu, OpType::Clip, OpType::HardSwish, OpType::HardSigmoid, OpType::Sigmoid,
          OpType::Tanh, OpType::Gelu, OpType::Erf, OpType::Sqrt, OpType::Softmax, OpType::Pow}) {
        auto o = make(t, {{1, 24, 5, 7}});
        ASSERT_TRUE(infer_shapes(o.net)) << op_type_name(t);
        EXPECT_EQ(out_shape(o), (Shape{1, 24, 5, 7})) << op_type_name(t);
        EXPECT_EQ(o.op->macs, 24 * 5 * 7) << op_type_name(t);
    }
    for (OpType t : {OpType::Dropout, OpType::Identity}) {
        auto o = make(t, {{1, 24, 5, 7}});
        ASSERT_TRUE(infer_shapes(o.net));
        EXPECT_EQ(out_shape(o), (Shape{1, 24, 5, 7}));
        EXPECT_EQ(o.op->macs, 0);
    }
}

TEST(OpSemantics, AveragePoolCountsItsWindow) {
    // TinyTL adapter pooling: 2x2 stride 2 on 28x28 → 14x14, 4 reads per output.
    auto o = make(OpType::AveragePool, {{1, 16, 28, 28}}, {},
                  attrs({{"kernel_shape", V{2, 2}}, {"strides", V{2, 2}}}));
    ASSERT_TRUE(infer_shapes(o.net));
    EXPECT_EQ(out_shape(o), (Shape{1, 16, 14, 14}));
    EXPECT_EQ(o.op->macs, 16LL * 14 * 14 * 4);
}

TEST(OpSemantics, EveryOpTypeHasAName) {
    for (int t = 0; t <= static_cast<int>(OpType::GroupNormalization); ++t) {
        const char* name = op_type_name(static_cast<OpType>(t));
        EXPECT_STRNE(name, "Unknown") << t;
        EXPECT_EQ(op_type_from_name(name), static_cast<OpType>(t)) << name;
    }
}

}  // namespace
}  // namespace tp
