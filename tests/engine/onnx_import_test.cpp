// ONNX import on models built here with the protobuf API; every expected number is worked
// out by hand in the comments.
#include "engine/io/onnx_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "onnx_test_util.h"

namespace tp {
namespace {

using test::OnnxBuilder;

int count_ops(const Network& net, OpType t) {
    int n = 0;
    for (const auto& op : net.ops) n += op.type == t;
    return n;
}

const Op& only_op(const Network& net, OpType t) {
    for (const auto& op : net.ops)
        if (op.type == t) return op;
    throw std::runtime_error(std::string("no op of type ") + op_type_name(t));
}

Network import_ok(const OnnxBuilder& b) {
    auto r = import_onnx_bytes(b.bytes(), "test.onnx");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Network{};
}

std::string import_error(const std::string& bytes, const std::string& source = "model.onnx") {
    auto r = import_onnx_bytes(bytes, source);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string{} : r.error().message;
}

// x[N,3,8,8] -> Conv 4x3x3x3 s2 p1 (+bias) -> BN(eps 1e-3) -> Relu -> GAP -> Flatten -> Gemm 10x4
// (transB)
OnnxBuilder conv_bn_relu_gemm() {
    OnnxBuilder b;
    b.input("x", {-1, 3, 8, 8});
    b.floats("conv1.weight", {4, 3, 3, 3}, test::iota_floats(108, 0.0f, 0.01f), /*raw=*/true);
    b.floats("conv1.bias", {4}, {0.1f, 0.2f, 0.3f, 0.4f});
    auto& conv = b.node("Conv", {"x", "conv1.weight", "conv1.bias"}, {"c"}, "/conv1/Conv");
    OnnxBuilder::attr(conv, "strides", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(conv, "pads", std::vector<int64_t>{1, 1, 1, 1});
    OnnxBuilder::attr(conv, "kernel_shape", std::vector<int64_t>{3, 3});
    b.floats("bn.weight", {4}, {1, 1, 1, 1});
    b.floats("bn.bias", {4}, {0, 0, 0, 0});
    b.floats("bn.running_mean", {4}, {0.5f, 0, 0, 0});
    b.floats("bn.running_var", {4}, {2, 1, 1, 1});
    auto& bn = b.node("BatchNormalization",
                      {"c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}, {"n"},
                      "/layer1/layer1.0/bn/BatchNormalization");
    OnnxBuilder::attr(bn, "epsilon", 1e-3f);
    b.node("Relu", {"n"}, {"r"}, "/layer1/layer1.0/relu/Relu");
    b.node("GlobalAveragePool", {"r"}, {"p"}, "/avgpool/GlobalAveragePool");
    b.node("Flatten", {"p"}, {"f"}, "/Flatten");
    b.floats("fc.weight", {10, 4}, test::iota_floats(40));
    b.floats("fc.bias", {10}, test::iota_floats(10));
    auto& fc = b.node("Gemm", {"f", "fc.weight", "fc.bias"}, {"y"}, "/fc/Gemm");
    OnnxBuilder::attr(fc, "transB", int64_t{1});
    b.output("y");
    return b;
}

TEST(OnnxImport, ConvBnReluGemmNetHasHandComputedShapesParamsAndMacs) {
    Network net = import_ok(conv_bn_relu_gemm());
    ASSERT_EQ(net.ops.size(), 6u);
    EXPECT_EQ(net.inputs, std::vector<std::string>{"x"});
    EXPECT_EQ(net.tensor("x")->shape, (Shape{1, 3, 8, 8}));  // symbolic batch -> 1
    EXPECT_EQ(net.tensor("c")->shape, (Shape{1, 4, 4, 4}));  // (8 + 2 - 3) / 2 + 1 = 4
    EXPECT_EQ(net.tensor("p")->shape, (Shape{1, 4, 1, 1}));
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 10}));
    const Op& conv = only_op(net, OpType::Conv);
    EXPECT_EQ(conv.macs, 4 * 4 * 4 * 3 * 3 * 3);  // 1728
    EXPECT_EQ(conv.params, (std::vector<std::string>{"conv1.weight", "conv1.bias"}));
    EXPECT_EQ(conv.attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
    EXPECT_EQ(conv.attrs.get_int("group", -1), 1);
    EXPECT_EQ(only_op(net, OpType::Gemm).macs, 40);
    EXPECT_EQ(only_op(net, OpType::Gemm).attrs.get_int("transB", -1), 1);
    // conv 108 + 4, bn scale/bias 4 + 4, fc 40 + 10 = 170; running mean/var are buffers.
    EXPECT_EQ(net.trainable_param_count(), 170);
    EXPECT_FALSE(net.param("bn.running_mean")->trainable);
    EXPECT_FALSE(net.param("bn.running_var")->trainable);
    EXPECT_TRUE(net.param("bn.weight")->trainable);
    EXPECT_NEAR(only_op(net, OpType::BatchNormalization).attrs.get_float("epsilon", 0), 1e-3, 1e-9);
    EXPECT_EQ(
        only_op(net, OpType::BatchNormalization).params,
        (std::vector<std::string>{"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"}));
    EXPECT_FLOAT_EQ(net.param("conv1.weight")->values.at(5), 0.05f);  // raw_data
    EXPECT_FLOAT_EQ(net.param("conv1.bias")->values.at(3), 0.4f);     // float_data
    EXPECT_TRUE(net.has_weights());
}

TEST(OnnxImport, BlocksComeFromTorchScopeNames) {
    Network net = import_ok(conv_bn_relu_gemm());
    EXPECT_EQ(net.op("/conv1/Conv")->block, "conv1");
    EXPECT_EQ(net.op("/layer1/layer1.0/bn/BatchNormalization")->block, "layer1.0");
    EXPECT_EQ(net.op("/fc/Gemm")->block, "fc");
    EXPECT_EQ(net.op("/Flatten")->block, "");
}

TEST(OnnxImport, UnnamedNodesGetTypeAndIndexNames) {
    OnnxBuilder b;
    b.input("x", {1, 4});
    b.node("Relu", {"x"}, {"a"});
    b.node("Relu", {"a"}, {"y"});
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 2u);
    EXPECT_EQ(net.ops[0].name, "Relu_0");
    EXPECT_EQ(net.ops[1].name, "Relu_1");
}

TEST(OnnxImport, ShapeGatherUnsqueezeConcatSubgraphFoldsIntoReshapeAttribute) {
    // x[1,2,3,4]: reshape to [d0, d1*d2, -1] computed from Shape(x) = [1, 6, -1] -> 1x6x4
    OnnxBuilder b;
    b.input("x", {1, 2, 3, 4});
    b.node("Shape", {"x"}, {"s"}, "/Shape");
    b.const_ints("i0", {}, {0});
    b.const_ints("i1", {}, {1});
    b.const_ints("i2", {}, {2});
    b.const_ints("axes0", {1}, {0});
    b.const_ints("minus1", {1}, {-1});
    OnnxBuilder::attr(b.node("Gather", {"s", "i0"}, {"d0"}, "/Gather"), "axis", int64_t{0});
    b.node("Gather", {"s", "i1"}, {"d1"}, "/Gather_1");
    b.node("Gather", {"s", "i2"}, {"d2"}, "/Gather_2");
    b.node("Mul", {"d1", "d2"}, {"d12"}, "/Mul");
    b.node("Unsqueeze", {"d0", "axes0"}, {"u0"}, "/Unsqueeze");
    b.node("Unsqueeze", {"d12", "axes0"}, {"u1"}, "/Unsqueeze_1");
    OnnxBuilder::attr(b.node("Concat", {"u0", "u1", "minus1"}, {"shape"}, "/Concat"), "axis",
                      int64_t{0});
    b.node("Reshape", {"x", "shape"}, {"y"}, "/Reshape");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].type, OpType::Reshape);
    EXPECT_EQ(net.ops[0].attrs.get_ints("shape"), (std::vector<int64_t>{1, 6, -1}));
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 6, 4}));
}

TEST(OnnxImport, RuntimeReshapeShapeIsAnErrorNamingTheNode) {
    OnnxBuilder b;
    b.input("x", {1, 6});
    b.input("shape", {2}, onnx::TensorProto::INT64);
    b.node("Reshape", {"x", "shape"}, {"y"}, "/head/Reshape");
    b.output("y");
    std::string e = import_error(b.bytes());
    EXPECT_CONTAINS(e, "/head/Reshape");
    EXPECT_CONTAINS(e, "not a constant");
}

TEST(OnnxImport, UnsupportedOpIsNamedWithItsNodeAndTheSupportedList) {
    OnnxBuilder b(11);
    b.input("boxes", {1, 10, 4});
    b.input("scores", {1, 1, 10});
    b.node("NonMaxSuppression", {"boxes", "scores"}, {"sel"}, "/det/NMS");
    b.output("sel");
    std::string e = import_error(b.bytes());
    EXPECT_CONTAINS(e, "model.onnx: unsupported ONNX op 'NonMaxSuppression' at node '/det/NMS'");
    EXPECT_CONTAINS(e, "supported ops: ");
    EXPECT_CONTAINS(e, "Conv");
}

TEST(OnnxImport, OpsetsOutsideElevenToSeventeenAreRefusedNamingTheOpset) {
    for (int64_t opset : {9, 10, 18}) {
        OnnxBuilder b(opset);
        b.input("x", {1, 4});
        b.node("Relu", {"x"}, {"y"});
        b.output("y");
        std::string e = import_error(b.bytes());
        EXPECT_CONTAINS(e, "opset " + std::to_string(opset));
        EXPECT_CONTAINS(e, "11 to 17");
    }
    for (int64_t opset : {11, 17}) {
        OnnxBuilder b(opset);
        b.input("x", {1, 4});
        b.node("Relu", {"x"}, {"y"});
        b.output("y");
        EXPECT_TRUE(import_onnx_bytes(b.bytes(), "m.onnx").ok()) << opset;
    }
}

TEST(OnnxImport, EveryTruncationOfAValidModelIsAnErrorNotACrash) {
    const std::string bytes = conv_bn_relu_gemm().bytes();
    ASSERT_TRUE(import_onnx_bytes(bytes, "m.onnx").ok());
    for (size_t len = 0; len < bytes.size(); len += 7) {
        auto r = import_onnx_bytes(bytes.substr(0, len), "cut.onnx");
        ASSERT_FALSE(r.ok()) << "prefix of " << len << " bytes imported";
        EXPECT_CONTAINS(r.error().message, "cut.onnx");
    }
}

TEST(OnnxImport, GarbageAndEmptyBytesAreErrorsNamingTheSource) {
    EXPECT_CONTAINS(import_error("", "empty.onnx"), "empty.onnx: the file is empty");
    EXPECT_CONTAINS(
        import_error("\x08\x07this is definitely not a protobuf \xff\xff\xff", "junk.onnx"),
        "junk.onnx");
    std::string noise;
    for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 2654435761u) >> 13));
    EXPECT_CONTAINS(import_error(noise, "noise.onnx"), "noise.onnx");
}

TEST(OnnxImport, MissingFileIsAnErrorNamingTheFile) {
    auto r = import_onnx_file("/nonexistent/dir/model.onnx");
    ASSERT_FALSE(r.ok());
    EXPECT_CONTAINS(r.error().message, "/nonexistent/dir/model.onnx");
}

TEST(OnnxImport, DepthwiseConvKeepsGroupAndCountsMacsPerGroup) {
    // x[1,8,10,10], weight [8,1,3,3], group 8, dilation 2, pads 2: (10 + 4 - 5) / 1 + 1 = 10
    OnnxBuilder b;
    b.input("x", {1, 8, 10, 10});
    b.floats("dw.weight", {8, 1, 3, 3}, test::iota_floats(72));
    auto& n =
        b.node("Conv", {"x", "dw.weight"}, {"y"}, "/features/features.3/conv/conv.0/conv.0.0/Conv");
    OnnxBuilder::attr(n, "group", int64_t{8});
    OnnxBuilder::attr(n, "dilations", std::vector<int64_t>{2, 2});
    OnnxBuilder::attr(n, "pads", std::vector<int64_t>{2, 2, 2, 2});
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].attrs.get_int("group", 1), 8);
    EXPECT_EQ(net.ops[0].block, "features.3");
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 8, 10, 10}));
    EXPECT_EQ(net.ops[0].macs, 8 * 10 * 10 * 1 * 3 * 3);  // 7200
    EXPECT_EQ(net.trainable_param_count(), 72);
}

TEST(OnnxImport, AutoPadOtherThanNotsetIsRefused) {
    OnnxBuilder b;
    b.input("x", {1, 3, 8, 8});
    b.floats("w", {4, 3, 3, 3}, test::iota_floats(108));
    OnnxBuilder::attr(b.node("Conv", {"x", "w"}, {"y"}, "/c/Conv"), "auto_pad",
                      std::string("SAME_UPPER"));
    b.output("y");
    EXPECT_CONTAINS(import_error(b.bytes()), "auto_pad 'SAME_UPPER'");
}

// The opset-13 torch export of nn.GELU: x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5
OnnxBuilder gelu_model(float half) {
    OnnxBuilder b;
    b.input("x", {1, 4, 6});
    b.const_float("sqrt2", 1.4142135f);
    b.const_float("one", 1.0f);
    b.const_float("half", half);
    b.node("Div", {"x", "sqrt2"}, {"d"}, "/mlp/act/Div");
    b.node("Erf", {"d"}, {"e"}, "/mlp/act/Erf");
    b.node("Add", {"e", "one"}, {"a"}, "/mlp/act/Add");
    b.node("Mul", {"x", "a"}, {"m"}, "/mlp/act/Mul");
    b.node("Mul", {"m", "half"}, {"y"}, "/mlp/act/Mul_1");
    b.output("y");
    return b;
}

TEST(OnnxImport, GeluDecompositionBecomesOneGeluOp) {
    Network net = import_ok(gelu_model(0.5f));
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].type, OpType::Gelu);
    EXPECT_EQ(net.ops[0].name, "/mlp/act/Gelu");
    EXPECT_EQ(net.ops[0].inputs, std::vector<std::string>{"x"});
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 4, 6}));
}

TEST(OnnxImport, NearMissGeluImportsOpByOpWithScalarAttributes) {
    Network net = import_ok(gelu_model(0.6f));
    ASSERT_EQ(net.ops.size(), 5u);
    EXPECT_EQ(count_ops(net, OpType::Erf), 1);
    EXPECT_DOUBLE_EQ(net.op("/mlp/act/Mul_1")->attrs.get_float("scalar", 0),
                     static_cast<double>(0.6f));
    EXPECT_DOUBLE_EQ(net.op("/mlp/act/Add")->attrs.get_float("scalar", 0), 1.0);
    EXPECT_TRUE(net.op("/mlp/act/Add")->params.empty());
}

TEST(OnnxImport, LayerNormDecompositionBecomesOneLayerNormalizationOp) {
    OnnxBuilder b;
    b.input("x", {1, 5, 8});
    b.floats("ln.weight", {8}, test::iota_floats(8, 1.0f));
    b.floats("ln.bias", {8}, test::iota_floats(8, 0.5f));
    b.const_float("two", 2.0f);
    b.const_float("eps", 1e-5f);
    OnnxBuilder::attr(b.node("ReduceMean", {"x"}, {"mu"}, "/ln/ReduceMean"), "axes",
                      std::vector<int64_t>{-1});
    b.node("Sub", {"x", "mu"}, {"c"}, "/ln/Sub");
    b.node("Pow", {"c", "two"}, {"sq"}, "/ln/Pow");
    OnnxBuilder::attr(b.node("ReduceMean", {"sq"}, {"var"}, "/ln/ReduceMean_1"), "axes",
                      std::vector<int64_t>{-1});
    b.node("Add", {"var", "eps"}, {"ve"}, "/ln/Add");
    b.node("Sqrt", {"ve"}, {"sd"}, "/ln/Sqrt");
    b.node("Div", {"c", "sd"}, {"nrm"}, "/ln/Div");
    b.node("Mul", {"nrm", "ln.weight"}, {"sc"}, "/ln/Mul");
    b.node("Add", {"sc", "ln.bias"}, {"y"}, "/ln/Add_1");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    const Op& ln = net.ops[0];
    EXPECT_EQ(ln.type, OpType::LayerNormalization);
    EXPECT_EQ(ln.params, (std::vector<std::string>{"ln.weight", "ln.bias"}));
    EXPECT_NEAR(ln.attrs.get_float("epsilon", 0), 1e-5, 1e-10);
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 5, 8}));
    EXPECT_EQ(net.trainable_param_count(), 16);
}

TEST(OnnxImport, MatMulByInitializerWithBiasAddBecomesOneGemm) {
    // x[1,5,16] @ W[16,32] + b[32] (torch puts the bias first): MACs 5 * 16 * 32 = 2560
    OnnxBuilder b;
    b.input("x", {1, 5, 16});
    b.floats("W", {16, 32}, test::iota_floats(512));
    b.floats("fc.bias", {32}, test::iota_floats(32));
    b.node("MatMul", {"x", "W"}, {"mm"}, "/fc/MatMul");
    b.node("Add", {"fc.bias", "mm"}, {"y"}, "/fc/Add");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    const Op& g = net.ops[0];
    EXPECT_EQ(g.type, OpType::Gemm);
    EXPECT_EQ(g.attrs.get_int("transB", -1), 0);
    EXPECT_EQ(g.params, (std::vector<std::string>{"W", "fc.bias"}));
    EXPECT_EQ(g.outputs, std::vector<std::string>{"y"});
    EXPECT_EQ(g.macs, 2560);
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 5, 32}));
    EXPECT_EQ(net.trainable_param_count(), 512 + 32);
}

TEST(OnnxImport, MatMulOfTwoActivationsStaysMatMul) {
    OnnxBuilder b;
    b.input("q", {1, 5, 8});
    b.input("k", {1, 8, 5});
    b.node("MatMul", {"q", "k"}, {"y"}, "/attn/MatMul");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].type, OpType::MatMul);
    EXPECT_EQ(net.ops[0].macs, 5 * 5 * 8);
}

TEST(OnnxImport, ConstantOperandsBecomeScalarAttrOrTrainableParameter) {
    OnnxBuilder b;
    b.input("x", {1, 4, 2, 2});
    b.floats("s", {1}, {3.0f});
    b.floats("gamma", {1, 4, 1, 1}, {1, 2, 3, 4});
    b.node("Mul", {"x", "s"}, {"a"}, "/Mul");
    b.node("Mul", {"a", "gamma"}, {"c"}, "/Mul_1");
    b.node("Sub", {"s", "c"}, {"y"}, "/Sub");  // 3 - c
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 3u);
    EXPECT_DOUBLE_EQ(net.op("/Mul")->attrs.get_float("scalar", 0), 3.0);
    EXPECT_TRUE(net.op("/Mul")->params.empty());
    EXPECT_EQ(net.op("/Mul_1")->params, std::vector<std::string>{"gamma"});
    EXPECT_EQ(net.op("/Sub")->attrs.get_int("reverse", 0), 1);
    EXPECT_EQ(net.trainable_param_count(), 4);  // gamma only; the scalar is no parameter
}

TEST(OnnxImport, ConstantInputsOfShapeOpsBecomeAttributes) {
    // x[1,8,6,6]: Split 2/6 on C; Slice rows 1..5 step 2 of the first; Pad; Unsqueeze; Squeeze;
    // Clip
    OnnxBuilder b(13);
    b.input("x", {1, 8, 6, 6});
    b.ints("split", {2}, {2, 6});
    OnnxBuilder::attr(b.node("Split", {"x", "split"}, {"s0", "s1"}, "/Split"), "axis", int64_t{1});
    b.ints("starts", {1}, {1});
    b.ints("ends", {1}, {5});
    b.ints("axes", {1}, {2});
    b.ints("steps", {1}, {2});
    b.node("Slice", {"s0", "starts", "ends", "axes", "steps"}, {"sl"}, "/Slice");  // 1x2x2x6
    b.ints("pads", {8}, {0, 0, 1, 0, 0, 0, 1, 2});
    b.floats("padv", {}, {0.5f});
    b.node("Pad", {"sl", "pads", "padv"}, {"pd"}, "/Pad");  // 1x2x4x8
    b.ints("ax0", {1}, {0});
    b.node("Unsqueeze", {"pd", "ax0"}, {"us"}, "/Unsqueeze");  // 1x1x2x4x8
    b.node("Squeeze", {"us", "ax0"}, {"sq"}, "/Squeeze");      // 1x2x4x8
    b.floats("lo", {}, {0.0f});
    b.node("Clip", {"sq", "lo"}, {"y"}, "/Clip");  // max absent
    b.node("Relu", {"s1"}, {"y2"}, "/Relu");
    b.output("y");
    b.output("y2");
    Network net = import_ok(b);
    EXPECT_EQ(net.op("/Split")->attrs.get_ints("split"), (std::vector<int64_t>{2, 6}));
    EXPECT_EQ(net.op("/Split")->outputs.size(), 2u);
    const Op& sl = *net.op("/Slice");
    EXPECT_EQ(sl.attrs.get_ints("starts"), std::vector<int64_t>{1});
    EXPECT_EQ(sl.attrs.get_ints("ends"), std::vector<int64_t>{5});
    EXPECT_EQ(sl.attrs.get_ints("axes"), std::vector<int64_t>{2});
    EXPECT_EQ(sl.attrs.get_ints("steps"), std::vector<int64_t>{2});
    EXPECT_EQ(net.tensor("sl")->shape, (Shape{1, 2, 2, 6}));
    EXPECT_EQ(net.op("/Pad")->attrs.get_ints("pads"),
              (std::vector<int64_t>{0, 0, 1, 0, 0, 0, 1, 2}));
    EXPECT_EQ(net.op("/Pad")->attrs.get_string("mode"), "constant");
    EXPECT_DOUBLE_EQ(net.op("/Pad")->attrs.get_float("value", 0), 0.5);
    EXPECT_EQ(net.tensor("pd")->shape, (Shape{1, 2, 4, 8}));
    EXPECT_EQ(net.op("/Unsqueeze")->attrs.get_ints("axes"), std::vector<int64_t>{0});
    EXPECT_EQ(net.tensor("us")->shape, (Shape{1, 1, 2, 4, 8}));
    EXPECT_EQ(net.tensor("sq")->shape, (Shape{1, 2, 4, 8}));
    EXPECT_DOUBLE_EQ(net.op("/Clip")->attrs.get_float("min", -1), 0.0);
    EXPECT_GT(net.op("/Clip")->attrs.get_float("max", 0), 1e38);
    EXPECT_EQ(net.tensor("y2")->shape, (Shape{1, 6, 6, 6}));
    EXPECT_EQ(net.trainable_param_count(), 0);  // shape constants are no parameters
}

TEST(OnnxImport, TrainingModeDropoutDropsItsUnusedMask) {
    OnnxBuilder b(13);
    b.input("x", {1, 16});
    b.floats("ratio", {}, {0.1f});
    auto& t = *b.graph().add_initializer();
    t.set_name("training");
    t.set_data_type(onnx::TensorProto::BOOL);
    t.add_int32_data(1);
    b.node("Dropout", {"x", "ratio", "training"}, {"y", "mask"}, "/drop/Dropout");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].type, OpType::Dropout);
    EXPECT_EQ(net.ops[0].outputs, std::vector<std::string>{"y"});
    EXPECT_NEAR(net.ops[0].attrs.get_float("ratio", 0), 0.1, 1e-7);
}

TEST(OnnxImport, UnknownNonBatchDimensionIsAnErrorNamingTheInput) {
    OnnxBuilder b;
    b.input("tokens_in", {1, -1, 16});
    b.node("Relu", {"tokens_in"}, {"y"});
    b.output("y");
    std::string e = import_error(b.bytes());
    EXPECT_CONTAINS(e, "graph input 'tokens_in'");
    EXPECT_CONTAINS(e, "dimension 1");
}

TEST(OnnxImport, InitializersListedAsGraphInputsAreNotNetworkInputs) {
    OnnxBuilder b;
    b.input("x", {1, 4});
    b.input("fc.weight", {3, 4});
    b.floats("fc.weight", {3, 4}, test::iota_floats(12));
    OnnxBuilder::attr(b.node("Gemm", {"x", "fc.weight"}, {"y"}, "/fc/Gemm"), "transB", int64_t{1});
    b.output("y");
    Network net = import_ok(b);
    EXPECT_EQ(net.inputs, std::vector<std::string>{"x"});
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 3}));
}

TEST(OnnxImport, GatherFromInitializerTableByActivationIndicesIsAnEmbedding) {
    OnnxBuilder b;
    b.input("ids", {1, 7}, onnx::TensorProto::INT64);
    b.floats("emb.weight", {100, 16}, test::iota_floats(1600));
    b.node("Gather", {"emb.weight", "ids"}, {"y"}, "/emb/Gather");
    b.output("y");
    Network net = import_ok(b);
    ASSERT_EQ(net.ops.size(), 1u);
    EXPECT_EQ(net.ops[0].type, OpType::Gather);
    EXPECT_EQ(net.ops[0].inputs, std::vector<std::string>{"ids"});
    EXPECT_EQ(net.ops[0].params, std::vector<std::string>{"emb.weight"});
    EXPECT_EQ(net.tensor("ids")->dtype, DType::i64);
    EXPECT_EQ(net.tensor("y")->shape, (Shape{1, 7, 16}));
    EXPECT_EQ(net.trainable_param_count(), 1600);
}

class OnnxExternalData : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("tp_onnx_ext_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        OnnxBuilder b;
        b.input("x", {1, 4});
        auto& w = *b.graph().add_initializer();
        w.set_name("fc.weight");
        w.set_data_type(onnx::TensorProto::FLOAT);
        w.add_dims(2);
        w.add_dims(4);
        w.set_data_location(onnx::TensorProto::EXTERNAL);
        for (auto [k, v] : {std::pair<const char*, const char*>{"location", "m.weights.bin"},
                            {"offset", "8"},
                            {"length", "32"}}) {
            auto* e = w.add_external_data();
            e->set_key(k);
            e->set_value(v);
        }
        OnnxBuilder::attr(b.node("Gemm", {"x", "fc.weight"}, {"y"}, "/fc/Gemm"), "transB",
                          int64_t{1});
        b.output("y");
        std::ofstream(dir_ / "m.onnx", std::ios::binary) << b.bytes();
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(OnnxExternalData, MissingWeightFileImportsTheArchitectureWithoutValues) {
    auto r = import_onnx_file((dir_ / "m.onnx").string());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->param("fc.weight")->shape, (Shape{2, 4}));
    EXPECT_TRUE(r->param("fc.weight")->values.empty());
    EXPECT_FALSE(r->has_weights());
    EXPECT_EQ(r->tensor("y")->shape, (Shape{1, 2}));
}

TEST_F(OnnxExternalData, WeightFileBesideTheModelIsReadAtItsOffset) {
    std::vector<float> data = test::iota_floats(10, -1.0f, 0.25f);  // 2 floats of padding, then 8
    std::ofstream(dir_ / "m.weights.bin", std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size() * 4));
    auto r = import_onnx_file((dir_ / "m.onnx").string());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->param("fc.weight")->values.size(), 8u);
    EXPECT_FLOAT_EQ(r->param("fc.weight")->values[0], -0.5f);
    EXPECT_FLOAT_EQ(r->param("fc.weight")->values[7], 1.25f);
    EXPECT_TRUE(r->has_weights());
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

TEST(OnnxImport, CorruptedBytesNeverCrashTheImporter) {
    const std::string good = conv_bn_relu_gemm().bytes();
    uint32_t state = 12345;
    auto next = [&] { return state = state * 1664525u + 1013904223u; };
    int errors = 0;
    for (int trial = 0; trial < 400; ++trial) {
        std::string bytes = good;
        for (int k = 0; k < 1 + trial % 4; ++k)
            bytes[next() % bytes.size()] = static_cast<char>(next() >> 24);
        auto r = import_onnx_bytes(bytes, "fuzz.onnx");  // ok or a clear error, never a crash
        if (!r.ok()) {
            ++errors;
            EXPECT_CONTAINS(r.error().message, "fuzz.onnx");
        }
    }
    EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace tp
