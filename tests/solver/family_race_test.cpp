// Two families pruning with each other's schedules (solver/glpk_branch_and_cut.h MilpYield,
// solver/family_race.h), against the exhaustive search of each family on small random DAGs:
// a search told of a dearer schedule still finds its own optimum; told of a cheaper one, it
// returns no schedule and a bound that is at least that schedule's energy (less the gap) and
// never above its own family's true optimum; raced against each other, the two families find
// the cheaper optimum of the two and prove both.
#include "solver/family_race.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "brute_force.h"
#include "random_graphs.h"
#include "solver/poet_milp.h"
#include "solver/poet_model.h"

namespace tp {
namespace {

constexpr double kGap = 1e-9;

SolveOptions exact(int64_t budget, bool paging, bool recompute) {
    SolveOptions o;
    o.ram_budget_bytes = budget;
    o.time_limit_s = 60;
    o.recompute_depth = 0;
    o.relative_gap = kGap;
    o.allow_paging = paging;
    o.allow_recompute = recompute;
    return o;
}

// Small random cases with a budget between the smallest step and the store-all peak.
struct Case {
    testing::RandomCase c;
    int64_t budget = 0;
    std::string what;
};

std::vector<Case> cases(uint64_t first_seed, uint64_t last_seed) {
    std::vector<Case> out;
    for (uint64_t seed = first_seed; seed <= last_seed; ++seed) {
        testing::RandomDagOptions shape;
        shape.forward_ops = 2 + static_cast<int>(seed % 3);
        testing::RandomCase c = testing::random_dag_case(seed, shape);
        if (c.graph.nodes.size() > 11) continue;
        int64_t peak = 0;  // every tensor at once: above the store-all peak
        for (const auto& n : c.graph.nodes) peak += n.bytes + n.workspace_bytes;
        for (int64_t budget : {peak / 4, peak / 3, peak / 2, 2 * peak / 3}) {
            Case k{c, budget, c.description + " budget " + std::to_string(budget)};
            out.push_back(std::move(k));
        }
    }
    return out;
}

TEST(FamilyRace, KeepsTheCheapestScheduleAndTheHighestBoundOfEachSide) {
    FamilyRace race;
    EXPECT_TRUE(std::isinf(race.best_j(0)));
    EXPECT_TRUE(std::isinf(race.bound_j(1)) && race.bound_j(1) < 0);
    race.publish(0, 2.0);
    race.publish(0, 3.0);
    race.publish(1, 5.0);
    race.raise_bound(1, 1.0);
    race.raise_bound(1, 0.5);
    EXPECT_EQ(race.best_j(0), 2.0);
    EXPECT_EQ(race.best_j(1), 5.0);
    EXPECT_EQ(race.bound_j(1), 1.0);
}

// Told of another family's schedule by a fixed energy and through a race: the same answers.
TEST(FamilyRace, ASearchPrunedByAnotherScheduleFindsOnlyCheaperOnesAndBoundsItsFamily) {
    int found_own = 0, cut_off = 0;
    for (const Case& k : cases(1, 80)) {
        const SolveOptions o = exact(k.budget, true, true);
        const testing::BruteForceResult b = testing::brute_force_optimum(k.c.graph, k.c.costs, o);
        if (!b.feasible) continue;
        const PoetModel model(k.c.graph, k.c.costs, k.budget, 0.0, {true, true, 0});
        const double constant = model.constant_cost();
        if (b.energy_j <= constant * (1 + 1e-6)) continue;  // store-all fits: nothing to prune
        const double dearer = b.energy_j * 1.01;
        const double cheaper = 0.5 * (constant + b.energy_j);
        for (bool live : {false, true}) {
            for (double other : {dearer, cheaper}) {
                FamilyRace race;
                MilpYield yield;
                if (live) {
                    race.publish(1, other);
                    yield.race = &race;
                } else {
                    yield.other_j = other;
                }
                const auto start = MilpClock::now();
                const MilpRun run =
                    search_glpk(model, {}, false, o, start, start + std::chrono::seconds(30), yield,
                                {}, nullptr);
                const std::string what = k.what + (live ? " live" : " fixed") +
                                         (other == dearer ? " dearer" : " cheaper");
                ASSERT_TRUE(run.lp_solved) << what;
                EXPECT_LE(run.bound_j, b.energy_j * (1 + 1e-9)) << what;
                if (other == dearer) {
                    ASSERT_FALSE(run.x.empty()) << what;
                    EXPECT_NEAR(run.objective_j, b.energy_j, 1e-7 * b.energy_j) << what;
                    EXPECT_NEAR(model.energy(run.x), b.energy_j, 1e-7 * b.energy_j) << what;
                    EXPECT_TRUE(run.proven) << what;
                    if (live) {
                        EXPECT_NEAR(race.best_j(0), b.energy_j, 1e-7 * b.energy_j) << what;
                    }
                    ++found_own;
                } else {
                    EXPECT_TRUE(run.x.empty()) << what << ": a schedule of " << run.objective_j;
                    EXPECT_NE(run.mip_status, GLP_NOFEAS) << what;
                    EXPECT_GE(run.bound_j, other * (1 - kGap) * (1 - 1e-9)) << what;
                    if (live) {
                        EXPECT_TRUE(std::isinf(race.best_j(0))) << what;
                        EXPECT_GE(race.bound_j(0), other * (1 - kGap) * (1 - 1e-9)) << what;
                    }
                    ++cut_off;
                }
            }
        }
    }
    EXPECT_GT(found_own, 30);
    EXPECT_GT(cut_off, 30);
}

// Paging only against recompute only: neither family contains the other, so either may win.
TEST(FamilyRace, TwoFamiliesRacedFindTheCheaperOptimumAndProveBoth) {
    int paging_won = 0, recompute_won = 0;
    for (const Case& k : cases(81, 400)) {
        const SolveOptions pages = exact(k.budget, true, false);
        const SolveOptions recomputes = exact(k.budget, false, true);
        const testing::BruteForceResult bp =
            testing::brute_force_optimum(k.c.graph, k.c.costs, pages);
        const testing::BruteForceResult br =
            testing::brute_force_optimum(k.c.graph, k.c.costs, recomputes);
        if (!bp.feasible || !br.feasible) continue;
        const PoetModel paging(k.c.graph, k.c.costs, k.budget, 0.0, {false, true, 0});
        const PoetModel recompute(k.c.graph, k.c.costs, k.budget, 0.0, {true, false, 0});
        SolveOptions o = pages;
        o.threads = 2;
        const auto start = MilpClock::now();
        const RaceOutcome r =
            race_families(paging, {}, false, recompute, o, start, start + std::chrono::seconds(30));
        const double best = std::min(bp.energy_j, br.energy_j);
        const double none = std::numeric_limits<double>::infinity();
        const FamilyClaim claim = claim_over_families(
            {{r.main.x.empty() ? none : r.main.objective_j, r.main.bound_j},
             {r.deeper.x.empty() ? none : r.deeper.objective_j, r.deeper.bound_j}},
            kGap);
        ASSERT_GE(claim.winner, 0) << k.what;
        EXPECT_NEAR(claim.energy_j, best, 1e-7 * best) << k.what;
        EXPECT_TRUE(claim.proven) << k.what;
        EXPECT_LE(r.main.bound_j, bp.energy_j * (1 + 1e-9)) << k.what;
        EXPECT_LE(r.deeper.bound_j, br.energy_j * (1 + 1e-9)) << k.what;
        const PoetModel& winner = claim.winner == 0 ? paging : recompute;
        const MilpRun& won = claim.winner == 0 ? r.main : r.deeper;
        EXPECT_NEAR(winner.energy(won.x), best, 1e-7 * best) << k.what;
        if (bp.energy_j < br.energy_j * (1 - 1e-6)) ++paging_won;
        if (br.energy_j < bp.energy_j * (1 - 1e-6)) ++recompute_won;
    }
    EXPECT_GE(paging_won, 5);
    EXPECT_GE(recompute_won, 10);
}

}  // namespace
}  // namespace tp
