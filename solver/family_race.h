// The main family and the recompute-only family one hop deeper (solver/poet_milp.cpp), searched
// at the same time, one core each, when the solve has two or more threads. Each search prunes
// with the other's best schedule as it comes (glpk_branch_and_cut.h FamilyRace): what one family
// holds that is dearer than the other's best needs neither finding nor proving. When the deeper
// search is done first (its tree proven, or its LP infeasible) and the main one is not, its core
// joins the main one as a second search of the portfolio (glpk_portfolio.h), sharing schedules and
// bound.
//
// Searched one after the other, the deeper family's search had to stop half way through the limit
// to leave the main one time, and its second search, pruned by the main family's schedule, came
// too late to get past its root (mobilenetv2-w0.35 / Raspberry Pi 4 at 10.9 MiB: 0.58% at 10 s).
#pragma once

#include <vector>

#include "solver/glpk_branch_and_cut.h"

namespace tp {

struct RaceOutcome {
    MilpRun main, deeper;
};

// `warm`: the main family's start (0-based columns, empty for none; `warm_is_fallback` as in
// search_glpk). Progress is reported from the calling thread, with the best schedule and lower
// bound of both families.
RaceOutcome race_families(const PoetModel& main, const std::vector<double>& warm,
                          bool warm_is_fallback, const PoetModel& deeper,
                          const SolveOptions& options, MilpClock::time_point start,
                          MilpClock::time_point stop_at);

}  // namespace tp
