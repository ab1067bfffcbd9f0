// The MILP portfolio (solver/glpk_portfolio.h): what its searches share keeps the cheapest
// schedule and the highest bound and calls the gap closed exactly when it is; a search handed
// the optimum by another ends with it, which it does not find alone in that time; and on a zoo
// network two searches and one prove the same optimum, with a schedule the Validator replays.
// The portfolio against the exhaustive optimum on random DAGs is in poet_milp_test.cpp.
#include "solver/glpk_portfolio.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "solver/poet_milp.h"
#include "solver_test_util.h"

namespace tp {
namespace {

TEST(SharedSearch, KeepsTheCheapestScheduleAndTheHighestBound) {
    SharedSearch shared(0.01);
    EXPECT_EQ(shared.best_j(), std::numeric_limits<double>::infinity());
    EXPECT_EQ(shared.bound_j(), -std::numeric_limits<double>::infinity());
    EXPECT_FALSE(shared.settled());
    shared.offer({0.0, 1.0, 0.0}, 5.0);
    shared.offer({0.0, 0.0, 1.0}, 6.0);  // dearer: ignored
    std::vector<double> x1;
    double e = 0.0;
    EXPECT_FALSE(shared.take_if_better(5.0, x1, e));  // not cheaper than 5 J
    ASSERT_TRUE(shared.take_if_better(5.5, x1, e));
    EXPECT_EQ(e, 5.0);
    EXPECT_EQ(x1, (std::vector<double>{0.0, 1.0, 0.0}));
    shared.raise_bound(4.0);
    shared.raise_bound(3.0);  // lower: ignored
    EXPECT_EQ(shared.bound_j(), 4.0);
    EXPECT_FALSE(shared.settled());  // 20% apart
    // GLPK's stop at the gap leaves the bound at exactly objective × (1 − gap).
    shared.raise_bound(5.0 * (1 - 0.01));
    EXPECT_TRUE(shared.settled());
}

TEST(SharedSearch, AFinishedTreeSettlesWithoutASchedule) {
    SharedSearch shared(1e-4);
    shared.finish();
    EXPECT_TRUE(shared.settled());
    EXPECT_TRUE(within_gap(100.0, 100.0 * (1 - 1e-4), 1e-4));
    EXPECT_FALSE(within_gap(100.0, 100.0 * (1 - 2e-4), 1e-4));
}

// The second search of a portfolio runs no RENS. Given the optimum by another search, in one
// second (where by itself it finds schedules, but not that one) it ends with it.
TEST(GlpkPortfolio, ASearchTakesTheScheduleAnotherShared) {
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32f746");
    const int64_t budget = 3609888;  // its smallest feasible budget: ~25 nodes to the optimum
    PoetFamily family;
    family.recompute_depth = 1;
    const PoetModel model(z.graph, z.costs, budget, 0.0, family);
    SolveOptions o;
    o.ram_budget_bytes = budget;
    auto start = MilpClock::now();
    const MilpRun optimum =
        search_glpk(model, {}, false, o, start, start + std::chrono::seconds(60), {}, {}, nullptr);
    ASSERT_TRUE(optimum.proven);

    SharedSearch shared(o.relative_gap);
    std::vector<double> x1(optimum.x.size() + 1, 0.0);
    std::copy(optimum.x.begin(), optimum.x.end(), x1.begin() + 1);
    shared.offer(x1, optimum.objective_j);
    const MilpStrategy prover = portfolio_strategy(kAutoBranching, 1);
    ASSERT_FALSE(prover.rens);
    start = MilpClock::now();
    const MilpRun run = search_glpk(model, {}, false, o, start, start + std::chrono::seconds(1), {},
                                    prover, &shared);
    ASSERT_TRUE(run.lp_solved);
    ASSERT_FALSE(run.x.empty());
    EXPECT_NEAR(run.objective_j, optimum.objective_j, 1e-9 * optimum.objective_j)
        << "the shared optimum was not taken";
    EXPECT_NEAR(model.energy(run.x), run.objective_j, 1e-9 * run.objective_j);
    EXPECT_LE(run.bound_j, run.objective_j * (1 + 1e-9));
}

// Two searches and one: both proven, so their energies agree within the gap; the two-search
// schedule replays within the budget at the energy claimed.
TEST(GlpkPortfolio, TwoSearchesProveTheOptimumOneSearchProves) {
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32f746");
    SolveOptions o;
    o.ram_budget_bytes = 3609888;  // its smallest feasible budget: a real search (~25 nodes)
    o.time_limit_s = 60;
    const SolveResult one = PoetMilpScheduler().solve(z.graph, z.costs, o);
    o.threads = 2;
    const SolveResult two = PoetMilpScheduler().solve(z.graph, z.costs, o);
    ASSERT_EQ(one.status, SolveStatus::optimal) << one.message;
    ASSERT_EQ(two.status, SolveStatus::optimal) << two.message;
    EXPECT_NEAR(two.energy_j, one.energy_j, o.relative_gap * one.energy_j);
    EXPECT_TRUE(two.replay.valid);
    EXPECT_LE(two.replay.peak_ram_bytes, o.ram_budget_bytes);
    EXPECT_LE(two.lower_bound_j, two.energy_j * (1 + 1e-9));
    EXPECT_LE(two.lower_bound_j, one.energy_j * (1 + 1e-9));  // a bound on every schedule
    EXPECT_GT(two.stats.branch_nodes, 0);
}

}  // namespace
}  // namespace tp
