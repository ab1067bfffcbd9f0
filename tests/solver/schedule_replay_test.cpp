// The Validator on a six-node graph small enough to count every byte, second and joule by hand:
// every kind of violation is caught with a message naming the step and the node, and a valid
// schedule's memory, time and energy are the hand sums.
#include "engine/schedule_replay.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace tp {
namespace {

TrainingNode node(int id, const std::string& name, NodeKind kind, const std::string& op,
                  int64_t bytes, std::vector<int> inputs, TensorRole role, int64_t workspace = 0) {
    TrainingNode n;
    n.id = id;
    n.name = name;
    n.kind = kind;
    n.op = op;
    n.bytes = bytes;
    n.workspace_bytes = workspace;
    n.inputs = std::move(inputs);
    n.role = role;
    return n;
}

// x → a (op "a", workspace 50) → a:mask; loss reads a; b (op "b") reads the loss gradient
// (twice) and a; a:update reads the loss gradient, the mask and x, after b.
// Persistent: 1000 B trained parameters + 500 B optimizer state.
TrainingGraph tiny_graph() {
    TrainingGraph g;
    g.nodes.push_back(node(0, "x", NodeKind::input, "", 100, {}, TensorRole::saved_activation));
    g.nodes.push_back(
        node(1, "a", NodeKind::forward, "a", 200, {0}, TensorRole::saved_activation, 50));
    g.nodes.push_back(
        node(2, "a:mask", NodeKind::saved_aux, "a", 10, {1}, TensorRole::saved_activation));
    g.nodes.push_back(node(3, "loss", NodeKind::loss, "", 200, {1}, TensorRole::gradient));
    g.nodes.push_back(node(4, "b", NodeKind::backward, "b", 40, {3, 1, 3}, TensorRole::gradient));
    g.nodes.push_back(
        node(5, "a:update", NodeKind::update, "a", 0, {3, 2, 0}, TensorRole::none, 30));
    g.nodes[5].after = {4};
    g.loss_node = 3;
    g.trained_param_bytes = 1000;
    g.optimizer_state_bytes = 500;
    return g;
}

// Node i costs (i + 1) ms and 2 (i + 1) mJ; paging node i: out 3 ms / 5 mJ, in 1 ms / 2 mJ.
CostModel tiny_costs(int64_t storage = 1 << 20, double static_power = 0.5) {
    CostModel c;
    for (int i = 0; i < 6; ++i) {
        c.node.push_back({(i + 1) * 1e-3, 2 * (i + 1) * 1e-3});
        c.paging.push_back({3e-3, 5e-3, 1e-3, 2e-3});
    }
    c.storage_capacity_bytes = storage;
    c.static_power_w = static_power;
    return c;
}

Step compute(int n) {
    return {StepOp::compute, n};
}
Step recompute(int n) {
    return {StepOp::recompute, n};
}
Step page_out(int n) {
    return {StepOp::page_out, n};
}
Step page_in(int n) {
    return {StepOp::page_in, n};
}
Step free_(int n) {
    return {StepOp::free, n};
}

Schedule store_all() {
    return {{compute(0), compute(1), compute(2), compute(3), compute(4), free_(1), compute(5),
             free_(0), free_(2), free_(3), free_(4), free_(5)}};
}

// Drops a, brings it back once by recompute (before the update) and once by page_in (after).
Schedule paged_and_recomputed() {
    return {{compute(0),    // 0: 1500 + 100                     = 1600
             compute(1),    // 1: + a 200 + workspace 50         = 1850
             page_out(1),   // 2:                                = 1800
             compute(2),    // 3: + mask 10                      = 1810
             free_(1),      // 4:                                = 1610
             recompute(1),  // 5: + a 200 + workspace 50         = 1860
             compute(3),    // 6: + loss 200                     = 2010
             free_(1),      // 7:                                = 1810
             page_in(1),    // 8: + a 200 (paged in)             = 2010
             compute(4),    // 9: + b 40                         = 2050
             free_(1),      // 10:                               = 1850
             compute(5),    // 11: + update 0 + workspace 30     = 1880
             free_(0), free_(2), free_(3), free_(4), free_(5)}};  // 1750, 1740, 1540, 1500, 1500
}

// The violation whose text contains `what`, or "" when none does.
std::string find(const ScheduleReplay& r, const std::string& what) {
    for (const auto& v : r.violations)
        if (v.find(what) != std::string::npos) return v;
    return "";
}

std::string all(const ScheduleReplay& r) {
    std::string s;
    for (const auto& v : r.violations) s += v + "\n";
    return s;
}

// `text` names `node` as a whole word (node names hold letters, digits, ':' and '_').
bool names(const std::string& text, const std::string& node) {
    auto part = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_';
    };
    for (size_t at = text.find(node); at != std::string::npos; at = text.find(node, at + 1)) {
        const bool starts = at == 0 || !part(text[at - 1]);
        const size_t end = at + node.size();
        // A trailing ':' ends a sentence clause ("page_out of a: ..."), not the name.
        const bool ends = end == text.size() || !part(text[end]) ||
                          (text[end] == ':' && (end + 1 == text.size() || text[end + 1] == ' '));
        if (starts && ends) return true;
    }
    return false;
}

// The replay rejects `s` with a violation containing `what`, naming step `step` and `node`.
void expect_violation(const Schedule& s, const std::string& what, int step, const std::string& node,
                      const CostModel& costs = tiny_costs(), const ReplayLimits& limits = {}) {
    const ScheduleReplay r = replay_schedule(tiny_graph(), costs, s, limits);
    EXPECT_FALSE(r.valid);
    const std::string v = find(r, what);
    ASSERT_FALSE(v.empty()) << "no violation mentions '" << what << "'; got:\n" << all(r);
    EXPECT_NE(v.find("step " + std::to_string(step) + ":"), std::string::npos) << v;
    if (!node.empty()) {
        EXPECT_TRUE(names(v, node)) << "'" << v << "' does not name " << node;
    }
}

TEST(ScheduleReplay, StoreAllIsValid) {
    const ScheduleReplay r = replay_schedule(tiny_graph(), tiny_costs(), store_all(), {});
    EXPECT_TRUE(r.valid) << all(r);
    EXPECT_EQ(r.computes, 6);
    EXPECT_EQ(r.frees, 6);
    // compute b: 1500 + x 100 + a 200 + mask 10 + loss 200 + b 40.
    EXPECT_EQ(r.peak_ram_bytes, 2050);
    EXPECT_EQ(r.peak_step, 4);
    EXPECT_EQ(r.persistent_bytes, 1500);
}

TEST(ScheduleReplay, EnergyTimeAndMemoryAreTheHandSums) {
    const ScheduleReplay r =
        replay_schedule(tiny_graph(), tiny_costs(), paged_and_recomputed(), {});
    ASSERT_TRUE(r.valid) << all(r);
    EXPECT_EQ(r.computes, 6);
    EXPECT_EQ(r.recomputes, 1);
    EXPECT_EQ(r.page_outs, 1);
    EXPECT_EQ(r.page_ins, 1);
    EXPECT_EQ(r.frees, 8);
    // Compute: 2 (1 + ... + 6) mJ; recompute of a: 4 mJ; paging: 5 + 2 mJ.
    EXPECT_NEAR(r.energy.compute_j, 42e-3, 1e-12);
    EXPECT_NEAR(r.energy.recompute_j, 4e-3, 1e-12);
    EXPECT_NEAR(r.energy.page_out_j, 5e-3, 1e-12);
    EXPECT_NEAR(r.energy.page_in_j, 2e-3, 1e-12);
    // Time: 21 ms of computes + 2 ms recompute + 3 ms out + 1 ms in = 27 ms at 0.5 W.
    EXPECT_NEAR(r.time_s, 27e-3, 1e-12);
    EXPECT_NEAR(r.energy.static_j, 13.5e-3, 1e-12);
    EXPECT_NEAR(r.energy.total_j(), 66.5e-3, 1e-12);
    EXPECT_EQ(r.peak_storage_bytes, 200);

    const std::vector<int64_t> expected = {1600, 1850, 1800, 1810, 1610, 1860, 2010, 1810, 2010,
                                           2050, 1850, 1880, 1750, 1740, 1540, 1500, 1500};
    ASSERT_EQ(r.memory_by_step.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        const StepMemory& m = r.memory_by_step[i];
        EXPECT_EQ(m.total, expected[i]) << "step " << i;
        EXPECT_EQ(
            m.parameters + m.optimizer_state + m.saved + m.gradients + m.transient + m.paged_in,
            m.total)
            << "step " << i;
        EXPECT_EQ(m.parameters, 1000);
        EXPECT_EQ(m.optimizer_state, 500);
    }
    // Step 8: a is back by page_in; step 9 adds b, a gradient.
    EXPECT_EQ(r.memory_by_step[8].paged_in, 200);
    EXPECT_EQ(r.memory_by_step[8].saved, 110);      // x and the mask
    EXPECT_EQ(r.memory_by_step[8].gradients, 200);  // the loss gradient
    EXPECT_EQ(r.memory_by_step[9].gradients, 240);
    // Step 1: a's workspace is transient while a runs.
    EXPECT_EQ(r.memory_by_step[1].transient, 50);
    EXPECT_EQ(r.memory_by_step[1].saved, 300);
    EXPECT_EQ(r.peak_ram_bytes, 2050);
    EXPECT_EQ(r.peak_step, 9);
}

TEST(ScheduleReplay, NoStaticPowerNoStaticEnergy) {
    const ScheduleReplay r =
        replay_schedule(tiny_graph(), tiny_costs(1 << 20, 0.0), paged_and_recomputed(), {});
    ASSERT_TRUE(r.valid);
    EXPECT_EQ(r.energy.static_j, 0.0);
    EXPECT_NEAR(r.energy.total_j(), 53e-3, 1e-12);
}

TEST(ScheduleReplay, SmallestStepBytesByHand) {
    // b: 40 + its distinct inputs loss 200 and a 200 (loss is listed twice) = 440, the largest;
    // a:update: 0 + workspace 30 + loss 200 + mask 10 + x 100 = 340; a: 200 + 50 + 100 = 350.
    EXPECT_EQ(smallest_step_bytes(tiny_graph()), 1500 + 440);
    TrainingGraph g = tiny_graph();
    g.nodes[5].workspace_bytes = 200;  // now the update needs 510
    EXPECT_EQ(smallest_step_bytes(g), 1500 + 510);
}

TEST(ScheduleReplay, InputNotResident) {
    expect_violation({{compute(1)}}, "a reads x which is not in RAM", 0, "a");
    Schedule s = store_all();
    s.steps.insert(s.steps.begin() + 3, free_(1));  // a freed before the loss reads it
    expect_violation(s, "loss reads a which is not in RAM", 4, "loss");
}

TEST(ScheduleReplay, ComputeTwice) {
    expect_violation({{compute(0), compute(1), free_(1), compute(1)}}, "already computed", 3, "a");
}

TEST(ScheduleReplay, RecomputeBeforeCompute) {
    expect_violation({{compute(0), recompute(1)}}, "before its first compute", 1, "a");
}

TEST(ScheduleReplay, RecomputeAfterUpdate) {
    Schedule s{{compute(0), compute(1), compute(2), compute(3), compute(4), free_(1), compute(5),
                recompute(1)}};
    expect_violation(s, "recompute of a after a:update changed its weights", 7, "a");
}

TEST(ScheduleReplay, UpdateOrInputTwice) {
    expect_violation({{compute(0), free_(0), recompute(0)}}, "cannot run twice", 2, "x");
}

TEST(ScheduleReplay, AfterEdge) {
    Schedule s{{compute(0), compute(1), compute(2), compute(3), compute(5)}};
    expect_violation(s, "a:update must run after b", 4, "a:update");
}

TEST(ScheduleReplay, PageInNeverPagedOut) {
    expect_violation({{compute(0), free_(0), page_in(0)}}, "page_in of x which was never paged out",
                     2, "x");
}

TEST(ScheduleReplay, PageInWhileResident) {
    expect_violation({{compute(0), page_out(0), page_in(0)}}, "already in RAM", 2, "x");
}

TEST(ScheduleReplay, PageOutNotResident) {
    expect_violation({{compute(0), free_(0), page_out(0)}}, "page_out of x which is not in RAM", 2,
                     "x");
}

TEST(ScheduleReplay, FreeOfNonResident) {
    expect_violation({{compute(0), free_(0), free_(0)}}, "free of x which is not in RAM", 2, "x");
    expect_violation({{free_(3)}}, "free of loss which is not in RAM", 0, "loss");
}

TEST(ScheduleReplay, UnknownNode) {
    expect_violation({{compute(0), compute(9)}}, "node 9 does not exist", 1, "");
}

TEST(ScheduleReplay, OverBudget) {
    // The store-all peak is 2050 B at step 4 (compute b).
    expect_violation(store_all(), "exceeds the budget", 4, "b", tiny_costs(), {2049, 0.0});
    EXPECT_TRUE(replay_schedule(tiny_graph(), tiny_costs(), store_all(), {2050, 0.0}).valid);
}

TEST(ScheduleReplay, OverDeadline) {
    // Store-all runs 21 ms. The deadline is a property of the whole run: it is reported at the
    // end (step = number of steps) and names no node.
    const Schedule s = store_all();
    expect_violation(s, "exceeds the deadline", static_cast<int>(s.steps.size()), "", tiny_costs(),
                     {0, 0.020});
    EXPECT_TRUE(replay_schedule(tiny_graph(), tiny_costs(), s, {0, 0.0215}).valid);
}

TEST(ScheduleReplay, StorageOverCapacity) {
    Schedule s = paged_and_recomputed();
    expect_violation(s, "more than its capacity", 2, "a", tiny_costs(199));
    EXPECT_TRUE(replay_schedule(tiny_graph(), tiny_costs(200), s, {}).valid);
    expect_violation(s, "the board has no storage", 2, "a", tiny_costs(0));
}

TEST(ScheduleReplay, NotAllComputed) {
    Schedule s{{compute(0), compute(1), compute(2), compute(3), compute(4), free_(0), free_(1),
                free_(2), free_(3), free_(4)}};
    expect_violation(s, "a:update is never computed", 10, "a:update");
}

TEST(ScheduleReplay, LeftInRam) {
    Schedule s = store_all();
    s.steps.pop_back();  // the update's (empty) output is never freed
    expect_violation(s, "a:update is still in RAM at the end", 11, "a:update");
    s.steps.erase(s.steps.begin() + 7);  // neither is x
    expect_violation(s, "x is still in RAM at the end", 10, "x");
}

TEST(ScheduleReplay, CostModelForAnotherGraph) {
    CostModel c = tiny_costs();
    c.node.pop_back();
    const ScheduleReplay r = replay_schedule(tiny_graph(), c, store_all(), {});
    EXPECT_FALSE(r.valid);
    EXPECT_NE(find(r, "another graph"), "");
}

}  // namespace
}  // namespace tp
