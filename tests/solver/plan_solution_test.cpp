// The smallest feasible budget solve_plan reports, against independent references: the storage
// "page everything" needs, counted by hand on a small graph; and on random DAGs, the exhaustive
// search of the MILP's family (brute_force.h), which must find a schedule at that budget whenever
// solve_plan calls it exact, however small the storage. On the boards: ResNet-18's activations
// do not fit the STM32H743's 1 MiB flash bank, so there the budget is only a lower bound.
#include "solver/plan_solution.h"

#include <gtest/gtest.h>

#include "brute_force.h"
#include "engine/schedule_replay.h"
#include "random_graphs.h"
#include "solver_test_util.h"

namespace tp {
namespace {

TEST(PlanSolution, PageEverythingStoresWhatIsReadTwoOrMoreNodesLater) {
    // 0 → 1 → 2 → 3, and 0 and 1 are read again by 3: 0 (100 B) and 1 (20 B) are paged; 2 is
    // read only by the next node and 3 by nobody.
    TrainingGraph g;
    auto add = [&](int64_t bytes, std::vector<int> inputs) {
        TrainingNode n;
        n.id = static_cast<int>(g.nodes.size());
        n.name = "n" + std::to_string(n.id);
        n.bytes = bytes;
        n.inputs = std::move(inputs);
        g.nodes.push_back(n);
    };
    add(100, {});
    add(20, {0});
    add(7, {1});
    add(3, {2, 0, 1});
    EXPECT_EQ(page_everything_storage_bytes(g), 120);
}

TEST(PlanSolution, AnExactSmallestBudgetIsFeasibleInTheExhaustiveSearch) {
    int exact = 0, bound = 0;
    for (uint64_t seed = 1; seed <= 30; ++seed) {
        testing::RandomDagOptions shape;
        shape.forward_ops = 3 + static_cast<int>(seed % 2);
        testing::RandomCase c = testing::random_dag_case(seed, shape);
        if (c.graph.nodes.size() > 11) continue;
        const int64_t needed = page_everything_storage_bytes(c.graph);
        for (int64_t capacity : {int64_t{0}, needed / 2, needed, int64_t{1} << 40}) {
            c.costs.storage_capacity_bytes = capacity;
            SolveOptions o;
            o.ram_budget_bytes = smallest_step_bytes(c.graph);
            const PlanSolution s = solve_plan(c.graph, c.costs, "store-all", o);
            EXPECT_EQ(s.min_feasible_budget_bytes, o.ram_budget_bytes);
            EXPECT_EQ(s.min_feasible_exact, capacity >= needed) << c.description;
            if (!s.min_feasible_exact) {
                ++bound;
                EXPECT_FALSE(s.min_feasible_bound_reason.empty());
                continue;
            }
            ++exact;
            const testing::BruteForceResult b = testing::brute_force_optimum(c.graph, c.costs, o);
            EXPECT_TRUE(b.feasible) << c.description << " with " << capacity << " B of storage";
        }
    }
    EXPECT_GT(exact, 10);
    EXPECT_GT(bound, 10);
}

TEST(PlanSolution, ResNet18OnTheH743IsOnlyABoundAndSaysWhy) {
    const testing::ZooOnBoard h743 = testing::zoo_on_board("resnet18", "stm32h743");
    SolveOptions o;
    o.ram_budget_bytes = int64_t{1} << 36;
    const PlanSolution s = solve_plan(h743.graph, h743.costs, "store-all", o);
    EXPECT_FALSE(s.min_feasible_exact);
    EXPECT_NE(s.min_feasible_bound_reason.find("of storage, the board has 1.00 MiB"),
              std::string::npos)
        << s.min_feasible_bound_reason;
    const testing::ZooOnBoard f746 = testing::zoo_on_board("resnet18", "stm32f746");
    EXPECT_TRUE(solve_plan(f746.graph, f746.costs, "store-all", o).min_feasible_exact);
}

}  // namespace
}  // namespace tp
