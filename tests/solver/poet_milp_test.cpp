// The POET MILP against independent references: the exhaustive search of the same family on
// small random DAGs (equal optimum, equal feasibility), the Validator (every schedule replays
// valid, within budget and deadline, at the energy the MILP claims), the store-all floor, and
// monotonicity in the budget; on zoo models, the depth-limited family stays valid and above the
// floor, and the recompute-only / paging-only restrictions never beat the full family.
#include "solver/poet_milp.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "brute_force.h"
#include "engine/memory_report.h"
#include "engine/zoo/zoo.h"
#include "random_graphs.h"
#include "solver/glpk_branch_and_cut.h"
#include "solver/poet_model.h"
#include "solver_test_util.h"

namespace tp {
namespace {

SolveOptions exact(int64_t budget, double deadline = 0.0) {
    SolveOptions o;
    o.ram_budget_bytes = budget;
    o.deadline_s = deadline;
    o.time_limit_s = 60;
    o.recompute_depth = 0;
    o.relative_gap = 1e-9;
    return o;
}

void expect_sound(const SolveResult& r, const SolveOptions& o, double floor,
                  const std::string& what) {
    ASSERT_TRUE(r.has_schedule()) << what;
    EXPECT_TRUE(r.replay.valid) << what << ": "
                                << (r.replay.violations.empty() ? "" : r.replay.violations[0]);
    if (o.ram_budget_bytes > 0) {
        EXPECT_LE(r.replay.peak_ram_bytes, o.ram_budget_bytes) << what;
    }
    if (o.deadline_s > 0) {
        EXPECT_LE(r.replay.time_s, o.deadline_s * (1 + 1e-9)) << what;
    }
    EXPECT_GE(r.energy_j, floor * (1 - 1e-9)) << what;
    EXPECT_LE(r.lower_bound_j, r.energy_j * (1 + 1e-9)) << what;
    // "optimal" is a claim about the reported bound, not only about GLPK's return code.
    if (r.status == SolveStatus::optimal) {
        EXPECT_LE(r.gap, o.relative_gap * (1 + 1e-9)) << what;
    }
}

// Every other seed runs the portfolio of two searches (solver/glpk_portfolio.h): its merged
// status, schedule and infeasibility must be the exhaustive search's too.
// Also the LP relaxation bound, which decides whether the two-hop search may keep the whole
// limit and the main search be skipped: never above the exhaustive optimum, never below the
// floor, and "infeasible" (+infinity) only where no schedule exists.
TEST(PoetMilp, EqualsBruteForceOnRandomDags) {
    int compared = 0, infeasible = 0, lp_infeasible = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        testing::RandomDagOptions shape;
        shape.forward_ops = 2 + static_cast<int>(seed % 3);
        testing::RandomCase c = testing::random_dag_case(seed, shape);
        if (c.graph.nodes.size() > 11) continue;
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t low = smallest_step_bytes(c.graph);
        const int64_t high = floor.replay.peak_ram_bytes;
        for (int64_t budget : {low - 1, low, (low + high) / 2, high - 1, high}) {
            if (budget <= 0) continue;
            SolveOptions o = exact(budget);
            o.threads = 1 + static_cast<int>(seed % 2);  // odd seeds: the two-search portfolio
            const SolveResult m = PoetMilpScheduler().solve(c.graph, c.costs, o);
            const testing::BruteForceResult b = testing::brute_force_optimum(c.graph, c.costs, o);
            const std::string what = c.description + " budget " + std::to_string(budget) +
                                     " threads " + std::to_string(o.threads);
            const double lp_bound =
                lp_relaxation_bound(PoetModel(c.graph, c.costs, budget, 0.0, {true, true, 0}),
                                    MilpClock::now() + std::chrono::seconds(30));
            ASSERT_NE(lp_bound, -1.0) << what << ": the LP did not solve";
            if (std::isinf(lp_bound)) {
                EXPECT_FALSE(b.feasible) << what;
                ++lp_infeasible;
            } else {
                EXPECT_GE(lp_bound, floor.energy_j * (1 - 1e-9)) << what;
            }
            if (!b.feasible) {
                EXPECT_EQ(m.status, SolveStatus::infeasible) << what << ": " << m.message;
                ++infeasible;
                continue;
            }
            EXPECT_LE(lp_bound, b.energy_j * (1 + 1e-9)) << what;
            ASSERT_EQ(m.status, SolveStatus::optimal) << what << ": " << m.message;
            expect_sound(m, o, floor.energy_j, what);
            EXPECT_NEAR(m.energy_j, b.energy_j, 1e-7 * b.energy_j) << what;
            ++compared;
        }
    }
    EXPECT_GT(compared, 60);
    EXPECT_GT(infeasible, 10);
    EXPECT_GT(lp_infeasible, 0);
}

TEST(PoetMilp, EqualsBruteForceWithADeadline) {
    int compared = 0;
    for (uint64_t seed = 100; seed <= 130; ++seed) {
        testing::RandomCase c = testing::random_dag_case(seed);
        if (c.graph.nodes.size() > 10) continue;
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t low = smallest_step_bytes(c.graph);
        const SolveOptions o =
            exact((low + floor.replay.peak_ram_bytes) / 2, floor.replay.time_s * 1.0137);
        const SolveResult m = PoetMilpScheduler().solve(c.graph, c.costs, o);
        const testing::BruteForceResult b = testing::brute_force_optimum(c.graph, c.costs, o);
        if (!b.feasible) {
            EXPECT_EQ(m.status, SolveStatus::infeasible) << c.description;
            continue;
        }
        ASSERT_EQ(m.status, SolveStatus::optimal) << c.description << ": " << m.message;
        expect_sound(m, o, floor.energy_j, c.description);
        EXPECT_NEAR(m.energy_j, b.energy_j, 1e-7 * b.energy_j) << c.description;
        ++compared;
    }
    EXPECT_GE(compared, 3);
}

TEST(PoetMilp, ChainsMatchBruteForceAndGetCheaperWithBudget) {
    for (uint64_t seed = 7; seed <= 16; ++seed) {
        testing::RandomCase c = testing::random_chain_case(seed, 4, seed % 2 == 0);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t low = smallest_step_bytes(c.graph);
        double previous = 1e300;
        for (int step = 0; step <= 4; ++step) {
            const int64_t budget = low + (floor.replay.peak_ram_bytes - low) * step / 4;
            const SolveOptions o = exact(budget);
            const SolveResult m = PoetMilpScheduler().solve(c.graph, c.costs, o);
            const testing::BruteForceResult b = testing::brute_force_optimum(c.graph, c.costs, o);
            ASSERT_EQ(b.feasible, m.status == SolveStatus::optimal) << c.description;
            if (!b.feasible) continue;
            expect_sound(m, o, floor.energy_j, c.description);
            EXPECT_NEAR(m.energy_j, b.energy_j, 1e-7 * b.energy_j) << c.description;
            EXPECT_LE(m.energy_j, previous * (1 + 1e-9)) << c.description << " budget " << budget;
            previous = m.energy_j;
        }
        EXPECT_NEAR(previous, floor.energy_j, 1e-9 * floor.energy_j);
    }
}

TEST(PoetMilp, InfeasibleBelowTheSmallestStepNamesIt) {
    testing::RandomCase c = testing::random_dag_case(3);
    const int64_t low = smallest_step_bytes(c.graph);
    const SolveResult m = PoetMilpScheduler().solve(c.graph, c.costs, exact(low - 1));
    EXPECT_EQ(m.status, SolveStatus::infeasible);
    EXPECT_NE(m.message.find("smallest feasible budget"), std::string::npos) << m.message;
}

TEST(PoetMilp, ZooModelStaysValidAboveTheFloorAndMonotone) {
    auto net = build_zoo_model("mcunet");
    ASSERT_TRUE(net);
    auto g = derive_training_graph(*net, *make_preset(*net, "full"));
    ASSERT_TRUE(g);
    const CostModel costs = testing::per_mac_costs(*g);
    const SolveResult floor = StoreAllScheduler().solve(*g, costs, {});
    const int64_t high = floor.replay.peak_ram_bytes;
    std::vector<double> energy;
    for (double f : {0.7, 0.85}) {
        SolveOptions o;
        o.ram_budget_bytes = static_cast<int64_t>(f * static_cast<double>(high));
        o.time_limit_s = 15;
        const SolveResult m = PoetMilpScheduler().solve(*g, costs, o);
        const std::string what = "mcunet full at " + std::to_string(f);
        ASSERT_TRUE(m.status == SolveStatus::optimal || m.status == SolveStatus::feasible)
            << what << ": " << m.message;
        EXPECT_EQ(m.stats.recompute_depth, 1);  // a large graph gets the depth-limited family
        expect_sound(m, o, floor.energy_j, what);
        energy.push_back(m.energy_j);
        if (f == 0.7) {
            // A narrower family never does better.
            for (PoetFamily narrow : {PoetFamily{true, false, 1}, PoetFamily{false, true, 1}}) {
                const SolveResult n = PoetMilpScheduler(narrow, "narrow").solve(*g, costs, o);
                if (n.status == SolveStatus::optimal) {
                    // Both are optimal within the default 0.01% gap.
                    EXPECT_GE(n.energy_j, m.energy_j * (1 - 2 * o.relative_gap)) << what;
                }
                if (n.has_schedule() && n.status != SolveStatus::infeasible) {
                    expect_sound(n, o, floor.energy_j, what + " narrow");
                }
            }
        }
    }
    EXPECT_GT(energy[0], floor.energy_j);
}

TEST(PoetMilp, NeverWorseThanTheRecomputeOnlyScheduleItStartsFrom) {
    // On the STM32H743 paging goes to internal flash at 0.093 MB/s, so the greedy paging start is
    // dear; at 6.5 MB recompute alone fits. Before the MILP was warm-started from the
    // recompute-only family, its 10 s schedules here cost several times the floor.
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32h743");
    SolveOptions o;
    o.ram_budget_bytes = 6'500'000;
    o.time_limit_s = 10;
    const SolveResult narrow =
        PoetMilpScheduler(PoetFamily{true, false, 1}, "recompute-only").solve(z.graph, z.costs, o);
    ASSERT_TRUE(narrow.status == SolveStatus::optimal || narrow.status == SolveStatus::feasible)
        << narrow.message;
    const SolveResult full = PoetMilpScheduler().solve(z.graph, z.costs, o);
    ASSERT_TRUE(full.status == SolveStatus::optimal || full.status == SolveStatus::feasible)
        << full.message;
    EXPECT_TRUE(full.stats.warm_started);
    EXPECT_TRUE(full.replay.valid);
    EXPECT_LE(full.energy_j, narrow.energy_j * (1 + 1e-9));
}

// A solve that searched the main family and the deeper recompute-only one claims the cheaper
// schedule, and only what holds for both: the lower bound of the two.
TEST(PoetMilp, TheClaimCoversEverySearchedFamily) {
    const double none = std::numeric_limits<double>::infinity(), gap = 1e-4;
    // The main family's schedule wins, proven within its family; the deeper family's bound is
    // 0.6% below it (mobilenetv2-w0.35 / rpi4 at 10.9 MiB): not proven.
    FamilyClaim c = claim_over_families({{0.292759, 0.292755}, {0.294479, 0.291062}}, gap);
    EXPECT_EQ(c.winner, 0);
    EXPECT_EQ(c.energy_j, 0.292759);
    EXPECT_EQ(c.bound_j, 0.291062);
    EXPECT_FALSE(c.proven);
    // The deeper family proven above the main family's schedule: proven.
    c = claim_over_families({{0.250837, 0.250815}, {0.252092, 0.252074}}, gap);
    EXPECT_EQ(c.winner, 0);
    EXPECT_EQ(c.bound_j, 0.250815);
    EXPECT_TRUE(c.proven);
    // The deeper family's schedule wins; the main family's LP bound is above it: the bound is
    // at most the schedule's energy.
    c = claim_over_families({{0.701799, 0.680711}, {0.654144, 0.654089}}, gap);
    EXPECT_EQ(c.winner, 1);
    EXPECT_EQ(c.bound_j, 0.654089);
    EXPECT_TRUE(c.proven);
    c = claim_over_families({{none, 0.9}, {0.8, 0.79}}, gap);
    EXPECT_EQ(c.winner, 1);
    EXPECT_EQ(c.bound_j, 0.79);
    EXPECT_FALSE(c.proven);
    // The deeper family has no schedule yet but was not proven empty: nothing is proven.
    c = claim_over_families({{1.0, 1.0}, {none, 0.5}}, gap);
    EXPECT_EQ(c.winner, 0);
    EXPECT_EQ(c.bound_j, 0.5);
    EXPECT_FALSE(c.proven);
    // Proven empty: it changes nothing.
    c = claim_over_families({{1.0, 1.0}, {none, none}}, gap);
    EXPECT_TRUE(c.proven);
    // No schedule in either: infeasible only when every bound is +infinity.
    c = claim_over_families({{none, none}, {none, none}}, gap);
    EXPECT_EQ(c.winner, -1);
    EXPECT_EQ(c.bound_j, none);
    c = claim_over_families({{none, none}, {none, 0.7}}, gap);
    EXPECT_EQ(c.winner, -1);
    EXPECT_EQ(c.bound_j, 0.7);
}

// The words after the status name the families its claim covers: both whenever the two-hop
// family was searched, whichever gave the schedule (the bound is then the lower of theirs).
TEST(PoetMilp, TheClaimScopeNamesEverySearchedFamily) {
    SolveStats s;
    EXPECT_EQ(claim_scope(s), "");
    s.recompute_depth = 1;
    EXPECT_EQ(claim_scope(s), " — among schedules that recompute within 1 hop of a value's use");
    s.searched_recompute_only_depth = 2;
    EXPECT_EQ(claim_scope(s),
              " — among schedules that recompute within 1 hop of a value's use and page (this "
              "one), or within 2 hops without paging");
    s.recompute_only_depth = 2;
    EXPECT_EQ(claim_scope(s),
              " — among schedules that recompute within 1 hop of a value's use and page, or "
              "within 2 hops without paging (this one)");
    s = {};
    s.recompute_depth = 3;
    EXPECT_EQ(claim_scope(s), " — among schedules that recompute within 3 hops of a value's use");
}

TEST(PoetMilp, RecomputesOnlyOneHopDeeperWhenOneHopCannotReachTheBudget) {
    // mcunet on the STM32H743 at 5.24 MiB: recompute within 1 hop cannot fit without paging,
    // and paging into the 1 MiB flash bank is dear. Within 1 hop the best schedule found cost
    // 9.8× the floor; recompute-only within 2 hops fits at about 1.16×.
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32h743");
    SolveOptions o;
    o.ram_budget_bytes = 5'492'608;
    o.time_limit_s = 5;
    const double floor = StoreAllScheduler().solve(z.graph, z.costs, {}).energy_j;
    // One thread: the deeper family searches first; two: both families race (family_race.h).
    double two_hop_j = 0.0;
    for (int threads : {1, 2}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        o.threads = threads;
        std::vector<SolveProgress> reports;
        o.progress = [&](const SolveProgress& p) { reports.push_back(p); };
        const SolveResult deeper = PoetMilpScheduler().solve(z.graph, z.costs, o);
        o.progress = nullptr;
        ASSERT_TRUE(deeper.status == SolveStatus::optimal || deeper.status == SolveStatus::feasible)
            << deeper.message;
        EXPECT_EQ(deeper.stats.recompute_depth, 1);
        EXPECT_EQ(deeper.stats.recompute_only_depth, 2);
        EXPECT_EQ(deeper.stats.searched_recompute_only_depth, 2);
        EXPECT_TRUE(deeper.replay.valid);
        EXPECT_LE(deeper.replay.peak_ram_bytes, o.ram_budget_bytes);
        for (const auto& step : deeper.schedule.steps) EXPECT_NE(step.op, StepOp::page_out);
        EXPECT_LT(deeper.energy_j, 1.5 * floor);
        EXPECT_LE(deeper.lower_bound_j, deeper.energy_j);
        EXPECT_GE(deeper.lower_bound_j, floor * (1 - 1e-9));
        // The one-hop recompute-only pre-solve reports as "warm start" with the floor for a bound
        // (its bound covers only its own family); the two-hop search reports as the solve itself,
        // its bound capped by the main family's LP bound. Every report's schedule is at least the
        // floor, and no bound is above the schedule returned.
        int searching_reports = 0;
        for (const SolveProgress& p : reports) {
            if (p.phase == "warm start") {
                EXPECT_NEAR(p.bound_j, floor, 1e-9 * floor);
            }
            if (p.phase == "branch and bound") ++searching_reports;
            if (p.best_energy_j > 0) {
                EXPECT_GE(p.best_energy_j, floor * (1 - 1e-9));
            }
            EXPECT_GE(p.bound_j, floor * (1 - 1e-9)) << p.phase;
            EXPECT_LE(p.bound_j, deeper.energy_j * (1 + 1e-9)) << p.phase;
        }
        EXPECT_GT(searching_reports, 0);
        two_hop_j = deeper.energy_j;
    }
    o.threads = 1;
    // A depth the caller chose is the whole family: no deeper search, a dearer schedule.
    o.recompute_depth = 1;
    const SolveResult one_hop = PoetMilpScheduler().solve(z.graph, z.costs, o);
    EXPECT_EQ(one_hop.stats.recompute_only_depth, 0);
    EXPECT_EQ(one_hop.stats.searched_recompute_only_depth, 0);
    if (one_hop.has_schedule()) {
        EXPECT_TRUE(one_hop.replay.valid);
        EXPECT_GT(one_hop.energy_j, two_hop_j);
    }
}

TEST(PoetMilp, ATimeLimitBeforeTheRootLpReturnsTheStartOrSaysSo) {
    auto net = build_zoo_model("mcunet");
    auto g = derive_training_graph(*net, *make_preset(*net, "full"));
    const CostModel costs = testing::per_mac_costs(*g);
    SolveOptions o;
    o.ram_budget_bytes = store_all_memory(*g).peak_bytes * 6 / 10;
    o.time_limit_s = 1e-3;  // the root LP of ~3,600 columns alone takes far longer
    // With paging the greedy start fits: it comes back, with a true bound and gap.
    const SolveResult started = PoetMilpScheduler().solve(*g, costs, o);
    ASSERT_EQ(started.status, SolveStatus::feasible) << started.message;
    EXPECT_TRUE(started.stats.warm_started);
    EXPECT_TRUE(started.replay.valid);
    EXPECT_LE(started.replay.peak_ram_bytes, o.ram_budget_bytes);
    EXPECT_LE(started.lower_bound_j, started.energy_j);
    // No schedule costs less than store-all: the bound is at least that floor.
    const double floor = StoreAllScheduler().solve(*g, costs, {}).energy_j;
    EXPECT_GE(started.lower_bound_j, floor * (1 - 1e-9));
    EXPECT_GT(started.gap, 0.0);
    // Recompute only: no start, no LP, so neither a schedule nor a proof.
    o.allow_paging = false;
    const SolveResult none = PoetMilpScheduler().solve(*g, costs, o);
    EXPECT_EQ(none.status, SolveStatus::time_limit) << none.message;
    EXPECT_FALSE(none.has_schedule());
    EXPECT_NE(none.message.find("time limit of 0.001 s"), std::string::npos) << none.message;
    EXPECT_STREQ(solve_status_name(none.status), "time_limit");
}

TEST(PoetMilp, CancelStopsTheSearch) {
    auto net = build_zoo_model("mcunet");
    auto g = derive_training_graph(*net, *make_preset(*net, "full"));
    const CostModel costs = testing::per_mac_costs(*g);
    std::atomic<bool> cancel{true};
    SolveOptions o;
    o.ram_budget_bytes = store_all_memory(*g).peak_bytes * 6 / 10;
    o.cancel = &cancel;
    o.recompute_depth = 3;
    const SolveResult m = PoetMilpScheduler().solve(*g, costs, o);
    EXPECT_EQ(m.status, SolveStatus::cancelled) << m.message;
    if (m.has_schedule()) {
        EXPECT_TRUE(m.replay.valid);
    }
}

}  // namespace
}  // namespace tp
