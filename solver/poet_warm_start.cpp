// PoetModel's quick schedules for branch and bound, found in milliseconds: the greedy start
// (from store-all) and the rounding of an LP solution, both made to fit by relieve_memory.
#include <algorithm>

#include "solver/poet_model.h"

namespace tp {

namespace {

bool contains(const std::vector<int>& sorted, int v) {
    return std::binary_search(sorted.begin(), sorted.end(), v);
}

void insert_sorted(std::vector<int>& v, int x) {
    auto it = std::lower_bound(v.begin(), v.end(), x);
    if (it == v.end() || *it != x) v.insert(it, x);
}

StageDecisions no_decisions(size_t n) {
    StageDecisions d;
    d.recompute.assign(n, {});
    d.retained.assign(n, {});
    d.paged_in.assign(n, {});
    d.paged_out.assign(n, false);
    return d;
}

}  // namespace

std::optional<StageDecisions> PoetModel::greedy_start() const {
    // Store-all: every output stays from its computation to its last reader.
    StageDecisions d = no_decisions(static_cast<size_t>(n_));
    for (int i = 0; i < n_; ++i) {
        const auto& readers = readers_[static_cast<size_t>(i)];
        const int last = readers.empty() ? i : readers.back();
        for (int t = i + 1; t <= last; ++t) d.retained[static_cast<size_t>(t)].push_back(i);
    }
    return relieve_memory(std::move(d));
}

std::optional<StageDecisions> PoetModel::round_lp(const std::vector<double>& x,
                                                  double threshold) const {
    const size_t n = static_cast<size_t>(n_);
    StageDecisions d = no_decisions(n);
    auto on = [&](int c) { return c >= 0 && x[static_cast<size_t>(c)] >= threshold; };
    // Where the LP keeps, pages in or recomputes an output, so does the start; it keeps only
    // what is there to keep: from its computation, a recomputation or a page-in on.
    std::vector<std::vector<char>> held(n);  // held[i][t - i - 1]
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        held[u].assign(static_cast<size_t>(std::max(0, last_useful_[u] - i)), 0);
        bool there = true;
        for (int t = i + 1; t <= last_useful_[u] && t < n_; ++t) {
            const bool keep = there && on(s_col(t, i));
            held[u][static_cast<size_t>(t - i - 1)] = keep;
            const bool paged = !keep && on(pi_col(t, i)) && po_col_[u] >= 0;
            const bool recomputed = !keep && !paged && on(r_col(t, i));
            if (paged) {
                d.paged_in[static_cast<size_t>(t)].push_back(i);
                d.paged_out[u] = true;
            }
            if (recomputed) d.recompute[static_cast<size_t>(t)].push_back(i);
            there = keep || paged || recomputed;
        }
    }
    auto is_held = [&](int i, int t) {
        return s_col(t, i) >= 0 && held[static_cast<size_t>(i)][static_cast<size_t>(t - i - 1)];
    };
    // Every input of what runs in a stage must be there: recompute it in that stage where the
    // family allows, or else keep it from where it last was.
    for (int t = 0; t < n_; ++t) {
        auto& recompute = d.recompute[static_cast<size_t>(t)];
        std::vector<int> work = recompute;
        work.push_back(t);
        while (!work.empty()) {
            const int k = work.back();
            work.pop_back();
            for (int i : inputs_[static_cast<size_t>(k)]) {
                if (is_held(i, t) || contains(recompute, i) ||
                    contains(d.paged_in[static_cast<size_t>(t)], i))
                    continue;
                if (r_col(t, i) >= 0) {
                    insert_sorted(recompute, i);
                    work.push_back(i);
                    continue;
                }
                int from = i + 1;
                for (int s = t - 1; s > i; --s)
                    if (contains(d.recompute[static_cast<size_t>(s)], i) ||
                        contains(d.paged_in[static_cast<size_t>(s)], i)) {
                        from = s + 1;
                        break;
                    }
                for (int s = from; s <= t; ++s) {
                    if (s_col(s, i) < 0) return std::nullopt;
                    held[static_cast<size_t>(i)][static_cast<size_t>(s - i - 1)] = 1;
                }
            }
        }
    }
    for (int i = 0; i < n_; ++i)
        for (size_t k = 0; k < held[static_cast<size_t>(i)].size(); ++k)
            if (held[static_cast<size_t>(i)][k])
                d.retained[static_cast<size_t>(i) + k + 1].push_back(i);
    return relieve_memory(std::move(d));
}

std::optional<StageDecisions> PoetModel::relieve_memory(StageDecisions d) const {
    const size_t n = static_cast<size_t>(n_);
    std::vector<std::vector<bool>> held(n);  // held[i][t - i - 1]
    for (int i = 0; i < n_; ++i)
        held[static_cast<size_t>(i)].assign(
            static_cast<size_t>(std::max(0, last_useful_[static_cast<size_t>(i)] - i)), false);
    for (int t = 0; t < n_; ++t)
        for (int i : d.retained[static_cast<size_t>(t)])
            if (s_col(t, i) >= 0)
                held[static_cast<size_t>(i)][static_cast<size_t>(t - i - 1)] = true;
    int64_t stored = 0;
    for (int i = 0; i < n_; ++i)
        if (d.paged_out[static_cast<size_t>(i)]) stored += g_.nodes[static_cast<size_t>(i)].bytes;
    auto is_held = [&](int i, int t) {
        return s_col(t, i) >= 0 && held[static_cast<size_t>(i)][static_cast<size_t>(t - i - 1)];
    };
    // Whether the decisions so far read i in stage t: node t itself, or a recomputation there.
    auto reads_at = [&](int i, int t) {
        if (contains(inputs_[static_cast<size_t>(t)], i)) return true;
        for (int k : d.recompute[static_cast<size_t>(t)])
            if (contains(inputs_[static_cast<size_t>(k)], i)) return true;
        return false;
    };
    // The recomputations that make i available in stage t (i itself included), or false when the
    // family cannot: inputs must be held, paged in or recomputed there themselves.
    auto recompute_plan = [&](auto&& self, int i, int t, int hops, std::vector<int>& plan) -> bool {
        if (hops <= 0 || r_col(t, i) < 0) return false;
        for (int j : inputs_[static_cast<size_t>(i)]) {
            if (is_held(j, t) || contains(d.recompute[static_cast<size_t>(t)], j) ||
                contains(d.paged_in[static_cast<size_t>(t)], j) || contains(plan, j))
                continue;
            if (!self(self, j, t, hops - 1, plan)) return false;
        }
        insert_sorted(plan, i);
        return true;
    };
    auto rebuild = [&] {
        for (auto& v : d.retained) v.clear();
        for (int i = 0; i < n_; ++i)
            for (size_t k = 0; k < held[static_cast<size_t>(i)].size(); ++k)
                if (held[static_cast<size_t>(i)][k])
                    d.retained[static_cast<size_t>(i) + k + 1].push_back(i);
    };
    std::vector<double> x;
    for (int round = 0; round < 4 * n_ + 4; ++round) {
        rebuild();
        if (!fill(d, x)) return std::nullopt;
        int worst_stage = -1;
        double worst = 0.0;
        bool other = false;
        for (size_t r = 0; r < rows_.size(); ++r) {
            const double v = violation(rows_[r], x);
            if (v <= 0) continue;
            if (row_stage_[r] < 0)
                other = true;
            else if (v > worst) {
                worst = v;
                worst_stage = row_stage_[r];
            }
        }
        if (worst_stage < 0) {
            if (other) return std::nullopt;  // deadline, storage or a broken start
            return d;
        }
        // Among the outputs held across worst_stage and not read there, the one that frees its
        // bytes for the fewest joules: paged out and in at its next reading stage, or recomputed
        // there (from inputs held there, or recomputed too within the family's hops).
        const int t = worst_stage;
        enum class Move { none, page, recompute } move = Move::none;
        int best = -1, best_stage = -1;
        std::vector<int> best_plan;
        double best_score = 0.0;
        for (int i = 0; i < t; ++i) {
            const size_t u = static_cast<size_t>(i);
            if (!is_held(i, t) || reads_at(i, t)) continue;
            const double bytes = static_cast<double>(g_.nodes[u].bytes);
            if (bytes <= 0) continue;
            // Paging: at the next stage that may read it (the gaps of the S columns end there).
            const auto& uses = use_stages_[u];
            auto it = std::lower_bound(uses.begin(), uses.end(), t);
            if (po_col_[u] >= 0 && it != uses.end() && *it != t && pi_col(*it, i) >= 0 &&
                (d.paged_out[u] || stored + g_.nodes[u].bytes <= costs_.storage_capacity_bytes)) {
                const double cost = costs_.page_in_total_energy_j(i) +
                                    (d.paged_out[u] ? 0.0 : costs_.page_out_total_energy_j(i));
                const double score = bytes / std::max(cost, 1e-30);
                if (score > best_score) {
                    best_score = score;
                    move = Move::page;
                    best = i;
                    best_stage = *it;
                }
            }
            // Recomputing: at the next stage that does read it.
            int next = -1;
            for (int s = t + 1; s <= last_useful_[u] && s < n_; ++s)
                if (reads_at(i, s)) {
                    next = s;
                    break;
                }
            std::vector<int> plan;
            if (next < 0 || !recompute_plan(recompute_plan, i, next, 3, plan)) continue;
            double cost = 0.0;
            for (int k : plan) cost += costs_.node_total_energy_j(k);
            const double score = bytes / std::max(cost, 1e-30);
            if (score > best_score) {
                best_score = score;
                move = Move::recompute;
                best = i;
                best_stage = next;
                best_plan = std::move(plan);
            }
        }
        if (move == Move::none) return std::nullopt;
        const size_t u = static_cast<size_t>(best);
        // Drop it from the stage after its last use before t up to the new use.
        int from = best + 1;
        for (int s = t - 1; s > best; --s)
            if (reads_at(best, s) || contains(d.paged_in[static_cast<size_t>(s)], best) ||
                contains(d.recompute[static_cast<size_t>(s)], best)) {
                from = s + 1;
                break;
            }
        if (move == Move::page) {
            // The S columns' gaps start after a stage that may read it.
            const auto& uses = use_stages_[u];
            auto it = std::lower_bound(uses.begin(), uses.end(), t);
            from = std::max(from, it == uses.begin() ? best + 1 : *std::prev(it) + 1);
        }
        for (int s = from; s <= best_stage; ++s) held[u][static_cast<size_t>(s - best - 1)] = false;
        if (move == Move::page) {
            insert_sorted(d.paged_in[static_cast<size_t>(best_stage)], best);
            if (!d.paged_out[u]) stored += g_.nodes[u].bytes;
            d.paged_out[u] = true;
        } else {
            for (int k : best_plan) insert_sorted(d.recompute[static_cast<size_t>(best_stage)], k);
        }
    }
    return std::nullopt;
}

}  // namespace tp
