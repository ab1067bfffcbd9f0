// The chain dynamic program ("dp"): optimal single-level checkpointing with paging (Chen et al.
// 2016, "Training deep nets with sublinear memory cost", plus POET-style paging) for training
// graphs whose forward part is a chain. It works on the fused graph of solver/graph_reduction.h;
// the schedule it returns is expanded (expand_schedule) and replayed on the original graph.
//
// Chain, after reduction: the nodes before the loss ("forward phase") are the input x_0, then
// forward nodes x_1..x_L in graph order, each reading nothing but x_{i-1}, and saved_aux nodes
// (ReLU masks, MaxPool indices). A saved_aux belongs to the unit of the last x before it in graph
// order and reads exactly that x (a mask) or the x before it (indices). Unit j = x_j and its
// saved_aux nodes. No forward-phase node comes after the loss. Anything else is refused with
// status error "dp needs a chain-structured graph (<first node that breaks it>); use milp".
//
// The family, over which the result is exact. A tensor is "needed" when a node after the loss
// reads it; stage k is the k-th node after the forward phase (the loss is stage 0).
//  1. Every node after the forward phase runs once, in graph order; the forward phase runs once,
//     in graph order (masks included).
//  2. The units 0..L are cut into contiguous segments [c, d). The head unit c stores: each of its
//     needed tensors, and x_c itself when the segment recomputes anything. Each stored tensor is
//     independently KEPT (resident from its computation until its last use) or, with paging on
//     (costs.paging_available() and options.allow_paging), PAGED: paged out right after its
//     computation, freed after its last forward-phase reader, paged in at the stage of its first
//     use and resident from then until its last use.
//  3. Every needed tensor of units c+1..d-1 (a "target") is freed after its last forward-phase
//     reader and recomputed once, at the stage T of the first node that reads any target, from
//     x_c: the recompute runs the targets and the x's they depend on, in graph order; targets
//     stay resident until their last reader, the other x's and x_c (unless x_c is still needed
//     at or after T) are freed right after their last reader within the recompute. The
//     recompute at T counts as a use of x_c. A segment may not recompute a node at a stage
//     after the update that changes that node's weights. With options.allow_recompute false no
//     segment has targets.
//  4. Tensors not needed after the loss are freed after their last forward-phase reader. Every
//     other free happens right after the tensor's last use. Within a stage: page-ins first, then
//     the recomputes of the segments whose T it is (lowest segment first), then the stage's node.
// Among these schedules the dp returns one of least energy (Σ node energy per evaluation +
// page-out/in energy, static power × time included) whose replayed peak RAM is within
// options.ram_budget_bytes, whose runtime is within options.deadline_s (when > 0) and whose paged
// bytes fit the storage: status `optimal`, lower_bound_j = energy_j. RAM is modelled step by step
// exactly as the Validator replays the expanded schedule, fused nodes included (inputs freed
// right after a fused node are gone while its later links run), so "fits" is exact, not a bound.
// No schedule of the family fits: `infeasible`, naming the smallest budget the family reaches
// (bisected while that stays cheap). Store-all fits: it is returned at once (the floor of every
// family). options.cancel → `cancelled`; over options.time_limit_s → `error`.
//
// The DP runs over segment boundaries left to right. A label at boundary d sums the segments
// placed left of d: kept bytes, energy, time, paged bytes, and, for the stages where those
// segments and later ones can both hold tensors ([first stage reading a unit < d, last stage
// reading a unit >= d], usually empty for real networks), what they hold there. A stage's RAM is
// checked once no later segment can touch it; labels are Pareto-filtered per boundary. Pricing
// the segments takes O(U² (U + K)) per pass (U units, K stages), each label expands in
// O(U · zone). Two coarse passes (kept bytes compared in steps of budget/32, budget/512, every
// limit still checked exactly) find schedules that fit; the exact pass drops labels strictly
// dearer than the best of them.
#pragma once

#include <string>

#include "solver/scheduler.h"

namespace tp {

class ChainDpScheduler final : public Scheduler {
  public:
    std::string name() const override { return "dp"; }
    SolveResult solve(const TrainingGraph& graph, const CostModel& costs,
                      const SolveOptions& options) const override;
};

// Empty when `graph` (after reduction) is a chain the dp accepts; otherwise the first node that
// breaks it, as named in the dp's error message.
std::string chain_dp_obstacle(const TrainingGraph& graph, const CostModel& costs);

}  // namespace tp
