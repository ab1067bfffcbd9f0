// Torch exports (scripts/make_fixtures.py) imported and checked against the numbers torch
// itself reported when it made them (tests/fixtures/onnx/expected.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/io/onnx_import.h"

namespace tp {
namespace {

const std::string kDir = std::string(TP_FIXTURES_DIR) + "/onnx/";

const nlohmann::json& expected() {
    static const nlohmann::json j = [] {
        std::ifstream in(kDir + "expected.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

int count_ops(const Network& net, OpType t) {
    int n = 0;
    for (const auto& op : net.ops) n += op.type == t;
    return n;
}

int64_t conv_gemm_macs(const Network& net) {
    int64_t m = 0;
    for (const auto& op : net.ops)
        if (op.type == OpType::Conv || op.type == OpType::Gemm) m += op.macs;
    return m;
}

Network import_fixture(const nlohmann::json& e) {
    auto r = import_onnx_file(kDir + e.at("file").get<std::string>());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Network{};
}

class TorchvisionExport : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchvisionExport, ImportMatchesTorchParamsOutputMacsAndLayerCounts) {
    const auto& e = expected().at("models").at(GetParam());
    Network net = import_fixture(e);
    ASSERT_FALSE(net.ops.empty());
    EXPECT_EQ(net.trainable_param_count(), e.at("params").get<int64_t>());
    ASSERT_EQ(net.outputs.size(), 1u);
    EXPECT_EQ(net.tensor(net.outputs[0])->shape, e.at("output_shape").get<Shape>());
    EXPECT_EQ(conv_gemm_macs(net), e.at("macs").get<int64_t>());
    EXPECT_EQ(count_ops(net, OpType::Conv), e.at("conv2d").get<int>());
    EXPECT_EQ(count_ops(net, OpType::Gemm), e.at("linear").get<int>());
    EXPECT_EQ(count_ops(net, OpType::BatchNormalization), e.at("batchnorm2d").get<int>());
    // The weight file was not committed: the architecture imports without conv weights.
    EXPECT_FALSE(net.has_weights());
}

TEST_P(TorchvisionExport, ShapeArithmeticAndAliasesFoldAway) {
    Network net = import_fixture(expected().at("models").at(GetParam()));
    for (const auto& op : net.ops) {
        EXPECT_NE(op.type, OpType::Identity)
            << op.name;  // dedup aliases of initializers are constants
        for (const auto& in : op.inputs)
            EXPECT_EQ(net.tensor(in)->dtype, DType::f32) << op.name << " " << in;
    }
}

TEST_P(TorchvisionExport, EveryOpInsideTheNetworkHasABlock) {
    Network net = import_fixture(expected().at("models").at(GetParam()));
    EXPECT_GE(net.block_names().size(), 3u);
    int with_block = 0;
    for (const auto& op : net.ops) with_block += !op.block.empty();
    EXPECT_GE(with_block,
              static_cast<int>(net.ops.size()) - 2);  // a root-level Flatten may have none
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TorchvisionExport,
                         ::testing::Values("resnet18", "mobilenet_v2_035", "mobilenet_v2_100",
                                           "mobilenet_v3_small", "mnasnet0_5", "shufflenet_v2_x0_5",
                                           "squeezenet1_1"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param;
                         });

TEST(TorchvisionExport, ExpectedJsonListsExactlyTheTestedModels) {
    EXPECT_EQ(expected().at("models").size(), 7u);
}

TEST(TinyCnnExport, InlineWeightsEqualTorchValues) {
    const auto& e = expected().at("tiny_cnn");
    Network net = import_fixture(e);
    ASSERT_TRUE(net.has_weights());
    EXPECT_EQ(net.trainable_param_count(), e.at("params").get<int64_t>());
    EXPECT_EQ(net.tensor(net.outputs.at(0))->shape, e.at("output_shape").get<Shape>());
    EXPECT_EQ(conv_gemm_macs(net), e.at("macs").get<int64_t>());
    int checked = 0;
    for (const auto& [name, refs] : e.at("weights").items()) {
        const Parameter* p = net.param(name);
        ASSERT_NE(p, nullptr) << name;
        for (const auto& ref : refs) {
            size_t index = ref.at("index").get<size_t>();
            ASSERT_LT(index, p->values.size()) << name;
            EXPECT_EQ(p->values[index], ref.at("value").get<float>())
                << name << "[" << index << "]";
            ++checked;
        }
    }
    EXPECT_EQ(checked, 10);
    EXPECT_FALSE(net.param("bn.running_mean")->trainable);
    EXPECT_FALSE(net.param("bn.running_var")->trainable);
}

TEST(TinyTransformerExport, LayerNormAndGeluDecompositionsFuseAndLinearsBecomeGemms) {
    const auto& e = expected().at("tiny_transformer");
    Network net = import_fixture(e);
    EXPECT_EQ(net.trainable_param_count(), e.at("params").get<int64_t>());
    EXPECT_EQ(net.tensor(net.outputs.at(0))->shape, e.at("output_shape").get<Shape>());
    EXPECT_EQ(count_ops(net, OpType::LayerNormalization), 1);
    EXPECT_EQ(count_ops(net, OpType::Gelu), 1);
    EXPECT_EQ(count_ops(net, OpType::Erf), 0);
    EXPECT_EQ(count_ops(net, OpType::Gemm), e.at("linear").get<int>());
    EXPECT_EQ(count_ops(net, OpType::MatMul), 2);  // attention scores and mix
    EXPECT_EQ(conv_gemm_macs(net), e.at("macs").get<int64_t>());
    EXPECT_TRUE(net.has_weights());
}

}  // namespace
}  // namespace tp
