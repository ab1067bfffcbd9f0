// The schedule grid's cells against the Validator: on hand-made and solved schedules, the bytes of
// the resident cells at every step are the replay's RAM (minus persistent bytes and the running
// node's workspace), the stored cells reach the replay's peak storage, and each step's acting cell
// is that step.
#include "engine/schedule_timeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/schedule_replay.h"
#include "solver/scheduler.h"
#include "tests/engine/small_networks.h"
#include "tests/solver/random_graphs.h"
#include "tests/solver/solver_test_util.h"

namespace tp {
namespace {

TrainingNode node(int id, const std::string& name, NodeKind kind, int64_t bytes,
                  std::vector<int> inputs, TensorRole role, int64_t workspace = 0) {
    TrainingNode n;
    n.id = id;
    n.name = name;
    n.kind = kind;
    n.op = kind == NodeKind::loss ? "" : name.substr(0, 1);
    n.bytes = bytes;
    n.workspace_bytes = workspace;
    n.inputs = std::move(inputs);
    n.role = role;
    return n;
}

// x → a (workspace 50) → a:mask; loss reads a; b reads the loss gradient and a; a:update reads
// the loss gradient, the mask and x, after b. Persistent: 1500 B.
TrainingGraph tiny_graph() {
    TrainingGraph g;
    g.nodes.push_back(node(0, "x", NodeKind::input, 100, {}, TensorRole::saved_activation));
    g.nodes.push_back(node(1, "a", NodeKind::forward, 200, {0}, TensorRole::saved_activation, 50));
    g.nodes.push_back(
        node(2, "a:mask", NodeKind::saved_aux, 10, {1}, TensorRole::saved_activation));
    g.nodes.push_back(node(3, "loss", NodeKind::loss, 200, {1}, TensorRole::gradient));
    g.nodes.push_back(node(4, "b", NodeKind::backward, 40, {3, 1}, TensorRole::gradient));
    g.nodes.push_back(node(5, "a:update", NodeKind::update, 0, {3, 2, 0}, TensorRole::none, 30));
    g.nodes[5].after = {4};
    g.loss_node = 3;
    g.trained_param_bytes = 1000;
    g.optimizer_state_bytes = 500;
    return g;
}

// Drops a, brings it back once by recompute (before the update) and once by page_in (after).
Schedule paged_and_recomputed() {
    using O = StepOp;
    return {{{O::compute, 0},
             {O::compute, 1},
             {O::page_out, 1},  // 2
             {O::compute, 2},
             {O::free, 1},  // 4
             {O::recompute, 1},
             {O::compute, 3},
             {O::free, 1},     // 7
             {O::page_in, 1},  // 8
             {O::compute, 4},
             {O::free, 1},  // 10
             {O::compute, 5},
             {O::free, 0},
             {O::free, 2},
             {O::free, 3},
             {O::free, 4},
             {O::free, 5}}};
}

CellState acting_state(StepOp op) {
    switch (op) {
        case StepOp::compute:
            return CellState::compute;
        case StepOp::recompute:
            return CellState::recompute;
        case StepOp::page_out:
            return CellState::page_out;
        case StepOp::page_in:
            return CellState::page_in;
        case StepOp::free:
            break;
    }
    return CellState::empty;
}

// Every identity the grid owes the Validator, on one valid schedule.
void expect_matches_replay(const TrainingGraph& g, const CostModel& costs, const Schedule& s,
                           const std::string& what) {
    SCOPED_TRACE(what);
    const ScheduleReplay r = replay_schedule(g, costs, s, {});
    ASSERT_TRUE(r.valid) << (r.violations.empty() ? "" : r.violations.front());
    const ScheduleTimeline t = build_schedule_timeline(g, s);
    ASSERT_EQ(t.steps, static_cast<int>(s.steps.size()));
    ASSERT_EQ(t.nodes, static_cast<int>(g.nodes.size()));
    ASSERT_EQ(r.memory_by_step.size(), s.steps.size());
    int64_t most_stored = 0;
    for (int step = 0; step < t.steps; ++step) {
        const Step& st = s.steps[static_cast<size_t>(step)];
        const StepMemory& m = r.memory_by_step[static_cast<size_t>(step)];
        const bool runs = st.op == StepOp::compute || st.op == StepOp::recompute;
        const int64_t workspace = runs ? g.nodes[static_cast<size_t>(st.node)].workspace_bytes : 0;
        int64_t resident = 0, stored = 0, both = 0;
        for (int n = 0; n < t.nodes; ++n) {
            const int64_t bytes = g.nodes[static_cast<size_t>(n)].bytes;
            if (t.resident(n, step)) resident += bytes;
            if (t.stored(n, step)) stored += bytes;
            if (t.resident(n, step) && t.stored(n, step)) both += bytes;
            EXPECT_EQ(t.acts_on(n, step), n == st.node) << "step " << step << " node " << n;
        }
        EXPECT_EQ(r.persistent_bytes + resident + workspace, m.total) << "step " << step;
        EXPECT_EQ(t.resident_bytes(step), resident);
        // Only outputs brought back by page_in count as paged in; each has a copy in storage.
        EXPECT_LE(m.paged_in, both) << "step " << step;
        most_stored = std::max(most_stored, stored);
        EXPECT_EQ(t.acting_node(step), st.node);
        EXPECT_EQ(t.step_op(step), st.op);
        if (st.op != StepOp::free) {
            EXPECT_EQ(t.at(st.node, step), acting_state(st.op)) << "step " << step;
        }
    }
    EXPECT_EQ(most_stored, r.peak_storage_bytes);
}

TEST(ScheduleTimeline, HandScheduleCellsFollowTheReplaySemantics) {
    const TrainingGraph g = tiny_graph();
    const ScheduleTimeline t = build_schedule_timeline(g, paged_and_recomputed());
    EXPECT_EQ(t.at(1, 0), CellState::empty);  // a does not exist yet
    EXPECT_EQ(t.at(1, 1), CellState::compute);
    EXPECT_EQ(t.at(1, 2), CellState::page_out);
    EXPECT_TRUE(t.resident(1, 2) && t.stored(1, 2));  // page_out keeps the output in RAM
    EXPECT_EQ(t.at(1, 3), CellState::resident_and_stored);
    EXPECT_EQ(t.at(1, 4), CellState::stored);  // freed: only the copy in storage is left
    EXPECT_EQ(t.at(1, 5), CellState::recompute);
    EXPECT_EQ(t.at(1, 7), CellState::stored);
    EXPECT_EQ(t.at(1, 8), CellState::page_in);
    EXPECT_EQ(t.at(1, 9), CellState::resident_and_stored);
    EXPECT_EQ(t.at(1, 16), CellState::stored);  // storage is never released, as in the replay
    EXPECT_EQ(t.at(0, 11), CellState::resident);
    EXPECT_EQ(t.at(0, 12), CellState::empty);
    EXPECT_EQ(t.node_bytes[1], 200);
    EXPECT_EQ(t.persistent_bytes, 1500);
    EXPECT_EQ(t.at(99, 0), CellState::empty);  // out of range: empty, never a crash
    EXPECT_EQ(t.at(0, 99), CellState::empty);
    expect_matches_replay(g, testing::per_mac_costs(g), paged_and_recomputed(), "hand");
}

TEST(ScheduleTimeline, StoreAllResidentBytesAreTheValidatorsRam) {
    const TrainingGraph g = tiny_graph();
    const CostModel costs = testing::per_mac_costs(g);
    const SolveResult r = StoreAllScheduler().solve(g, costs, {});
    ASSERT_TRUE(r.has_schedule());
    expect_matches_replay(g, costs, r.schedule, "store-all");
}

TEST(ScheduleTimeline, MilpScheduleOnTwoConvNetworkMatchesTheValidator) {
    const Network net = test::two_conv_network();
    auto plan = make_preset(net, "full");
    ASSERT_TRUE(plan);
    auto g = derive_training_graph(net, *plan);
    ASSERT_TRUE(g);
    const CostModel costs = testing::per_mac_costs(*g);
    const SolveResult floor = StoreAllScheduler().solve(*g, costs, {});
    SolveOptions o;
    o.ram_budget_bytes = (smallest_step_bytes(*g) + floor.replay.peak_ram_bytes) / 2;
    o.time_limit_s = 20;
    const SolveResult m = make_scheduler("milp")->solve(*g, costs, o);
    ASSERT_TRUE(m.has_schedule()) << m.message;
    // Below the store-all peak the schedule must drop something and bring it back.
    EXPECT_GT(m.replay.recomputes + m.replay.page_ins, 0);
    expect_matches_replay(*g, costs, m.schedule, "milp two-conv");
}

TEST(ScheduleTimeline, MilpSchedulesOnRandomGraphsMatchTheValidator) {
    int paged = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        testing::RandomCase c = testing::random_dag_case(seed);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        SolveOptions o;
        o.ram_budget_bytes = (smallest_step_bytes(c.graph) + floor.replay.peak_ram_bytes) / 2;
        o.time_limit_s = 10;
        const SolveResult m = make_scheduler("milp")->solve(c.graph, c.costs, o);
        if (!m.has_schedule() || !m.replay.valid) continue;
        paged += m.replay.page_ins;
        expect_matches_replay(c.graph, c.costs, m.schedule, c.description);
    }
    EXPECT_GT(paged, 0) << "no random case exercised paging";
}

TEST(ScheduleTimeline, StepOnAnUnknownNodeChangesNoCell) {
    const TrainingGraph g = tiny_graph();
    const ScheduleTimeline t =
        build_schedule_timeline(g, {{{StepOp::compute, 0}, {StepOp::compute, 42}}});
    EXPECT_EQ(t.acting_node(1), 42);
    EXPECT_EQ(t.at(0, 1), CellState::resident);
    EXPECT_EQ(t.resident_bytes(1), 100);
}

}  // namespace
}  // namespace tp
