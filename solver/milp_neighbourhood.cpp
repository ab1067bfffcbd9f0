#include "solver/milp_neighbourhood.h"

#include <algorithm>
#include <cmath>

#include "solver/glpk_branch_and_cut.h"

namespace tp {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kIntegral = 1e-6;  // an LP value this close to 0 or 1 counts as integral

struct SubSearch {
    const std::atomic<bool>* cancel = nullptr;
    Clock::time_point stop_at;  // GLPK checks tm_lim only between nodes; root cuts can run long
};

void on_sub_event(glp_tree* tree, void* info) {
    const auto* s = static_cast<const SubSearch*>(info);
    if ((s->cancel && s->cancel->load()) || Clock::now() >= s->stop_at) glp_ios_terminate(tree);
}

bool is_binary(glp_prob* p, int j) {
    return glp_get_col_kind(p, j) == GLP_BV ||
           (glp_get_col_kind(p, j) == GLP_IV && glp_get_col_lb(p, j) >= 0 &&
            glp_get_col_ub(p, j) <= 1);
}

}  // namespace

NeighbourhoodSearch::NeighbourhoodSearch(glp_prob* original) : original_(glp_create_prob()) {
    glp_copy_prob(original_, original, GLP_OFF);
}

NeighbourhoodSearch::~NeighbourhoodSearch() {
    glp_delete_prob(original_);
}

void NeighbourhoodSearch::keep_root_cuts(glp_tree* tree) {
    glp_prob* q = glp_ios_get_prob(tree);
    root_cuts_.clear();
    const int n = glp_get_num_cols(q);
    std::vector<int> index(static_cast<size_t>(n) + 1);
    std::vector<double> value(static_cast<size_t>(n) + 1);
    for (int i = glp_get_num_rows(original_) + 1; i <= glp_get_num_rows(q); ++i) {
        glp_attr attr;
        glp_ios_row_attr(tree, i, &attr);
        if (attr.origin != GLP_RF_CUT) continue;
        Cut cut;
        const int len = glp_get_mat_row(q, i, index.data(), value.data());
        cut.index.assign(index.begin(), index.begin() + len + 1);
        cut.value.assign(value.begin(), value.begin() + len + 1);
        cut.type = glp_get_row_type(q, i);
        cut.lower = glp_get_row_lb(q, i);
        cut.upper = glp_get_row_ub(q, i);
        root_cuts_.push_back(std::move(cut));
    }
}

bool NeighbourhoodSearch::meets_original_rows(const std::vector<double>& x) const {
    const int m = glp_get_num_rows(original_), n = glp_get_num_cols(original_);
    std::vector<int> index(static_cast<size_t>(n) + 1);
    std::vector<double> value(static_cast<size_t>(n) + 1);
    for (int i = 1; i <= m; ++i) {
        const int len = glp_get_mat_row(original_, i, index.data(), value.data());
        double a = 0.0, scale = 1.0;
        for (int k = 1; k <= len; ++k) {
            const double term = value[static_cast<size_t>(k)] *
                                x[static_cast<size_t>(index[static_cast<size_t>(k)])];
            a += term;
            scale = std::max(scale, std::fabs(term));
        }
        const int type = glp_get_row_type(original_, i);
        const double tol = 1e-7 * scale;
        if ((type == GLP_LO || type == GLP_DB || type == GLP_FX) &&
            a < glp_get_row_lb(original_, i) - tol)
            return false;
        if ((type == GLP_UP || type == GLP_DB || type == GLP_FX) &&
            a > glp_get_row_ub(original_, i) + tol)
            return false;
    }
    for (int j = 1; j <= n; ++j) {
        const double v = x[static_cast<size_t>(j)];
        if (v < glp_get_col_lb(original_, j) - 1e-9 || v > glp_get_col_ub(original_, j) + 1e-9)
            return false;
    }
    return true;
}

bool holds_stand_in(glp_prob* q, int cutoff_col) {
    const int status = glp_mip_status(q);  // GLP_OPT once glp_intopt finished
    return cutoff_col > 0 && (status == GLP_FEAS || status == GLP_OPT) &&
           glp_mip_col_val(q, cutoff_col) > 0.0;
}

bool NeighbourhoodSearch::holds_schedule(glp_prob* q) const {
    return glp_mip_status(q) == GLP_FEAS && !holds_stand_in(q, cutoff_col);
}

bool NeighbourhoodSearch::knows_schedule(glp_prob* q) const {
    return holds_schedule(q) || !dearer_schedule.empty();
}

bool NeighbourhoodSearch::run(glp_tree* tree) {
    glp_prob* q = glp_ios_get_prob(tree);
    const bool root = glp_ios_up_node(tree, glp_ios_curr_node(tree)) == 0;
    if (root) keep_root_cuts(tree);
    const bool have_incumbent = knows_schedule(q);
    const bool rens_unsolved = !have_incumbent || fallback_start;
    if (root && rens_done_ < (rens_unsolved ? rens_rounds_unsolved : rens_rounds)) {
        const double objective = glp_get_obj_val(q);
        if (rens_done_ == 0 || std::fabs(objective - last_rens_objective_) >
                                   1e-9 * std::max(1.0, std::fabs(objective))) {
            ++rens_done_;
            last_rens_objective_ = objective;
            return search(tree, Kind::rens);
        }
    }
    int active = 0, alive = 0, total = 0;
    glp_ios_tree_size(tree, &active, &alive, &total);
    if (rins_interval_ <= 0) rins_interval_ = rins_every_nodes;
    if (have_incumbent && rins_done_ < rins_max && total >= rins_after_nodes &&
        total - last_rins_node_count_ >= rins_interval_) {
        ++rins_done_;
        last_rins_node_count_ = total;
        const bool found = search(tree, Kind::rins);
        rins_interval_ = found ? rins_every_nodes : 2 * rins_interval_;
        return found;
    }
    return false;
}

bool NeighbourhoodSearch::search(glp_tree* tree, Kind kind) {
    glp_prob* q = glp_ios_get_prob(tree);
    const int n = glp_get_num_cols(q);
    const bool have_incumbent = knows_schedule(q), holds = holds_schedule(q);
    const double left_s = std::chrono::duration<double>(stop_at - Clock::now()).count();
    const bool first = !have_incumbent || (kind == Kind::rens && fallback_start);
    const double limit_s = std::min(first ? first_time_limit_s : sub_time_limit_s, left_s);
    // Copying the problem, its LP and GLPK's root work take a few tenths of a second whatever
    // the limit: with less time left than that, a search would only overrun it.
    if (left_s < 0.3 || limit_s < 0.05 || (cancel && cancel->load())) return false;

    glp_prob* sub = glp_create_prob();
    glp_copy_prob(sub, original_, GLP_OFF);
    for (const Cut& cut : root_cuts_) {
        const int row = glp_add_rows(sub, 1);
        glp_set_mat_row(sub, row, static_cast<int>(cut.index.size()) - 1, cut.index.data(),
                        cut.value.data());
        glp_set_row_bnds(sub, row, cut.type, cut.lower, cut.upper);
    }
    int free_binaries = 0;
    for (int j = 1; j <= n; ++j) {
        if (is_binary(original_, j)) {
            const double v = glp_get_col_prim(q, j);
            double fix = -1.0;
            if (kind == Kind::rens) {
                if (v < kIntegral) fix = 0.0;
                if (v > 1.0 - kIntegral) fix = 1.0;
            } else {
                const double w =
                    holds ? glp_mip_col_val(q, j) : dearer_schedule[static_cast<size_t>(j)];
                if (std::fabs(v - w) < kIntegral) fix = std::round(w);
            }
            if (fix >= 0) {
                glp_set_col_bnds(sub, j, GLP_FX, fix, fix);
                continue;
            }
            ++free_binaries;
        }
    }
    if (free_binaries == 0) {  // nothing to search: GLPK's own LP already decides it
        glp_delete_prob(sub);
        return false;
    }
    if (glp_mip_status(q) == GLP_FEAS) {  // only a strictly cheaper schedule is of use
        std::vector<int> index{0};
        std::vector<double> value{0.0};
        for (int j = 1; j <= n; ++j)
            if (glp_get_obj_coef(q, j) != 0.0) {
                index.push_back(j);
                value.push_back(glp_get_obj_coef(q, j));
            }
        const double best = glp_mip_obj_val(q);
        const int row = glp_add_rows(sub, 1);
        glp_set_mat_row(sub, row, static_cast<int>(index.size()) - 1, index.data(), value.data());
        glp_set_row_bnds(sub, row, GLP_UP, 0.0,
                         best - glp_get_obj_coef(q, 0) - 1e-5 * std::fabs(best));
    }
    ++sub_mips;
    bool accepted = false;
    // The LP and the branch and cut share the limit.
    const auto sub_stop =
        std::min(stop_at, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(limit_s)));
    glp_smcp lp;
    glp_init_smcp(&lp);
    lp.msg_lev = GLP_MSG_OFF;
    lp.presolve = GLP_ON;
    lp.tm_lim = static_cast<int>(limit_s * 1000.0);
    if (glp_simplex(sub, &lp) == 0 && glp_get_status(sub) == GLP_OPT) {
        SubSearch info{cancel, sub_stop};
        glp_iocp parm;
        glp_init_iocp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.br_tech = kFindingBranching;
        parm.bt_tech = GLP_BT_BLB;
        parm.mir_cuts = GLP_ON;
        parm.mip_gap = 1e-4;
        const double left = std::chrono::duration<double>(sub_stop - Clock::now()).count();
        parm.tm_lim = static_cast<int>(std::max(0.05, left) * 1000.0);
        parm.cb_func = on_sub_event;
        parm.cb_info = &info;
        glp_intopt(sub, &parm);
        const int status = glp_mip_status(sub);
        if (status == GLP_OPT || status == GLP_FEAS) {
            std::vector<double> x(static_cast<size_t>(n) + 1, 0.0);
            for (int j = 1; j <= n; ++j) x[static_cast<size_t>(j)] = glp_mip_col_val(sub, j);
            accepted = meets_original_rows(x) && glp_ios_heur_sol(tree, x.data()) == 0;
            if (accepted) ++improvements;
        }
    }
    glp_delete_prob(sub);
    return accepted;
}

}  // namespace tp
