#include "solver/plan_solution.h"

#include <algorithm>

#include "engine/units.h"

namespace tp {

int64_t page_everything_storage_bytes(const TrainingGraph& graph) {
    std::vector<int> last_reader(graph.nodes.size(), -1);
    for (const auto& node : graph.nodes)
        for (int i : node.inputs)
            last_reader[static_cast<size_t>(i)] =
                std::max(last_reader[static_cast<size_t>(i)], node.id);
    int64_t bytes = 0;
    for (const auto& node : graph.nodes)
        if (last_reader[static_cast<size_t>(node.id)] > node.id + 1) bytes += node.bytes;
    return bytes;
}

PlanSolution solve_plan(const TrainingGraph& graph, const CostModel& costs,
                        const std::string& solver, const SolveOptions& options) {
    PlanSolution s;
    s.options = options;
    SolveResult floor = StoreAllScheduler().solve(graph, costs, {});
    s.floor_energy_j = floor.energy_j;
    s.floor_time_s = floor.replay.time_s;
    s.store_all_peak_bytes = floor.replay.peak_ram_bytes;
    s.min_feasible_budget_bytes = smallest_step_bytes(graph);
    // At that budget only "page everything" fits: each step holds just its own inputs and
    // output, so every output read two or more steps later is paged out and back in.
    const int64_t paged = page_everything_storage_bytes(graph);
    s.min_feasible_exact =
        costs.paging_available() && options.allow_paging && paged <= costs.storage_capacity_bytes;
    if (!costs.paging_available() || !options.allow_paging)
        s.min_feasible_bound_reason = "no paging";
    else if (!s.min_feasible_exact)
        s.min_feasible_bound_reason = "paging everything needs " + format_bytes(paged) +
                                      " of storage, the board has " +
                                      format_bytes(costs.storage_capacity_bytes);

    auto scheduler = make_scheduler(solver);
    if (!scheduler) {
        std::string known;
        for (const auto& n : scheduler_names()) known += (known.empty() ? "" : ", ") + n;
        s.result.status = SolveStatus::error;
        s.result.solver = solver;
        s.result.message = "unknown solver '" + solver + "' (solvers: " + known + ")";
        return s;
    }
    s.result = scheduler->solve(graph, costs, options);
    if (s.result.status == SolveStatus::infeasible &&
        options.ram_budget_bytes < s.min_feasible_budget_bytes)
        s.result.message = "the budget " + format_bytes(options.ram_budget_bytes) +
                           " is below the smallest feasible budget " +
                           format_bytes(s.min_feasible_budget_bytes) + " (" +
                           std::to_string(s.min_feasible_budget_bytes) + " bytes)";
    return s;
}

nlohmann::json plan_solution_to_json(const TrainingGraph& graph, const PlanSolution& s) {
    using nlohmann::json;
    const SolveResult& r = s.result;
    json j;
    j["format"] = 1;
    j["status"] = solve_status_name(r.status);
    if (!r.message.empty()) j["message"] = r.message;
    j["solver"] = r.solver;
    j["network"] = graph.network.name;
    j["plan"] = graph.plan.preset;
    j["budget_bytes"] = s.options.ram_budget_bytes;
    if (s.options.deadline_s > 0) j["deadline_s"] = s.options.deadline_s;
    j["persistent_bytes"] = graph.persistent_bytes();
    j["floor_energy_j"] = s.floor_energy_j;
    j["store_all_peak_bytes"] = s.store_all_peak_bytes;
    j["min_feasible_budget_bytes"] = s.min_feasible_budget_bytes;
    j["min_feasible_budget_exact"] = s.min_feasible_exact;
    if (!s.min_feasible_exact) j["min_feasible_budget_bound_reason"] = s.min_feasible_bound_reason;
    if (r.has_schedule()) {
        const ScheduleReplay& p = r.replay;
        j["peak_ram_bytes"] = p.peak_ram_bytes;
        j["peak_step"] = p.peak_step;
        j["peak_storage_bytes"] = p.peak_storage_bytes;
        j["energy_j"] = p.energy.total_j();
        j["energy_breakdown_j"] = {{"compute", p.energy.compute_j},
                                   {"recompute", p.energy.recompute_j},
                                   {"page_in", p.energy.page_in_j},
                                   {"page_out", p.energy.page_out_j},
                                   {"static", p.energy.static_j}};
        j["time_s"] = p.time_s;
        j["valid"] = p.valid;
        if (!p.violations.empty()) j["violations"] = p.violations;
        j["counts"] = {{"compute", p.computes},
                       {"recompute", p.recomputes},
                       {"page_out", p.page_outs},
                       {"page_in", p.page_ins},
                       {"free", p.frees}};
    }
    j["solver_stats"] = {{"solve_time_s", r.solve_time_s},
                         {"lower_bound_j", r.lower_bound_j},
                         {"gap", r.gap},
                         {"graph_nodes", r.stats.graph_nodes},
                         {"reduced_nodes", r.stats.reduced_nodes},
                         {"variables", r.stats.variables},
                         {"binaries", r.stats.binaries},
                         {"constraints", r.stats.constraints},
                         {"branch_nodes", r.stats.branch_nodes},
                         {"searches", r.stats.searches},
                         {"warm_started", r.stats.warm_started},
                         {"first_schedule_s", r.stats.first_schedule_s},
                         {"sub_mips", r.stats.sub_mips},
                         {"neighbourhood_improvements", r.stats.neighbourhood_improvements},
                         {"rounding_improvements", r.stats.rounding_improvements},
                         {"recompute_depth", r.stats.recompute_depth},
                         {"searched_recompute_only_depth", r.stats.searched_recompute_only_depth},
                         {"recompute_only_depth", r.stats.recompute_only_depth}};
    json nodes = json::array();
    for (const auto& n : graph.nodes)
        nodes.push_back({{"id", n.id},
                         {"name", n.name},
                         {"kind", node_kind_name(n.kind)},
                         {"bytes", n.bytes},
                         {"workspace_bytes", n.workspace_bytes},
                         {"inputs", n.inputs},
                         {"after", n.after}});
    j["nodes"] = nodes;
    json steps = json::array();
    for (const Step& st : r.schedule.steps)
        steps.push_back({{"op", step_op_name(st.op)},
                         {"node", st.node},
                         {"bytes", graph.nodes[static_cast<size_t>(st.node)].bytes}});
    j["steps"] = steps;
    return j;
}

}  // namespace tp
