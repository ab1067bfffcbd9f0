#include <algorithm>
#include <chrono>

#include "engine/memory_report.h"
#include "engine/units.h"
#include "solver/scheduler.h"

namespace tp {

const char* step_op_name(StepOp op) {
    switch (op) {
        case StepOp::compute:
            return "compute";
        case StepOp::recompute:
            return "recompute";
        case StepOp::page_out:
            return "page_out";
        case StepOp::page_in:
            return "page_in";
        case StepOp::free:
            return "free";
    }
    return "compute";
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
        case SolveStatus::error:
            return "error";
    }
    return "error";
}

SolveResult StoreAllScheduler::solve(const TrainingGraph& graph,
                                     const SolveOptions& options) const {
    auto start = std::chrono::steady_clock::now();
    SolveResult result;
    const std::vector<int> last_use = graph.last_reader();
    for (const auto& node : graph.nodes) {
        result.schedule.steps.push_back({StepOp::compute, node.id});
        for (int in : node.inputs)
            if (last_use[static_cast<size_t>(in)] == node.id)
                result.schedule.steps.push_back({StepOp::free, in});
        if (last_use[static_cast<size_t>(node.id)] < 0)
            result.schedule.steps.push_back({StepOp::free, node.id});
    }
    int64_t peak = store_all_memory(graph).peak_bytes;
    if (options.ram_budget_bytes > 0 && peak > options.ram_budget_bytes) {
        result.status = SolveStatus::infeasible;
        result.message = "store-all needs " + format_bytes(peak) + " but the budget is " +
                         format_bytes(options.ram_budget_bytes);
    } else {
        result.status = SolveStatus::optimal;
    }
    result.solve_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

}  // namespace tp
