// The store-all schedule, replayed step by step in the test itself, reaches the peak the
// memory report predicts, computes every node once, and frees everything it made.
#include <gtest/gtest.h>

#include <set>

#include "engine/memory_report.h"
#include "engine/zoo/zoo.h"
#include "solver/scheduler.h"
#include "solver_test_util.h"

namespace tp {
namespace {

TEST(StoreAll, ReplayedStepsReachTheReportedPeak) {
    for (const char* id : {"mcunet", "bert-tiny"}) {
        auto net = build_zoo_model(id);
        ASSERT_TRUE(net);
        for (const char* preset : {"full", "tinytl-lb"}) {
            if (std::string(id) == "bert-tiny" && std::string(preset) == "tinytl-lb") continue;
            auto g = derive_training_graph(*net, *make_preset(*net, preset));
            ASSERT_TRUE(g) << g.error().message;
            const CostModel costs = testing::per_mac_costs(*g);
            SolveResult r = StoreAllScheduler().solve(*g, costs, {});
            ASSERT_TRUE(r.replay.valid);
            EXPECT_EQ(r.replay.peak_ram_bytes, store_all_memory(*g).peak_bytes);
            ASSERT_EQ(r.status, SolveStatus::optimal);
            std::set<int> resident, computed;
            int64_t ram = g->persistent_bytes(), peak = ram;
            for (const Step& s : r.schedule.steps) {
                const TrainingNode& n = g->nodes[static_cast<size_t>(s.node)];
                if (s.op == StepOp::compute) {
                    for (int in : n.inputs)
                        ASSERT_TRUE(resident.count(in)) << n.name << " reads a freed input";
                    for (int a : n.after)
                        ASSERT_TRUE(computed.count(a)) << n.name << " runs too early";
                    ASSERT_TRUE(computed.insert(s.node).second) << n.name << " computed twice";
                    resident.insert(s.node);
                    ram += n.bytes;
                    peak = std::max(peak, ram + n.workspace_bytes);
                } else {
                    ASSERT_EQ(s.op, StepOp::free);
                    ASSERT_TRUE(resident.erase(s.node)) << n.name << " freed twice";
                    ram -= n.bytes;
                }
            }
            EXPECT_EQ(computed.size(), g->nodes.size());
            EXPECT_TRUE(resident.empty());
            EXPECT_EQ(peak, store_all_memory(*g).peak_bytes) << id << " " << preset;
            SolveOptions tight;
            tight.ram_budget_bytes = peak - 1;
            EXPECT_EQ(StoreAllScheduler().solve(*g, costs, tight).status, SolveStatus::infeasible);
        }
    }
}

}  // namespace
}  // namespace tp
