// One GLPK branch and cut over a PoetModel (solver/poet_model.h), as the MILP scheduler runs it:
// the model scaled and loaded, its LP relaxation, then glp_intopt with a warm start, the
// RENS/RINS neighbourhood searches (solver/milp_neighbourhood.h) and a callback that reports
// progress, honours cancel and stops at the clock (GLPK checks its own limit only between nodes).
#pragma once

#include <glpk.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "solver/poet_model.h"
#include "solver/scheduler.h"

namespace tp {

using MilpClock = std::chrono::steady_clock;

// Branching (GLPK's br_tech). Driebeck–Tomlin ranks candidates from the node's own simplex
// tableau. GLPK's hybrid pseudo-cost rule first copies the whole problem and refactorises it for
// two trial LPs per new candidate, with no callback in between: on mobilenetv2-w0.35's two-hop
// family (STM32H743, 10.9 MiB; ~300 fractional binaries at the root) those copies took 30% of a
// solve and their factorisations 15%. With few candidates that start-up is cheap and its costs
// then guide the proof: ResNet-18 / STM32F746 at 58.1 MiB (36 fractional binaries at the root)
// is proven in 4.3 s by pseudo-costs and still 0.011% off at 30 s by Driebeck–Tomlin.
// kAutoBranching picks pseudo-costs when the root LP has at most kFewCandidates fractional
// binaries, Driebeck–Tomlin otherwise; searches that are there to find schedules (the
// recompute-only families, the neighbourhood sub-MILPs) use Driebeck–Tomlin outright.
constexpr int kAutoBranching = 0;
constexpr int kFindingBranching = GLP_BR_DTH;
constexpr int kFewCandidates = 100;

// What one run found and proved.
struct MilpRun {
    bool lp_solved = false, lp_infeasible = false;
    int lp_ret = 0, ret = 0, mip_status = GLP_UNDEF;
    std::vector<double> x;  // 0-based columns of the best schedule, empty for none
    // bound_j: proven over the whole model once its LP solved (the root LP's, raised by the
    // search), with or without a schedule; at most objective_j when there is one. A search
    // pruned by another schedule (MilpYield::other_j) that found nothing cheaper has no
    // schedule, and once its tree is done, bound_j is that schedule's energy less the gap.
    double objective_j = 0.0, bound_j = 0.0;
    bool proven = false, cancelled = false, timed_out = false;
    double first_schedule_s = -1.0;  // since `start`, -1 for none
    int64_t branch_nodes = 0;
    int sub_mips = 0, neighbourhood_improvements = 0, rounding_improvements = 0;
    // Nodes below the root whose LP GLPK cut (its rows grew while the node was processed).
    int nodes_cut_below_root = 0;
};

// Two searches over two families of one problem, run at the same time (solver/family_race.h):
// each publishes the energy of its best schedule and the bound it has proved, and reads the
// other's. Sides 0 and 1.
class FamilyRace {
  public:
    void publish(int side, double energy_j);  // kept if cheaper than the side's best so far
    void raise_bound(int side, double bound_j);
    double best_j(int side) const;   // +infinity while none
    double bound_j(int side) const;  // -infinity while none

  private:
    std::atomic<double> best_j_[2] = {std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::infinity()};
    std::atomic<double> bound_j_[2] = {-std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()};
};

// Stop early for another search that can use the time: whenever this search's bound shows it
// cannot beat the other's schedule of `other_j` joules by more than the relative gap, and at
// `at` unless it has a schedule cheaper than `keep_below_j` by then.
//
// A search that knows another family's schedule (`other_j`, or the other side's best in `race`,
// whichever is cheaper, as it comes) also prunes with it, as with a schedule of its own of that
// energy: GLPK drops every node whose bound reaches it and fixes binaries by reduced cost against
// it, and finds and keeps only cheaper schedules. GLPK has no cutoff setting, so a column fixed at
// 0 that no row reads stands in: a solution that sets only it, to the energy above the model's
// constant, costs exactly the other schedule's energy and goes to GLPK as an incumbent
// (glp_ios_heur_sol checks only integrality). mobilenetv2-w0.35's two-hop family on the Raspberry
// Pi 4 at 10.9 MiB was still 0.25% from its own proof after 25 s; told from the start that the
// one-hop family has a schedule of 292.759 mJ, it proved in 5.0 s that it holds none cheaper.
struct MilpYield {
    MilpClock::time_point at = MilpClock::time_point::max();
    double keep_below_j = 0.0;
    double other_j = -1.0;       // < 0: no other schedule
    FamilyRace* race = nullptr;  // this search publishes as `side` and reads the other side
    int side = 0;
};

// Whether a schedule of `objective_j` is proven within `relative_gap` by `bound_j`. GLPK stops at
// the gap with the bound exactly objective × (1 − gap), so a rounding error must not undo it.
inline bool within_gap(double objective_j, double bound_j, double relative_gap) {
    return objective_j - bound_j <= relative_gap * objective_j * (1 + 1e-9);
}

// How one search of a portfolio (solver/glpk_portfolio.h) differs from the others.
struct MilpStrategy {
    int branching = kAutoBranching;  // kAutoBranching, GLP_BR_DTH or GLP_BR_PCH
    // Branch by the rule `branching` does not pick (pseudo-costs for Driebeck–Tomlin and back).
    bool other_branching = false;
    bool knapsack_cuts = true;  // GLPK's cover and clique cuts
    // Neighbourhood searches (solver/milp_neighbourhood.h): RENS at the root, RINS from the
    // tree's `rins_after_nodes`-th node on.
    bool rens = true;
    int rins_after_nodes = 0;
    // GLPK's feasibility pump at the root while the search has no start, or only a fallback one.
    bool feasibility_pump = true;
};

// GLPK's cut generators run at the root only. GLPK cuts again at every node reached by
// backtracking, which best-bound search makes nearly every node, and every cut it weighs costs
// a pass over the whole matrix (glp_transform_row; Gomory cuts one per tableau row,
// glp_eval_tab_row): 45% of a solve of proxylessnas-w0.3 / STM32F746 at its smallest budget
// was spent walking the matrix (glp_get_mat_col). The cuts made at the root stay. GLPK has no
// setting for it, but it reads its glp_iocp afresh at every node (through the pointer it was
// given), so the search turns the generators off in the callback once the tree has grown past
// the root (bench/interleaved_cells.sh measures the effect against an older build).
constexpr bool kCutsAtRootOnly = true;

// What searches over the same model, run at the same time, share: the best schedule any of them
// has found and the best bound any of them has proved (each search's bound holds for the whole
// model, so the highest does too). Every search takes the others' better schedules as its own
// incumbent and stops once the shared gap is closed or one search has finished its tree.
class SharedSearch {
  public:
    explicit SharedSearch(double relative_gap) : relative_gap_(relative_gap) {}
    // A schedule of `energy_j` (1-based columns, as GLPK holds them), kept if the best so far.
    void offer(const std::vector<double>& x1, double energy_j);
    void raise_bound(double bound_j);
    // Copies the best schedule (1-based) into `x1` when it costs less than `than_j`.
    bool take_if_better(double than_j, std::vector<double>& x1, double& energy_j) const;
    double best_j() const;   // +infinity while none
    double bound_j() const;  // -infinity while none
    // A search proved its tree (optimum or infeasibility) or the shared gap is closed.
    void finish();
    bool settled() const;

  private:
    mutable std::mutex mutex_;
    std::vector<double> x1_;
    double best_j_ = std::numeric_limits<double>::infinity();
    double bound_j_ = -std::numeric_limits<double>::infinity();
    bool finished_ = false;
    double relative_gap_;
};

// One GLPK branch and cut over `model`: LP relaxation, then glp_intopt with the warm start
// (0-based columns, empty for none; `warm_is_fallback`: a start far from the optimum), the
// neighbourhood searches and the callback, until the gap, `stop_at`, `yield`, cancel or, with
// `shared`, the portfolio's shared gap.
MilpRun search_glpk(const PoetModel& model, const std::vector<double>& warm_x,
                    bool warm_is_fallback, const SolveOptions& options, MilpClock::time_point start,
                    MilpClock::time_point stop_at, const MilpYield& yield,
                    const MilpStrategy& strategy, SharedSearch* shared);

// The optimum of `model`'s LP relaxation in joules, a lower bound on every schedule of its
// family: +infinity when the LP is infeasible, -1 when it did not solve by `stop_at`.
double lp_relaxation_bound(const PoetModel& model, MilpClock::time_point stop_at);

double seconds_since(MilpClock::time_point start);

}  // namespace tp
