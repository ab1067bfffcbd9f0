// One front door for every scheduler: a TrainingGraph, its CostModel and options in, a
// SolveResult out. Results are status values, never exceptions (HiGHS-style). Every schedule a
// scheduler returns has been replayed by the Validator (engine/schedule_replay.h); `replay` holds
// that replay, and the result's energy, time and peak are the replay's, not the solver's.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/cost_model.h"
#include "engine/schedule.h"
#include "engine/schedule_replay.h"
#include "engine/training_graph.h"

namespace tp {

enum class SolveStatus {
    optimal,     // proven least energy among the schedules the solver considers
    feasible,    // fits the budget; `lower_bound_j` and `gap` say how far from proven
    infeasible,  // no schedule of this solver fits; `message` gives the smallest feasible budget
    cancelled,   // stopped by the caller; a schedule is attached when one was found
    time_limit,  // the time limit passed before any schedule was found: neither a schedule nor a
                 // proof that none fits (a longer limit may find one)
    error        // a bug or an internal solver failure, described in `message`
};
const char* solve_status_name(SolveStatus s);

struct SolveProgress {
    double elapsed_s = 0.0;
    double best_energy_j = 0.0;  // 0 while no schedule is known
    double bound_j = 0.0;
    std::string phase;  // "reduce", "warm start", "branch and bound", ...
};

struct SolveOptions {
    int64_t ram_budget_bytes = 0;  // 0: unlimited
    double deadline_s = 0.0;       // 0: none
    double time_limit_s = 60.0;
    // Branch and bound stops once the proven gap is below this; `optimal` means within it
    // (1e-4, Gurobi's and HiGHS's default MIP gap: 0.01% of the energy).
    double relative_gap = 1e-4;
    bool allow_paging = true;
    bool allow_recompute = true;
    // MILP recompute depth (solver/poet_model.h PoetFamily): -1 picks by graph size, 0 is exact.
    int recompute_depth = -1;
    // MILP branch-and-cut searches run at once for this solve, one per thread, each by its own
    // strategy (solver/glpk_portfolio.h); 1 searches on the calling thread alone.
    int threads = 1;
    const std::atomic<bool>* cancel = nullptr;           // set to true to stop early
    std::function<void(const SolveProgress&)> progress;  // called from the solving thread
};

struct SolveStats {
    int graph_nodes = 0;    // TrainingGraph nodes
    int reduced_nodes = 0;  // after fusing chains the solver can treat as one node
    int variables = 0, binaries = 0, constraints = 0;
    int recompute_depth = 0;  // 0: the exact family; N: recomputation within N hops of its use
    // N > 0: recompute-only within N hops was searched too, because the main family could not
    // recompute its way under the budget; status and bound then cover both families, whichever
    // gave the schedule.
    int searched_recompute_only_depth = 0;
    // N > 0: the schedule is that recompute-only family's (searched_recompute_only_depth == N).
    int recompute_only_depth = 0;
    int64_t branch_nodes = 0;  // over all searches
    int searches = 1;          // MILP searches run at once (solver/glpk_portfolio.h)
    bool warm_started = false;
    double first_schedule_s = -1.0;  // when the first schedule was known (-1: never, or no search)
    int sub_mips = 0;                // RENS/RINS neighbourhoods searched (milp_neighbourhood.h)
    int neighbourhood_improvements = 0;  // of which found a schedule better than the best so far
    int rounding_improvements = 0;  // node LPs rounded to a schedule better than the best so far
};

struct SolveResult {
    SolveStatus status = SolveStatus::error;
    std::string solver;
    Schedule schedule;
    ScheduleReplay replay;       // the Validator's account of `schedule`
    double energy_j = 0.0;       // = replay.energy.total_j() when a schedule is attached
    double lower_bound_j = 0.0;  // proven: no schedule of this solver's family uses less
    double gap = 0.0;            // (energy - bound) / energy
    std::string message;         // why, for infeasible / error / cancelled
    double solve_time_s = 0.0;
    SolveStats stats;

    bool has_schedule() const { return !schedule.steps.empty(); }
};

// The family a MILP result's status and bound cover, as the CLI prints it after the status
// (" — among schedules that …"); empty for the exact family.
std::string claim_scope(const SolveStats& stats);

class Scheduler {
  public:
    virtual ~Scheduler() = default;
    virtual std::string name() const = 0;
    virtual SolveResult solve(const TrainingGraph& graph, const CostModel& costs,
                              const SolveOptions& options) const = 0;
};

// Replays `schedule` and fills result.replay / energy_j / status against the options' limits:
// a schedule that breaks the budget or deadline turns an `optimal`/`feasible` into
// `infeasible` (baselines) — a solver bug turns it into `error` with the violations.
void attach_replay(SolveResult& result, const TrainingGraph& graph, const CostModel& costs,
                   const SolveOptions& options);

// The cases an exact scheduler answers before any search, for every family: the store-all
// schedule when it fits (least energy of all, and fastest), infeasible when even store-all misses
// the deadline, or when the budget is below smallest_step_bytes (the message names that
// budget). Empty when a search is needed.
std::optional<SolveResult> settle_without_search(const TrainingGraph& graph, const CostModel& costs,
                                                 const SolveOptions& options,
                                                 const std::string& solver);

// Store-all: compute every node once in the graph's order, free each output after its
// last reader. The energy floor and the reference every other schedule is checked against.
class StoreAllScheduler final : public Scheduler {
  public:
    std::string name() const override { return "store-all"; }
    SolveResult solve(const TrainingGraph& graph, const CostModel& costs,
                      const SolveOptions& options) const override;
};

// Every scheduler by its CLI name: milp, dp, store-all, sqrt-n, recompute-only, paging-only.
std::unique_ptr<Scheduler> make_scheduler(const std::string& name);
std::vector<std::string> scheduler_names();

}  // namespace tp
