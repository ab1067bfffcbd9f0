#include "solver/glpk_branch_and_cut.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "solver/milp_neighbourhood.h"

namespace tp {

double seconds_since(MilpClock::time_point start) {
    return std::chrono::duration<double>(MilpClock::now() - start).count();
}

void SharedSearch::offer(const std::vector<double>& x1, double energy_j) {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (energy_j >= best_j_) return;
    best_j_ = energy_j;
    x1_ = x1;
}

void SharedSearch::raise_bound(double bound_j) {
    const std::lock_guard<std::mutex> lock(mutex_);
    bound_j_ = std::max(bound_j_, bound_j);
}

bool SharedSearch::take_if_better(double than_j, std::vector<double>& x1, double& energy_j) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!(best_j_ < than_j)) return false;
    x1 = x1_;
    energy_j = best_j_;
    return true;
}

double SharedSearch::best_j() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return best_j_;
}

double SharedSearch::bound_j() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return bound_j_;
}

void SharedSearch::finish() {
    const std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
}

bool SharedSearch::settled() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return finished_ || (best_j_ < std::numeric_limits<double>::infinity() &&
                         within_gap(best_j_, bound_j_, relative_gap_));
}

void FamilyRace::publish(int side, double energy_j) {
    auto& best = best_j_[side];
    double now = best.load();
    while (energy_j < now && !best.compare_exchange_weak(now, energy_j)) {
    }
}

void FamilyRace::raise_bound(int side, double bound_j) {
    auto& bound = bound_j_[side];
    double now = bound.load();
    while (bound_j > now && !bound.compare_exchange_weak(now, bound_j)) {
    }
}

double FamilyRace::best_j(int side) const {
    return best_j_[side].load();
}

double FamilyRace::bound_j(int side) const {
    return bound_j_[side].load();
}

namespace {

using Clock = MilpClock;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

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
    bool timed_out = false;  // stopped by us at stop_at (GLPK checks tm_lim only between nodes)
    MilpYield yield;
    int64_t branch_nodes = 0;
    double first_schedule_s = -1.0;                // since `start`, -1 while none
    NeighbourhoodSearch* neighbourhood = nullptr;  // RENS/RINS, or null
    const PoetModel* model = nullptr;              // for rounding node LPs
    int64_t last_rounding_node = -1000000;
    int rounding_improvements = 0;
    SharedSearch* shared = nullptr;  // the portfolio's, or null
    double offered = 1e300;          // the last incumbent offered to it (GLPK's units)
    glp_iocp* parm = nullptr;        // GLPK's settings, as glp_intopt reads them node by node
    bool below_root = false;         // the tree has grown past the root
    int node = 0, node_rows = 0;     // the node of the last call, its rows when first seen
    bool node_cut = false;
    int nodes_cut_below_root = 0;
    // The stand-in for another family's schedule (MilpYield): its column (1-based, 0 for none),
    // a solution that sets only it, and the energy it was last given to GLPK at.
    int cutoff_col = 0;
    std::vector<double> cutoff_x;
    double cutoff_given_j = kInfinity;
    int branching = GLP_BR_DTH;  // the strategy's rule, while GLPK holds a schedule of its own
};

// The cheapest schedule of another family known to this search, +infinity for none.
double other_schedule_j(const SearchState& s) {
    double other = s.yield.other_j >= 0 ? s.yield.other_j : kInfinity;
    if (s.yield.race) other = std::min(other, s.yield.race->best_j(1 - s.yield.side));
    return other;
}

bool holds_cutoff(glp_prob* p, const SearchState& s) {
    return holds_stand_in(p, s.cutoff_col);
}

// At GLP_IHEUR: the other family's schedule, when cheaper than what GLPK holds, becomes its
// incumbent (as the stand-in).
void offer_cutoff(glp_tree* tree, SearchState& s) {
    const double other = other_schedule_j(s);
    const double constant = s.model->constant_cost();
    if (s.cutoff_col == 0 || !(other < s.cutoff_given_j * (1 - 1e-12)) ||
        !(other > constant * (1 + 1e-12)))
        return;
    s.cutoff_given_j = other;
    s.cutoff_x[static_cast<size_t>(s.cutoff_col)] = (other - constant) / s.unit;
    if (glp_ios_heur_sol(tree, s.cutoff_x.data()) == 0) {
        // GLPK's feasibility pump then looks for a schedule between the LP bound and the other
        // schedule, pass after pass without a callback: on mobilenetv2-w0.35's two-hop family
        // (Raspberry Pi 4, 10.9 MiB), where there is none, it held the search for over 6 s.
        s.parm->fp_heur = GLP_OFF;
    }
}

// GLPK's incumbent, when it is a schedule of this model.
bool holds_schedule(glp_prob* p, const SearchState& s) {
    const int status = glp_mip_status(p);
    return (status == GLP_FEAS || status == GLP_OPT) && !holds_cutoff(p, s);
}

// Once the tree grows past the root, GLPK's cut generators are switched off (kCutsAtRootOnly),
// and what cutting still happens below the root is counted.
void watch_cuts(glp_tree* tree, SearchState& s) {
    const int node = glp_ios_curr_node(tree);
    if (node == 0) return;
    if (!s.below_root && glp_ios_node_level(tree, node) > 0) {
        s.below_root = true;
        if (kCutsAtRootOnly)
            s.parm->gmi_cuts = s.parm->mir_cuts = s.parm->cov_cuts = s.parm->clq_cuts = GLP_OFF;
    }
    const int rows = glp_get_num_rows(glp_ios_get_prob(tree));
    if (node != s.node) {
        s.node = node;
        s.node_rows = rows;
        s.node_cut = false;
    } else if (rows > s.node_rows && !s.node_cut && glp_ios_node_level(tree, node) > 0) {
        s.node_cut = true;
        ++s.nodes_cut_below_root;
    }
}

// The portfolio's schedules and bound, both ways: the others' better schedule becomes this
// search's incumbent (only at GLP_IHEUR, where GLPK takes one), this search's go to them.
void share(glp_tree* tree, SearchState& s, int reason) {
    glp_prob* mip = glp_ios_get_prob(tree);
    if (reason == GLP_IHEUR) {
        std::vector<double> x1;
        double energy_j = 0.0;
        const double own_j =
            glp_mip_status(mip) == GLP_FEAS ? glp_mip_obj_val(mip) * s.unit : 1e300;
        if (s.shared->take_if_better(own_j * (1 - 1e-9), x1, energy_j) &&
            glp_ios_heur_sol(tree, x1.data()) == 0)
            s.offered = glp_mip_obj_val(mip);
    }
    if (holds_schedule(mip, s) && glp_mip_obj_val(mip) < s.offered) {
        s.offered = glp_mip_obj_val(mip);
        const int n = glp_get_num_cols(mip);
        std::vector<double> x1(static_cast<size_t>(n) + 1, 0.0);
        for (int j = 1; j <= n; ++j) x1[static_cast<size_t>(j)] = glp_mip_col_val(mip, j);
        s.shared->offer(x1, s.offered * s.unit);
    }
    if (s.bound > -1e299) s.shared->raise_bound(s.bound * s.unit);
}

// Node LPs rounded to schedules (PoetModel::round_lp): at the root after each round of cuts and
// every few nodes after. On the deeper recompute-only family this finds within seconds what
// GLPK's own search found after a minute (proxylessnas / STM32F746 at 4.2 MiB).
constexpr int kRoundingEveryNodes = 5;
constexpr double kRoundingThresholds[] = {0.5, 0.9, 0.99};

bool round_node_lp(glp_tree* tree, SearchState& s) {
    glp_prob* p = glp_ios_get_prob(tree);
    const size_t n = s.model->columns().size();  // the model's, without the stand-in
    std::vector<double> lp(n);
    for (size_t j = 0; j < n; ++j) lp[j] = glp_get_col_prim(p, static_cast<int>(j) + 1);
    const bool have = glp_mip_status(p) == GLP_FEAS;
    double best = have ? glp_mip_obj_val(p) * s.unit : 1e300;
    std::vector<double> best_x;
    for (double threshold : kRoundingThresholds) {
        auto d = s.model->round_lp(lp, threshold);
        std::vector<double> x;
        if (!d || !s.model->assignment(*d, x)) continue;
        const double e = s.model->energy(x);
        if (e < best * (1 - 1e-9)) {
            best = e;
            best_x.assign(static_cast<size_t>(glp_get_num_cols(p)) + 1, 0.0);
            std::copy(x.begin(), x.end(), best_x.begin() + 1);
        }
    }
    if (best_x.empty() || glp_ios_heur_sol(tree, best_x.data()) != 0) return false;
    ++s.rounding_improvements;
    return true;
}

// This search's bound and best schedule in joules (±infinity while none), with the portfolio's
// when it has a better one.
double bound_j(const SearchState& s) {
    const double own = s.bound > -1e299 ? s.bound * s.unit : -kInfinity;
    return s.shared ? std::max(own, s.shared->bound_j()) : own;
}
double incumbent_j(const SearchState& s) {
    const double own = s.incumbent < 1e299 ? s.incumbent * s.unit : kInfinity;
    return s.shared ? std::min(own, s.shared->best_j()) : own;
}

bool yields(const SearchState& s) {
    const double other = other_schedule_j(s);
    if (other < kInfinity && bound_j(s) >= other * (1 - s.options->relative_gap)) return true;
    return Clock::now() >= s.yield.at && incumbent_j(s) >= s.yield.keep_below_j;
}

void on_tree_event(glp_tree* tree, void* info) {
    auto* s = static_cast<SearchState*>(info);
    const int reason = glp_ios_reason(tree);
    watch_cuts(tree, *s);
    if (reason == GLP_IHEUR) offer_cutoff(tree, *s);
    if (reason == GLP_IHEUR && s->warm && !s->warm_given) {
        s->warm_given = true;
        glp_ios_heur_sol(tree, s->warm->data());
    }
    if (reason == GLP_IHEUR && s->model && !s->cancelled) {
        const int level = glp_ios_node_level(tree, glp_ios_curr_node(tree));
        if (level == 0 || s->branch_nodes - s->last_rounding_node >= kRoundingEveryNodes) {
            s->last_rounding_node = s->branch_nodes;
            round_node_lp(tree, *s);
        }
    }
    if (reason == GLP_IHEUR && s->neighbourhood && !s->cancelled) s->neighbourhood->run(tree);
    {
        int active = 0, alive = 0, total = 0;
        glp_ios_tree_size(tree, &active, &alive, &total);
        s->branch_nodes = total;
    }
    const int best = glp_ios_best_node(tree);
    if (best != 0) s->bound = std::max(s->bound, glp_ios_node_bound(tree, best));
    glp_prob* mip = glp_ios_get_prob(tree);
    const bool schedule = holds_schedule(mip, *s);
    // While GLPK holds the stand-in, the search is there to prove that this family holds nothing
    // cheaper: it branches by pseudo-costs, the rule that raises the bound (GLPK reads br_tech
    // afresh at every branching). On mobilenetv2-w0.35's two-hop family (Raspberry Pi 4,
    // 10.9 MiB), with the one-hop family's schedule as the stand-in, Driebeck–Tomlin's bound
    // stayed at 291.54 mJ for 6 s; pseudo-costs proved 292.73 mJ. Once it finds a cheaper
    // schedule of its own, it branches by its own rule again.
    if (s->cutoff_col > 0) s->parm->br_tech = holds_cutoff(mip, *s) ? GLP_BR_PCH : s->branching;
    if (s->first_schedule_s < 0 && schedule) s->first_schedule_s = seconds_since(s->start);
    if (s->shared) share(tree, *s, reason);
    if (schedule && (reason == GLP_IBINGO || reason == GLP_IHEUR))
        s->incumbent = std::min(s->incumbent, glp_mip_obj_val(mip));
    if (s->yield.race) {
        if (s->incumbent < 1e299) s->yield.race->publish(s->yield.side, s->incumbent * s->unit);
        if (s->bound > -1e299) s->yield.race->raise_bound(s->yield.side, s->bound * s->unit);
    }
    if (s->options->cancel && s->options->cancel->load()) {
        s->cancelled = true;
        glp_ios_terminate(tree);
    } else if (s->shared && s->shared->settled()) {
        glp_ios_terminate(tree);
    } else if (Clock::now() >= s->stop_at || yields(*s)) {
        s->timed_out = true;
        glp_ios_terminate(tree);
    }
    if (s->options->progress &&
        (reason == GLP_IBINGO || reason == GLP_ISELECT || reason == GLP_IHEUR)) {
        SolveProgress p;
        p.elapsed_s = seconds_since(s->start);
        const double best = incumbent_j(*s), bound = bound_j(*s);
        p.best_energy_j = best < kInfinity ? best + s->constant : 0.0;
        p.bound_j = bound > -kInfinity ? bound + s->constant : s->constant;
        p.phase = "branch and bound";
        s->options->progress(p);
    }
}

// GLPK allocates and frees its working arrays (factorisations, problem copies for cuts and the
// neighbourhood searches) node after node. With glibc's defaults each free at the heap's top
// hands the pages back to the kernel and the next allocation takes them again, zero-filled: on
// mcunet's two-hop recompute-only family (STM32F746, 5.2 MiB) a third of a 10 s solve was spent
// in the kernel and the search saw 31 nodes instead of ~490. Freed memory is kept in the process
// instead (up to 512 MiB above what is in use; it is reused by the next solve). Process-wide,
// once; other C libraries are left as they are.
void keep_freed_heap() {
#if defined(__GLIBC__)
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_TRIM_THRESHOLD, 512 << 20);
        mallopt(M_TOP_PAD, 64 << 20);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc accepts on 64-bit
    });
#endif
}

// Energies are millijoules and bytes run to millions: the objective is divided by `cost_unit`
// (about the store-all energy) and GLPK scales rows and columns, or its simplex loses its way.
glp_prob* load_model(const PoetModel& model, double cost_unit) {
    glp_term_out(GLP_OFF);
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

// The LP relaxation by the simplex method (with GLPK's presolve), within `seconds` (at least 1 ms).
int solve_lp(glp_prob* lp, double seconds) {
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_ON;
    parm.tm_lim = static_cast<int>(std::max(1.0, seconds * 1000.0));
    return glp_simplex(lp, &parm);
}

// Binaries the solved LP leaves fractional: the candidates of the first branching.
int fractional_binaries(glp_prob* lp) {
    int count = 0;
    for (int j = 1; j <= glp_get_num_cols(lp); ++j) {
        const double v = glp_get_col_prim(lp, j);
        if (glp_get_col_kind(lp, j) == GLP_BV && v > 1e-6 && v < 1 - 1e-6) ++count;
    }
    return count;
}

}  // namespace

double lp_relaxation_bound(const PoetModel& model, Clock::time_point stop_at) {
    keep_freed_heap();
    const double unit = std::max(1e-12, model.constant_cost());
    glp_prob* lp = load_model(model, unit);
    const int ret = solve_lp(lp, std::chrono::duration<double>(stop_at - Clock::now()).count());
    double bound = -1.0;
    if (ret == GLP_ENOPFS || glp_get_status(lp) == GLP_NOFEAS)
        bound = std::numeric_limits<double>::infinity();
    else if (ret == 0 && glp_get_status(lp) == GLP_OPT)
        bound = glp_get_obj_val(lp) * unit;
    glp_delete_prob(lp);
    return bound;
}

MilpRun search_glpk(const PoetModel& model, const std::vector<double>& warm_x,
                    bool warm_is_fallback, const SolveOptions& options, Clock::time_point start,
                    Clock::time_point stop_at, const MilpYield& yield, const MilpStrategy& strategy,
                    SharedSearch* shared) {
    keep_freed_heap();
    MilpRun run;
    SearchState state;
    state.options = &options;
    state.start = start;
    state.stop_at = stop_at;
    state.yield = yield;
    state.shared = shared;
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
    const double unit = std::max(1e-12, model.constant_cost());
    state.unit = unit;
    glp_prob* lp = load_model(model, unit);
    // The stand-in for another family's schedule, when there is or will be one.
    if (yield.other_j >= 0 || yield.race) {
        state.cutoff_col = glp_add_cols(lp, 1);
        glp_set_col_bnds(lp, state.cutoff_col, GLP_FX, 0.0, 0.0);
        glp_set_obj_coef(lp, state.cutoff_col, 1.0);
        state.cutoff_x.assign(static_cast<size_t>(state.cutoff_col) + 1, 0.0);
        if (!warm.empty()) warm.resize(state.cutoff_x.size(), 0.0);
    }
    run.lp_ret = solve_lp(lp, seconds_left());
    if (run.lp_ret != 0 || glp_get_status(lp) != GLP_OPT) {
        run.lp_infeasible = run.lp_ret == GLP_ENOPFS || glp_get_status(lp) == GLP_NOFEAS;
        run.timed_out = run.lp_ret == GLP_ETMLIM || seconds_left() <= 0;
        if (run.lp_infeasible && yield.race) yield.race->raise_bound(yield.side, kInfinity);
        glp_delete_prob(lp);
        return run;
    }
    run.lp_solved = true;
    state.bound = glp_get_obj_val(lp);

    glp_iocp parm;
    glp_init_iocp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF;  // keeps the columns ours, so the warm start maps one to one
    parm.br_tech = strategy.branching != kAutoBranching        ? strategy.branching
                   : fractional_binaries(lp) <= kFewCandidates ? GLP_BR_PCH
                                                               : GLP_BR_DTH;
    if (strategy.other_branching)
        parm.br_tech = parm.br_tech == GLP_BR_PCH ? GLP_BR_DTH : GLP_BR_PCH;
    parm.bt_tech = GLP_BT_BLB;
    parm.pp_tech = GLP_PP_ALL;
    parm.gmi_cuts = GLP_ON;
    parm.mir_cuts = GLP_ON;
    parm.cov_cuts = strategy.knapsack_cuts ? GLP_ON : GLP_OFF;
    parm.clq_cuts = strategy.knapsack_cuts ? GLP_ON : GLP_OFF;
    // With a warm start, RENS and RINS improve on it sooner than GLPK's feasibility pump; without
    // one (tight budgets on boards with a small or slow store), the pump finds first schedules
    // that RENS misses. A portfolio leaves it to its first search (glpk_portfolio.cpp).
    parm.fp_heur =
        strategy.feasibility_pump && (warm_x.empty() || warm_is_fallback) ? GLP_ON : GLP_OFF;
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
    if (!strategy.rens) neighbourhood.rens_rounds = neighbourhood.rens_rounds_unsolved = 0;
    neighbourhood.rins_after_nodes = strategy.rins_after_nodes;
    neighbourhood.cutoff_col = state.cutoff_col;
    if (state.cutoff_col > 0 && state.warm) neighbourhood.dearer_schedule = warm;
    state.neighbourhood = &neighbourhood;
    state.model = &model;
    parm.cb_func = on_tree_event;
    parm.cb_info = &state;
    state.parm = &parm;
    state.branching = parm.br_tech;
    run.ret = glp_intopt(lp, &parm);
    run.nodes_cut_below_root = state.nodes_cut_below_root;
    run.branch_nodes = state.branch_nodes;
    run.first_schedule_s = state.first_schedule_s;
    run.sub_mips = neighbourhood.sub_mips;
    run.neighbourhood_improvements = neighbourhood.improvements;
    run.rounding_improvements = state.rounding_improvements;
    run.cancelled = state.cancelled;
    run.timed_out = state.timed_out || run.ret == GLP_ETMLIM;
    run.mip_status = glp_mip_status(lp);
    run.bound_j = state.bound * unit;  // the search's best bound, without a schedule too
    const int columns = glp_get_num_cols(lp);
    if (holds_cutoff(lp, state)) {
        // Nothing cheaper than the other schedule: no schedule, and once GLPK finished its tree
        // (every node's bound at least the stand-in's energy, by GLPK's own tolerance) or stopped
        // at the gap, a bound of that energy, or that energy less the gap.
        const double other_j = glp_mip_obj_val(lp) * unit;
        run.mip_status = GLP_UNDEF;
        if (run.ret == 0) run.bound_j = std::max(run.bound_j, other_j);
        if (run.ret == GLP_EMIPGAP)
            run.bound_j = std::max(run.bound_j, other_j * (1.0 - parm.mip_gap));
    } else if (run.mip_status == GLP_OPT || run.mip_status == GLP_FEAS) {
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
    if (shared && !run.x.empty()) {
        std::vector<double> x1(static_cast<size_t>(columns) + 1, 0.0);  // the stand-in's too
        std::copy(run.x.begin(), run.x.end(), x1.begin() + 1);
        shared->offer(x1, run.objective_j);
    }
    if (yield.race) {
        if (!run.x.empty()) yield.race->publish(yield.side, run.objective_j);
        yield.race->raise_bound(
            yield.side, run.mip_status == GLP_NOFEAS && run.ret == 0 ? kInfinity : run.bound_j);
    }
    // This tree is done (proven within the gap, or no schedule at all): so is the portfolio.
    if (shared && !run.cancelled && (run.ret == 0 || run.ret == GLP_EMIPGAP)) {
        shared->raise_bound(run.bound_j);
        shared->finish();
    }
    return run;
}

}  // namespace tp
