#include "solver/chain_dp.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "engine/units.h"
#include "solver/chain_segments.h"
#include "solver/graph_reduction.h"

namespace tp {

namespace {

using namespace chain_dp_detail;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A DP label at a boundary d: the segments placed left of d, summed up.
struct Label {
    int64_t held = 0;                 // their kept bytes
    double energy = 0.0, time = 0.0;  // beyond computing every node once
    int64_t storage = 0;              // paged bytes
    int parent = -1;                  // the label it extends, an index into Dp::trail
    int c = 0, mask = 0;              // its last segment [c, d) and that segment's paging mask
};

// The labels waiting at one (boundary, flag), their zones side by side: per stage of the
// boundary's zone [phi[d], lambda[d]], what the placed segments hold there (pre, main, late)
// and the worst moment of their recomputes (demand; kNone: none).
struct Bucket {
    std::vector<Label> labels;
    std::vector<int64_t> zones;
    size_t zone = 0;  // 4 × stages per label
    size_t next_filter = 4096;
};

struct Trail {
    int parent = -1, c = 0, d = 0, mask = 0;
};

struct Dp {
    const Chain& ch;
    const CostModel& costs;
    const SolveOptions& options;
    int64_t budget = 0;  // the whole RAM budget (persistent included)
    bool use_energy = true, use_time = false, use_storage = false;
    double time_left = 0.0;  // deadline minus the time of computing every node once
    int64_t storage_cap = 0;
    bool paging = false, recompute = true;
    Clock::time_point start;
    double time_limit_s = 0.0;
    bool stopped = false, timed_out = false;
    bool inconsistent = false;
    double energy_cap = std::numeric_limits<double>::infinity();  // prune labels dearer
    // > 0: a heuristic pass that treats kept bytes within the same multiple of `quantum` as
    // equal (every limit is still checked exactly, so what it finds is feasible, an upper bound).
    int64_t quantum = 0;

    std::vector<Trail> trail;         // every label that was expanded, and the final one
    std::vector<Bucket> buckets;      // per 2 * d + flag
    std::vector<int64_t> base_below;  // per boundary d: max base RAM over stages < phi[d]

    bool dominates(const Label& a, const int64_t* za, const Label& b, const int64_t* zb,
                   size_t z) const {
        if (quantum > 0 ? a.held / quantum > b.held / quantum : a.held > b.held) return false;
        if (use_energy && a.energy > b.energy) return false;
        if (use_time && a.time > b.time) return false;
        if (use_storage && a.storage > b.storage) return false;
        for (size_t i = 0; i < z; ++i)
            if (za[i] > zb[i]) return false;
        return true;
    }

    // Keeps the Pareto-optimal labels. Sorted by the first active criterion (energy, else kept
    // bytes); with at most two more and no zone a staircase answers each dominance query.
    void filter(Bucket& b) {
        const size_t n = b.labels.size(), z = b.zone;
        std::vector<std::array<double, 4>> key(n);
        int dims = 0;
        for (size_t i = 0; i < n; ++i) {
            const Label& l = b.labels[i];
            int k = 0;
            if (use_energy) key[i][k++] = l.energy;
            key[i][k++] = static_cast<double>(quantum > 0 ? l.held / quantum : l.held);
            if (use_time) key[i][k++] = l.time;
            if (use_storage) key[i][k++] = static_cast<double>(l.storage);
            dims = k;
        }
        std::vector<uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(), [&](uint32_t i, uint32_t j) {
            return std::lexicographical_compare(key[i].begin(), key[i].begin() + dims,
                                                key[j].begin(), key[j].begin() + dims);
        });
        std::vector<uint32_t> kept;
        if (z == 0 && dims <= 2) {
            double best = std::numeric_limits<double>::infinity();
            for (uint32_t i : order) {
                const double v = key[i][static_cast<size_t>(dims) - 1];
                if (dims == 2 ? v < best : kept.empty()) {
                    best = v;
                    kept.push_back(i);
                }
            }
        } else if (z == 0 && dims == 3) {
            std::map<double, double> stairs;  // criterion 1 -> least criterion 2, decreasing
            for (uint32_t i : order) {
                const double a = key[i][1], c = key[i][2];
                auto it = stairs.upper_bound(a);
                if (it != stairs.begin() && std::prev(it)->second <= c) continue;
                kept.push_back(i);
                for (it = stairs.lower_bound(a); it != stairs.end() && it->second >= c;)
                    it = stairs.erase(it);
                stairs[a] = c;
            }
        } else {
            for (uint32_t i : order) {
                bool dominated = false;
                for (uint32_t k : kept)
                    if (dominates(b.labels[k], b.zones.data() + k * z, b.labels[i],
                                  b.zones.data() + i * z, z)) {
                        dominated = true;
                        break;
                    }
                if (!dominated) kept.push_back(i);
            }
        }
        std::vector<Label> labels;
        std::vector<int64_t> zones;
        labels.reserve(kept.size());
        zones.reserve(kept.size() * z);
        for (uint32_t i : kept) {
            labels.push_back(b.labels[i]);
            zones.insert(zones.end(), b.zones.begin() + static_cast<long>(i * z),
                         b.zones.begin() + static_cast<long>((i + 1) * z));
        }
        b.labels = std::move(labels);
        b.zones = std::move(zones);
        b.next_filter = std::max<size_t>(4096, 2 * b.labels.size());
    }

    bool check_stop() {
        if (options.cancel && options.cancel->load()) stopped = true;
        if (seconds_since(start) > time_limit_s) timed_out = true;
        return stopped || timed_out;
    }

    // Applies segment s to label l (at boundary s.c, flag `flag`, zone lz, trail id `parent`);
    // adds the result at boundary s.d unless a RAM, deadline or storage limit already fails.
    void extend(const Segment& s, const Label& l, const int64_t* lz, int parent, int flag,
                int64_t fin_h) {
        if (l.held + s.fwd_peak[flag] + ch.persistent > budget) return;
        if (fin_h != kNone && l.held + fin_h > budget) return;
        const int64_t held = l.held + s.held;
        if (held + base_below[at(s.d)] > budget) return;
        const double time = l.time + s.time;
        if (use_time && time > time_left) return;
        const int64_t storage = l.storage + s.storage;
        if (paging && storage > storage_cap) return;
        const int zc_lo = ch.phi[at(s.c)], zc_hi = ch.lambda[at(s.c)];
        const int zd_lo = ch.phi[at(s.d)], zd_hi = ch.lambda[at(s.d)];
        // RAM at stage k of the segments placed so far plus this one.
        auto combine = [&](int k, int64_t v[4]) {
            int64_t pre = l.held, main = l.held, late = l.held, dem = kNone;
            if (k >= zc_lo) {
                const int64_t* z = lz + 4 * at(k - zc_lo);
                pre = z[0], main = z[1], late = z[2], dem = z[3];
            }
            const int64_t own_dem = s.dem_at(k);
            v[0] = pre + s.pre_at(k);
            v[1] = main + s.main_at(k);
            v[2] = late + s.late_at(k);
            // Recomputes at a stage run lower segments first: the earlier ones see this
            // segment before its recompute, this one sees them after theirs.
            v[3] = std::max(dem == kNone ? kNone : dem + s.pre_at(k),
                            own_dem == kNone ? kNone : main + own_dem);
        };
        auto fits = [&](int k, const int64_t v[4]) {
            const size_t u = at(k);
            if (ch.base_pre[u] + v[0] > budget || ch.base_run1[u] + v[1] > budget) return false;
            if (ch.base_run2[u] != kNone && ch.base_run2[u] + v[2] > budget) return false;
            return v[3] == kNone || ch.base_pre[u] + v[3] <= budget;
        };
        int64_t v[4];
        // Stages no later segment touches any more, where the incoming label is not flat.
        for (int k = std::max(zc_lo, zd_hi + 1); k <= zc_hi; ++k) {
            combine(k, v);
            if (!fits(k, v)) return;
        }
        Bucket& b = buckets[2 * at(s.d) + at(s.flag_out)];
        const size_t mark = b.zones.size();
        for (int k = zd_lo; k <= zd_hi; ++k) {
            combine(k, v);
            if (!fits(k, v)) {  // later segments only add
                b.zones.resize(mark);
                return;
            }
            b.zones.insert(b.zones.end(), v, v + 4);
        }
        if (l.energy + s.energy > energy_cap) {
            b.zones.resize(mark);
            return;
        }
        Label out;
        out.held = held;
        out.energy = l.energy + s.energy;
        out.time = time;
        out.storage = storage;
        out.parent = parent;
        out.c = s.c;
        out.mask = s.mask;
        b.labels.push_back(out);
        if (b.labels.size() >= b.next_filter) filter(b);
    }

    // Max over the stages in (lambda[d], lambda[c]] below phi[c] (where the incoming label holds
    // just its kept bytes) of what the base and the segment need there; kNone: no such stage.
    int64_t flat_need(const Segment& s) const {
        int64_t most = kNone;
        const int hi = std::min(ch.lambda[at(s.c)], ch.phi[at(s.c)] - 1);
        for (int k = ch.lambda[at(s.d)] + 1; k <= hi; ++k) {
            const size_t u = at(k);
            most = std::max(most, ch.base_pre[u] + s.pre_at(k));
            most = std::max(most, ch.base_run1[u] + s.main_at(k));
            if (ch.base_run2[u] != kNone) most = std::max(most, ch.base_run2[u] + s.late_at(k));
            if (s.dem_at(k) != kNone) most = std::max(most, ch.base_pre[u] + s.dem_at(k));
        }
        return most;
    }

    // Runs the DP; returns the trail id of the best complete schedule, or -1 (none fits, or
    // stopped).
    int run() {
        trail.clear();
        buckets.assign(2 * at(ch.U + 1), {});
        base_below.assign(at(ch.U) + 1, 0);
        for (int d = 0; d <= ch.U; ++d) {
            int64_t most = ch.persistent;
            for (int k = 0; k < std::min(ch.phi[at(d)], ch.K); ++k) {
                const size_t u = at(k);
                most = std::max({most, ch.base_pre[u], ch.base_run1[u], ch.base_run2[u]});
            }
            base_below[at(d)] = most;
            buckets[2 * at(d)].zone = buckets[2 * at(d) + 1].zone =
                ch.phi[at(d)] <= ch.lambda[at(d)] ? 4 * at(ch.lambda[at(d)] - ch.phi[at(d)] + 1)
                                                  : 0;
        }
        // Stages after lambda[0] hold no forward tensor.
        for (int k = ch.lambda[0] + 1; k < ch.K; ++k) {
            const size_t u = at(k);
            if (ch.base_pre[u] > budget || ch.base_run1[u] > budget ||
                (ch.base_run2[u] != kNone && ch.base_run2[u] > budget))
                return -1;
        }
        buckets[1].labels.push_back(Label{});
        Scratch scratch(ch.n);
        for (int c = 0; c < ch.U; ++c) {
            if (check_stop()) return -1;
            Bucket& b0 = buckets[2 * at(c)];
            Bucket& b1 = buckets[2 * at(c) + 1];
            filter(b0);
            filter(b1);
            if (b0.labels.empty() && b1.labels.empty()) continue;
            // The labels at c become trail entries, the parents of what they lead to.
            std::vector<int> ids[2];
            for (int flag = 0; flag < 2; ++flag)
                for (const Label& l : buckets[2 * at(c) + at(flag)].labels) {
                    ids[flag].push_back(static_cast<int>(trail.size()));
                    trail.push_back({l.parent, l.c, c, l.mask});
                }
            if (options.progress) {
                SolveProgress p;
                p.elapsed_s = seconds_since(start);
                p.phase = "dp " + std::to_string(c) + "/" + std::to_string(ch.U);
                options.progress(p);
            }
            for (int d = c + 1; d <= ch.U; ++d) {
                if ((d & 15) == 0 && check_stop()) return -1;
                const int heads =
                    static_cast<int>(head_tensors(ch, c, !targets_of(ch, c, d).empty()).size());
                for (int mask = 0; mask < (1 << heads); ++mask) {
                    if (mask != 0 && !paging) break;
                    Segment s = make_segment(ch, costs, c, d, mask, paging, recompute, scratch);
                    inconsistent = inconsistent || s.inconsistent;
                    if (!s.valid) continue;
                    const int64_t fin_h = flat_need(s);
                    for (int flag = 0; flag < 2; ++flag) {
                        const Bucket& b = buckets[2 * at(c) + at(flag)];
                        for (size_t i = 0; i < b.labels.size(); ++i)
                            extend(s, b.labels[i], b.zones.data() + i * b.zone, ids[flag][i], flag,
                                   fin_h);
                    }
                }
            }
            b0 = Bucket{};
            b1 = Bucket{};
        }
        const Label* best = nullptr;
        for (int flag = 0; flag < 2; ++flag)
            for (const Label& l : buckets[2 * at(ch.U) + at(flag)].labels)
                if (!best || l.energy < best->energy) best = &l;
        if (!best) return -1;
        trail.push_back({best->parent, best->c, ch.U, best->mask});
        return static_cast<int>(trail.size()) - 1;
    }
};

// The reduced graph's steps for the segments the DP chose.
Schedule emit(const Chain& ch, const std::vector<Segment>& segs) {
    const size_t n = at(ch.n);
    std::vector<char> keep(n, 0), page(n, 0);
    std::vector<int> free_after(n, -1);  // node after which a forward-phase tensor leaves RAM
                                         // in the backward part (-1: in the forward pass)
    std::vector<std::vector<int>> page_in(at(ch.K)), recomputes(at(ch.K));
    for (size_t si = 0; si < segs.size(); ++si) {
        const Segment& s = segs[si];
        for (size_t i = 0; i < s.own.size(); ++i) {
            const int v = s.own[i];
            if (s.mode[i] == Mode::keep) keep[at(v)] = 1;
            if (s.mode[i] == Mode::page) {
                page[at(v)] = 1;
                page_in[at(s.start[i])].push_back(v);
            }
            if (!s.end_in_path[i]) free_after[at(v)] = ch.bw0 + s.end[i];
        }
        if (s.T >= 0) recomputes[at(s.T)].push_back(static_cast<int>(si));
    }
    Schedule out;
    auto push = [&](StepOp op, int v) { out.steps.push_back({op, v}); };
    for (int w = 0; w < ch.bw0; ++w) {
        push(StepOp::compute, w);
        for (int u : ch.ins[at(w)])
            if (ch.fwd_last[at(u)] == w && !keep[at(u)]) push(StepOp::free, u);
        if (page[at(w)]) push(StepOp::page_out, w);
        if (ch.fwd_last[at(w)] < 0 && !keep[at(w)]) push(StepOp::free, w);
    }
    for (int k = 0; k < ch.K; ++k) {
        auto& pi = page_in[at(k)];
        std::sort(pi.begin(), pi.end());
        for (int v : pi) push(StepOp::page_in, v);
        for (int si : recomputes[at(k)]) {  // segments in ascending order already
            const Segment& s = segs[at(si)];
            for (size_t p = 0; p < s.path.size(); ++p) {
                push(StepOp::recompute, s.path[p]);
                for (int f = s.path_free_at[p]; f < s.path_free_at[p + 1]; ++f)
                    push(StepOp::free, s.path_free[at(f)]);
            }
        }
        const int w = ch.bw0 + k;
        push(StepOp::compute, w);
        for (int u : ch.ins[at(w)]) {
            if (u < ch.bw0 ? free_after[at(u)] == w : ch.last_post[at(u)] == w)
                push(StepOp::free, u);
        }
        if (ch.last_post[at(w)] < 0) push(StepOp::free, w);
    }
    return out;
}

}  // namespace

std::string chain_dp_obstacle(const TrainingGraph& graph, const CostModel& costs) {
    const ReducedGraph reduced = reduce_graph(graph, costs);
    Chain ch;
    ch.orig = &graph;
    ch.red = &reduced;
    return ch.analyze();
}

SolveResult ChainDpScheduler::solve(const TrainingGraph& graph, const CostModel& costs,
                                    const SolveOptions& options) const {
    const auto start = Clock::now();
    SolveResult result;
    result.solver = name();
    result.stats.graph_nodes = result.stats.reduced_nodes = static_cast<int>(graph.nodes.size());
    auto finish = [&]() -> SolveResult {
        result.solve_time_s = seconds_since(start);
        return std::move(result);
    };
    if (costs.node.size() != graph.nodes.size() || costs.paging.size() != graph.nodes.size()) {
        result.status = SolveStatus::error;
        result.message = "the cost model was built for another graph";
        return finish();
    }

    const ReducedGraph reduced = reduce_graph(graph, costs);
    result.stats.reduced_nodes = static_cast<int>(reduced.graph.nodes.size());
    Chain ch;
    ch.orig = &graph;
    ch.red = &reduced;
    if (std::string why = ch.analyze(); !why.empty()) {
        result.status = SolveStatus::error;
        result.message = "dp needs a chain-structured graph (" + why + "); use milp";
        return finish();
    }

    // Store-all is the least energy and the fastest schedule of every family.
    if (auto settled = settle_without_search(graph, costs, options, name())) {
        settled->stats = result.stats;
        settled->solve_time_s = seconds_since(start);
        return std::move(*settled);
    }
    // The family's smallest budget lies below store-all's peak (the bisection's upper end).
    const int64_t store_all_peak =
        StoreAllScheduler().solve(graph, costs, {}).replay.peak_ram_bytes;

    double base_time = 0.0, base_energy = 0.0;
    int64_t forward_bytes = 0;
    for (int i = 0; i < ch.n; ++i) {
        base_time += reduced.costs.node[at(i)].time_s;
        base_energy += reduced.costs.node_total_energy_j(i);
        if (i < ch.bw0) forward_bytes += ch.bytes(i);
    }
    Dp dp{ch, reduced.costs, options};
    dp.start = start;
    dp.time_limit_s = options.time_limit_s > 0 ? options.time_limit_s : 1e300;
    dp.paging = options.allow_paging && reduced.costs.paging_available();
    dp.recompute = options.allow_recompute;
    dp.storage_cap = reduced.costs.storage_capacity_bytes;
    dp.use_storage = dp.paging && dp.storage_cap < forward_bytes;
    dp.use_time = options.deadline_s > 0;
    dp.time_left = options.deadline_s * (1 - 1e-12) - base_time;  // never past it on replay

    auto stopped = [&]() {
        result.status = dp.stopped ? SolveStatus::cancelled : SolveStatus::time_limit;
        result.message = dp.stopped ? "cancelled"
                                    : "dp did not finish within the time limit of " +
                                          format_seconds(options.time_limit_s);
        return finish();
    };

    dp.budget = options.ram_budget_bytes;
    // Coarse passes first: each one's schedule bounds the energy of the next pass, which then
    // drops every label already dearer; the last pass is exact (a label is only dropped when
    // strictly dearer than a schedule known to fit, so the optimum survives).
    for (int64_t parts : {32, 512}) {
        dp.quantum = std::max<int64_t>(1, options.ram_budget_bytes / parts);
        if (const int coarse = dp.run(); coarse >= 0) {
            double extra = 0.0;
            Scratch scratch(ch.n);
            for (int id = coarse; dp.trail[at(id)].parent >= 0; id = dp.trail[at(id)].parent) {
                const Trail& t = dp.trail[at(id)];
                extra += make_segment(ch, reduced.costs, t.c, t.d, t.mask, dp.paging, dp.recompute,
                                      scratch)
                             .energy;
            }
            dp.energy_cap = std::min(dp.energy_cap, extra * (1 + 1e-9) + 1e-300);
        }
        if (dp.stopped || dp.timed_out) return stopped();
    }
    dp.quantum = 0;
    const int best = dp.run();
    if (dp.stopped || dp.timed_out) return stopped();
    if (dp.inconsistent) {
        result.status = SolveStatus::error;
        result.message = "dp: a segment broke the DP's model of the chain (a bug)";
        return finish();
    }
    if (best < 0) {
        // The smallest budget the family reaches: bisect between this budget and the store-all
        // peak (all kept, in the family) with feasibility-only passes, coarse ones first (what
        // they find fits). Only while it stays cheap: at most max(2 s, 4 × the solve so far).
        result.status = SolveStatus::infeasible;
        result.message = "no dp schedule fits the budget " + format_bytes(options.ram_budget_bytes);
        if (options.deadline_s > 0)
            result.message += " and the deadline " + std::to_string(options.deadline_s) + " s";
        const double spent = seconds_since(start);
        dp.time_limit_s = std::min(dp.time_limit_s, spent + std::max(2.0, 4 * spent));
        dp.use_energy = false;
        dp.energy_cap = std::numeric_limits<double>::infinity();
        auto fits = [&](int64_t budget) {
            dp.budget = budget;
            for (int64_t parts : {32, 512, 0}) {
                dp.quantum = parts > 0 ? std::max<int64_t>(1, budget / parts) : 0;
                if (dp.run() >= 0) return true;
                if (dp.stopped || dp.timed_out) break;
            }
            return false;
        };
        int64_t lo = options.ram_budget_bytes, hi = store_all_peak;
        while (hi - lo > 1) {
            const int64_t mid = lo + (hi - lo) / 2;
            const bool ok = fits(mid);
            if (dp.stopped || dp.timed_out) break;
            (ok ? hi : lo) = mid;
        }
        if (dp.stopped) return stopped();
        if (!dp.timed_out)
            result.message += "; the smallest budget the dp family reaches is " + format_bytes(hi) +
                              " (" + std::to_string(hi) + " B)";
        else
            result.message += "; the dp family needs more than " + format_bytes(lo) +
                              " and at most " + format_bytes(hi);
        return finish();
    }

    std::vector<Segment> segs;
    Scratch scratch(ch.n);
    double extra = 0.0;
    for (int id = best; dp.trail[at(id)].parent >= 0; id = dp.trail[at(id)].parent) {
        const Trail& t = dp.trail[at(id)];
        segs.push_back(
            make_segment(ch, reduced.costs, t.c, t.d, t.mask, dp.paging, dp.recompute, scratch));
        extra += segs.back().energy;
    }
    std::reverse(segs.begin(), segs.end());
    const double energy = base_energy + extra;
    result.schedule = expand_schedule(reduced, emit(ch, segs));
    result.status = SolveStatus::optimal;
    attach_replay(result, graph, costs, options);
    if (result.status == SolveStatus::infeasible) {
        result.status = SolveStatus::error;
        result.message = "dp's schedule does not fit when replayed (a bug): " + result.message;
    } else if (result.status == SolveStatus::optimal &&
               std::fabs(result.energy_j - energy) > 1e-9 * std::max(1e-12, energy)) {
        result.status = SolveStatus::error;
        result.message = "the replayed energy " + std::to_string(result.energy_j) +
                         " J differs from the dp's " + std::to_string(energy) + " J";
    }
    if (result.status == SolveStatus::optimal) result.lower_bound_j = result.energy_j;
    return finish();
}

}  // namespace tp
