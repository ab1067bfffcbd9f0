#include "solver/family_race.h"

#include <algorithm>
#include <exception>
#include <limits>
#include <thread>

#include "solver/glpk_portfolio.h"

namespace tp {

namespace {

constexpr int kMain = 0, kDeeper = 1;
// A second main-family search needs its own LP and root: not worth starting with less left.
constexpr double kJoinAtLeastS = 0.5;

}  // namespace

RaceOutcome race_families(const PoetModel& main, const std::vector<double>& warm,
                          bool warm_is_fallback, const PoetModel& deeper,
                          const SolveOptions& options, MilpClock::time_point start,
                          MilpClock::time_point stop_at) {
    FamilyRace race;
    if (!warm.empty()) race.publish(kMain, main.energy(warm));
    MilpYield main_side, deeper_side;
    main_side.race = deeper_side.race = &race;
    main_side.side = kMain;
    deeper_side.side = kDeeper;

    SolveOptions quiet = options;
    quiet.progress = nullptr;
    SolveOptions shown = options;
    if (options.progress)
        shown.progress = [&options, &race,
                          floor_j = deeper.constant_cost()](const SolveProgress& p) {
            SolveProgress q = p;
            const double other = race.best_j(kDeeper);
            if (other < std::numeric_limits<double>::infinity() &&
                (q.best_energy_j <= 0 || other < q.best_energy_j))
                q.best_energy_j = other;
            // Before the deeper family's LP solved, every schedule costs at least the floor.
            q.bound_j = std::min(q.bound_j, std::max(race.bound_j(kDeeper), floor_j));
            options.progress(q);
        };

    RaceOutcome outcome;
    SharedSearch shared(options.relative_gap);
    MilpRun joined;  // the second main-family search, when there was time for one
    bool has_joined = false;
    std::exception_ptr failure;
    std::thread helper([&] {
        try {
            outcome.deeper = search_glpk(deeper, {}, false, quiet, start, stop_at, deeper_side,
                                         portfolio_strategy(kFindingBranching, 0), nullptr);
            const double left = std::chrono::duration<double>(stop_at - MilpClock::now()).count();
            const bool stopped =
                outcome.deeper.cancelled || (options.cancel && options.cancel->load());
            if (!stopped && !shared.settled() && left > kJoinAtLeastS) {
                joined = search_glpk(main, warm, warm_is_fallback, quiet, start, stop_at, main_side,
                                     portfolio_strategy(kAutoBranching, 1), &shared);
                has_joined = true;
            }
        } catch (...) {
            failure = std::current_exception();
            shared.finish();
        }
        glp_free_env();  // GLPK's environment is per thread; every problem of it is deleted
    });
    std::exception_ptr own_failure;
    MilpRun first;
    try {
        first = search_glpk(main, warm, warm_is_fallback, shown, start, stop_at, main_side,
                            portfolio_strategy(kAutoBranching, 0), &shared);
    } catch (...) {
        own_failure = std::current_exception();
    }
    shared.finish();  // whatever stopped the main search (clock, cancel, proof) stops a joined one
    helper.join();
    if (own_failure) std::rethrow_exception(own_failure);
    if (failure) std::rethrow_exception(failure);
    outcome.main = has_joined ? merge_portfolio({first, joined}, options.relative_gap) : first;
    return outcome;
}

}  // namespace tp
