// One GLPK branch and cut over a PoetModel (solver/poet_model.h), as the MILP scheduler runs it:
// the model scaled and loaded, its LP relaxation, then glp_intopt with a warm start, the
// RENS/RINS neighbourhood searches (solver/milp_neighbourhood.h) and a callback that reports
// progress, honours cancel and stops at the clock (GLPK checks its own limit only between nodes).
#pragma once

#include <glpk.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "solver/poet_model.h"
#include "solver/scheduler.h"

namespace tp {

using MilpClock = std::chrono::steady_clock;

// What one run found and proved.
struct MilpRun {
    bool lp_solved = false, lp_infeasible = false;
    int lp_ret = 0, ret = 0, mip_status = GLP_UNDEF;
    std::vector<double> x;  // 0-based columns of the best schedule, empty for none
    // bound_j: proven over the whole model once its LP solved (the root LP's, raised by the
    // search), with or without a schedule; at most objective_j when there is one.
    double objective_j = 0.0, bound_j = 0.0;
    bool proven = false, cancelled = false, timed_out = false;
    double first_schedule_s = -1.0;  // since `start`, -1 for none
    int64_t branch_nodes = 0;
    int sub_mips = 0, neighbourhood_improvements = 0, rounding_improvements = 0;
};

// Stop early for another search that holds a schedule of `other_j` joules and can use the time:
// at `at` unless this search has a cheaper one by then, and whenever its bound shows it cannot
// beat `other_j` by more than the relative gap.
struct MilpYield {
    MilpClock::time_point at = MilpClock::time_point::max();
    double other_j = -1.0;  // < 0: no other search
};

// One GLPK branch and cut over `model`: LP relaxation, then glp_intopt with the warm start
// (0-based columns, empty for none; `warm_is_fallback`: a start far from the optimum), the
// neighbourhood searches and the callback, until the gap, `stop_at`, `yield` or cancel.
MilpRun run_glpk(const PoetModel& model, const std::vector<double>& warm_x, bool warm_is_fallback,
                 const SolveOptions& options, MilpClock::time_point start,
                 MilpClock::time_point stop_at, const MilpYield& yield = {});

double seconds_since(MilpClock::time_point start);

}  // namespace tp
