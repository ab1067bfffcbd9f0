// The cost model prices each node by its op class and the plan's precision, and paging by the
// bytes moved. Every expected number is computed here by hand from the profile below.
#include "engine/cost_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/device.h"
#include "engine/op_semantics.h"
#include "engine/zoo/zoo.h"

namespace tp {
namespace {

// x 1x4x8x8 → dw (depthwise 3x3, pad 1, bias) → relu → pw (8x4x1x1) → gc (group 2, 8x4x1x1)
// → pool (global average) → flatten → fc (10x8, bias).
Network classes_network() {
    Network net;
    net.name = "classes";
    net.inputs = {"x"};
    net.outputs = {"logits"};
    net.tensors["x"] = TensorInfo{"x", {1, 4, 8, 8}, DType::f32};
    auto param = [&](const std::string& name, Shape shape) {
        net.params[name] = Parameter{name, std::move(shape), DType::f32, true, {}};
    };
    param("dw.weight", {4, 1, 3, 3});
    param("dw.bias", {4});
    param("pw.weight", {8, 4, 1, 1});
    param("gc.weight", {8, 4, 1, 1});
    param("fc.weight", {10, 8});
    param("fc.bias", {10});
    Op dw{"dw", OpType::Conv, {"x"}, {"d"}, {"dw.weight", "dw.bias"}, {}, "b0", 0};
    dw.attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    dw.attrs.set("group", int64_t{4});
    net.ops.push_back(dw);
    net.ops.push_back(Op{"relu", OpType::Relu, {"d"}, {"r"}, {}, {}, "b0", 0});
    net.ops.push_back(Op{"pw", OpType::Conv, {"r"}, {"p"}, {"pw.weight"}, {}, "b0", 0});
    Op gc{"gc", OpType::Conv, {"p"}, {"g"}, {"gc.weight"}, {}, "b1", 0};
    gc.attrs.set("group", int64_t{2});
    net.ops.push_back(gc);
    net.ops.push_back(Op{"pool", OpType::GlobalAveragePool, {"g"}, {"a"}, {}, {}, "head", 0});
    net.ops.push_back(Op{"flatten", OpType::Flatten, {"a"}, {"f"}, {}, {}, "head", 0});
    Op fc{"fc", OpType::Gemm, {"f"}, {"logits"}, {"fc.weight", "fc.bias"}, {}, "head", 0};
    fc.attrs.set("transB", int64_t{1});
    net.ops.push_back(fc);
    EXPECT_TRUE(infer_shapes(net));
    return net;
}

// A board whose every class and precision has its own numbers, so the table used shows.
Device hand_device() {
    Device d;
    d.id = "hand";
    d.sram_bytes = 65536;
    d.static_power_w = 0.01;
    d.rate(OpClass::conv, Precision::fp32) = {1e6, 2e-9};
    d.rate(OpClass::conv, Precision::int8) = {4e6, 5e-10};
    d.rate(OpClass::depthwise, Precision::fp32) = {5e5, 3e-9};
    d.rate(OpClass::depthwise, Precision::int8) = {1e6, 1e-9};
    d.rate(OpClass::linear, Precision::fp32) = {2e6, 1e-9};
    d.rate(OpClass::linear, Precision::int8) = {8e6, 2.5e-10};
    d.rate(OpClass::elementwise, Precision::fp32) = {4e6, 5e-10};
    d.rate(OpClass::elementwise, Precision::int8) = {4e6, 4e-10};
    d.storage = Storage{StorageKind::sd, 1 << 20, 1e6, 1e5, 1e-7, 1e-6};
    return d;
}

TrainingGraph derive(Precision precision) {
    Network net = classes_network();
    auto plan = make_preset(net, "full");
    EXPECT_TRUE(plan);
    plan->precision = precision;
    auto g = derive_training_graph(net, *plan);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    return *g;
}

int id_of(const TrainingGraph& g, const std::string& name) {
    for (const auto& n : g.nodes)
        if (n.name == name) return n.id;
    ADD_FAILURE() << "no node " << name;
    return 0;
}

CostModel build(const TrainingGraph& g, const Device& d) {
    auto m = build_cost_model(g, d);
    EXPECT_TRUE(m) << (m ? "" : m.error().message);
    return *m;
}

// Expects node `name` to cost `work` operations at `macs_per_s` and `j_per_mac`.
void expect_cost(const TrainingGraph& g, const CostModel& m, const std::string& name, int64_t work,
                 double macs_per_s, double j_per_mac) {
    SCOPED_TRACE(name);
    int id = id_of(g, name);
    EXPECT_DOUBLE_EQ(m.node[static_cast<size_t>(id)].time_s,
                     static_cast<double>(work) / macs_per_s);
    EXPECT_DOUBLE_EQ(m.node[static_cast<size_t>(id)].energy_j,
                     static_cast<double>(work) * j_per_mac);
}

TEST(CostModel, ConvNodeCostsItsMacsAtTheConvRate) {
    TrainingGraph g = derive(Precision::fp32);
    CostModel m = build(g, hand_device());
    // pw: Cout 8 x 8 x 8 outputs x Cin 4 x 1 x 1 = 2048 MACs; conv fp32 is 1e6 MAC/s, 2 nJ/MAC.
    EXPECT_EQ(g.nodes[static_cast<size_t>(id_of(g, "pw"))].macs, 2048);
    int pw = id_of(g, "pw");
    EXPECT_DOUBLE_EQ(m.node[static_cast<size_t>(pw)].time_s, 2048 / 1e6);
    EXPECT_DOUBLE_EQ(m.node[static_cast<size_t>(pw)].energy_j, 2048 * 2e-9);
    // Its input gradient is a transposed convolution of the same size: also conv.
    expect_cost(g, m, "pw:grad_in0", 2048, 1e6, 2e-9);
    // A grouped conv that is not depthwise (2 groups of 4 channels) is conv: 8 x 64 x 4 MACs.
    expect_cost(g, m, "gc", 2048, 1e6, 2e-9);
}

TEST(CostModel, OpClassesPickTheirOwnRates) {
    TrainingGraph g = derive(Precision::fp32);
    CostModel m = build(g, hand_device());
    // dw: group 4 == 4 input channels: depthwise. 4 x 64 outputs x 9 = 2304 MACs.
    expect_cost(g, m, "dw", 2304, 5e5, 3e-9);
    // Its update (in-place, fused with the weight gradient): 2304 gradient MACs + 40 trained
    // parameters (36 weights, 4 biases) x 1 for SGD — still the depthwise kernel's class.
    expect_cost(g, m, "dw:update", 2304 + 40, 5e5, 3e-9);
    // fc: Gemm 1 x 10 x 8 = 80 MACs, linear; its update 80 + 90 trained parameters.
    expect_cost(g, m, "fc", 80, 2e6, 1e-9);
    expect_cost(g, m, "fc:update", 80 + 90, 2e6, 1e-9);
    // relu and pool are elementwise: 256 elements, and 8 x 64 inputs read by the pool.
    expect_cost(g, m, "relu", 256, 4e6, 5e-10);
    expect_cost(g, m, "relu:mask", 256, 4e6, 5e-10);
    expect_cost(g, m, "relu:grad_in0", 256, 4e6, 5e-10);
    expect_cost(g, m, "pool", 512, 4e6, 5e-10);
    // The loss: softmax cross-entropy fused with its gradient, 3 ops per logit.
    expect_cost(g, m, "loss", 30, 4e6, 5e-10);
}

TEST(CostModel, ZeroMacNodeCostsOneOperationPerOutputElement) {
    TrainingGraph g = derive(Precision::fp32);
    CostModel m = build(g, hand_device());
    // flatten counts 0 MACs; it still copies its 8 fp32 elements (32 bytes).
    EXPECT_EQ(g.nodes[static_cast<size_t>(id_of(g, "flatten"))].macs, 0);
    EXPECT_EQ(g.nodes[static_cast<size_t>(id_of(g, "flatten"))].bytes, 32);
    expect_cost(g, m, "flatten", 8, 4e6, 5e-10);
    // The graph input costs nothing to compute.
    int x = id_of(g, "x");
    EXPECT_EQ(m.node[static_cast<size_t>(x)].time_s, 0.0);
    EXPECT_EQ(m.node[static_cast<size_t>(x)].energy_j, 0.0);
}

TEST(CostModel, Int8PlanUsesTheInt8Table) {
    TrainingGraph g = derive(Precision::int8);
    CostModel m = build(g, hand_device());
    expect_cost(g, m, "pw", 2048, 4e6, 5e-10);
    expect_cost(g, m, "dw", 2304, 1e6, 1e-9);
    expect_cost(g, m, "fc", 80, 8e6, 2.5e-10);
    expect_cost(g, m, "relu", 256, 4e6, 4e-10);
    // int8 activations are 1 byte: flatten's 8 bytes are 8 elements.
    expect_cost(g, m, "flatten", 8, 4e6, 4e-10);
}

TEST(CostModel, PagingCostsBytesTimesThePerByteFigures) {
    TrainingGraph g = derive(Precision::fp32);
    CostModel m = build(g, hand_device());
    EXPECT_EQ(m.device_id, "hand");
    EXPECT_EQ(m.storage_capacity_bytes, 1 << 20);
    EXPECT_TRUE(m.paging_available());
    EXPECT_EQ(m.sram_bytes, 65536);
    EXPECT_DOUBLE_EQ(m.static_power_w, 0.01);
    // relu's output: 4 x 8 x 8 fp32 = 1024 bytes; write 1e5 B/s at 1 uJ/B, read 1e6 B/s at 0.1
    // uJ/B.
    int relu = id_of(g, "relu");
    const PagingCost& p = m.paging[static_cast<size_t>(relu)];
    EXPECT_DOUBLE_EQ(p.page_out_time_s, 1024 / 1e5);
    EXPECT_DOUBLE_EQ(p.page_out_energy_j, 1024 * 1e-6);
    EXPECT_DOUBLE_EQ(p.page_in_time_s, 1024 / 1e6);
    EXPECT_DOUBLE_EQ(p.page_in_energy_j, 1024 * 1e-7);
    // The input sample can be paged like any tensor: 4 x 8 x 8 x 4 bytes.
    int x = id_of(g, "x");
    EXPECT_DOUBLE_EQ(m.paging[static_cast<size_t>(x)].page_out_time_s, 1024 / 1e5);
}

TEST(CostModel, TotalsAddStaticPowerOverTheDuration) {
    TrainingGraph g = derive(Precision::fp32);
    CostModel m = build(g, hand_device());
    int pw = id_of(g, "pw");
    EXPECT_DOUBLE_EQ(m.node_total_energy_j(pw), 2048 * 2e-9 + 0.01 * (2048 / 1e6));
    int relu = id_of(g, "relu");
    EXPECT_DOUBLE_EQ(m.page_out_total_energy_j(relu), 1024 * 1e-6 + 0.01 * (1024 / 1e5));
    EXPECT_DOUBLE_EQ(m.page_in_total_energy_j(relu), 1024 * 1e-7 + 0.01 * (1024 / 1e6));
}

TEST(CostModel, BoardWithoutStorageCannotPage) {
    TrainingGraph g = derive(Precision::fp32);
    Device d = hand_device();
    d.storage.reset();
    CostModel m = build(g, d);
    EXPECT_EQ(m.storage_capacity_bytes, 0);
    EXPECT_FALSE(m.paging_available());
    for (const auto& p : m.paging) {
        EXPECT_EQ(p.page_out_time_s, 0.0);
        EXPECT_EQ(p.page_in_energy_j, 0.0);
    }
    expect_cost(g, m, "pw", 2048, 1e6, 2e-9);  // compute is priced as before
}

TEST(CostModel, NodeOfAnOpTheNetworkLacksIsAnError) {
    TrainingGraph g = derive(Precision::fp32);
    for (auto& op : g.network.ops)
        if (op.name == "pw") op.name = "renamed";
    auto m = build_cost_model(g, hand_device());
    ASSERT_FALSE(m);
    EXPECT_NE(m.error().message.find("node \"pw\" belongs to op \"pw\""), std::string::npos)
        << m.error().message;
}

TEST(CostModel, BuiltInBoardPricesEveryNodeOfAZooModel) {
    auto net = build_zoo_model("mcunet");
    ASSERT_TRUE(net);
    auto plan = make_preset(*net, "sparse");
    ASSERT_TRUE(plan);
    plan->precision = Precision::int8;
    auto g = derive_training_graph(*net, *plan);
    ASSERT_TRUE(g) << g.error().message;
    DeviceLibrary lib = load_device_library({default_device_dirs().front()});
    const Device* board = lib.find("stm32f746");
    ASSERT_NE(board, nullptr);
    auto m = build_cost_model(*g, *board);
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->node.size(), g->nodes.size());
    double total = 0.0;
    for (const auto& n : g->nodes) {
        const NodeCost& c = m->node[static_cast<size_t>(n.id)];
        if (n.kind == NodeKind::input) continue;
        if (n.macs > 0 || n.bytes > 0) {
            EXPECT_GT(c.time_s, 0.0) << n.name;
        }
        EXPECT_TRUE(std::isfinite(c.energy_j)) << n.name;
        total += c.time_s;
    }
    // 22.6 M forward MACs alone take over 0.1 s at the board's int8 conv rate (124 MMAC/s).
    EXPECT_GT(total, 0.1);
    EXPECT_TRUE(m->paging_available());
}

}  // namespace
}  // namespace tp
