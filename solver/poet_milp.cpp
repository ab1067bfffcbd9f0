#include "solver/poet_milp.h"

#include <glpk.h>

#include <chrono>
#include <cmath>

#include "engine/units.h"
#include "solver/graph_reduction.h"
#include "solver/milp_neighbourhood.h"

namespace tp {

namespace {

using Clock = std::chrono::steady_clock;

// Graphs up to this many fused nodes get the exact family; larger ones recompute only within
// kDepthForLargeGraphs hops of a value's use (bench/solver_table.sh measures the trade-off).
constexpr size_t kExactNodes = 48;
constexpr int kDepthForLargeGraphs = 1;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

struct SearchState {
    const SolveOptions* options = nullptr;
    Clock::time_point start;
    const std::vector<double>* warm = nullptr;  // 1-based column values, or null
    bool warm_given = false;
    double constant = 0.0;
    double unit = 1.0;  // objective scale: GLPK's objective × unit = joules
    double bound = -1e300;
    double incumbent = 1e300;
    bool cancelled = false;
    Clock::time_point stop_at = Clock::time_point::max();
    Clock::time_point plain_branching_from = Clock::time_point::max();  // see above
    bool timed_out = false;  // stopped by us at stop_at (GLPK checks tm_lim only between nodes)
    int64_t branch_nodes = 0;
    double first_schedule_s = -1.0;                // since `start`, -1 while none
    NeighbourhoodSearch* neighbourhood = nullptr;  // RENS/RINS, or null
};

// GLPK's pseudo-cost branching first solves two LPs for every candidate it has no costs for
// yet, with no callback in between and no look at the clock: on proxylessnas / STM32H743 one
// such node took 6 s of a 10 s limit. Late in the limit the callback branches instead, on the
// most fractional binary, towards the side its LP value leans to.
void branch_most_fractional(glp_tree* tree) {
    glp_prob* p = glp_ios_get_prob(tree);
    int best = 0;
    double best_frac = -1.0;
    for (int j = 1; j <= glp_get_num_cols(p); ++j) {
        if (!glp_ios_can_branch(tree, j)) continue;
        const double v = glp_get_col_prim(p, j);
        const double frac = std::min(v - std::floor(v), std::ceil(v) - v);
        if (frac > best_frac) {
            best_frac = frac;
            best = j;
        }
    }
    if (best == 0) return;
    const double v = glp_get_col_prim(p, best);
    glp_ios_branch_upon(tree, best, v - std::floor(v) >= 0.5 ? GLP_UP_BRNCH : GLP_DN_BRNCH);
}

void on_tree_event(glp_tree* tree, void* info) {
    auto* s = static_cast<SearchState*>(info);
    const int reason = glp_ios_reason(tree);
    if (reason == GLP_IHEUR && s->warm && !s->warm_given) {
        s->warm_given = true;
        glp_ios_heur_sol(tree, s->warm->data());
    }
    if (reason == GLP_IHEUR && s->neighbourhood && !s->cancelled) s->neighbourhood->run(tree);
    if (reason == GLP_IBRANCH && Clock::now() >= s->plain_branching_from)
        branch_most_fractional(tree);
    {
        int active = 0, alive = 0, total = 0;
        glp_ios_tree_size(tree, &active, &alive, &total);
        s->branch_nodes = total;
    }
    const int best = glp_ios_best_node(tree);
    if (best != 0) s->bound = std::max(s->bound, glp_ios_node_bound(tree, best));
    glp_prob* mip = glp_ios_get_prob(tree);
    if (s->first_schedule_s < 0 && glp_mip_status(mip) == GLP_FEAS)
        s->first_schedule_s = seconds_since(s->start);
    if (reason == GLP_IBINGO || (reason == GLP_IHEUR && glp_mip_status(mip) == GLP_FEAS))
        s->incumbent = std::min(s->incumbent, glp_mip_obj_val(mip));
    if (s->options->cancel && s->options->cancel->load()) {
        s->cancelled = true;
        glp_ios_terminate(tree);
    } else if (Clock::now() >= s->stop_at) {
        s->timed_out = true;
        glp_ios_terminate(tree);
    }
    if (s->options->progress &&
        (reason == GLP_IBINGO || reason == GLP_ISELECT || reason == GLP_IHEUR)) {
        SolveProgress p;
        p.elapsed_s = seconds_since(s->start);
        p.best_energy_j = s->incumbent < 1e299 ? s->incumbent * s->unit + s->constant : 0.0;
        p.bound_j = s->bound > -1e299 ? s->bound * s->unit + s->constant : s->constant;
        p.phase = "branch and bound";
        s->options->progress(p);
    }
}

// Energies are millijoules and bytes run to millions: the objective is divided by `cost_unit`
// (about the store-all energy) and GLPK scales rows and columns, or its simplex loses its way.
glp_prob* load_model(const PoetModel& model, double cost_unit) {
    glp_prob* lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    // The constant term (every node's first evaluation) is part of the objective, so GLPK's
    // relative gap is relative to the whole energy, as the user reads it.
    glp_set_obj_coef(lp, 0, model.constant_cost() / cost_unit);
    const auto& cols = model.columns();
    const auto& rows = model.rows();
    glp_add_cols(lp, static_cast<int>(cols.size()));
    for (size_t j = 0; j < cols.size(); ++j) {
        const int c = static_cast<int>(j) + 1;
        if (cols[j].binary) {
            glp_set_col_kind(lp, c, GLP_BV);
        } else {
            glp_set_col_bnds(lp, c, cols[j].lower == cols[j].upper ? GLP_FX : GLP_DB, cols[j].lower,
                             cols[j].upper);
        }
        glp_set_obj_coef(lp, c, cols[j].cost / cost_unit);
    }
    glp_add_rows(lp, static_cast<int>(rows.size()));
    std::vector<int> ia{0}, ja{0};
    std::vector<double> ar{0.0};
    for (size_t i = 0; i < rows.size(); ++i) {
        const MilpRow& r = rows[i];
        const int row = static_cast<int>(i) + 1;
        const bool lo = r.lower > -1e299, up = r.upper < 1e299;
        if (lo && up)
            glp_set_row_bnds(lp, row, r.lower == r.upper ? GLP_FX : GLP_DB, r.lower, r.upper);
        else if (lo)
            glp_set_row_bnds(lp, row, GLP_LO, r.lower, 0.0);
        else if (up)
            glp_set_row_bnds(lp, row, GLP_UP, 0.0, r.upper);
        else
            glp_set_row_bnds(lp, row, GLP_FR, 0.0, 0.0);
        for (const auto& [c, v] : r.terms) {
            ia.push_back(row);
            ja.push_back(c + 1);
            ar.push_back(v);
        }
    }
    glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
    glp_scale_prob(lp, GLP_SF_AUTO);
    return lp;
}

// One GLPK branch and cut over `model`: LP relaxation, then glp_intopt with the warm start
// (0-based columns, empty for none; `warm_is_fallback`: a start far from the optimum), the
// neighbourhood searches and the callback, until the gap, `stop_at` or cancel.
struct MilpRun {
    bool lp_solved = false, lp_infeasible = false;
    int lp_ret = 0, ret = 0, mip_status = GLP_UNDEF;
    std::vector<double> x;  // 0-based columns of the best schedule, empty for none
    double objective_j = 0.0, bound_j = 0.0;
    double lp_bound_j = 0.0;  // the root LP relaxation, when solved
    bool proven = false, cancelled = false, timed_out = false;
    double first_schedule_s = -1.0;  // since `start`, -1 for none
    int64_t branch_nodes = 0;
    int sub_mips = 0, neighbourhood_improvements = 0;
};

MilpRun run_glpk(const PoetModel& model, const std::vector<double>& warm_x, bool warm_is_fallback,
                 const SolveOptions& options, Clock::time_point start, Clock::time_point stop_at) {
    MilpRun run;
    SearchState state;
    state.options = &options;
    state.start = start;
    state.stop_at = stop_at;
    // The last third of the limit (at least the last second) branches without pseudo-costs.
    state.plain_branching_from =
        stop_at - std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(std::max(1.0, options.time_limit_s / 3.0)));
    state.constant = 0.0;      // the objective carries the constant itself
    std::vector<double> warm;  // 1-based for GLPK
    if (!warm_x.empty()) {
        warm.assign(warm_x.size() + 1, 0.0);
        std::copy(warm_x.begin(), warm_x.end(), warm.begin() + 1);
        state.warm = &warm;
    }
    auto seconds_left = [&] {
        return std::chrono::duration<double>(stop_at - Clock::now()).count();
    };
    glp_term_out(GLP_OFF);
    const double unit = std::max(1e-12, model.constant_cost());
    state.unit = unit;
    glp_prob* lp = load_model(model, unit);
    glp_smcp lp_parm;
    glp_init_smcp(&lp_parm);
    lp_parm.msg_lev = GLP_MSG_OFF;
    lp_parm.presolve = GLP_ON;
    lp_parm.tm_lim = static_cast<int>(std::max(1.0, seconds_left() * 1000.0));
    run.lp_ret = glp_simplex(lp, &lp_parm);
    if (run.lp_ret != 0 || glp_get_status(lp) != GLP_OPT) {
        run.lp_infeasible = run.lp_ret == GLP_ENOPFS || glp_get_status(lp) == GLP_NOFEAS;
        run.timed_out = run.lp_ret == GLP_ETMLIM || seconds_left() <= 0;
        glp_delete_prob(lp);
        return run;
    }
    run.lp_solved = true;
    state.bound = glp_get_obj_val(lp);
    run.lp_bound_j = state.bound * unit;

    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;  // keeps the columns ours, so the warm start maps one to one
    parm.br_tech = GLP_BR_PCH;
    parm.bt_tech = GLP_BT_BLB;
    parm.pp_tech = GLP_PP_ALL;
    parm.gmi_cuts = GLP_ON;
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = GLP_ON;
    parm.clq_cuts = GLP_ON;
    // With a warm start, RENS and RINS improve on it sooner than GLPK's feasibility pump; without
    // one (tight budgets on boards with a small or slow store), the pump finds first schedules
    // that RENS misses.
    parm.fp_heur = warm_x.empty() || warm_is_fallback ? GLP_ON : GLP_OFF;
    parm.mip_gap = options.relative_gap;
    parm.tm_lim = static_cast<int>(std::max(1.0, seconds_left() * 1000.0));
    NeighbourhoodSearch neighbourhood(lp);
    neighbourhood.stop_at = stop_at;
    neighbourhood.cancel = options.cancel;
    // Without a schedule the user gets nothing: a RENS may then take up to a quarter of the
    // limit; once one is known, each neighbourhood gets 1 s (a quarter of short limits).
    neighbourhood.first_time_limit_s = 0.25 * options.time_limit_s;
    neighbourhood.sub_time_limit_s = std::min(1.0, 0.25 * options.time_limit_s);
    neighbourhood.fallback_start = warm_is_fallback;
    state.neighbourhood = &neighbourhood;
    parm.cb_func = on_tree_event;
    parm.cb_info = &state;
    run.ret = glp_intopt(lp, &parm);
    run.branch_nodes = state.branch_nodes;
    run.first_schedule_s = state.first_schedule_s;
    run.sub_mips = neighbourhood.sub_mips;
    run.neighbourhood_improvements = neighbourhood.improvements;
    run.cancelled = state.cancelled;
    run.timed_out = state.timed_out || run.ret == GLP_ETMLIM;
    run.mip_status = glp_mip_status(lp);
    if (run.mip_status == GLP_OPT || run.mip_status == GLP_FEAS) {
        run.x.resize(model.columns().size());
        for (size_t j = 0; j < run.x.size(); ++j)
            run.x[j] = glp_mip_col_val(lp, static_cast<int>(j) + 1);
        run.objective_j = glp_mip_obj_val(lp) * unit;
        // GLP_EMIPGAP: stopped because the proven gap fell below options.relative_gap.
        run.proven = (run.mip_status == GLP_OPT && run.ret == 0) || run.ret == GLP_EMIPGAP;
        // The callback's last bound can trail GLPK's final one: when GLPK stopped at the gap,
        // its own criterion proves objective × (1 − gap).
        double bound = state.bound * unit;
        if (run.ret == GLP_EMIPGAP) bound = std::max(bound, run.objective_j * (1.0 - parm.mip_gap));
        run.bound_j = run.mip_status == GLP_OPT && run.ret == 0 ? run.objective_j
                                                                : std::min(run.objective_j, bound);
    }
    glp_delete_prob(lp);
    return run;
}

// The recompute-only family one hop deeper than the main one, searched when the main family
// cannot recompute its way under the budget.
struct Deeper {
    bool found = false;
    int depth = 0;  // its recompute depth
    Schedule schedule;
    double energy_j = 0.0, bound_j = 0.0;
};

// The energy the model gives a full column assignment.
double model_energy(const PoetModel& model, const std::vector<double>& x) {
    double e = model.constant_cost();
    for (size_t j = 0; j < x.size(); ++j) e += model.columns()[j].cost * x[j];
    return e;
}

}  // namespace

SolveResult PoetMilpScheduler::solve(const TrainingGraph& graph, const CostModel& costs,
                                     const SolveOptions& options) const {
    const auto start = Clock::now();
    const auto stop_at = start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.time_limit_s));
    SolveResult result;
    result.solver = name_;
    result.stats.graph_nodes = result.stats.reduced_nodes = static_cast<int>(graph.nodes.size());
    auto finish = [&]() -> SolveResult {
        result.solve_time_s = seconds_since(start);
        return std::move(result);
    };

    // Store-all has the least energy of any schedule and is the fastest: if it fits, it is the
    // optimum of every family, and if it misses the deadline every schedule does.
    if (auto settled = settle_without_search(graph, costs, options, name_)) {
        settled->stats = result.stats;
        settled->solve_time_s = seconds_since(start);
        return std::move(*settled);
    }

    PoetFamily family = family_;
    family.recompute = family.recompute && options.allow_recompute;
    family.paging = family.paging && options.allow_paging;
    const ReducedGraph reduced = reduce_graph(graph, costs);
    result.stats.reduced_nodes = static_cast<int>(reduced.graph.nodes.size());
    family.recompute_depth = options.recompute_depth >= 0                ? options.recompute_depth
                             : reduced.graph.nodes.size() <= kExactNodes ? 0
                                                                         : kDepthForLargeGraphs;
    result.stats.recompute_depth = family.recompute_depth;
    const FusedNodes fused{reduced.first_bytes, reduced.late_bytes, reduced.recompute_until};
    PoetModel model(reduced.graph, reduced.costs, options.ram_budget_bytes, options.deadline_s,
                    family, fused);
    result.stats.variables = static_cast<int>(model.columns().size());
    result.stats.binaries = model.binaries();
    result.stats.constraints = static_cast<int>(model.rows().size());

    // Warm starts: the greedy paging schedule, and the recompute-only family's best schedule
    // found in at most a fifth of the time (where paging is dear, as into the STM32H743's
    // internal flash, the greedy start is poor and RENS alone may find nothing better).
    // The cheaper one goes to GLPK.
    std::vector<double> warm;
    bool warm_is_fallback = false;  // paging everything: the search runs as if it had no start
    double first_schedule_s = -1.0;
    auto first_at = [&](double t) {
        if (t >= 0 && (first_schedule_s < 0 || t < first_schedule_s)) first_schedule_s = t;
    };
    {
        // Where the greedy stalls (a stage over budget with nothing left to page across it),
        // paging everything may still fit: at the smallest feasible budget it is the one
        // schedule known to fit, and a dear start beats none. It is far from the optimum, so
        // the search then runs as without a start (feasibility pump, long RENS): with the pump
        // off, proxylessnas at its smallest budget ended at 4.0× the floor instead of 1.8×.
        std::vector<double> x;
        auto start_decisions = model.greedy_paging();
        if (start_decisions && model.assignment(*start_decisions, x)) {
            warm = x;
        } else if (model.assignment(model.page_everything(), x)) {
            warm = x;
            warm_is_fallback = true;
        }
        if (!warm.empty()) first_schedule_s = seconds_since(start);
    }
    // A depth-limited family may be unable to recompute its way under the budget and then has to
    // page, which is dear on some boards (mcunet on the STM32H743 at 5.2 MiB: 9.8× the floor
    // within 1 hop, 1.16× recomputing within 2 hops). Then recompute-only one hop deeper is
    // searched too, in what is left of that fifth; its schedule wins if it is cheaper, and the
    // status and bound then cover both families. Not when the caller chose the depth.
    Deeper deeper;
    if (family.recompute && family.paging && reduced.costs.paging_available()) {
        PoetFamily recompute_only = family;
        recompute_only.paging = false;
        const PoetModel narrow(reduced.graph, reduced.costs, options.ram_budget_bytes,
                               options.deadline_s, recompute_only, fused);
        SolveOptions first = options;
        first.progress = nullptr;
        first.time_limit_s = 0.2 * options.time_limit_s;
        const auto first_stop =
            std::min(stop_at, start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(first.time_limit_s)));
        const MilpRun r = run_glpk(narrow, {}, false, first, start, first_stop);
        result.stats.sub_mips += r.sub_mips;
        result.stats.neighbourhood_improvements += r.neighbourhood_improvements;
        std::vector<double> x;
        if (!r.x.empty() && model.assignment(narrow.decisions(r.x), x)) {
            first_at(r.first_schedule_s);
            if (warm.empty() || model_energy(model, x) < model_energy(model, warm)) {
                warm = x;
                warm_is_fallback = false;
            }
        }
        if (r.lp_infeasible && family.recompute_depth > 0 && options.recompute_depth < 0) {
            recompute_only.recompute_depth = family.recompute_depth + 1;
            const PoetModel deep(reduced.graph, reduced.costs, options.ram_budget_bytes,
                                 options.deadline_s, recompute_only, fused);
            const MilpRun d = run_glpk(deep, {}, false, first, start, first_stop);
            result.stats.sub_mips += d.sub_mips;
            result.stats.neighbourhood_improvements += d.neighbourhood_improvements;
            if (!d.x.empty()) {
                first_at(d.first_schedule_s);
                deeper = {true, recompute_only.recompute_depth,
                          expand_schedule(reduced, deep.schedule(deep.decisions(d.x))),
                          d.objective_j, d.bound_j};
            }
        }
    }
    result.stats.warm_started = !warm.empty();

    const MilpRun run = run_glpk(model, warm, warm_is_fallback, options, start, stop_at);
    result.stats.branch_nodes = run.branch_nodes;
    first_at(run.first_schedule_s);
    result.stats.first_schedule_s = first_schedule_s;
    result.stats.sub_mips += run.sub_mips;
    result.stats.neighbourhood_improvements += run.neighbourhood_improvements;
    const bool main_infeasible = run.lp_infeasible || run.mip_status == GLP_NOFEAS;
    if (main_infeasible && !deeper.found) {
        result.status = SolveStatus::infeasible;
        result.message =
            "no " + name_ + " schedule fits the budget " + format_bytes(options.ram_budget_bytes);
        return finish();
    }
    // The best schedule: GLPK's, or the warm start when GLPK stopped before it took it (a time
    // limit shorter than the root LP and cuts); the bound is then the root LP's, or the
    // store-all floor (every first computation, no schedule costs less) when even that did not
    // solve.
    std::vector<double> best_x = run.x;
    double objective = run.objective_j, bound = run.bound_j;
    bool proven = run.proven;
    if (best_x.empty() && !warm.empty()) {
        best_x = warm;
        objective = model_energy(model, warm);
        bound = std::min(objective, run.lp_solved ? run.lp_bound_j : model.constant_cost());
        proven = false;
    }
    if (deeper.found && (best_x.empty() || deeper.energy_j < objective * (1 - 1e-9))) {
        // The deeper recompute-only schedule wins: the claim now covers both families, so the
        // bound is the lower of theirs (the main family's root LP, or the floor, when its
        // search ended without one).
        const double main_bound = main_infeasible   ? deeper.bound_j
                                  : !best_x.empty() ? bound
                                  : run.lp_solved   ? run.lp_bound_j
                                                    : model.constant_cost();
        objective = deeper.energy_j;
        bound = std::min({objective, deeper.bound_j, main_bound});
        proven = objective - bound <= options.relative_gap * objective;
        result.schedule = std::move(deeper.schedule);
        result.stats.recompute_only_depth = deeper.depth;
    } else if (!best_x.empty()) {
        result.schedule = expand_schedule(reduced, model.schedule(model.decisions(best_x)));
    }
    const bool have = result.has_schedule();
    if (have) {
        result.status = proven ? SolveStatus::optimal : SolveStatus::feasible;
        result.lower_bound_j = bound;
        attach_replay(result, graph, costs, options);
        if (result.status == SolveStatus::optimal || result.status == SolveStatus::feasible) {
            if (std::fabs(result.energy_j - objective) > 1e-6 * std::max(1e-12, objective)) {
                result.status = SolveStatus::error;
                result.message = "the replayed energy " + std::to_string(result.energy_j) +
                                 " J differs from the MILP objective " + std::to_string(objective) +
                                 " J";
            }
            result.gap =
                result.energy_j > 0
                    ? std::max(0.0, (result.energy_j - result.lower_bound_j) / result.energy_j)
                    : 0.0;
        }
    } else if (run.cancelled) {
        result.status = SolveStatus::cancelled;
    } else if (run.timed_out) {
        // Stopped by the clock (ours or GLPK's) with neither a schedule nor a proof.
        result.status = SolveStatus::time_limit;
        result.message = "no schedule found within the time limit of " +
                         format_seconds(options.time_limit_s) +
                         "; raise the time limit, or the budget";
    } else {
        result.status = SolveStatus::error;
        result.message =
            run.lp_solved
                ? "GLPK's branch and cut failed (code " + std::to_string(run.ret) + ")"
                : "the LP relaxation did not solve (GLPK code " + std::to_string(run.lp_ret) + ")";
    }
    if (run.cancelled && result.status != SolveStatus::error) {
        result.message =
            "cancelled" + std::string(have ? "; the best schedule so far is attached" : "");
        result.status = SolveStatus::cancelled;
    }
    return finish();
}

}  // namespace tp
