// The saved-for-backward rules and the pruning of the training graph, on a network small
// enough that every byte is counted by hand in the test.
#include "engine/training_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/memory_report.h"
#include "small_networks.h"

namespace tp {
namespace {

const TrainingNode* find_node(const TrainingGraph& g, const std::string& name) {
    for (const auto& n : g.nodes)
        if (n.name == name) return &n;
    return nullptr;
}

std::set<std::string> saved_names(const TrainingGraph& g) {
    std::set<std::string> out;
    for (const auto& n : g.nodes)
        if (n.role == TensorRole::saved_activation) out.insert(n.name);
    return out;
}

TrainingGraph derive(const Network& net, const TrainingPlan& plan) {
    auto g = derive_training_graph(net, plan);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    return g ? *g : TrainingGraph{};
}

TrainingPlan preset(const Network& net, const std::string& name) {
    auto p = make_preset(net, name);
    EXPECT_TRUE(p) << (p ? "" : p.error().message);
    return *p;
}

TEST(TrainingGraph, BiasOnlySavesNoConvInput) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "bias-only");
    plan.in_place_update = false;  // so the bias gradient is a buffer of its own
    TrainingGraph g = derive(net, plan);
    // conv and bn train their bias, conv2 has none (frozen), fc is the head (full).
    // Saved: the two ReLU masks and the fc input (fc's weight gradient reads it) — never
    // the input of conv or conv2.
    EXPECT_EQ(saved_names(g), (std::set<std::string>{"relu:mask", "relu2:mask", "flatten"}));
    const TrainingNode* grad_w = find_node(g, "conv:grad_w");
    ASSERT_NE(grad_w, nullptr);
    EXPECT_EQ(grad_w->bytes, 4 * 4);  // the 4 bias values' gradient only
}

TEST(TrainingGraph, ReluSavesOneBitMask) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "full");
    plan.batch = 3;
    TrainingGraph g = derive(net, plan);
    const TrainingNode* mask = find_node(g, "relu:mask");
    ASSERT_NE(mask, nullptr);
    EXPECT_EQ(mask->bytes, (3 * 4 * 8 * 8 + 7) / 8);  // one bit per element of 3 samples
    // ReLU backward reads the mask and not its input or output.
    const TrainingNode* back = find_node(g, "relu:grad_in0");
    ASSERT_NE(back, nullptr);
    for (int in : back->inputs) EXPECT_NE(g.nodes[static_cast<size_t>(in)].kind, NodeKind::forward);
}

TEST(TrainingGraph, FullFineTuneSavesEveryTrainedLayerInput) {
    Network net = test::two_conv_network();
    TrainingGraph g = derive(net, preset(net, "full"));
    // x (conv weight grad), c (bn scale grad), r (conv2 weight grad), f (fc weight grad).
    EXPECT_EQ(saved_names(g),
              (std::set<std::string>{"x", "conv", "relu", "relu:mask", "relu2:mask", "flatten"}));
    EXPECT_EQ(find_node(g, "x")->bytes, 3 * 8 * 8 * 4);
    // The lowest trained layer is conv: no gradient for the network input.
    EXPECT_EQ(find_node(g, "conv:grad_in0"), nullptr);
}

TEST(TrainingGraph, FrozenPrefixHasNoBackwardNodes) {
    Network net = test::two_conv_network();
    TrainingGraph g = derive(net, preset(net, "last-layer"));
    for (const auto& n : g.nodes) {
        EXPECT_NE(n.kind, NodeKind::backward) << n.name;
        EXPECT_NE(n.kind, NodeKind::saved_aux) << n.name;
        if (n.kind == NodeKind::weight_grad || n.kind == NodeKind::update) {
            EXPECT_EQ(n.op, "fc");
        }
    }
    EXPECT_EQ(saved_names(g), (std::set<std::string>{"flatten"}));
}

TEST(TrainingGraph, BackpropStopsAtLowestTrainedLayer) {
    Network net = test::two_conv_network();
    TrainingPlan plan;
    plan.layers["conv2"] = {UpdateMode::full, 1.0};
    plan.layers["fc"] = {UpdateMode::full, 1.0};
    TrainingGraph g = derive(net, plan);
    EXPECT_NE(find_node(g, "relu2:grad_in0"), nullptr);
    EXPECT_EQ(find_node(g, "conv2:grad_in0"), nullptr);  // nothing below conv2 trains
    EXPECT_EQ(find_node(g, "relu:mask"), nullptr);
}

TEST(TrainingGraph, SparseUpdateTrainsFractionButSavesFullInput) {
    Network net = test::two_conv_network();
    TrainingPlan plan;
    plan.layers["conv2"] = {UpdateMode::sparse, 0.5};
    TrainingGraph g = derive(net, plan);
    auto it = std::find_if(g.layers.begin(), g.layers.end(),
                           [](const LayerCost& c) { return c.op == "conv2"; });
    ASSERT_NE(it, g.layers.end());
    EXPECT_EQ(it->trained_params, 2 * 4);  // 2 of 4 output channels x 4 inputs
    EXPECT_EQ(it->trained_param_bytes, 8 * 4);
    EXPECT_EQ(it->frozen_param_bytes, 8 * 4);
    EXPECT_EQ(find_node(g, "relu")->role, TensorRole::saved_activation);
    EXPECT_EQ(find_node(g, "relu")->bytes, 4 * 8 * 8 * 4);  // the whole input, not half
}

TEST(TrainingGraph, OptimizerStateIsOneOrTwoCopiesOfTrainedParams) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "full");
    const int64_t trained = net.trainable_param_count();  // 108+4+4+4+16+40+10 = 186
    ASSERT_EQ(trained, 186);
    EXPECT_EQ(derive(net, plan).optimizer_state_bytes, 0);
    plan.optimizer = Optimizer::sgd_momentum;
    EXPECT_EQ(derive(net, plan).optimizer_state_bytes, 186 * 4);
    plan.optimizer = Optimizer::adam;
    EXPECT_EQ(derive(net, plan).optimizer_state_bytes, 2 * 186 * 4);
    EXPECT_EQ(derive(net, plan).trained_param_bytes, 186 * 4);
}

TEST(TrainingGraph, Int8KeepsWeightsInOneByteAndBiasesInFour) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "full");
    plan.precision = Precision::int8;
    TrainingGraph g = derive(net, plan);
    // conv/fc/conv2 weights 108+16+40 at 1 B; biases and BN scale/shift 4+10+4+4 at 4 B.
    EXPECT_EQ(g.trained_param_bytes, (108 + 16 + 40) * 1 + (4 + 10 + 4 + 4) * 4);
    EXPECT_EQ(find_node(g, "x")->bytes, 3 * 8 * 8);
}

TEST(TrainingGraph, LastLayerPeakMatchesHandCount) {
    Network net = test::two_conv_network();
    TrainingGraph g = derive(net, preset(net, "last-layer"));
    MemoryReport r = store_all_memory(g);
    // fc trains: 10x4 weights + 10 biases = 50 params x 4 B = 200 B resident. The forward
    // peak is two 4x8x8 fp32 tensors live at once (an op's input and output): 2 x 1024 B.
    EXPECT_EQ(r.trained_param_bytes, 200);
    EXPECT_EQ(r.peak_bytes, 200 + 2048);
    EXPECT_EQ(r.transient_bytes, 2048);
    EXPECT_EQ(r.saved_activation_bytes, 0);
    EXPECT_EQ(r.flash_bytes, (108 + 4 + 4 * 4 + 16 + 40 + 10) * 4);
    EXPECT_EQ(r.frozen_param_bytes, r.flash_bytes - 200);
}

TEST(TrainingGraph, ReportPartsAddUpToPeak) {
    Network net = test::two_conv_network();
    for (const auto& name : preset_names()) {
        TrainingPlan plan = preset(net, name);
        for (bool in_place : {true, false}) {
            plan.in_place_update = in_place;
            plan.batch = 2;
            MemoryReport r = store_all_memory(derive(net, plan));
            EXPECT_EQ(r.peak_bytes, r.trained_param_bytes + r.optimizer_state_bytes +
                                        r.saved_activation_bytes + r.gradient_bytes +
                                        r.transient_bytes)
                << name;
            EXPECT_EQ(r.peak_bytes, *std::max_element(r.ram_by_step.begin(), r.ram_by_step.end()));
        }
    }
}

TEST(TrainingGraph, WithoutInPlaceUpdateGradientBuffersPileUp) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "full");
    TrainingGraph in_place = derive(net, plan);
    plan.in_place_update = false;
    TrainingGraph deferred = derive(net, plan);
    // Every update waits for the end of the backward pass, so all weight gradients
    // (186 x 4 B) are resident together right before the first update.
    int first_update = -1;
    for (const auto& n : deferred.nodes)
        if (n.kind == NodeKind::update && first_update < 0) first_update = n.id;
    ASSERT_GE(first_update, 0);
    for (const auto& n : deferred.nodes)
        if (n.kind == NodeKind::weight_grad) {
            EXPECT_LT(n.id, first_update);
        }
    MemoryReport a = store_all_memory(in_place), b = store_all_memory(deferred);
    EXPECT_GE(b.ram_by_step[static_cast<size_t>(first_update)], b.trained_param_bytes + 186 * 4);
    EXPECT_GE(b.peak_bytes, a.peak_bytes);
}

TEST(TrainingGraph, InPlaceUpdateHoldsOneChannelOfGradientAfterTheInputGradient) {
    Network net = test::two_conv_network();
    TrainingGraph g = derive(net, preset(net, "full"));
    const TrainingNode* update = find_node(g, "conv2:update");
    ASSERT_NE(update, nullptr);
    EXPECT_EQ(update->bytes, 0);
    EXPECT_EQ(update->workspace_bytes, 4 * 4);  // one output channel: 4 inputs x 1x1, fp32
    EXPECT_EQ(find_node(g, "conv:update")->workspace_bytes,
              (3 * 3 * 3 + 1) * 4);  // weight row + bias
    // conv2's input gradient reads the old weights: the update must come after it.
    const TrainingNode* grad_in = find_node(g, "conv2:grad_in0");
    ASSERT_NE(grad_in, nullptr);
    EXPECT_LT(grad_in->id, update->id);
    EXPECT_EQ(update->after, std::vector<int>{grad_in->id});
    for (const auto& n : g.nodes) EXPECT_NE(n.kind, NodeKind::weight_grad) << n.name;
}

TEST(TrainingGraph, FanOutGradientsAreAccumulated) {
    // y = relu(x·W1) used twice: by the residual add and by a second conv.
    Network net = test::two_conv_network();
    Op add{"skip", OpType::Add, {"r", "c2"}, {"s"}, {}, {}, "block1", 0};
    net.ops.insert(net.ops.begin() + 4, add);  // after conv2, before relu2
    net.ops[5].inputs = {"s"};                 // relu2 reads the sum
    ASSERT_TRUE(infer_shapes(net));
    TrainingGraph g = derive(net, preset(net, "full"));
    const TrainingNode* acc = nullptr;
    for (const auto& n : g.nodes)
        if (n.kind == NodeKind::grad_accumulate) acc = &n;
    ASSERT_NE(acc, nullptr);
    EXPECT_EQ(acc->bytes, 4 * 8 * 8 * 4);
    EXPECT_EQ(acc->inputs.size(), 2u);
}

TEST(TrainingGraph, AdapterAddsTrainedLayersBesideAFrozenBlock) {
    Network net = test::two_conv_network();
    auto blocks = adapter_blocks(net);
    ASSERT_EQ(blocks.size(), 1u);  // "stem" reads the sample, "head" ends in the logits
    EXPECT_EQ(blocks[0].block, "block1");
    TrainingPlan plan = preset(net, "bias-only");
    plan.adapters.insert("block1");
    TrainingGraph g = derive(net, plan);
    // 4 channels → make_divisible(4, 8) = 8 mid channels, 8x8 input pooled to 4x4 (k=5 there).
    const Op* conv1 = g.network.op("block1.lite_residual.conv1");
    ASSERT_NE(conv1, nullptr);
    EXPECT_EQ(g.network.param(conv1->params[0])->shape, (Shape{8, 2, 5, 5}));
    EXPECT_EQ(g.network.tensor(conv1->outputs[0])->shape, (Shape{1, 8, 4, 4}));
    EXPECT_NE(g.network.op("block1.lite_residual.upsample"), nullptr);
    EXPECT_EQ(g.network.op("pool")->inputs[0], "block1.lite_residual.add");  // the block's consumer
    int adapters = 0;
    for (const auto& l : g.layers) adapters += l.adapter && l.mode == UpdateMode::full;
    EXPECT_EQ(adapters, 4);  // conv1, norm1, conv2, norm2
}

TEST(TrainingPlan, UnknownLayerAndBadFractionAreNamed) {
    Network net = test::two_conv_network();
    auto bad = plan_from_json(net, nlohmann::json{{"layers", {{"conv9", "full"}}}}, "plan.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("conv9"), std::string::npos);
    auto frac = plan_from_json(
        net, nlohmann::json{{"layers", {{"conv2", {{"mode", "sparse"}, {"fraction", 1.5}}}}}}, "p");
    ASSERT_FALSE(frac);
    EXPECT_NE(frac.error().message.find("fraction"), std::string::npos);
    auto nobias = plan_from_json(net, nlohmann::json{{"layers", {{"conv2", "bias-only"}}}}, "p");
    ASSERT_FALSE(nobias);
    EXPECT_NE(nobias.error().message.find("no bias"), std::string::npos);
    EXPECT_FALSE(make_preset(net, "everything"));
}

TEST(TrainingPlan, JsonRoundTrips) {
    Network net = test::two_conv_network();
    TrainingPlan plan = preset(net, "sparse");
    plan.batch = 4;
    plan.optimizer = Optimizer::adam;
    plan.precision = Precision::int8;
    plan.in_place_update = false;
    plan.layers["conv2"] = {UpdateMode::sparse, 0.25};
    plan.adapters.insert("block1");
    auto back = plan_from_json(net, plan_to_json(plan), "roundtrip");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, plan);
}

}  // namespace
}  // namespace tp
