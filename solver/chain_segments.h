// The chain DP's model of a chain-structured graph (solver/chain_dp.h): the reduced graph read
// as units x_0..x_L with their saved_aux nodes, what the nodes after the loss hold in every
// schedule of the family, and one segment [c, d) priced with its head's keep/page choices.
// Internal to the DP; chain_dp.cpp runs the dynamic program over these segments.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "engine/cost_model.h"
#include "engine/training_graph.h"
#include "solver/graph_reduction.h"

namespace tp::chain_dp_detail {

inline constexpr int64_t kNone = std::numeric_limits<int64_t>::min() / 4;  // no recompute demand
inline constexpr int kNever = std::numeric_limits<int>::max() / 2;

inline bool forward_phase_kind(NodeKind k) {
    return k == NodeKind::input || k == NodeKind::forward || k == NodeKind::saved_aux;
}

inline size_t at(int i) {
    return static_cast<size_t>(i);
}

enum class Mode : uint8_t { none, keep, page, recompute };

// The reduced graph read as a chain: units, needs, and the RAM of everything after the loss
// that is the same in every schedule of the family.
struct Chain {
    const TrainingGraph* orig = nullptr;
    const ReducedGraph* red = nullptr;
    int n = 0, bw0 = 0, K = 0, U = 0;  // nodes, first node after the forward pass, stages, units
    int64_t persistent = 0;
    std::vector<int> x;                 // unit -> its forward (or input) node
    std::vector<std::vector<int>> aux;  // unit -> its saved_aux nodes
    std::vector<int> unit_of;           // forward-phase node -> unit
    std::vector<std::vector<int>> ins;  // distinct inputs per node
    std::vector<int> first, last;       // forward-phase node: stages of its first/last reader
    std::vector<int> fwd_last;          // forward-phase node: its last forward-phase reader
    std::vector<int> last_post;         // post-loss node: its last reader (node id), -1
    std::vector<int> phi, lambda;       // per boundary d: first stage any unit < d is read in,
                                        // last stage any unit >= d is read in
    std::vector<int64_t> base_pre, base_run1, base_run2;  // per stage, see build_base()

    const TrainingNode& node(int i) const { return red->graph.nodes[at(i)]; }
    int64_t bytes(int i) const { return node(i).bytes; }
    bool needed(int i) const { return first[at(i)] >= 0; }

    // RAM above what was resident while node w runs, when `freed` bytes of its inputs are
    // freed right after it (the expansion frees them after the fused node's first link).
    int64_t delta(int w, int64_t freed) const {
        const auto& m = red->members[at(w)];
        if (m.size() == 1) return bytes(w) + node(w).workspace_bytes;
        const TrainingNode& f = orig->nodes[at(m.front())];
        return std::max(f.bytes + f.workspace_bytes, red->late_bytes[at(w)] - freed);
    }

    std::string analyze();
    void build_base();
};

// One segment [c, d) with the head's paging choices: what it does and what it holds.
struct Segment {
    int c = 0, d = 0, mask = 0;
    bool valid = false;
    bool inconsistent = false;      // the segment breaks an assumption of the DP (a bug)
    int T = -1;                     // recompute stage, -1: nothing recomputed
    std::vector<int> path;          // nodes recomputed at T, in graph order
    std::vector<int> own;           // the head's stored tensors, then the targets
    std::vector<Mode> mode;         // per `own`
    std::vector<int> start, end;    // per `own`: first / last stage resident after the loss
                                    // (start -1: resident since its forward computation)
    std::vector<char> end_in_path;  // freed inside the recompute at T, not after a node
    std::vector<int> path_free;     // per path node: tensors freed right after it (flattened
    std::vector<int> path_free_at;  //   as ranges into path_free)
    double energy = 0.0, time = 0.0;
    int64_t storage = 0;
    int64_t held = 0;                      // kept bytes while no stage touches the segment
    int64_t fwd_peak[2] = {kNone, kNone};  // forward RAM above persistent + earlier kept bytes,
                                           // [0]: x_{c-1} not kept by the previous segment
    int flag_out = 1;  // x_{d-1} kept (1) or resident until its forward readers ran
    // RAM the segment adds per stage k in [lo, hi]; before lo it holds `held`, after hi nothing.
    int lo = 0, hi = -1;
    std::vector<int64_t> pre, main, late, dem;  // dem: peak during its recompute (kNone: none)

    int64_t pre_at(int k) const { return k < lo ? held : k > hi ? 0 : pre[at(k - lo)]; }
    int64_t main_at(int k) const { return k < lo ? held : k > hi ? 0 : main[at(k - lo)]; }
    int64_t late_at(int k) const { return k < lo ? held : k > hi ? 0 : late[at(k - lo)]; }
    int64_t dem_at(int k) const { return k < lo || k > hi ? kNone : dem[at(k - lo)]; }
};

// The head's tensors that a segment [c, d) stores (keep or page).
std::vector<int> head_tensors(const Chain& ch, int c, bool recomputes);
// The tensors of the segment's interior units that something after the loss needs.
std::vector<int> targets_of(const Chain& ch, int c, int d);

// Per-node scratch for make_segment, all zero / -1 between calls.
struct Scratch {
    std::vector<int> reader;  // last reader inside the recompute
    std::vector<char> tag;    // 1 kept, 2 paged, 3 recomputed (a target)
    std::vector<char> stays;  // an own tensor still needed after the recompute
    explicit Scratch(int n) : reader(at(n), -1), tag(at(n), 0), stays(at(n), 0) {}
};

// Builds segment [c, d) with paging mask `mask` (bit i pages the i-th head tensor).
Segment make_segment(const Chain& ch, const CostModel& costs, int c, int d, int mask, bool paging,
                     bool recompute, Scratch& scratch);

}  // namespace tp::chain_dp_detail
