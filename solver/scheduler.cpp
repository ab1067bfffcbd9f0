#include "solver/scheduler.h"

#include "engine/units.h"

namespace tp {

std::string claim_scope(const SolveStats& stats) {
    const int d = stats.recompute_depth;
    const std::string hops = std::to_string(d) + (d == 1 ? " hop" : " hops");
    // Both families when the deeper one was searched, whichever gave the schedule.
    if (stats.searched_recompute_only_depth > 0) {
        const bool deeper_won = stats.recompute_only_depth > 0;
        return " — among schedules that recompute within " + hops + " of a value's use and page" +
               (deeper_won ? "" : " (this one)") + ", or within " +
               std::to_string(stats.searched_recompute_only_depth) + " hops without paging" +
               (deeper_won ? " (this one)" : "");
    }
    if (d > 0) return " — among schedules that recompute within " + hops + " of a value's use";
    return {};
}

const char* solve_status_name(SolveStatus s) {
    switch (s) {
        case SolveStatus::optimal:
            return "optimal";
        case SolveStatus::feasible:
            return "feasible";
        case SolveStatus::infeasible:
            return "infeasible";
        case SolveStatus::cancelled:
            return "cancelled";
        case SolveStatus::time_limit:
            return "time_limit";
        case SolveStatus::error:
            return "error";
    }
    return "error";
}

void attach_replay(SolveResult& result, const TrainingGraph& graph, const CostModel& costs,
                   const SolveOptions& options) {
    if (!result.has_schedule()) return;
    // Replay without limits first: a schedule that is invalid regardless of the budget is a bug.
    result.replay = replay_schedule(graph, costs, result.schedule, {});
    result.energy_j = result.replay.energy.total_j();
    if (!result.replay.valid) {
        result.status = SolveStatus::error;
        result.message =
            result.solver + " produced an invalid schedule: " + result.replay.violations.front();
        return;
    }
    const bool over_budget =
        options.ram_budget_bytes > 0 && result.replay.peak_ram_bytes > options.ram_budget_bytes;
    const bool over_deadline = options.deadline_s > 0 && result.replay.time_s > options.deadline_s;
    if (over_budget || over_deadline) {
        // The replay without limits passed, so the schedule is sound but does not fit: record it.
        ReplayLimits limits{options.ram_budget_bytes, options.deadline_s};
        result.replay = replay_schedule(graph, costs, result.schedule, limits);
        if (result.status == SolveStatus::optimal || result.status == SolveStatus::feasible) {
            result.status = SolveStatus::infeasible;
            if (result.message.empty())
                result.message =
                    over_budget
                        ? result.solver + " needs " + format_bytes(result.replay.peak_ram_bytes) +
                              " of RAM but the budget is " + format_bytes(options.ram_budget_bytes)
                        : result.solver + " needs " + std::to_string(result.replay.time_s) +
                              " s but the deadline is " + std::to_string(options.deadline_s) + " s";
        }
    }
}

std::optional<SolveResult> settle_without_search(const TrainingGraph& graph, const CostModel& costs,
                                                 const SolveOptions& options,
                                                 const std::string& solver) {
    SolveResult floor = StoreAllScheduler().solve(graph, costs, options);
    floor.solver = solver;
    if (floor.status == SolveStatus::optimal) return floor;
    SolveResult result;
    result.solver = solver;
    result.status = SolveStatus::infeasible;
    if (options.deadline_s > 0 && floor.replay.time_s > options.deadline_s) {
        result.message = "the fastest schedule (store-all) takes " +
                         std::to_string(floor.replay.time_s) + " s, more than the deadline " +
                         std::to_string(options.deadline_s) + " s";
        return result;
    }
    const int64_t smallest = smallest_step_bytes(graph);
    if (options.ram_budget_bytes < smallest) {
        result.message = "the budget " + format_bytes(options.ram_budget_bytes) +
                         " is below the smallest feasible budget " + format_bytes(smallest) +
                         " (the step that needs the most RAM on its own)";
        return result;
    }
    return std::nullopt;
}

}  // namespace tp
