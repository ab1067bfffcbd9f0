// RENS/RINS inside GLPK's branch and cut (solver/milp_neighbourhood.h): on a two-row 0/1
// knapsack they find schedules GLPK's own search has not, the search still ends at the optimum
// an exhaustive enumeration gives, nothing handed to GLPK breaks a row, and a set cancel flag
// stops them. On the POET model of a zoo network they feed GLPK schedules that the Validator
// replays within the budget (an earlier version built the neighbourhood from the node's rows,
// which node preprocessing had loosened, and handed over schedules over the budget).
#include "solver/milp_neighbourhood.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>

#include "solver/poet_milp.h"
#include "solver_test_util.h"

namespace tp {
namespace {

struct Knapsack {
    std::vector<double> value, weight_a, weight_b;
    double capacity_a = 0, capacity_b = 0;
};

Knapsack random_knapsack(unsigned seed, int items) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> v(10, 99), w(5, 60);
    Knapsack k;
    for (int i = 0; i < items; ++i) {
        k.value.push_back(v(rng));
        k.weight_a.push_back(w(rng));
        k.weight_b.push_back(w(rng));
    }
    double sum_a = 0, sum_b = 0;
    for (int i = 0; i < items; ++i) {
        sum_a += k.weight_a[static_cast<size_t>(i)];
        sum_b += k.weight_b[static_cast<size_t>(i)];
    }
    k.capacity_a = std::floor(sum_a * 0.4);
    k.capacity_b = std::floor(sum_b * 0.45);
    return k;
}

double brute_force_best(const Knapsack& k) {  // least −value over all 2^n choices
    const int n = static_cast<int>(k.value.size());
    double best = 0.0;
    for (uint32_t mask = 0; mask < (1u << n); ++mask) {
        double v = 0, a = 0, b = 0;
        for (int i = 0; i < n; ++i)
            if (mask & (1u << i)) {
                v += k.value[static_cast<size_t>(i)];
                a += k.weight_a[static_cast<size_t>(i)];
                b += k.weight_b[static_cast<size_t>(i)];
            }
        if (a <= k.capacity_a && b <= k.capacity_b) best = std::min(best, -v);
    }
    return best;
}

glp_prob* load(const Knapsack& k) {
    glp_prob* p = glp_create_prob();
    glp_set_obj_dir(p, GLP_MIN);
    const int n = static_cast<int>(k.value.size());
    glp_add_cols(p, n);
    glp_add_rows(p, 2);
    std::vector<int> index{0};
    std::vector<double> a{0.0}, b{0.0};
    for (int j = 1; j <= n; ++j) {
        glp_set_col_kind(p, j, GLP_BV);
        glp_set_obj_coef(p, j, -k.value[static_cast<size_t>(j - 1)]);
        index.push_back(j);
        a.push_back(k.weight_a[static_cast<size_t>(j - 1)]);
        b.push_back(k.weight_b[static_cast<size_t>(j - 1)]);
    }
    glp_set_mat_row(p, 1, n, index.data(), a.data());
    glp_set_mat_row(p, 2, n, index.data(), b.data());
    glp_set_row_bnds(p, 1, GLP_UP, 0, k.capacity_a);
    glp_set_row_bnds(p, 2, GLP_UP, 0, k.capacity_b);
    return p;
}

struct SearchRun {
    NeighbourhoodSearch* search = nullptr;
    const Knapsack* knapsack = nullptr;
    int accepted = 0;
    bool rows_broken = false;
};

void on_event(glp_tree* tree, void* info) {
    auto* run = static_cast<SearchRun*>(info);
    if (glp_ios_reason(tree) == GLP_IHEUR && run->search->run(tree)) {
        ++run->accepted;
        // What GLPK now holds as its incumbent came from the neighbourhood: check the rows.
        glp_prob* p = glp_ios_get_prob(tree);
        double a = 0, b = 0;
        for (int j = 1;
             j <= glp_get_num_cols(p) && static_cast<size_t>(j) <= run->knapsack->value.size();
             ++j) {
            a += run->knapsack->weight_a[static_cast<size_t>(j - 1)] * glp_mip_col_val(p, j);
            b += run->knapsack->weight_b[static_cast<size_t>(j - 1)] * glp_mip_col_val(p, j);
        }
        if (a > run->knapsack->capacity_a + 1e-9 || b > run->knapsack->capacity_b + 1e-9)
            run->rows_broken = true;
    }
}

// GLPK with its own heuristics and cuts off, so what finds schedules early is the neighbourhood.
double solve_with_neighbourhood(
    const Knapsack& k, std::unique_ptr<NeighbourhoodSearch>& used, SearchRun& run,
    const std::atomic<bool>* cancel,
    const std::function<void(NeighbourhoodSearch&)>& configure = [](NeighbourhoodSearch&) {}) {
    glp_term_out(GLP_OFF);
    glp_prob* p = load(k);
    glp_smcp lp;
    glp_init_smcp(&lp);
    lp.msg_lev = GLP_MSG_OFF;
    glp_simplex(p, &lp);
    used = std::make_unique<NeighbourhoodSearch>(p);
    NeighbourhoodSearch* search = used.get();
    search->stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    search->cancel = cancel;
    search->rins_every_nodes = 2;
    configure(*search);
    run.search = search;
    run.knapsack = &k;
    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.cb_func = on_event;
    parm.cb_info = &run;
    glp_intopt(p, &parm);
    const double objective = glp_mip_obj_val(p);
    EXPECT_EQ(glp_mip_status(p), GLP_OPT);
    glp_delete_prob(p);
    return objective;
}

TEST(MilpNeighbourhood, FindsSchedulesAndTheSearchEndsAtTheBruteForceOptimum) {
    int accepted = 0;
    for (unsigned seed = 1; seed <= 6; ++seed) {
        const Knapsack k = random_knapsack(seed, 18);
        std::unique_ptr<NeighbourhoodSearch> search;
        SearchRun run;
        const double objective = solve_with_neighbourhood(k, search, run, nullptr);
        EXPECT_DOUBLE_EQ(objective, brute_force_best(k)) << "seed " << seed;
        EXPECT_GE(search->sub_mips, 1) << "seed " << seed;
        EXPECT_EQ(search->improvements, run.accepted) << "seed " << seed;
        EXPECT_FALSE(run.rows_broken) << "seed " << seed;
        accepted += run.accepted;
    }
    EXPECT_GE(accepted, 1);  // RENS at the root gives the first schedule on these
}

TEST(MilpNeighbourhood, ACancelledSolveSearchesNoNeighbourhood) {
    const Knapsack k = random_knapsack(3, 18);
    std::atomic<bool> cancel{true};
    std::unique_ptr<NeighbourhoodSearch> search;
    SearchRun run;
    solve_with_neighbourhood(k, search, run, &cancel);
    EXPECT_EQ(search->sub_mips, 0);
}

// Without RENS, RINS alone: from the root on, or not before the tree's n-th node (the
// portfolio's proving searches, solver/glpk_portfolio.cpp). Either way the optimum is reached.
TEST(MilpNeighbourhood, RinsWaitsForItsFirstNode) {
    int early = 0, late = 0;
    for (unsigned seed = 1; seed <= 6; ++seed) {
        const Knapsack k = random_knapsack(seed, 18);
        for (int after : {0, 1000000}) {
            std::unique_ptr<NeighbourhoodSearch> search;
            SearchRun run;
            const double objective =
                solve_with_neighbourhood(k, search, run, nullptr, [after](NeighbourhoodSearch& n) {
                    n.rens_rounds = n.rens_rounds_unsolved = 0;
                    n.rins_after_nodes = after;
                });
            EXPECT_DOUBLE_EQ(objective, brute_force_best(k)) << "seed " << seed;
            (after == 0 ? early : late) += search->sub_mips;
        }
    }
    EXPECT_GE(early, 1);
    EXPECT_EQ(late, 0);  // no tree here reaches a million nodes
}

TEST(MilpNeighbourhood, PoetSchedulesItFindsReplayWithinTheBudget) {
    const testing::ZooOnBoard z = testing::zoo_on_board("mcunet", "stm32f746");
    // The smallest budget that fits and one a third of the way to the store-all peak: both
    // solves reached schedules only through the neighbourhood before its rows were the
    // original ones. Which of the start, the rounding or a neighbourhood gives the final
    // schedule now varies with the machine's load; each of them is checked against the
    // original rows, so it replays within the budget.
    for (int64_t budget : {int64_t{3609888}, int64_t{5492608}}) {
        SolveOptions o;
        o.ram_budget_bytes = budget;
        o.time_limit_s = 10;
        const SolveResult r = PoetMilpScheduler().solve(z.graph, z.costs, o);
        ASSERT_TRUE(r.status == SolveStatus::optimal || r.status == SolveStatus::feasible)
            << budget << ": " << r.message;
        EXPECT_TRUE(r.replay.valid) << budget;
        EXPECT_LE(r.replay.peak_ram_bytes, budget);
        EXPECT_GE(r.stats.sub_mips, 1) << budget;
        EXPECT_LE(r.lower_bound_j, r.energy_j * (1 + 1e-9));
        if (r.status == SolveStatus::optimal) {
            EXPECT_LE(r.gap, o.relative_gap * (1 + 1e-9)) << budget;
        }
    }
}

}  // namespace
}  // namespace tp
