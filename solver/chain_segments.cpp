#include "solver/chain_segments.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

namespace tp::chain_dp_detail {

std::string Chain::analyze() {
    const TrainingGraph& g = red->graph;
    n = static_cast<int>(g.nodes.size());
    persistent = g.persistent_bytes();
    ins.assign(at(n), {});
    for (const auto& v : g.nodes) {
        auto& in = ins[at(v.id)];
        in = v.inputs;
        std::sort(in.begin(), in.end());
        in.erase(std::unique(in.begin(), in.end()), in.end());
    }
    bw0 = n;
    for (int i = 0; i < n; ++i)
        if (!forward_phase_kind(node(i).kind)) {
            bw0 = i;
            break;
        }
    for (int i = bw0; i < n; ++i)
        if (forward_phase_kind(node(i).kind))
            return node(i).name + " is a forward node after the loss";
    unit_of.assign(at(n), -1);
    for (int i = 0; i < bw0; ++i) {
        const TrainingNode& v = node(i);
        const auto& in = ins[at(i)];
        if (v.kind == NodeKind::input) {
            if (i != 0) return v.name + " is a second graph input";
            x.push_back(i);
            aux.emplace_back();
        } else if (x.empty()) {
            return v.name + " comes before the graph input";
        } else if (v.kind == NodeKind::forward) {
            for (int u : in)
                if (u != x.back())
                    return v.name + " reads " + node(u).name +
                           ", which is not the forward node before it";
            x.push_back(i);
            aux.emplace_back();
        } else {  // saved_aux
            const bool own = in.size() == 1 && in[0] == x.back();
            const bool before = in.size() == 1 && x.size() >= 2 && in[0] == x[x.size() - 2];
            if (!own && !before)
                return v.name +
                       " reads something other than its forward node or that node's "
                       "input";
            aux.back().push_back(i);
        }
        unit_of[at(i)] = static_cast<int>(x.size()) - 1;
    }
    U = static_cast<int>(x.size());
    K = n - bw0;
    first.assign(at(n), -1);
    last.assign(at(n), -1);
    fwd_last.assign(at(n), -1);
    last_post.assign(at(n), -1);
    for (int w = 0; w < n; ++w)
        for (int u : ins[at(w)]) {
            if (w < bw0) {
                fwd_last[at(u)] = std::max(fwd_last[at(u)], w);
            } else if (u < bw0) {
                const int k = w - bw0;
                if (first[at(u)] < 0) first[at(u)] = k;
                last[at(u)] = std::max(last[at(u)], k);
            } else {
                last_post[at(u)] = std::max(last_post[at(u)], w);
            }
        }
    phi.assign(at(U) + 1, kNever);
    lambda.assign(at(U) + 1, -1);
    for (int d = 0; d < U; ++d) {
        int lo = phi[at(d)];
        for (int v : aux[at(d)])
            if (needed(v)) lo = std::min(lo, first[at(v)]);
        if (needed(x[at(d)])) lo = std::min(lo, first[at(x[at(d)])]);
        phi[at(d) + 1] = lo;
    }
    for (int d = U - 1; d >= 0; --d) {
        int hi = lambda[at(d) + 1];
        for (int v : aux[at(d)]) hi = std::max(hi, last[at(v)]);
        hi = std::max(hi, last[at(x[at(d)])]);
        lambda[at(d)] = hi;
    }
    build_base();
    return {};
}

// What the nodes after the loss hold, the same in every schedule of the family, per stage k:
//  base_pre  : persistent + their outputs resident before stage k's node runs,
//  base_run1 : ... while its (first link) runs,
//  base_run2 : ... while a fused node's later links run (inputs freed after it are gone;
//              kNone for a single link). Forward tensors add `main` resp. `late`.
void Chain::build_base() {
    base_pre.assign(at(K), 0);
    base_run1.assign(at(K), 0);
    base_run2.assign(at(K), kNone);
    int64_t held = 0;
    for (int k = 0; k < K; ++k) {
        const int w = bw0 + k;
        int64_t freed = 0;
        for (int u : ins[at(w)])
            if (u >= bw0 && last_post[at(u)] == w) freed += bytes(u);
        base_pre[at(k)] = persistent + held;
        const auto& m = red->members[at(w)];
        if (m.size() == 1) {
            base_run1[at(k)] = persistent + held + bytes(w) + node(w).workspace_bytes;
        } else {
            const TrainingNode& f = orig->nodes[at(m.front())];
            base_run1[at(k)] = persistent + held + f.bytes + f.workspace_bytes;
            base_run2[at(k)] = persistent + held - freed + red->late_bytes[at(w)];
        }
        held += bytes(w) - freed;
        if (last_post[at(w)] < 0) held -= bytes(w);
    }
}

std::vector<int> head_tensors(const Chain& ch, int c, bool recomputes) {
    std::vector<int> hs;
    const int xc = ch.x[at(c)];
    if (ch.needed(xc) || recomputes) hs.push_back(xc);
    for (int v : ch.aux[at(c)])
        if (ch.needed(v)) hs.push_back(v);
    return hs;
}

std::vector<int> targets_of(const Chain& ch, int c, int d) {
    std::vector<int> t;
    for (int j = c + 1; j < d; ++j) {
        if (ch.needed(ch.x[at(j)])) t.push_back(ch.x[at(j)]);
        for (int v : ch.aux[at(j)])
            if (ch.needed(v)) t.push_back(v);
    }
    return t;
}

Segment make_segment(const Chain& ch, const CostModel& costs, int c, int d, int mask, bool paging,
                     bool recompute, Scratch& scratch) {
    Segment s;
    s.c = c;
    s.d = d;
    s.mask = mask;
    const std::vector<int> targets = targets_of(ch, c, d);
    if (!targets.empty() && !recompute) return s;
    const std::vector<int> hs = head_tensors(ch, c, !targets.empty());
    if (mask >= (1 << hs.size()) || (mask != 0 && !paging)) return s;

    // The recompute: targets and the x's they depend on, from x_c.
    int reach = c;  // last unit whose x is recomputed
    for (int t : targets) {
        const NodeKind k = ch.node(t).kind;
        reach = std::max(
            reach, k == NodeKind::saved_aux ? ch.unit_of[at(ch.ins[at(t)][0])] : ch.unit_of[at(t)]);
        s.T = s.T < 0 ? ch.first[at(t)] : std::min(s.T, ch.first[at(t)]);
    }
    for (int j = c + 1; j <= reach; ++j) s.path.push_back(ch.x[at(j)]);
    for (int t : targets)
        if (ch.node(t).kind == NodeKind::saved_aux) s.path.push_back(t);
    std::sort(s.path.begin(), s.path.end());
    for (int w : s.path)
        if (ch.bw0 + s.T > ch.red->recompute_until[at(w)]) return s;

    const int xc = ch.x[at(c)];
    for (size_t i = 0; i < hs.size(); ++i) {
        const int v = hs[i];
        const bool page = (mask >> i) & 1;
        const bool source = v == xc && s.T >= 0;
        int st = page ? ch.first[at(v)] : -1, en = ch.last[at(v)];
        bool in_path = false;
        if (source) {
            if (page) st = st < 0 ? s.T : std::min(st, s.T);
            if (s.T > en) en = s.T, in_path = true;
        }
        s.own.push_back(v);
        s.mode.push_back(page ? Mode::page : Mode::keep);
        s.start.push_back(st);
        s.end.push_back(en);
        s.end_in_path.push_back(in_path);
        if (page) {
            s.energy += costs.page_out_total_energy_j(v) + costs.page_in_total_energy_j(v);
            s.time += costs.paging[at(v)].page_out_time_s + costs.paging[at(v)].page_in_time_s;
            s.storage += ch.bytes(v);
        } else {
            s.held += ch.bytes(v);
        }
    }
    for (int t : targets) {
        s.own.push_back(t);
        s.mode.push_back(Mode::recompute);
        s.start.push_back(s.T);
        s.end.push_back(ch.last[at(t)]);
        s.end_in_path.push_back(false);
    }
    for (int w : s.path) {
        s.energy += costs.node_total_energy_j(w);
        s.time += costs.node[at(w)].time_s;
    }
    for (size_t i = 0; i < s.own.size(); ++i) {
        const size_t v = at(s.own[i]);
        scratch.tag[v] = s.mode[i] == Mode::keep ? 1 : s.mode[i] == Mode::page ? 2 : 3;
        scratch.stays[v] = !s.end_in_path[i];
    }

    // Which tensors the recompute frees, and after which of its nodes.
    for (int w : s.path)
        for (int u : ch.ins[at(w)]) scratch.reader[at(u)] = w;
    s.path_free_at.push_back(0);
    for (int w : s.path) {
        for (int u : ch.ins[at(w)])
            if (scratch.reader[at(u)] == w && !scratch.stays[at(u)]) s.path_free.push_back(u);
        s.path_free_at.push_back(static_cast<int>(s.path_free.size()));
    }
    for (int w : s.path)
        for (int u : ch.ins[at(w)]) scratch.reader[at(u)] = -1;

    // Forward pass: units c..d-1, with x_{c-1} resident until its last forward reader unless
    // the previous segment keeps it.
    const int from = ch.x[at(c)], to = d < ch.U ? ch.x[at(d)] : ch.bw0;
    auto kept = [&](int u) { return scratch.tag[at(u)] == 1; };
    const int prev = c > 0 ? ch.x[at(c) - 1] : -1;
    for (int flag = 0; flag < 2; ++flag) {
        if (flag == 0 && (prev < 0 || ch.fwd_last[at(prev)] < 0)) continue;
        int64_t mine = 0, e = flag == 0 ? ch.bytes(prev) : 0, peak = kNone;
        for (int w = from; w < to; ++w) {
            int64_t freed = 0, freed_mine = 0;
            bool freed_prev = false;
            for (int u : ch.ins[at(w)]) {
                if (ch.fwd_last[at(u)] != w) continue;
                if (u == prev) {
                    if (flag == 0) freed += ch.bytes(u), freed_prev = true;
                } else if (!kept(u)) {
                    freed += ch.bytes(u);
                    freed_mine += ch.bytes(u);
                }
            }
            peak = std::max(peak, e + mine + ch.delta(w, freed));
            mine += ch.bytes(w) - freed_mine;
            if (freed_prev) e = 0;
            if (ch.fwd_last[at(w)] < 0 && !kept(w)) mine -= ch.bytes(w);
        }
        s.fwd_peak[flag] = peak;
    }
    const int last_x = ch.x[at(d) - 1];
    s.flag_out = d < ch.U && !kept(last_x) && ch.fwd_last[at(last_x)] >= 0 ? 0 : 1;
    for (int v : s.own) scratch.tag[at(v)] = scratch.stays[at(v)] = 0;

    // After the loss: per stage, what the segment holds before the stage's recompute (pre),
    // while its node runs (main), while a fused node's later links run (late).
    s.lo = kNever;
    s.hi = -1;
    for (size_t i = 0; i < s.own.size(); ++i) {
        s.lo = std::min(s.lo, s.mode[i] == Mode::keep ? s.end[i] : s.start[i]);
        s.hi = std::max(s.hi, s.end[i]);
    }
    if (s.hi < 0) {  // holds nothing after the loss
        s.lo = 0;
        s.valid = true;
        return s;
    }
    const size_t len = at(s.hi - s.lo + 1);
    std::vector<int64_t> dpre(len + 1, 0), dmain(len + 1, 0), dlate(len + 1, 0);
    auto add = [&](std::vector<int64_t>& diff, int a, int b, int64_t v) {
        if (a > b) return;
        diff[at(a - s.lo)] += v;
        diff[at(b - s.lo + 1)] -= v;
    };
    for (size_t i = 0; i < s.own.size(); ++i) {
        const int64_t b = ch.bytes(s.own[i]);
        const int st = s.mode[i] == Mode::keep ? s.lo : s.start[i], en = s.end[i];
        add(dpre, s.mode[i] == Mode::recompute ? st + 1 : st, en, b);
        add(dmain, st, s.end_in_path[i] ? en - 1 : en, b);
        add(dlate, st, en - 1, b);
    }
    s.pre.resize(len);
    s.main.resize(len);
    s.late.resize(len);
    s.dem.assign(len, kNone);
    int64_t a = 0, m = 0, l = 0;
    for (size_t k = 0; k < len; ++k) {
        s.pre[k] = a += dpre[k];
        s.main[k] = m += dmain[k];
        s.late[k] = l += dlate[k];
    }
    if (s.T >= 0) {
        int64_t held_now = s.pre[at(s.T - s.lo)], peak = kNone;
        for (size_t p = 0; p < s.path.size(); ++p) {
            const int w = s.path[p];
            int64_t freed = 0;
            for (int f = s.path_free_at[p]; f < s.path_free_at[p + 1]; ++f)
                freed += ch.bytes(s.path_free[at(f)]);
            peak = std::max(peak, held_now + ch.delta(w, freed));
            held_now += ch.bytes(w) - freed;
        }
        s.dem[at(s.T - s.lo)] = peak;
        s.inconsistent = held_now != s.main[at(s.T - s.lo)];
    }
    // The DP relies on a segment [c, d) touching only stages in [phi[d], lambda[c]].
    s.inconsistent = s.inconsistent || s.lo < ch.phi[at(d)] || s.hi > ch.lambda[at(c)];
    s.valid = !s.inconsistent;
    return s;
}

}  // namespace tp::chain_dp_detail
