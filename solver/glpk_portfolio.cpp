#include "solver/glpk_portfolio.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <thread>

namespace tp {

// The first search is the serial one. The others branch by the other rule (the second), or
// without GLPK's cover and clique cuts (the third and fourth), and leave RENS to the first: it
// takes the first's schedules and spends its time on the proof. With both running RENS, they
// searched the same neighbourhoods at the root (proxylessnas-w0.3 / STM32F746 at its smallest
// budget, 2.4 MiB: proven in 13.6 s instead of 11.0 s). They run RINS from their tenth node
// on, around their own node LPs: mobilenetv2-w0.35 / STM32H743 at 10.9 MiB, where the second
// search's bound reached the optimum but the first search's tree had not found it, was proven
// in 3 of 3 runs of 10 s (8.5-10.0 s) with it and in none without (0.03-0.10% off); from the
// root on it slowed that proxylessnas proof down again. The feasibility pump, too, is left to
// the first search: on that proxylessnas budget it took the second ~0.9 s at the root.
constexpr int kProverRinsAfterNodes = 10;

MilpStrategy portfolio_strategy(int branching, int index) {
    MilpStrategy s;
    s.branching = branching;
    s.other_branching = index % 2 == 1;
    s.knapsack_cuts = index < 2;
    s.rens = index == 0;
    s.rins_after_nodes = index == 0 ? 0 : kProverRinsAfterNodes;
    s.feasibility_pump = index == 0;
    return s;
}

MilpRun merge_portfolio(const std::vector<MilpRun>& runs, double relative_gap) {
    MilpRun merged = runs[0];
    merged.x.clear();
    merged.proven = false;
    merged.branch_nodes = merged.sub_mips = 0;
    merged.neighbourhood_improvements = merged.rounding_improvements = 0;
    double bound = -std::numeric_limits<double>::infinity();
    bool no_schedule_proven = false;
    for (const MilpRun& r : runs) {
        merged.branch_nodes += r.branch_nodes;
        merged.sub_mips += r.sub_mips;
        merged.neighbourhood_improvements += r.neighbourhood_improvements;
        merged.rounding_improvements += r.rounding_improvements;
        merged.cancelled = merged.cancelled || r.cancelled;
        merged.timed_out = merged.timed_out || r.timed_out;
        merged.lp_solved = merged.lp_solved || r.lp_solved;
        if (r.first_schedule_s >= 0 &&
            (merged.first_schedule_s < 0 || r.first_schedule_s < merged.first_schedule_s))
            merged.first_schedule_s = r.first_schedule_s;
        if (r.lp_solved) bound = std::max(bound, r.bound_j);
        if (r.proven) merged.proven = true;
        if (r.ret == 0 && r.mip_status == GLP_NOFEAS) no_schedule_proven = true;
        if (!r.x.empty() && (merged.x.empty() || r.objective_j < merged.objective_j)) {
            merged.x = r.x;
            merged.objective_j = r.objective_j;
            merged.ret = r.ret;
        }
    }
    if (!merged.x.empty()) {
        merged.bound_j = std::min(merged.objective_j, bound);
        merged.proven =
            merged.proven || within_gap(merged.objective_j, merged.bound_j, relative_gap);
        merged.mip_status = merged.proven ? GLP_OPT : GLP_FEAS;
        if (merged.proven) merged.ret = 0;
    } else {
        merged.bound_j = bound;
        if (no_schedule_proven) {
            merged.mip_status = GLP_NOFEAS;
            merged.ret = 0;
        }
    }
    if (merged.proven || no_schedule_proven) merged.timed_out = false;
    return merged;
}

MilpRun run_glpk(const PoetModel& model, const std::vector<double>& warm_x, bool warm_is_fallback,
                 const SolveOptions& options, MilpClock::time_point start,
                 MilpClock::time_point stop_at, const MilpYield& yield, int branching) {
    const int searches = std::clamp(options.threads, 1, kMaxPortfolioSearches);
    if (searches == 1)
        return search_glpk(model, warm_x, warm_is_fallback, options, start, stop_at, yield,
                           portfolio_strategy(branching, 0), nullptr);

    SharedSearch shared(options.relative_gap);
    SolveOptions quiet = options;
    quiet.progress = nullptr;
    std::vector<MilpRun> runs(static_cast<size_t>(searches));
    // A search that throws (out of memory) ends the portfolio and the exception reaches the
    // caller on its own thread, after every helper has stopped.
    std::vector<std::exception_ptr> failures(static_cast<size_t>(searches));
    std::vector<std::thread> helpers;
    for (int i = 1; i < searches; ++i)
        helpers.emplace_back([&, i] {
            try {
                runs[static_cast<size_t>(i)] =
                    search_glpk(model, warm_x, warm_is_fallback, quiet, start, stop_at, yield,
                                portfolio_strategy(branching, i), &shared);
            } catch (...) {
                failures[static_cast<size_t>(i)] = std::current_exception();
                shared.finish();
            }
            glp_free_env();  // GLPK's environment is per thread; every problem of it is deleted
        });
    try {
        runs[0] = search_glpk(model, warm_x, warm_is_fallback, options, start, stop_at, yield,
                              portfolio_strategy(branching, 0), &shared);
    } catch (...) {
        failures[0] = std::current_exception();
    }
    shared.finish();  // whatever stopped the first search (clock, yield, cancel) stops them all
    for (auto& h : helpers) h.join();
    for (const auto& failure : failures)
        if (failure) std::rethrow_exception(failure);

    return merge_portfolio(runs, options.relative_gap);
}

}  // namespace tp
