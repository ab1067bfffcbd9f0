// PoetModel::greedy_paging: a feasible start for branch and bound, found in milliseconds.
#include <algorithm>

#include "solver/poet_model.h"

namespace tp {

std::optional<StageDecisions> PoetModel::greedy_paging() const {
    const size_t n = static_cast<size_t>(n_);
    StageDecisions d;
    d.recompute.assign(n, {});
    d.retained.assign(n, {});
    d.paged_in.assign(n, {});
    d.paged_out.assign(n, false);
    // Store-all: every output stays from its computation to its last reader.
    std::vector<std::vector<bool>> held(n);  // held[i][t - i - 1]
    for (int i = 0; i < n_; ++i) {
        const size_t u = static_cast<size_t>(i);
        const int last = readers_[u].empty() ? i : readers_[u].back();
        held[u].assign(static_cast<size_t>(std::max(0, last_useful_[u] - i)), false);
        for (int t = i + 1; t <= last; ++t) held[u][static_cast<size_t>(t - i - 1)] = true;
    }
    auto rebuild = [&] {
        for (auto& v : d.retained) v.clear();
        for (int i = 0; i < n_; ++i)
            for (size_t k = 0; k < held[static_cast<size_t>(i)].size(); ++k)
                if (held[static_cast<size_t>(i)][k])
                    d.retained[static_cast<size_t>(i) + k + 1].push_back(i);
    };
    int64_t stored = 0;
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
            if (other) return std::nullopt;  // deadline or storage: paging more cannot help
            return d;
        }
        // The held output across worst_stage that pays most to page: it must not be read there.
        const int t = worst_stage;
        int best = -1, best_reader = -1;
        double best_score = 0.0;
        for (int i = 0; i < t; ++i) {
            const size_t u = static_cast<size_t>(i);
            if (s_col(t, i) < 0 || !held[u][static_cast<size_t>(t - i - 1)] || po_col_[u] < 0)
                continue;
            const int64_t bytes = g_.nodes[u].bytes;
            if (!d.paged_out[u] && stored + bytes > costs_.storage_capacity_bytes) continue;
            // The stages that may read it around t: it must not be read at t itself.
            const auto& uses = use_stages_[u];
            auto it = std::lower_bound(uses.begin(), uses.end(), t);
            if (it == uses.end() || *it == t || pi_col(*it, i) < 0) continue;
            const int next = *it;
            const double cost = costs_.page_in_total_energy_j(i) +
                                (d.paged_out[u] ? 0.0 : costs_.page_out_total_energy_j(i));
            const double score = static_cast<double>(bytes) / std::max(cost, 1e-30);
            if (score > best_score) {
                best_score = score;
                best = i;
                best_reader = next;
            }
        }
        if (best < 0) return std::nullopt;
        const size_t u = static_cast<size_t>(best);
        // Drop it from the start of the gap holding t up to the reading stage, page it in there.
        const auto& uses = use_stages_[u];
        auto it = std::lower_bound(uses.begin(), uses.end(), t);
        const int from = it == uses.begin() ? best + 1 : *std::prev(it) + 1;
        for (int s = std::max(from, best + 1); s <= best_reader; ++s)
            held[u][static_cast<size_t>(s - best - 1)] = false;
        d.paged_in[static_cast<size_t>(best_reader)].push_back(best);
        if (!d.paged_out[u]) stored += g_.nodes[u].bytes;
        d.paged_out[u] = true;
    }
    return std::nullopt;
}

}  // namespace tp
