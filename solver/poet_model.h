// The POET-style MILP (Patil et al., ICML 2022), built over a TrainingGraph in the stage form of
// Checkmate (Jain et al., MLSys 2020): stage t computes node t for the first time, and before it
// may page tensors in and recompute forward nodes. Solver-independent: a list of columns and
// rows that poet_milp.cpp hands to GLPK, plus the mapping back to a Schedule.
//
// Variables (all binary except U and F):
//   R[t,i]  forward node i < t is recomputed in stage t        (only where that can help)
//   S[t,i]  output of i is in RAM when stage t starts           (i < t <= last useful stage)
//   PI[t,i] output of i is paged in when stage t starts         (i + 1 < t, only if PO[i] exists)
//   PO[i]   output of i is paged out right after its first computation (once is enough: the
//           values never change, so a later page-out costs the same and helps nothing)
//   U[t,k]  RAM in use (above persistent bytes) after node k ran in stage t and frees happened
//   F[t,i,k] output of i is freed right after node k ran in stage t (continuous: only bounded
//           above by "not read later in the stage" and "not kept for the next stage")
// Memory while node k runs in stage t: U before k + bytes_k + workspace_k <= budget - persistent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/cost_model.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

struct MilpColumn {
    double lower = 0.0, upper = 1.0, cost = 0.0;
    bool binary = true;
};

struct MilpRow {
    std::vector<std::pair<int, double>> terms;  // column index, coefficient
    double lower = -1e300, upper = 1e300;
};

// Which of the family's choices are open (the baselines close one of them).
struct PoetFamily {
    bool recompute = true;
    bool paging = true;
    // 0: exact (Checkmate's full family: any forward node recomputed in any stage). N > 0: a
    // stage recomputes only forward nodes within N hops above what its own node reads — the
    // recomputations that happen right before a value is needed — which keeps big graphs small.
    int recompute_depth = 0;
};

// Decisions of one schedule in the family, stage by stage (sets of node ids).
struct StageDecisions {
    std::vector<std::vector<int>> recompute;  // per stage, ascending
    std::vector<std::vector<int>> retained;   // per stage: S[t,·] = 1
    std::vector<std::vector<int>> paged_in;   // per stage: PI[t,·] = 1
    std::vector<bool> paged_out;              // per node: PO = 1
};

// Optional facts about fused nodes (solver/graph_reduction.h); empty means none.
struct FusedNodes {
    std::vector<int64_t> first_bytes;  // RAM above the inputs while the first link runs
    std::vector<int64_t> late_bytes;   // RAM above the freed inputs while later links run
    std::vector<int> recompute_until;  // last stage each node may be recomputed in
};

class PoetModel {
  public:
    PoetModel(const TrainingGraph& graph, const CostModel& costs, int64_t ram_budget_bytes,
              double deadline_s, PoetFamily family, const FusedNodes& fused = {});

    const std::vector<MilpColumn>& columns() const { return cols_; }
    const std::vector<MilpRow>& rows() const { return rows_; }
    double constant_cost() const { return constant_cost_; }  // first computations + static
    int binaries() const { return binaries_; }
    double energy(const std::vector<double>& x) const;  // of a full column assignment

    // A 0/1 solution (indexed like columns()) read back as decisions, and decisions as a full
    // column assignment (U and F included) for a warm start. The latter returns false when the
    // decisions break a row (then they are no use as a start).
    StageDecisions decisions(const std::vector<double>& x) const;
    bool assignment(const StageDecisions& d, std::vector<double>& x) const;

    // The steps that carry out the decisions: page-ins, (re)computes in order, page-outs, and
    // every free as early as the decisions allow.
    Schedule schedule(const StageDecisions& d) const;

    // A schedule always in the family when the budget allows each step alone: page out every
    // output read two or more stages later, page it in right when needed.
    StageDecisions page_everything() const;
    // A quick warm start: store-all, then while some stage is over budget, page out or
    // recompute (within the family) the output held across that stage that frees the most bytes
    // per joule (solver/poet_warm_start.cpp). Empty when that does not reach the budget.
    std::optional<StageDecisions> greedy_start() const;
    // An LP solution (indexed like columns()) rounded to a schedule: what it keeps, pages in or
    // recomputes at `threshold` or more is kept, paged in or recomputed, whatever else a
    // computation reads is recomputed where the family allows and kept otherwise, and the result
    // is made to fit as in greedy_start. Empty when that fails.
    std::optional<StageDecisions> round_lp(const std::vector<double>& x, double threshold) const;

  private:
    // Pages out or recomputes held outputs until every stage fits (greedy_start's loop).
    std::optional<StageDecisions> relieve_memory(StageDecisions d) const;
    bool fill(const StageDecisions& d, std::vector<double>& x) const;  // columns, rows unchecked
    double violation(const MilpRow& row, const std::vector<double>& x) const;  // 0 when met
    int add_col(MilpColumn c);
    int add_row(MilpRow r);
    int r_col(int t, int i) const;
    int s_col(int t, int i) const;
    int pi_col(int t, int i) const;

    const TrainingGraph& g_;
    const CostModel& costs_;
    int n_ = 0;
    std::vector<std::vector<int>> inputs_;      // distinct inputs per node
    std::vector<std::vector<int>> readers_;     // per node, ascending
    std::vector<int> last_useful_;              // last stage whose computations may need it
    std::vector<std::vector<int>> use_stages_;  // per node: stages that may read it, ascending
    std::vector<std::vector<int>> s_cols_, pi_cols_;  // per node, per stage i+1.. (-1: none)
    std::vector<int> po_col_;
    std::unordered_map<int64_t, int> r_cols_;  // key(t, i) -> R column
    int64_t key(int t, int i) const { return static_cast<int64_t>(t) * n_ + i; }
    std::vector<std::vector<int>> stage_nodes_;  // C_t: candidates computed in stage t
    struct Event {
        int node = 0;
        int u_col = -1;                          // U after the node ran and frees happened
        std::vector<std::pair<int, int>> frees;  // (tensor, F column)
    };
    std::vector<std::vector<Event>> events_;  // per stage, one per node of C_t
    std::vector<int> u_start_;                // per stage: U when it starts
    std::vector<MilpColumn> cols_;
    std::vector<MilpRow> rows_;
    std::vector<int> row_stage_;  // the stage of a memory row, -1 for other rows
    double constant_cost_ = 0.0;
    int binaries_ = 0;
    int64_t capacity_ = 0;  // RAM above persistent bytes
};

}  // namespace tp
