// Several GLPK branch-and-cut searches over one PoetModel at the same time, one per thread
// (SolveOptions::threads), each by its own strategy, sharing their best schedule and bound
// (solver/glpk_branch_and_cut.h SharedSearch). Which strategy proves a model first varies from
// model to model; with two cores the portfolio gets the sooner of the two, each search prunes
// with the other's schedules, and the one that finds schedules (RENS, RINS) is not the one that
// spends its time on the proof.
#pragma once

#include <vector>

#include "solver/glpk_branch_and_cut.h"

namespace tp {

// The most searches a portfolio runs (its distinct strategies); more threads are not used.
constexpr int kMaxPortfolioSearches = 4;

// The strategy of the portfolio's search number `index` (0: `branching` as asked).
MilpStrategy portfolio_strategy(int branching, int index);

// Searches of one portfolio (the first one's statistics as the base) as one run: the best
// schedule of any, the highest bound of any, proven when one search finished its tree or the
// shared gap closed.
MilpRun merge_portfolio(const std::vector<MilpRun>& runs, double relative_gap);

// A portfolio of min(options.threads, kMaxPortfolioSearches) searches (one search, on the
// calling thread, for threads <= 1), merged: the best schedule of any, the highest bound of
// any, proven when one search finished its tree or the shared gap closed. Progress is reported
// by the first search only (from the calling thread), with the shared schedule and bound.
MilpRun run_glpk(const PoetModel& model, const std::vector<double>& warm_x, bool warm_is_fallback,
                 const SolveOptions& options, MilpClock::time_point start,
                 MilpClock::time_point stop_at, const MilpYield& yield = {},
                 int branching = kAutoBranching);

}  // namespace tp
