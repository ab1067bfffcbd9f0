#include "solver/poet_milp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "engine/units.h"
#include "solver/family_race.h"
#include "solver/glpk_portfolio.h"
#include "solver/graph_reduction.h"

namespace tp {

namespace {

using Clock = MilpClock;

// Graphs up to this many fused nodes get the exact family; larger ones recompute only within
// kDepthForLargeGraphs hops of a value's use (bench/solver_table.sh measures the trade-off).
constexpr size_t kExactNodes = 48;
constexpr int kDepthForLargeGraphs = 1;
// The recompute-only pre-solve's and the deeper recompute-only search's time, since the start:
// a share of the limit, at most so many seconds (a long limit is for the main search).
constexpr double kRecomputeOnlyShare = 0.2, kRecomputeOnlyMaxS = 5.0;
constexpr double kDeeperShare = 0.5, kDeeperMaxS = 15.0;
// The main search keeps its time at the half-way point while its best schedule is at most this
// much dearer than the deeper family's.
constexpr double kMainKeepsWithin = 0.02;

// The recompute-only family one hop deeper than the main one, searched when the main family
// cannot recompute its way under the budget. The solve searches both families, so what it
// proves must cover both: once searched, bound_j bounds every schedule of this family.
struct Deeper {
    bool searched = false, found = false, proven = false;
    int depth = 0;          // its recompute depth
    std::vector<double> x;  // its best schedule, columns of its own model
    double energy_j = 0.0;
    double bound_j = 0.0;  // +infinity when the family has no schedule within the budget
};

// What a search proved every schedule of its model costs at least: +infinity when the model has
// none, `floor` when not even its LP relaxation solved.
double family_bound(const MilpRun& run, double floor) {
    if (run.lp_infeasible || run.mip_status == GLP_NOFEAS)
        return std::numeric_limits<double>::infinity();
    if (!run.lp_solved) return floor;
    return run.x.empty() ? run.bound_j : std::min(run.objective_j, run.bound_j);
}

}  // namespace

FamilyClaim claim_over_families(const std::vector<FamilyOutcome>& families, double relative_gap) {
    FamilyClaim claim;
    claim.energy_j = claim.bound_j = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < families.size(); ++i) {
        if (families[i].energy_j < claim.energy_j) {
            claim.winner = static_cast<int>(i);
            claim.energy_j = families[i].energy_j;
        }
        claim.bound_j = std::min(claim.bound_j, families[i].bound_j);
    }
    if (claim.winner < 0) return claim;
    claim.bound_j = std::min(claim.bound_j, claim.energy_j);
    claim.proven = within_gap(claim.energy_j, claim.bound_j, relative_gap);
    return claim;
}

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

    result.stats.searches = std::clamp(options.threads, 1, kMaxPortfolioSearches);
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

    // Warm starts: the greedy schedule (paging or recomputing), and the recompute-only family's
    // best schedule found in at most a fifth of the time, 5 s at most (where paging is dear, as
    // into the STM32H743's internal flash, the greedy start is poor and RENS alone may find
    // nothing better). The cheaper one goes to GLPK.
    std::vector<double> warm;
    bool warm_is_fallback = false;  // paging everything: the search runs as if it had no start
    double first_schedule_s = -1.0;
    auto first_at = [&](double t) {
        if (t >= 0 && (first_schedule_s < 0 || t < first_schedule_s)) first_schedule_s = t;
    };
    {
        // Where the greedy stalls (a stage over budget with nothing left to page or recompute),
        // paging everything may still fit: at the smallest feasible budget it is the one
        // schedule known to fit, and a dear start beats none. It is far from the optimum, so
        // the search then runs as without a start (feasibility pump, long RENS): with the pump
        // off, proxylessnas at its smallest budget ended at 4.0× the floor instead of 1.8×.
        std::vector<double> x;
        auto start_decisions = model.greedy_start();
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
    // within 1 hop, 1.06× recomputing within 2 hops). Then recompute-only one hop deeper is
    // searched too (its model is ~1.5× the size); its schedule wins if it is cheaper, and the
    // status and bound then cover both families. Not when the caller chose the depth.
    // With two or more threads both families are searched at the same time, one core each, each
    // pruned by the other's best schedule as it comes (solver/family_race.h). With one, the deeper
    // family searches first, pruned by the main family's start. The main family's LP relaxation
    // says whether that family can beat it at all: if the deeper search holds a schedule within
    // the gap of that bound half way through the limit (or 15 s), it keeps all the time and the
    // main family needs no search (mcunet / STM32F746 at 5.2 MiB: the main LP bound is 1.09× the
    // floor, the two-hop optimum 1.05×, proven in ~3.5 s of one uninterrupted search); otherwise
    // it stops there.
    Deeper deeper;
    std::optional<PoetModel> deep;  // its model
    std::optional<RaceOutcome> raced;
    double main_lp_bound = -1.0;  // the main family's LP bound, when the deeper one is searched
    auto take_deeper = [&](const MilpRun& d) {  // its first search
        result.stats.sub_mips += d.sub_mips;
        result.stats.neighbourhood_improvements += d.neighbourhood_improvements;
        result.stats.rounding_improvements += d.rounding_improvements;
        result.stats.branch_nodes += d.branch_nodes;
        deeper.bound_j = family_bound(d, deep->constant_cost());
        if (!d.x.empty()) {
            first_at(d.first_schedule_s);
            deeper.found = true;
            deeper.proven = d.proven;
            deeper.x = d.x;
            deeper.energy_j = d.objective_j;
        }
    };
    if (family.recompute && family.paging && reduced.costs.paging_available()) {
        PoetFamily recompute_only = family;
        recompute_only.paging = false;
        const PoetModel narrow(reduced.graph, reduced.costs, options.ram_budget_bytes,
                               options.deadline_s, recompute_only, fused);
        // Their progress shows as "warm start": their schedules are real, but their bounds
        // cover only their own family, so the floor stands in for the bound.
        SolveOptions first = options;
        if (options.progress)
            first.progress = [&](const SolveProgress& p) {
                SolveProgress q = p;
                q.phase = "warm start";
                q.bound_j = model.constant_cost();
                options.progress(q);
            };
        first.time_limit_s =
            std::min(kRecomputeOnlyShare * options.time_limit_s, kRecomputeOnlyMaxS);
        const auto first_stop =
            std::min(stop_at, start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(first.time_limit_s)));
        const MilpRun r =
            run_glpk(narrow, {}, false, first, start, first_stop, {}, kFindingBranching);
        result.stats.sub_mips += r.sub_mips;
        result.stats.neighbourhood_improvements += r.neighbourhood_improvements;
        result.stats.rounding_improvements += r.rounding_improvements;
        std::vector<double> x;
        if (!r.x.empty() && model.assignment(narrow.decisions(r.x), x)) {
            first_at(r.first_schedule_s);
            if (warm.empty() || model.energy(x) < model.energy(warm)) {
                warm = x;
                warm_is_fallback = false;
            }
        }
        if (r.lp_infeasible && family.recompute_depth > 0 && options.recompute_depth < 0) {
            recompute_only.recompute_depth = family.recompute_depth + 1;
            deep.emplace(reduced.graph, reduced.costs, options.ram_budget_bytes, options.deadline_s,
                         recompute_only, fused);
            deeper.searched = true;
            deeper.depth = recompute_only.recompute_depth;
        }
        if (deep && options.threads >= 2) {
            raced.emplace(
                race_families(model, warm, warm_is_fallback, *deep, options, start, stop_at));
            take_deeper(raced->deeper);
        } else if (deep) {
            main_lp_bound = lp_relaxation_bound(model, stop_at);
            // Its schedules are real, and with the main family's LP bound its bound covers both
            // families: its progress is the solve's own.
            SolveOptions half = options;
            if (options.progress)
                half.progress = [&](const SolveProgress& p) {
                    SolveProgress q = p;
                    q.bound_j = std::min(q.bound_j,
                                         main_lp_bound < 0 ? model.constant_cost() : main_lp_bound);
                    options.progress(q);
                };
            half.time_limit_s = std::min(kDeeperShare * options.time_limit_s, kDeeperMaxS);
            MilpYield give_way;
            give_way.at =
                std::min(stop_at, start + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(half.time_limit_s)));
            give_way.keep_below_j =
                main_lp_bound < 0 ? 0.0 : main_lp_bound / (1 - options.relative_gap);
            // A schedule dearer than the main family's start is of no use.
            if (!warm.empty()) give_way.other_j = model.energy(warm);
            const MilpRun d =
                run_glpk(*deep, {}, false, half, start, stop_at, give_way, kFindingBranching);
            take_deeper(d);
        }
    }
    result.stats.warm_started = !warm.empty();

    // When the deeper family has a schedule, the main search stops once its bound shows it cannot
    // beat that one, and, while the deeper one is not proven, half way through what is left
    // unless it has found one at most 2% dearer by then (mobilenetv2 / rpi4 at 10.9 MiB: the
    // main family's 1.041× came at 8 s, after the two-hop 1.056×); the deeper search goes on,
    // warm-started, in the rest (mcunet / STM32H743 at 5.24 MiB: the main family's best stays
    // ~9× the floor). No search at all when its LP bound already shows it cannot win.
    MilpYield yield;
    if (deeper.found) {
        yield.other_j = deeper.energy_j;
        yield.keep_below_j = deeper.energy_j * (1 + kMainKeepsWithin);
        if (!deeper.proven) yield.at = Clock::now() + (stop_at - Clock::now()) / 2;
    }
    // While two searches run, progress shows the better schedule of both and the lower bound.
    auto joint = [&options](double other_best_j, double other_bound_j) {
        SolveOptions o = options;
        if (options.progress)
            o.progress = [&options, other_best_j, other_bound_j](const SolveProgress& p) {
                SolveProgress q = p;
                if (other_best_j > 0 && (q.best_energy_j <= 0 || other_best_j < q.best_energy_j))
                    q.best_energy_j = other_best_j;
                q.bound_j = std::min(q.bound_j, other_bound_j);
                options.progress(q);
            };
        return o;
    };
    const double none = std::numeric_limits<double>::infinity();
    MilpRun run;
    if (raced) {
        run = raced->main;
    } else if (deeper.found && main_lp_bound >= deeper.energy_j * (1 - options.relative_gap)) {
        run.lp_solved = true;  // settled by its LP: no main-family schedule is cheaper
        run.lp_infeasible = main_lp_bound == none;
        run.bound_j = main_lp_bound;
    } else {
        run = run_glpk(model, warm, warm_is_fallback,
                       deeper.found ? joint(deeper.energy_j, deeper.bound_j) : options, start,
                       stop_at, yield);
    }
    const bool main_infeasible = run.lp_infeasible || run.mip_status == GLP_NOFEAS;
    // What the main family is proven to cost at least (the floor when its LP did not solve).
    const double main_bound = main_infeasible ? none
                              : run.lp_solved ? run.bound_j
                                              : model.constant_cost();
    bool cancelled = run.cancelled;
    // The deeper search goes on, warm-started, in the time left while its bound does not yet
    // show that its family holds nothing cheaper than the best schedule of either family; with a
    // main-family schedule it stops as soon as it does (mobilenetv2-w0.35 / rpi4 at 10.9 MiB: the
    // main family's schedule wins, and the deeper family's bound was still 0.6% below it).
    const double best_j =
        std::min(run.x.empty() ? none : run.objective_j, deeper.found ? deeper.energy_j : none);
    if (deeper.searched && !raced && !cancelled && deeper.bound_j < none &&
        !(best_j < none && within_gap(best_j, deeper.bound_j, options.relative_gap)) &&
        std::chrono::duration<double>(stop_at - Clock::now()).count() > 0.3) {
        MilpYield beat_main;
        if (!run.x.empty()) beat_main.other_j = run.objective_j;
        const MilpRun d = run_glpk(*deep, deeper.x, false,
                                   joint(run.x.empty() ? 0.0 : run.objective_j, main_bound), start,
                                   stop_at, beat_main, kFindingBranching);
        result.stats.sub_mips += d.sub_mips;
        result.stats.neighbourhood_improvements += d.neighbourhood_improvements;
        result.stats.rounding_improvements += d.rounding_improvements;
        result.stats.branch_nodes += d.branch_nodes;
        cancelled = d.cancelled;
        if (!d.x.empty() && (!deeper.found || d.objective_j < deeper.energy_j)) {
            first_at(d.first_schedule_s);
            deeper.found = true;
            deeper.x = d.x;
            deeper.energy_j = d.objective_j;
        }
        // Both searches cover the whole deeper family: the higher bound holds.
        deeper.bound_j = std::max(deeper.bound_j, family_bound(d, deep->constant_cost()));
        if (deeper.found) deeper.bound_j = std::min(deeper.bound_j, deeper.energy_j);
    }
    result.stats.branch_nodes += run.branch_nodes;
    first_at(run.first_schedule_s);
    result.stats.first_schedule_s = first_schedule_s;
    result.stats.sub_mips += run.sub_mips;
    result.stats.neighbourhood_improvements += run.neighbourhood_improvements;
    result.stats.rounding_improvements += run.rounding_improvements;
    if (main_infeasible && (!deeper.searched || deeper.bound_j == none)) {
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
    if (best_x.empty() && !warm.empty()) best_x = warm;
    // The solve searched the main family and, when searched, the deeper one: its claim covers
    // both (mobilenetv2-w0.35 / rpi4 at 10.9 MiB: the main family's schedule is proven within
    // that family, and the deeper family's bound is still 0.6% below it at 10 s).
    std::vector<FamilyOutcome> families{{best_x.empty() ? none : model.energy(best_x), main_bound}};
    if (deeper.searched)
        families.push_back({deeper.found ? deeper.energy_j : none, deeper.bound_j});
    const FamilyClaim claim = claim_over_families(families, options.relative_gap);
    const double objective = claim.energy_j, bound = claim.bound_j;
    const bool proven = claim.proven;
    if (deeper.searched) result.stats.searched_recompute_only_depth = deeper.depth;
    if (claim.winner == 1) {
        result.schedule = expand_schedule(reduced, deep->schedule(deep->decisions(deeper.x)));
        result.stats.recompute_only_depth = deeper.depth;
    } else if (claim.winner == 0) {
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
    } else if (cancelled) {
        result.status = SolveStatus::cancelled;
    } else if (run.timed_out || main_infeasible) {
        // Stopped by the clock (ours or GLPK's) with neither a schedule nor a proof (of the
        // deeper family's infeasibility, when the main family has been proven to have none).
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
    if (cancelled && result.status != SolveStatus::error) {
        result.message =
            "cancelled" + std::string(have ? "; the best schedule so far is attached" : "");
        result.status = SolveStatus::cancelled;
    }
    return finish();
}

}  // namespace tp
