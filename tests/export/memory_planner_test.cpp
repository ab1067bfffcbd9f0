// The memory planner against an independent byte-level simulation: replaying each schedule step
// by step, no byte of the arena is owned by two live tensors, every tensor a step reads is where
// the plan says it was written, and the planner's lower bound is the Validator's peak minus the
// persistent bytes.
#include <gtest/gtest.h>

#include <map>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "engine/memory_planner.h"
#include "engine/schedule_replay.h"
#include "engine/zoo/zoo.h"
#include "solver/plan_solution.h"

namespace tp {
namespace {

struct Case {
    TrainingGraph graph;
    Schedule schedule;
    ScheduleReplay replay;
};

Case solved(const std::string& zoo, const std::string& preset, double budget_share,
            const std::string& solver) {
    auto net = build_zoo_model(zoo, false);
    EXPECT_TRUE(net.ok());
    auto plan = make_preset(*net, preset);
    EXPECT_TRUE(plan.ok());
    plan->classes = 10;
    auto g = derive_training_graph(*net, *plan);
    EXPECT_TRUE(g.ok());
    DeviceLibrary lib = load_device_library(default_device_dirs());
    auto costs = build_cost_model(*g, *lib.find("stm32f746"));
    EXPECT_TRUE(costs.ok());
    SolveOptions o;
    o.time_limit_s = 5;
    PlanSolution probe = solve_plan(*g, *costs, "store-all", o);
    o.ram_budget_bytes = probe.min_feasible_budget_bytes +
                         static_cast<int64_t>(budget_share * static_cast<double>(
                                                                 probe.store_all_peak_bytes -
                                                                 probe.min_feasible_budget_bytes));
    PlanSolution s = solve_plan(*g, *costs, solver, o);
    EXPECT_TRUE(s.result.has_schedule()) << s.result.message;
    return {*g, s.result.schedule, s.result.replay};
}

// Walks the schedule with a byte-ownership map built from the plan alone.
void simulate(const Case& c, const MemoryPlan& plan) {
    std::vector<int> owner(static_cast<size_t>(plan.arena_bytes), -1);  // buffer index per byte
    std::map<int, int> resident;                                        // node -> buffer
    auto claim = [&](int b, size_t step) {
        const ArenaBuffer& buf = plan.buffers[static_cast<size_t>(b)];
        for (int64_t i = buf.offset; i < buf.offset + buf.bytes; ++i) {
            ASSERT_EQ(owner[static_cast<size_t>(i)], -1)
                << "step " << step << ": byte " << i << " of buffer " << b << " still belongs to "
                << owner[static_cast<size_t>(i)];
            owner[static_cast<size_t>(i)] = b;
        }
    };
    auto release = [&](int b) {
        const ArenaBuffer& buf = plan.buffers[static_cast<size_t>(b)];
        for (int64_t i = buf.offset; i < buf.offset + buf.bytes; ++i) owner[static_cast<size_t>(i)] = -1;
    };
    for (size_t i = 0; i < c.schedule.steps.size(); ++i) {
        const Step& s = c.schedule.steps[i];
        const TrainingNode& n = c.graph.nodes[static_cast<size_t>(s.node)];
        const StepPlacement& p = plan.steps[i];
        if (s.op == StepOp::compute || s.op == StepOp::recompute) {
            ASSERT_EQ(p.inputs.size(), n.inputs.size());
            for (size_t k = 0; k < n.inputs.size(); ++k) {
                ASSERT_TRUE(resident.count(n.inputs[k])) << "step " << i;
                EXPECT_EQ(p.inputs[k], resident[n.inputs[k]]) << "step " << i << " reads a stale copy";
            }
            if (p.workspace >= 0) claim(p.workspace, i);
            if (n.bytes > 0 && !resident.count(s.node)) {
                claim(p.output, i);
                resident[s.node] = p.output;
            }
            if (p.workspace >= 0) release(p.workspace);
        } else if (s.op == StepOp::page_in && n.bytes > 0 && !resident.count(s.node)) {
            claim(p.output, i);
            resident[s.node] = p.output;
        } else if (s.op == StepOp::free && n.bytes > 0) {
            ASSERT_TRUE(resident.count(s.node));
            release(resident[s.node]);
            resident.erase(s.node);
        }
    }
    EXPECT_TRUE(resident.empty());
}

class PlannerOnZoo : public ::testing::TestWithParam<std::tuple<const char*, const char*, double, const char*>> {};

TEST_P(PlannerOnZoo, BuffersNeverShareLiveBytesAndTheBoundIsTheValidatorsPeak) {
    auto [zoo, preset, share, solver] = GetParam();
    Case c = solved(zoo, preset, share, solver);
    ASSERT_TRUE(c.replay.valid);
    auto plan = plan_memory(c.graph, c.schedule);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    EXPECT_EQ(check_memory_plan(*plan), "");
    simulate(c, *plan);
    EXPECT_EQ(plan->lower_bound_bytes, c.replay.peak_ram_bytes - c.replay.persistent_bytes);
    EXPECT_GE(plan->high_water_bytes, plan->lower_bound_bytes);
    EXPECT_LE(plan->high_water_bytes, plan->arena_bytes);
    // Fragmentation stays small on these schedules (measured: README "Firmware export").
    EXPECT_LE(static_cast<double>(plan->high_water_bytes),
              1.25 * static_cast<double>(plan->lower_bound_bytes));
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, PlannerOnZoo,
    ::testing::Values(std::make_tuple("mcunet", "sparse", 1.0, "store-all"),
                      std::make_tuple("proxylessnas-w0.3", "full", 0.02, "milp"),
                      std::make_tuple("mobilenetv2-w0.35", "full", 1.0, "sqrt-n"),
                      std::make_tuple("resnet18", "last-layer", 1.0, "store-all"),
                      std::make_tuple("mcunet", "tinytl-lb", 0.8, "recompute-only")));

TEST(MemoryPlanner, AnInconsistentScheduleIsNamedNotPlanned) {
    Case c = solved("mcunet", "last-layer", 1.0, "store-all");
    Schedule broken = c.schedule;
    broken.steps.insert(broken.steps.begin(), Step{StepOp::free, c.schedule.steps[0].node});
    auto plan = plan_memory(c.graph, broken);
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.error().message.find("step 0"), std::string::npos) << plan.error().message;
}

}  // namespace
}  // namespace tp
