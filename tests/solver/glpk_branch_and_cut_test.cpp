// One GLPK branch and cut (solver/glpk_branch_and_cut.h): GLPK's cut generators run at the root
// only. GLPK has no setting for that; the search turns them off through the glp_iocp GLPK reads
// node by node, so a GLPK that copied its settings would cut below the root again and this test
// says so (with kCutsAtRootOnly false, the Driebeck–Tomlin search here cut at 2 nodes below the
// root within its 3 s, in each of 3 runs).
#include "solver/glpk_branch_and_cut.h"

#include <gtest/gtest.h>

#include "solver_test_util.h"

namespace tp {
namespace {

TEST(GlpkBranchAndCut, CutsAtTheRootOnly) {
    static_assert(kCutsAtRootOnly);
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32f746");
    const int64_t budget = 3609888;  // its smallest feasible budget: a tree of ~25 nodes
    PoetFamily family;
    family.recompute_depth = 1;
    const PoetModel model(z.graph, z.costs, budget, 0.0, family);
    SolveOptions o;
    o.ram_budget_bytes = budget;
    // Both branching rules, with and without cover and clique cuts.
    MilpStrategy pseudo_costs, driebeck_tomlin;
    pseudo_costs.branching = GLP_BR_PCH;
    driebeck_tomlin.branching = GLP_BR_DTH;
    driebeck_tomlin.knapsack_cuts = false;
    for (const MilpStrategy& strategy : {pseudo_costs, driebeck_tomlin}) {
        const auto start = MilpClock::now();
        const MilpRun run = search_glpk(model, {}, false, o, start, start + std::chrono::seconds(3),
                                        {}, strategy, nullptr);
        ASSERT_TRUE(run.lp_solved);
        EXPECT_GT(run.branch_nodes, 1) << "no tree below the root: the test shows nothing";
        EXPECT_EQ(run.nodes_cut_below_root, 0) << "branching " << strategy.branching;
    }
}

}  // namespace
}  // namespace tp
