#include "solver/poet_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace tp {

namespace {

bool recomputable_kind(NodeKind k) {
    return k == NodeKind::forward || k == NodeKind::saved_aux;
}

}  // namespace

PoetModel::PoetModel(const TrainingGraph& graph, const CostModel& costs, int64_t ram_budget_bytes,
                     double deadline_s, PoetFamily family, const FusedNodes& fused)
    : g_(graph), costs_(costs), n_(static_cast<int>(graph.nodes.size())) {
    const size_t n = static_cast<size_t>(n_);
    capacity_ = ram_budget_bytes > 0 ? ram_budget_bytes - graph.persistent_bytes()
                                     : std::numeric_limits<int64_t>::max() / 4;
    const bool paging = family.paging && costs.paging_available();
    inputs_.resize(n);
    readers_.resize(n);
    for (const auto& node : graph.nodes) {
        auto& in = inputs_[static_cast<size_t>(node.id)];
        in = node.inputs;
        std::sort(in.begin(), in.end());
        in.erase(std::unique(in.begin(), in.end()), in.end());
        for (int i : in) readers_[static_cast<size_t>(i)].push_back(node.id);
    }
    // The stage of the update that changes each op's weights: no recompute after it.
    std::unordered_map<std::string, int> update_of;
    for (const auto& node : graph.nodes)
        if (node.kind == NodeKind::update) update_of[node.op] = node.id;

    // The last stage each node may be recomputed in: never for what is not a forward value,
    // and not after the update that changes the weights it reads.
    std::vector<int> allowed_until(n, -1);
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        if (!family.recompute || !recomputable_kind(graph.nodes[u].kind)) continue;
        int until = n_ - 1;
        if (!fused.recompute_until.empty()) {
            until = std::min(until, fused.recompute_until[u]);
        } else {
            auto it = update_of.find(graph.nodes[u].op);
            if (it != update_of.end()) until = std::min(until, it->second);
        }
        allowed_until[u] = until;
    }

    // Candidates per stage (C_t, ascending, t last) and the last stage each output may be used.
    stage_nodes_.assign(n, {});
    last_useful_.assign(n, 0);
    if (family.recompute_depth <= 0) {
        // Exact: any forward node may be recomputed in any stage up to the last one where a
        // reader of it could still run.
        std::vector<int> last_recompute(n, 0);
        for (int i = n_ - 1; i >= 0; --i) {
            const size_t u = static_cast<size_t>(i);
            int lu = i;
            for (int r : readers_[u])
                lu = std::max({lu, r, last_recompute[static_cast<size_t>(r)]});
            last_useful_[u] = lu;
            last_recompute[u] = allowed_until[u] < 0 ? i : std::min(lu, allowed_until[u]);
        }
        for (int i = 0; i < n_; ++i)
            for (int t = i + 1; t <= last_recompute[static_cast<size_t>(i)]; ++t)
                stage_nodes_[static_cast<size_t>(t)].push_back(i);
    } else {
        // Depth-limited: stage t may recompute the forward nodes at most `depth` recomputable
        // hops above what node t reads, i.e. right before the value is needed.
        std::vector<int> depth(n, 0), mark(n, -1);
        for (int t = 0; t < n_; ++t) {
            std::vector<int> frontier;
            for (int i : inputs_[static_cast<size_t>(t)]) frontier.push_back(i);
            auto& stage = stage_nodes_[static_cast<size_t>(t)];
            for (int d = 1; d <= family.recompute_depth && !frontier.empty(); ++d) {
                std::vector<int> next;
                for (int j : frontier) {
                    const size_t u = static_cast<size_t>(j);
                    if (mark[u] == t || allowed_until[u] < t) continue;
                    mark[u] = t;
                    stage.push_back(j);
                    for (int i : inputs_[u]) next.push_back(i);
                }
                frontier.swap(next);
            }
            std::sort(stage.begin(), stage.end());
        }
        for (int i = 0; i < n_; ++i) {
            last_useful_[static_cast<size_t>(i)] = i;
            for (int r : readers_[static_cast<size_t>(i)])
                last_useful_[static_cast<size_t>(i)] =
                    std::max(last_useful_[static_cast<size_t>(i)], r);
        }
        for (int t = 0; t < n_; ++t)
            for (int j : stage_nodes_[static_cast<size_t>(t)])
                for (int i : inputs_[static_cast<size_t>(j)])
                    last_useful_[static_cast<size_t>(i)] =
                        std::max(last_useful_[static_cast<size_t>(i)], t);
    }
    for (int t = 0; t < n_; ++t) stage_nodes_[static_cast<size_t>(t)].push_back(t);

    // The stages that may read each output: its readers' own stages and the stages that may
    // recompute one of its readers. Between two such stages nothing reads it, so keeping it for
    // part of the gap and then dropping it never pays: one S column covers a whole gap, and
    // page-ins happen only at reading stages.
    use_stages_.assign(n, {});
    for (int t = 0; t < n_; ++t)
        for (int k : stage_nodes_[static_cast<size_t>(t)])
            for (int i : inputs_[static_cast<size_t>(k)])
                use_stages_[static_cast<size_t>(i)].push_back(t);
    for (auto& u : use_stages_) {
        std::sort(u.begin(), u.end());
        u.erase(std::unique(u.begin(), u.end()), u.end());
    }

    // Columns: R per (stage, candidate), S per gap, PI per reading stage, PO per node.
    s_cols_.assign(n, {});
    pi_cols_.assign(n, {});
    po_col_.assign(n, -1);
    for (int t = 0; t < n_; ++t)
        for (int j : stage_nodes_[static_cast<size_t>(t)])
            if (j != t) r_cols_[key(t, j)] = add_col({0, 1, costs.node_total_energy_j(j), true});
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        constant_cost_ += costs.node_total_energy_j(i);
        if (last_useful_[u] <= i) continue;
        const int window = last_useful_[u] - i;  // stages i+1 .. last_useful
        s_cols_[u].assign(static_cast<size_t>(window), -1);
        pi_cols_[u].assign(static_cast<size_t>(window), -1);
        const bool pages = paging && last_useful_[u] > i + 1 && graph.nodes[u].bytes > 0;
        if (pages) po_col_[u] = add_col({0, 1, costs.page_out_total_energy_j(i), true});
        int gap = -1;
        size_t next_use = 0;
        const auto& uses = use_stages_[u];
        for (int t = i + 1; t <= last_useful_[u]; ++t) {
            const bool exact = family.recompute_depth <= 0;
            if (gap < 0 || exact) gap = add_col({0, 1, 0.0, true});
            s_cols_[u][static_cast<size_t>(t - i - 1)] = gap;
            while (next_use < uses.size() && uses[next_use] < t) ++next_use;
            const bool reads = next_use < uses.size() && uses[next_use] == t;
            if (reads) {
                if (pages && t > i + 1)
                    pi_cols_[u][static_cast<size_t>(t - i - 1)] =
                        add_col({0, 1, costs.page_in_total_energy_j(i), true});
                gap = -1;  // the next stage starts a new gap
            }
        }
    }

    auto x_term = [&](int t, int k, double coef, MilpRow& row, double& constant) {
        if (k == t)
            constant += coef;
        else
            row.terms.push_back({r_col(t, k), coef});
    };
    auto bytes = [&](int i) {
        return static_cast<double>(graph.nodes[static_cast<size_t>(i)].bytes);
    };

    events_.assign(n, {});
    u_start_.assign(n, -1);
    for (int t = 0; t < n_; ++t) {
        const auto& stage = stage_nodes_[static_cast<size_t>(t)];
        std::vector<char> in_stage(n, 0);
        for (int k : stage) in_stage[static_cast<size_t>(k)] = 1;
        // Availability of every input of every candidate.
        for (int k : stage) {
            for (int i : inputs_[static_cast<size_t>(k)]) {
                MilpRow row;
                double constant = 0.0;
                if (in_stage[static_cast<size_t>(i)] && i < k)
                    row.terms.push_back({r_col(t, i), 1});
                if (s_col(t, i) >= 0) row.terms.push_back({s_col(t, i), 1});
                if (pi_col(t, i) >= 0) row.terms.push_back({pi_col(t, i), 1});
                x_term(t, k, -1, row, constant);
                row.lower = -constant;  // Σ avail − x_k ≥ 0
                add_row(row);
            }
        }
        // Retention into the next stage and exclusivity within this one.
        for (int i = 0; i < t; ++i) {
            const int s = s_col(t, i), r = in_stage[static_cast<size_t>(i)] ? r_col(t, i) : -1,
                      p = pi_col(t, i);
            const int next = s_col(t + 1, i);
            if (next >= 0 && next != s) {
                MilpRow row;
                row.terms.push_back({next, 1});
                for (int c : {s, r, p})
                    if (c >= 0) row.terms.push_back({c, -1});
                row.upper = 0;
                add_row(row);
            }
            MilpRow excl;
            for (int c : {s, r, p})
                if (c >= 0) excl.terms.push_back({c, 1});
            if (excl.terms.size() > 1) {
                excl.upper = 1;
                add_row(excl);
            }
            if (p >= 0) add_row({{{p, 1}, {po_col_[static_cast<size_t>(i)], -1}}, -1e300, 0});
        }
        // Memory: U at the stage start, then one event per candidate.
        {
            MilpRow row;
            u_start_[static_cast<size_t>(t)] =
                add_col({0, static_cast<double>(capacity_), 0, false});
            row.terms.push_back({u_start_[static_cast<size_t>(t)], 1});
            for (int i = 0; i < t; ++i) {
                if (s_col(t, i) >= 0) row.terms.push_back({s_col(t, i), -bytes(i)});
                if (pi_col(t, i) >= 0) row.terms.push_back({pi_col(t, i), -bytes(i)});
            }
            row.lower = row.upper = 0;
            add_row(row);
        }
        int u_prev = u_start_[static_cast<size_t>(t)];
        for (size_t e = 0; e < stage.size(); ++e) {
            const int k = stage[e];
            const TrainingNode& node = graph.nodes[static_cast<size_t>(k)];
            // While k runs.
            MilpRow during;
            double constant = 0.0;
            during.terms.push_back({u_prev, 1});
            // A fused node's first link runs with the inputs; its last output only exists in
            // the later phase, which the late row below prices.
            const bool fused_node =
                !fused.late_bytes.empty() && fused.late_bytes[static_cast<size_t>(k)] > 0;
            const int64_t running = fused_node ? fused.first_bytes[static_cast<size_t>(k)]
                                               : node.bytes + node.workspace_bytes;
            x_term(t, k, static_cast<double>(running), during, constant);
            during.upper = static_cast<double>(capacity_) - constant;
            row_stage_[static_cast<size_t>(add_row(during))] = t;
            // After k: its output added, frees subtracted.
            Event ev;
            ev.node = k;
            ev.u_col = add_col({0, static_cast<double>(capacity_), 0, false});
            MilpRow after;
            double c2 = 0.0;
            after.terms.push_back({ev.u_col, 1});
            after.terms.push_back({u_prev, -1});
            x_term(t, k, -bytes(k), after, c2);
            std::vector<int> candidates = inputs_[static_cast<size_t>(k)];
            candidates.push_back(k);
            for (int i : candidates) {
                if (bytes(i) == 0) continue;
                // Read again later in this stage by the stage's own node: never freed here.
                bool read_by_t = false;
                std::vector<int> later;
                for (int j : readers_[static_cast<size_t>(i)])
                    if (j > k && j <= t && in_stage[static_cast<size_t>(j)]) {
                        if (j == t) read_by_t = true;
                        later.push_back(j);
                    }
                if (read_by_t) continue;
                const int f = add_col({0, 1, 0, false});
                after.terms.push_back({f, bytes(i)});
                if (k != t) add_row({{{f, 1}, {r_col(t, k), -1}}, -1e300, 0});
                if (s_col(t + 1, i) >= 0) add_row({{{f, 1}, {s_col(t + 1, i), 1}}, -1e300, 1});
                for (int j : later) add_row({{{f, 1}, {r_col(t, j), 1}}, -1e300, 1});
                ev.frees.push_back({i, f});
            }
            after.lower = after.upper = -c2;  // U_k − U_prev − b_k x_k + Σ b F = 0
            add_row(after);
            // A fused node's later links run once the inputs it frees are gone.
            const int64_t late =
                fused.late_bytes.empty() ? 0 : fused.late_bytes[static_cast<size_t>(k)];
            if (late > 0) {
                MilpRow row;
                double c3 = 0.0;
                row.terms.push_back({u_prev, 1});
                for (const auto& [i, f] : ev.frees)
                    if (i != k) row.terms.push_back({f, -bytes(i)});
                x_term(t, k, static_cast<double>(late), row, c3);
                row.upper = static_cast<double>(capacity_) - c3;
                row_stage_[static_cast<size_t>(add_row(row))] = t;
            }
            u_prev = ev.u_col;
            events_[static_cast<size_t>(t)].push_back(std::move(ev));
        }
    }

    // Storage capacity and deadline.
    if (paging) {
        MilpRow row;
        for (int i = 0; i < n_; ++i)
            if (po_col_[static_cast<size_t>(i)] >= 0)
                row.terms.push_back({po_col_[static_cast<size_t>(i)], bytes(i)});
        row.upper = static_cast<double>(costs.storage_capacity_bytes);
        if (!row.terms.empty()) add_row(row);
    }
    if (deadline_s > 0) {
        MilpRow row;
        double fixed = 0.0;
        for (int i = 0; i < n_; ++i) {
            const size_t u = static_cast<size_t>(i);
            fixed += costs.node[u].time_s;
            for (int t = i + 1; t <= last_useful_[u]; ++t)
                if (r_col(t, i) >= 0) row.terms.push_back({r_col(t, i), costs.node[u].time_s});
            if (po_col_[u] >= 0) {
                row.terms.push_back({po_col_[u], costs.paging[u].page_out_time_s});
                for (int t = i + 2; t <= last_useful_[u]; ++t)
                    if (pi_col(t, i) >= 0)
                        row.terms.push_back({pi_col(t, i), costs.paging[u].page_in_time_s});
            }
        }
        row.upper = deadline_s - fixed;
        add_row(row);
    }
}

double PoetModel::energy(const std::vector<double>& x) const {
    double e = constant_cost_;
    for (size_t j = 0; j < x.size(); ++j) e += cols_[j].cost * x[j];
    return e;
}

int PoetModel::add_col(MilpColumn c) {
    if (c.binary) ++binaries_;
    cols_.push_back(c);
    return static_cast<int>(cols_.size()) - 1;
}

int PoetModel::add_row(MilpRow r) {
    row_stage_.push_back(-1);
    rows_.push_back(std::move(r));
    return static_cast<int>(rows_.size()) - 1;
}

int PoetModel::r_col(int t, int i) const {
    auto it = r_cols_.find(key(t, i));
    return it == r_cols_.end() ? -1 : it->second;
}

int PoetModel::s_col(int t, int i) const {
    const size_t u = static_cast<size_t>(i);
    if (t <= i || t > last_useful_[u] || t >= n_) return -1;
    return s_cols_[u][static_cast<size_t>(t - i - 1)];
}

int PoetModel::pi_col(int t, int i) const {
    const size_t u = static_cast<size_t>(i);
    if (t <= i + 1 || t > last_useful_[u]) return -1;
    return pi_cols_[u][static_cast<size_t>(t - i - 1)];
}

StageDecisions PoetModel::decisions(const std::vector<double>& x) const {
    StageDecisions d;
    const size_t n = static_cast<size_t>(n_);
    d.recompute.assign(n, {});
    d.retained.assign(n, {});
    d.paged_in.assign(n, {});
    d.paged_out.assign(n, false);
    auto on = [&](int c) { return c >= 0 && x[static_cast<size_t>(c)] > 0.5; };
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        d.paged_out[u] = on(po_col_[u]);
        for (int t = i + 1; t < n_ && t <= last_useful_[u]; ++t) {
            if (on(r_col(t, i))) d.recompute[static_cast<size_t>(t)].push_back(i);
            if (on(s_col(t, i))) d.retained[static_cast<size_t>(t)].push_back(i);
            if (on(pi_col(t, i))) d.paged_in[static_cast<size_t>(t)].push_back(i);
        }
    }
    return d;
}

bool PoetModel::assignment(const StageDecisions& d, std::vector<double>& x) const {
    if (!fill(d, x)) return false;
    for (const MilpRow& row : rows_)
        if (violation(row, x) > 0) return false;
    return true;
}

double PoetModel::violation(const MilpRow& row, const std::vector<double>& x) const {
    double a = 0.0;
    for (const auto& [c, v] : row.terms) a += v * x[static_cast<size_t>(c)];
    const double tol = 1e-6 * (1.0 + std::fabs(row.upper < 1e299 ? row.upper : 0.0));
    if (a > row.upper + tol) return a - row.upper;
    if (a < row.lower - tol) return row.lower - a;
    return 0.0;
}

bool PoetModel::fill(const StageDecisions& d, std::vector<double>& x) const {
    x.assign(cols_.size(), 0.0);
    for (int i = 0; i < n_; ++i)
        if (d.paged_out[static_cast<size_t>(i)]) {
            if (po_col_[static_cast<size_t>(i)] < 0) return false;
            x[static_cast<size_t>(po_col_[static_cast<size_t>(i)])] = 1;
        }
    for (int t = 0; t < n_; ++t) {
        const size_t st = static_cast<size_t>(t);
        for (int i : d.recompute[st])
            if (r_col(t, i) < 0)
                return false;
            else
                x[static_cast<size_t>(r_col(t, i))] = 1;
        for (int i : d.retained[st])
            if (s_col(t, i) < 0)
                return false;
            else
                x[static_cast<size_t>(s_col(t, i))] = 1;
        for (int i : d.paged_in[st])
            if (pi_col(t, i) < 0)
                return false;
            else
                x[static_cast<size_t>(pi_col(t, i))] = 1;
    }
    // U and F follow: every F as large as its bounds allow.
    for (int t = 0; t < n_; ++t) {
        const size_t st = static_cast<size_t>(t);
        double u = 0.0;
        for (int i = 0; i < t; ++i) {
            if (s_col(t, i) >= 0)
                u += x[static_cast<size_t>(s_col(t, i))] *
                     static_cast<double>(g_.nodes[static_cast<size_t>(i)].bytes);
            if (pi_col(t, i) >= 0)
                u += x[static_cast<size_t>(pi_col(t, i))] *
                     static_cast<double>(g_.nodes[static_cast<size_t>(i)].bytes);
        }
        x[static_cast<size_t>(u_start_[st])] = u;
        for (const Event& ev : events_[st]) {
            const double xk = ev.node == t ? 1.0 : x[static_cast<size_t>(r_col(t, ev.node))];
            u += xk * static_cast<double>(g_.nodes[static_cast<size_t>(ev.node)].bytes);
            for (const auto& [i, f] : ev.frees) {
                double v = xk;
                if (s_col(t + 1, i) >= 0)
                    v = std::min(v, 1.0 - x[static_cast<size_t>(s_col(t + 1, i))]);
                for (int j : readers_[static_cast<size_t>(i)])
                    if (j > ev.node && j < t && r_col(t, j) >= 0)
                        v = std::min(v, 1.0 - x[static_cast<size_t>(r_col(t, j))]);
                x[static_cast<size_t>(f)] = v;
                u -= v * static_cast<double>(g_.nodes[static_cast<size_t>(i)].bytes);
            }
            x[static_cast<size_t>(ev.u_col)] = u;
        }
    }
    return true;
}

Schedule PoetModel::schedule(const StageDecisions& d) const {
    Schedule s;
    const size_t n = static_cast<size_t>(n_);
    std::vector<bool> resident(n, false);
    for (int t = 0; t < n_; ++t) {
        const size_t st = static_cast<size_t>(t);
        std::vector<bool> keep(n, false);
        if (t + 1 < n_)
            for (int i : d.retained[st + 1]) keep[static_cast<size_t>(i)] = true;
        std::vector<int> order = d.recompute[st];
        order.push_back(t);
        std::vector<bool> runs(n, false);
        for (int k : order) runs[static_cast<size_t>(k)] = true;
        // Whatever came into this stage but is neither used nor kept leaves at once.
        auto needed_after = [&](int i, int k) {
            if (keep[static_cast<size_t>(i)]) return true;
            for (int j : readers_[static_cast<size_t>(i)])
                if (j > k && j <= t && runs[static_cast<size_t>(j)]) return true;
            return false;
        };
        for (int i : d.paged_in[st]) {
            s.steps.push_back({StepOp::page_in, i});
            resident[static_cast<size_t>(i)] = true;
        }
        for (int i = 0; i < n_; ++i)
            if (resident[static_cast<size_t>(i)] && !needed_after(i, -1)) {
                s.steps.push_back({StepOp::free, i});
                resident[static_cast<size_t>(i)] = false;
            }
        for (int k : order) {
            s.steps.push_back({k == t ? StepOp::compute : StepOp::recompute, k});
            resident[static_cast<size_t>(k)] = true;
            if (k == t && d.paged_out[st]) s.steps.push_back({StepOp::page_out, k});
            for (int i = 0; i < n_; ++i)
                if (resident[static_cast<size_t>(i)] && !needed_after(i, k)) {
                    s.steps.push_back({StepOp::free, i});
                    resident[static_cast<size_t>(i)] = false;
                }
        }
    }
    return s;
}

StageDecisions PoetModel::page_everything() const {
    StageDecisions d;
    const size_t n = static_cast<size_t>(n_);
    d.recompute.assign(n, {});
    d.retained.assign(n, {});
    d.paged_in.assign(n, {});
    d.paged_out.assign(n, false);
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        for (int r : readers_[u]) {
            if (r == i + 1) {
                d.retained[static_cast<size_t>(r)].push_back(i);
            } else if (po_col_[u] >= 0) {
                d.paged_out[u] = true;
                d.paged_in[static_cast<size_t>(r)].push_back(i);
            } else {  // no paging: keep it in RAM until its reader
                for (int t = i + 1; t <= r; ++t) d.retained[static_cast<size_t>(t)].push_back(i);
            }
        }
    }
    for (auto* sets : {&d.retained, &d.paged_in})
        for (auto& v : *sets) {
            std::sort(v.begin(), v.end());
            v.erase(std::unique(v.begin(), v.end()), v.end());
        }
    return d;
}

}  // namespace tp
