#include "chain_enumeration.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

#include "engine/schedule_replay.h"
#include "solver/graph_reduction.h"

namespace tp::testing {

FamilyOptimum enumerate_family(const TrainingGraph& graph, const CostModel& costs,
                               const SolveOptions& options) {
    const ReducedGraph red = reduce_graph(graph, costs);
    const auto& nodes = red.graph.nodes;
    const int n = static_cast<int>(nodes.size());
    auto fwd = [&](int i) {
        const NodeKind k = nodes[static_cast<size_t>(i)].kind;
        return k == NodeKind::input || k == NodeKind::forward || k == NodeKind::saved_aux;
    };
    int bw0 = 0;
    while (bw0 < n && fwd(bw0)) ++bw0;
    std::vector<int> unit_x;  // unit -> x node
    std::vector<int> unit(static_cast<size_t>(n), -1);
    for (int i = 0; i < bw0; ++i) {
        if (nodes[static_cast<size_t>(i)].kind != NodeKind::saved_aux) unit_x.push_back(i);
        unit[static_cast<size_t>(i)] = static_cast<int>(unit_x.size()) - 1;
    }
    const int U = static_cast<int>(unit_x.size());
    std::vector<std::set<int>> readers(static_cast<size_t>(n));
    for (const auto& v : nodes)
        for (int u : v.inputs) readers[static_cast<size_t>(u)].insert(v.id);
    auto needed = [&](int v) {
        for (int r : readers[static_cast<size_t>(v)])
            if (r >= bw0) return true;
        return false;
    };
    auto first_stage = [&](int v) {
        for (int r : readers[static_cast<size_t>(v)])
            if (r >= bw0) return r;
        return -1;
    };
    const bool paging = options.allow_paging && costs.paging_available();

    FamilyOptimum best;
    // Segment heads: unit 0 plus any subset of 1..U-1.
    for (uint64_t cuts = 0; cuts < (uint64_t{1} << (U - 1)); ++cuts) {
        std::vector<int> heads{0};
        for (int j = 1; j < U; ++j)
            if ((cuts >> (j - 1)) & 1) heads.push_back(j);
        // Per segment: targets, recompute stage (node id), path; the stored head tensors.
        std::vector<std::vector<int>> targets(heads.size()), path(heads.size());
        std::vector<int> T(heads.size(), -1);
        std::vector<int> stored;  // across segments
        std::vector<int> source;  // per segment: x of the head if it recomputes, else -1
        bool recompute_ok = true;
        for (size_t s = 0; s < heads.size(); ++s) {
            const int c = heads[s], d = s + 1 < heads.size() ? heads[s + 1] : U;
            for (int i = 0; i < bw0; ++i)
                if (unit[static_cast<size_t>(i)] > c && unit[static_cast<size_t>(i)] < d &&
                    needed(i))
                    targets[s].push_back(i);
            if (!targets[s].empty() && !options.allow_recompute) recompute_ok = false;
            // The path: targets and every x they (transitively) read, down to the head.
            std::set<int> p;
            std::function<void(int)> add = [&](int v) {
                if (v == unit_x[static_cast<size_t>(c)] || p.count(v)) return;
                p.insert(v);
                for (int u : nodes[static_cast<size_t>(v)].inputs) add(u);
            };
            for (int t : targets[s]) {
                add(t);
                const int f = first_stage(t);
                T[s] = T[s] < 0 ? f : std::min(T[s], f);
            }
            path[s].assign(p.begin(), p.end());
            source.push_back(targets[s].empty() ? -1 : unit_x[static_cast<size_t>(c)]);
            for (int i = 0; i < bw0; ++i)
                if (unit[static_cast<size_t>(i)] == c &&
                    (needed(i) || (i == unit_x[static_cast<size_t>(c)] && !targets[s].empty())))
                    stored.push_back(i);
        }
        if (!recompute_ok) continue;
        const int S = static_cast<int>(stored.size());
        for (uint64_t pages = 0; pages < (uint64_t{1} << S); ++pages) {
            if (pages != 0 && !paging) break;
            std::vector<char> keep(static_cast<size_t>(n), 0), paged(static_cast<size_t>(n), 0);
            for (int i = 0; i < S; ++i)
                ((pages >> i) & 1 ? paged
                                  : keep)[static_cast<size_t>(stored[static_cast<size_t>(i)])] = 1;
            // Remaining uses of each forward-phase tensor after the forward pass: reader node ids
            // after the loss, and the recompute stages where it is a source.
            std::vector<std::multiset<int>> uses(static_cast<size_t>(n));
            for (int v = 0; v < bw0; ++v)
                for (int r : readers[static_cast<size_t>(v)])
                    if (r >= bw0) uses[static_cast<size_t>(v)].insert(r);
            for (size_t s = 0; s < heads.size(); ++s)
                if (source[s] >= 0) uses[static_cast<size_t>(source[s])].insert(T[s]);
            Schedule sch;
            std::vector<char> resident(static_cast<size_t>(n), 0);
            auto step = [&](StepOp op, int v) { sch.steps.push_back({op, v}); };
            // Forward.
            for (int w = 0; w < bw0; ++w) {
                step(StepOp::compute, w);
                resident[static_cast<size_t>(w)] = 1;
                std::set<int> in(nodes[static_cast<size_t>(w)].inputs.begin(),
                                 nodes[static_cast<size_t>(w)].inputs.end());
                for (int u : in) {
                    bool later = false;
                    for (int r : readers[static_cast<size_t>(u)]) later |= r > w && r < bw0;
                    if (!later && !keep[static_cast<size_t>(u)]) {
                        step(StepOp::free, u);
                        resident[static_cast<size_t>(u)] = 0;
                    }
                }
                if (paged[static_cast<size_t>(w)]) step(StepOp::page_out, w);
                bool fwd_reader = false;
                for (int r : readers[static_cast<size_t>(w)]) fwd_reader |= r < bw0;
                if (!fwd_reader && !keep[static_cast<size_t>(w)]) {
                    step(StepOp::free, w);
                    resident[static_cast<size_t>(w)] = 0;
                }
            }
            // Backward, stage by stage.
            bool ok = true;
            for (int t = bw0; t < n && ok; ++t) {
                for (int v = 0; v < bw0; ++v)  // page-ins: paged tensors used now, not in RAM
                    if (paged[static_cast<size_t>(v)] && !resident[static_cast<size_t>(v)] &&
                        uses[static_cast<size_t>(v)].count(t)) {
                        step(StepOp::page_in, v);
                        resident[static_cast<size_t>(v)] = 1;
                    }
                for (size_t s = 0; s < heads.size(); ++s) {
                    if (T[s] != t) continue;
                    if (source[s] >= 0)
                        uses[static_cast<size_t>(source[s])].erase(
                            uses[static_cast<size_t>(source[s])].find(t));
                    for (size_t p = 0; p < path[s].size(); ++p) {
                        const int w = path[s][p];
                        step(StepOp::recompute, w);
                        resident[static_cast<size_t>(w)] = 1;
                        std::set<int> in(nodes[static_cast<size_t>(w)].inputs.begin(),
                                         nodes[static_cast<size_t>(w)].inputs.end());
                        for (int u : in) {
                            bool later = !uses[static_cast<size_t>(u)].empty();
                            for (size_t q = p + 1; q < path[s].size(); ++q)
                                for (int r : nodes[static_cast<size_t>(path[s][q])].inputs)
                                    later |= r == u;
                            if (!later) {
                                step(StepOp::free, u);
                                resident[static_cast<size_t>(u)] = 0;
                            }
                        }
                    }
                }
                step(StepOp::compute, t);
                resident[static_cast<size_t>(t)] = 1;
                std::set<int> in(nodes[static_cast<size_t>(t)].inputs.begin(),
                                 nodes[static_cast<size_t>(t)].inputs.end());
                for (int u : in) {
                    auto& us = uses[static_cast<size_t>(u)];
                    if (u < bw0) us.erase(t);
                    bool later = u < bw0 ? !us.empty() : false;
                    if (u >= bw0)
                        for (int r : readers[static_cast<size_t>(u)]) later |= r > t;
                    if (!later) {
                        step(StepOp::free, u);
                        resident[static_cast<size_t>(u)] = 0;
                    }
                }
                if (readers[static_cast<size_t>(t)].empty()) {
                    step(StepOp::free, t);
                    resident[static_cast<size_t>(t)] = 0;
                }
            }
            ++best.schedules;
            const Schedule full = expand_schedule(red, sch);
            ScheduleReplay r =
                replay_schedule(graph, costs, full, {options.ram_budget_bytes, options.deadline_s});
            if (!r.valid) continue;  // over a limit, or a recompute after the update
            if (paging && r.peak_storage_bytes > costs.storage_capacity_bytes) continue;
            const double e = r.energy.total_j();
            if (!best.feasible || e < best.energy_j) best.energy_j = e;
            best.feasible = true;
        }
    }
    return best;
}

}  // namespace tp::testing
