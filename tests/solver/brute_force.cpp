#include "brute_force.h"

#include <bit>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace tp::testing {

namespace {

using Mask = uint32_t;
constexpr int kMaxNodes = 24;

Mask bit(int i) {
    return Mask{1} << i;
}

template <class F>
void for_each_bit(Mask m, F f) {
    while (m) {
        const int i = std::countr_zero(m);
        f(i);
        m &= m - 1;
    }
}

// Every subset of m, m itself first and the empty set last.
template <class F>
void for_each_subset(Mask m, F f) {
    for (Mask s = m;; s = (s - 1) & m) {
        f(s);
        if (s == 0) break;
    }
}

// The state at a stage boundary: what is retained into the stage, which paged-out copies can
// still be read, and how full the storage is (only when the capacity can bind).
struct Key {
    Mask retained = 0;
    Mask stored = 0;
    int64_t storage_bytes = 0;
    bool operator==(const Key&) const = default;
};

struct KeyHash {
    size_t operator()(const Key& k) const {
        uint64_t h = (uint64_t{k.retained} << 32) ^ k.stored;
        h ^= static_cast<uint64_t>(k.storage_bytes) * 0x9e3779b97f4a7c15ULL;
        return std::hash<uint64_t>()(h);
    }
};

// What one stage does, beyond computing its node.
struct Decision {
    Mask recompute = 0;
    Mask page_in = 0;
    Mask retain = 0;  // retained into the next stage
    bool page_out = false;
};

struct Label {
    double energy = 0.0;
    double time = 0.0;
    Key prev;  // the state this label came from (previous layer)
    int prev_label = -1;
    Decision decision;  // the stage that led here
};

using Layer = std::unordered_map<Key, std::vector<Label>, KeyHash>;

class Search {
  public:
    Search(const TrainingGraph& g, const CostModel& c, const SolveOptions& o)
        : graph_(g), costs_(c), options_(o), n_(static_cast<int>(g.nodes.size())) {
        if (n_ > kMaxNodes)
            throw std::invalid_argument("brute force handles at most " + std::to_string(kMaxNodes) +
                                        " nodes, got " + std::to_string(n_));
        paging_ = options_.allow_paging && costs_.paging_available();
        use_time_ = options_.deadline_s > 0;
        const double p = costs_.static_power_w;
        inputs_.assign(static_cast<size_t>(n_), 0);
        readers_.assign(static_cast<size_t>(n_), 0);
        last_stage_.assign(static_cast<size_t>(n_), n_ - 1);
        for (const auto& node : graph_.nodes) {
            for (int in : node.inputs)
                if (in != node.id) {
                    inputs_[idx(node.id)] |= bit(in);
                    readers_[idx(in)] |= bit(node.id);
                }
            if ((node.kind == NodeKind::forward || node.kind == NodeKind::saved_aux) &&
                options_.allow_recompute)
                recomputable_ |= bit(node.id);
            if (node.kind == NodeKind::update)
                for (const auto& v : graph_.nodes)
                    if (v.op == node.op &&
                        (v.kind == NodeKind::forward || v.kind == NodeKind::saved_aux))
                        last_stage_[idx(v.id)] = std::min(last_stage_[idx(v.id)], node.id);
            node_energy_.push_back(costs_.node[idx(node.id)].energy_j +
                                   p * costs_.node[idx(node.id)].time_s);
            node_time_.push_back(costs_.node[idx(node.id)].time_s);
            const PagingCost& pc = costs_.paging[idx(node.id)];
            in_energy_.push_back(pc.page_in_energy_j + p * pc.page_in_time_s);
            in_time_.push_back(pc.page_in_time_s);
            out_energy_.push_back(pc.page_out_energy_j + p * pc.page_out_time_s);
            out_time_.push_back(pc.page_out_time_s);
        }
        // A tensor is worth keeping (in RAM or storage) past stage t when a later stage can read
        // it: a reader computed after t, or a reader recomputable in some stage after t.
        useful_after_.assign(static_cast<size_t>(n_), 0);
        for (int t = 0; t < n_; ++t)
            for (int x = 0; x < n_; ++x)
                for_each_bit(readers_[idx(x)], [&](int r) {
                    const bool later = r > t;
                    const bool recomputable_later =
                        (recomputable_ & bit(r)) && last_stage_[idx(r)] >= std::max(t, r) + 1;
                    if (later || recomputable_later) useful_after_[idx(t)] |= bit(x);
                });
        int64_t pageable = 0;
        for (const auto& node : graph_.nodes)
            if (readers_[idx(node.id)]) pageable += node.bytes;
        storage_binds_ = paging_ && pageable > costs_.storage_capacity_bytes;
    }

    BruteForceResult run() {
        BruteForceResult result;
        std::vector<Layer> layers(static_cast<size_t>(n_) + 1);
        layers[0][Key{}].push_back(Label{});
        for (int t = 0; t < n_; ++t) {
            for (const auto& [key, labels] : layers[idx(t)])
                for (size_t l = 0; l < labels.size(); ++l)
                    expand(t, key, static_cast<int>(l), labels[l], layers[idx(t) + 1]);
            result.states += static_cast<int64_t>(layers[idx(t)].size());
        }
        const Layer& last = layers[idx(n_)];
        result.states += static_cast<int64_t>(last.size());
        const Label* best = nullptr;
        Key best_key;
        for (const auto& [key, labels] : last)
            for (const Label& l : labels)
                if (!best || l.energy < best->energy) best = &l, best_key = key;
        if (!best) return result;
        result.feasible = true;
        result.energy_j = best->energy;
        result.time_s = best->time;

        // Walk back to collect each stage's decision and the set retained into it.
        std::vector<Decision> decisions(static_cast<size_t>(n_));
        std::vector<Mask> retained_in(static_cast<size_t>(n_));
        const Label* label = best;
        for (int t = n_ - 1; t >= 0; --t) {
            decisions[idx(t)] = label->decision;
            retained_in[idx(t)] = label->prev.retained;
            label = &layers[idx(t)].at(label->prev)[static_cast<size_t>(label->prev_label)];
        }
        for (int t = 0; t < n_; ++t) emit_stage(t, retained_in[idx(t)], decisions[idx(t)], result);
        return result;
    }

  private:
    static size_t idx(int i) { return static_cast<size_t>(i); }

    int64_t bytes_of(Mask m) const {
        int64_t b = 0;
        for_each_bit(m, [&](int i) { b += graph_.nodes[idx(i)].bytes; });
        return b;
    }

    // The stage's nodes in run order: recomputes in increasing id, then t.
    std::vector<int> stage_nodes(int t, Mask recompute) const {
        std::vector<int> ops;
        for_each_bit(recompute, [&](int j) { ops.push_back(j); });
        ops.push_back(t);
        return ops;
    }

    // reads_after[i] = tensors read by the stage's nodes from position i on.
    std::vector<Mask> reads_after(const std::vector<int>& ops) const {
        std::vector<Mask> after(ops.size() + 1, 0);
        for (size_t i = ops.size(); i-- > 0;) after[i] = after[i + 1] | inputs_[idx(ops[i])];
        return after;
    }

    void insert(Layer& layer, const Key& key, const Label& label) {
        std::vector<Label>& labels = layer[key];
        for (const Label& l : labels)
            if (l.energy <= label.energy && (!use_time_ || l.time <= label.time)) return;
        std::erase_if(labels, [&](const Label& l) {
            return label.energy <= l.energy && (!use_time_ || label.time <= l.time);
        });
        labels.push_back(label);
    }

    void expand(int t, const Key& key, int label_index, const Label& from, Layer& next) {
        const int64_t persistent = graph_.persistent_bytes();
        const int64_t budget = options_.ram_budget_bytes;
        const Mask below = bit(t) - 1;
        Mask eligible = recomputable_ & below & ~key.retained;
        for_each_bit(eligible, [&](int j) {
            if (last_stage_[idx(j)] < t) eligible &= ~bit(j);  // its layer's update already ran
        });
        for_each_subset(eligible, [&](Mask recompute) {
            const std::vector<int> ops = stage_nodes(t, recompute);
            const std::vector<Mask> reads = reads_after(ops);
            const Mask need = reads[0] & ~recompute;  // read in the stage, not made in it
            const Mask page_in = need & ~key.retained;
            if (page_in & ~key.stored) return;  // neither resident nor in storage
            const Mask available = key.retained | page_in | recompute | bit(t);
            const Mask keepable = available & useful_after_[idx(t)];
            // A tensor retained into this stage that the stage does not read must go on.
            const Mask must_retain = key.retained & ~need;
            if (must_retain & ~keepable) return;
            double energy = 0.0, time = 0.0;
            for (int k : ops) energy += node_energy_[idx(k)], time += node_time_[idx(k)];
            for_each_bit(page_in, [&](int x) {
                energy += in_energy_[idx(x)];
                time += in_time_[idx(x)];
            });
            for_each_subset(keepable & ~must_retain, [&](Mask extra) {
                const Mask retain = must_retain | extra;
                if (recompute & ~(reads[0] | retain)) return;  // a recompute nobody uses
                // RAM while each node runs, freeing after each one what the stage no longer
                // reads and does not retain.
                Mask resident = key.retained | page_in;
                int64_t resident_bytes = bytes_of(resident);
                for (size_t i = 0; i < ops.size(); ++i) {
                    const TrainingNode& node = graph_.nodes[idx(ops[i])];
                    if (budget > 0 &&
                        persistent + resident_bytes + node.bytes + node.workspace_bytes > budget)
                        return;
                    resident |= bit(ops[i]);
                    resident_bytes += node.bytes;
                    const Mask dead = resident & ~(retain | reads[i + 1]);
                    resident &= ~dead;
                    resident_bytes -= bytes_of(dead);
                }
                for (int out = 0; out < 2; ++out) {
                    const bool page_out = out == 1;
                    Key to{retain, key.stored, key.storage_bytes};
                    double e = from.energy + energy, s = from.time + time;
                    if (page_out) {
                        if (!paging_ || !readers_[idx(t)]) continue;
                        const int64_t stored = key.storage_bytes + graph_.nodes[idx(t)].bytes;
                        if (storage_binds_ && stored > costs_.storage_capacity_bytes) continue;
                        if (storage_binds_) to.storage_bytes = stored;
                        to.stored |= bit(t);
                        e += out_energy_[idx(t)];
                        s += out_time_[idx(t)];
                    }
                    if (use_time_ && s > options_.deadline_s) continue;
                    to.stored &= useful_after_[idx(t)];
                    insert(next, to,
                           Label{e, s, key, label_index, {recompute, page_in, retain, page_out}});
                }
            });
        });
    }

    void emit_stage(int t, Mask retained, const Decision& d, BruteForceResult& out) const {
        std::vector<Step>& steps = out.schedule.steps;
        for_each_bit(d.page_in, [&](int x) { steps.push_back({StepOp::page_in, x}); });
        const std::vector<int> ops = stage_nodes(t, d.recompute);
        const std::vector<Mask> reads = reads_after(ops);
        Mask resident = retained | d.page_in;
        for (size_t i = 0; i < ops.size(); ++i) {
            const int k = ops[i];
            steps.push_back({k == t ? StepOp::compute : StepOp::recompute, k});
            if (k == t && d.page_out) steps.push_back({StepOp::page_out, k});
            resident |= bit(k);
            const Mask dead = resident & ~(d.retain | reads[i + 1]);
            for_each_bit(dead, [&](int x) { steps.push_back({StepOp::free, x}); });
            resident &= ~dead;
        }
    }

    const TrainingGraph& graph_;
    const CostModel& costs_;
    const SolveOptions& options_;
    int n_;
    bool paging_ = false, use_time_ = false, storage_binds_ = false;
    Mask recomputable_ = 0;
    std::vector<Mask> inputs_, readers_, useful_after_;
    std::vector<int> last_stage_;  // the last stage a node may be recomputed in
    std::vector<double> node_energy_, node_time_, in_energy_, in_time_, out_energy_, out_time_;
};

}  // namespace

BruteForceResult brute_force_optimum(const TrainingGraph& graph, const CostModel& costs,
                                     const SolveOptions& options) {
    return Search(graph, costs, options).run();
}

}  // namespace tp::testing
