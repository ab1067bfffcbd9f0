// One solve as the studio and the CLI present it: the chosen scheduler's result (replayed by the
// Validator) together with the plan's energy floor (the store-all schedule: every node once, no
// recompute, no paging) and the smallest feasible budget, plus the JSON contract of
// `trainplan solve --json` (README "Schedule JSON") that anyone can replay without our code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "solver/scheduler.h"

namespace tp {

struct PlanSolution {
    SolveResult result;
    SolveOptions options;
    double floor_energy_j = 0.0;       // store-all energy: no schedule of this plan uses less
    double floor_time_s = 0.0;         // store-all time: no schedule is faster
    int64_t store_all_peak_bytes = 0;  // at or above this budget the floor is reached
    // No schedule fits below. Exact when paging is on and the storage holds every output that
    // paging everything would store (then that schedule fits it); otherwise a lower bound, and
    // `min_feasible_bound_reason` says why.
    int64_t min_feasible_budget_bytes = 0;
    bool min_feasible_exact = true;
    std::string min_feasible_bound_reason;
};

// The storage the "page everything" schedule needs: the bytes of every output read two or more
// nodes after it is made (each paged out once).
int64_t page_everything_storage_bytes(const TrainingGraph& graph);

// Runs `solver` ("milp", "dp", ...) and fills the floor and the smallest feasible budget.
// An unknown solver name gives status error naming the known ones.
PlanSolution solve_plan(const TrainingGraph& graph, const CostModel& costs,
                        const std::string& solver, const SolveOptions& options);

nlohmann::json plan_solution_to_json(const TrainingGraph& graph, const PlanSolution& s);

}  // namespace tp
