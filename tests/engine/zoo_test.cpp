// The built-in zoo against independent PyTorch references (tests/fixtures/zoo_reference.json,
// written by scripts/make_zoo_reference.py from torchvision and plain torch.nn rebuilds).
#include "engine/zoo/zoo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "engine/network.h"

namespace {

using nlohmann::json;

const json& reference() {
    static const json ref = [] {
        std::ifstream in(std::string(TP_FIXTURES_DIR) + "/zoo_reference.json");
        if (!in)
            throw std::runtime_error(
                "zoo_reference.json missing; run scripts/make_zoo_reference.py");
        return json::parse(in);
    }();
    return ref;
}

// Builds once per id (without weights) and keeps it for the parameterized tests.
const tp::Network& model(const std::string& id) {
    static std::map<std::string, tp::Network> cache;
    auto it = cache.find(id);
    if (it == cache.end()) {
        auto net = tp::build_zoo_model(id);
        if (!net) throw std::runtime_error(net.error().message);
        it = cache.emplace(id, std::move(*net)).first;
    }
    return it->second;
}

struct Summary {
    int64_t params = 0, conv_macs = 0, linear_macs = 0, matmul_macs = 0;
    int64_t conv = 0, linear = 0, bn = 0, layernorm = 0, embedding = 0;
    std::vector<tp::Shape> conv_shapes;
};

Summary summarize(const tp::Network& net) {
    Summary s;
    for (const auto& [name, p] : net.params)
        if (p.trainable) s.params += p.elements();
    for (const auto& op : net.ops) {
        switch (op.type) {
            case tp::OpType::Conv:
                s.conv_macs += op.macs;
                ++s.conv;
                s.conv_shapes.push_back(net.tensor(op.outputs[0])->shape);
                break;
            case tp::OpType::Gemm:
                s.linear_macs += op.macs, ++s.linear;
                break;
            case tp::OpType::MatMul:
                s.matmul_macs += op.macs;
                break;
            case tp::OpType::BatchNormalization:
                ++s.bn;
                break;
            case tp::OpType::LayerNormalization:
                ++s.layernorm;
                break;
            case tp::OpType::Gather:
                ++s.embedding;
                break;
            default:
                break;
        }
    }
    return s;
}

std::vector<std::string> zoo_ids() {
    std::vector<std::string> ids;
    for (const auto& e : tp::zoo_entries()) ids.push_back(e.id);
    return ids;
}

class ZooModel : public ::testing::TestWithParam<std::string> {
  protected:
    const json& ref() const { return reference().at(GetParam()); }
    const tp::Network& net() const { return model(GetParam()); }
};

TEST_P(ZooModel, HasAnIndependentTorchReference) {
    EXPECT_TRUE(reference().contains(GetParam()));
}

TEST_P(ZooModel, TrainableParameterCountEqualsTorchParameters) {
    EXPECT_EQ(summarize(net()).params, ref().at("params").get<int64_t>());
    EXPECT_EQ(net().trainable_param_count(), ref().at("params").get<int64_t>());
}

TEST_P(ZooModel, ParameterShapesEqualTorchParametersAsAMultiset) {
    std::vector<tp::Shape> shapes;
    int64_t buffers = 0;
    for (const auto& [name, p] : net().params) {
        if (p.trainable)
            shapes.push_back(p.shape);
        else
            buffers += p.elements();
    }
    std::sort(shapes.begin(), shapes.end());
    EXPECT_EQ(shapes, ref().at("param_shapes").get<std::vector<tp::Shape>>());
    EXPECT_EQ(buffers, ref().at("bn_buffer_elements").get<int64_t>());
}

TEST_P(ZooModel, OutputShapeEqualsTorch) {
    ASSERT_EQ(net().outputs.size(), 1u);
    EXPECT_EQ(net().tensor(net().outputs[0])->shape, ref().at("output_shape").get<tp::Shape>());
}

TEST_P(ZooModel, ConvLinearAndMatMulMacsEqualTorchHooks) {
    Summary s = summarize(net());
    EXPECT_EQ(s.conv_macs, ref().at("conv_macs").get<int64_t>());
    EXPECT_EQ(s.linear_macs, ref().at("linear_macs").get<int64_t>());
    EXPECT_EQ(s.matmul_macs, ref().at("matmul_macs").get<int64_t>());
}

TEST_P(ZooModel, LayerCountsEqualTorchModules) {
    Summary s = summarize(net());
    EXPECT_EQ(s.conv, ref().at("conv_count").get<int64_t>());
    EXPECT_EQ(s.linear, ref().at("linear_count").get<int64_t>());
    EXPECT_EQ(s.bn, ref().at("bn_count").get<int64_t>());
    EXPECT_EQ(s.layernorm, ref().at("layernorm_count").get<int64_t>());
    EXPECT_EQ(s.embedding, ref().at("embedding_count").get<int64_t>());
}

TEST_P(ZooModel, ConvOutputShapesEqualTorchInExecutionOrder) {
    EXPECT_EQ(summarize(net()).conv_shapes,
              ref().at("conv_output_shapes").get<std::vector<tp::Shape>>());
}

TEST_P(ZooModel, IsStructurallyValidAndEveryOpHasABlock) {
    EXPECT_TRUE(tp::validate_structure(net()).ok());
    for (const auto& op : net().ops) EXPECT_FALSE(op.block.empty()) << op.name;
    auto blocks = net().block_names();
    ASSERT_GE(blocks.size(), 3u);
    EXPECT_EQ(blocks.back(), "classifier");
}

TEST_P(ZooModel, WithoutWeightsParametersCarryNoValues) {
    for (const auto& [name, p] : net().params) EXPECT_TRUE(p.values.empty()) << name;
    EXPECT_FALSE(net().has_weights());
}

TEST_P(ZooModel, WithWeightsFillsEveryParameterDeterministically) {
    auto a = tp::build_zoo_model(GetParam(), true);
    auto b = tp::build_zoo_model(GetParam(), true);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_TRUE(a->has_weights());
    for (const auto& [name, p] : a->params) {
        ASSERT_EQ(static_cast<int64_t>(p.values.size()), p.elements()) << name;
        for (float v : p.values) ASSERT_TRUE(std::isfinite(v)) << name;
    }
    EXPECT_TRUE(*a == *b);
    // Apart from the values, the graph is the one built without weights.
    tp::Network stripped = *a;
    for (auto& [name, p] : stripped.params) p.values.clear();
    EXPECT_TRUE(stripped == net());
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooModel, ::testing::ValuesIn(zoo_ids()), [](const auto& info) {
    std::string s = info.param;
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
});

TEST(Zoo, ListsTheFivePublishedModelsWithSources) {
    std::set<std::string> ids;
    for (const auto& e : tp::zoo_entries()) {
        ids.insert(e.id);
        EXPECT_FALSE(e.description.empty()) << e.id;
        EXPECT_FALSE(e.source.empty()) << e.id;
    }
    EXPECT_EQ(ids, (std::set<std::string>{"mcunet", "mobilenetv2-w0.35", "proxylessnas-w0.3",
                                          "resnet18", "bert-tiny"}));
}

TEST(Zoo, UnknownIdIsAnErrorNamingTheValidIds) {
    auto r = tp::build_zoo_model("mobilenet-v9");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("mobilenet-v9"), std::string::npos);
    for (const auto& e : tp::zoo_entries())
        EXPECT_NE(r.error().message.find(e.id), std::string::npos) << e.id;
}

TEST(Zoo, McunetHasThePublishedMcunetIn1ParameterCount) {
    // mit-han-lab/mcunet README: mcunet-in1 (5FPS) has 0.64M parameters, 12.8M MACs at 96x96.
    const json& pub = reference().at("mcunet").at("published").at("rebuilt_at_96");
    EXPECT_EQ(model("mcunet").trainable_param_count(), pub.at("params").get<int64_t>());
    EXPECT_NEAR(static_cast<double>(pub.at("params").get<int64_t>()), 0.64e6, 0.005e6);
    EXPECT_NEAR(static_cast<double>(pub.at("macs").get<int64_t>()), 12.8e6, 0.05e6);
}

TEST(Zoo, InitialWeightsAreHeUniformAndBatchNormStartsAsIdentity) {
    auto net = tp::build_zoo_model("mcunet", true);
    ASSERT_TRUE(net.ok()) << net.error().message;
    const tp::Op* bn = net->op("blocks.3.depth_conv.bn");
    ASSERT_NE(bn, nullptr);
    const float expected[4] = {1.0f, 0.0f, 0.0f, 1.0f};  // scale, bias, mean, var
    for (size_t i = 0; i < 4; ++i)
        for (float v : net->param(bn->params[i])->values)
            ASSERT_EQ(v, expected[i]) << bn->params[i];
    const tp::Parameter* w = net->param("blocks.3.depth_conv.conv.weight");  // 7x7 depthwise
    ASSERT_NE(w, nullptr);
    const float bound = std::sqrt(6.0f / 49.0f);
    float lo = bound, hi = -bound;
    for (float v : w->values) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_GE(lo, -bound);
    EXPECT_LE(hi, bound);
    EXPECT_LT(lo, -0.5f * bound);  // spread over the range, not constant
    EXPECT_GT(hi, 0.5f * bound);
}

TEST(Zoo, ResnetBlocksAreNamedLikeTorchvision) {
    auto blocks = model("resnet18").block_names();
    EXPECT_EQ(blocks, (std::vector<std::string>{"stem", "layer1.0", "layer1.1", "layer2.0",
                                                "layer2.1", "layer3.0", "layer3.1", "layer4.0",
                                                "layer4.1", "head", "classifier"}));
}

TEST(Zoo, BertBlocksAreEmbeddingsEncoderLayersPoolerClassifier) {
    EXPECT_EQ(
        model("bert-tiny").block_names(),
        (std::vector<std::string>{"embeddings", "encoder.0", "encoder.1", "pooler", "classifier"}));
    const tp::TensorInfo* ids = model("bert-tiny").tensor("input_ids");
    ASSERT_NE(ids, nullptr);
    EXPECT_EQ(ids->dtype, tp::DType::i64);
    EXPECT_EQ(ids->shape, (tp::Shape{1, 128}));
}

TEST(Zoo, BatchNormStatisticsAreBuffersNotTrainable) {
    const tp::Network& net = model("mobilenetv2-w0.35");
    const tp::Op* bn = net.op("first_conv.bn");
    ASSERT_NE(bn, nullptr);
    ASSERT_EQ(bn->params.size(), 4u);
    EXPECT_TRUE(net.param(bn->params[0])->trainable);
    EXPECT_TRUE(net.param(bn->params[1])->trainable);
    EXPECT_FALSE(net.param(bn->params[2])->trainable);
    EXPECT_FALSE(net.param(bn->params[3])->trainable);
}

}  // namespace
