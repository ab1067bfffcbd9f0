// An exhaustive reference for the exact schedulers: the least-energy schedule of the staged
// family the MILP solves, found by enumerating every decision, independent of any solver.
//
// The family. Nodes 0..n-1 in graph order; stage t computes node t for the first time. Within
// stage t, in order:
//   1. page_in of tensors paged out in an earlier stage (and not resident),
//   2. recompute of some nodes j < t in increasing j, each at most once per stage; only kinds
//      forward and saved_aux, only when not resident, and not in a stage after the update node
//      of the same op (it would read changed weights),
//   3. compute t, then optionally page_out t (once per node, only right after its compute).
// After every compute/recompute each resident tensor no later node of the stage reads and not
// retained into stage t+1 is freed. The retained set is any subset of what is resident at the
// end of the stage; nothing is retained past the last stage. RAM while node k runs =
// persistent + resident + bytes_k + workspace_k ≤ budget; storage = Σ bytes of paged-out nodes
// ≤ capacity; time = Σ node and paging times ≤ deadline; energy = Σ node and paging energies +
// static power × time.
//
// Decisions that can never help are not enumerated (the optimum is unchanged): paging in a
// tensor the stage does not read, retaining a tensor into a stage that neither reads nor
// retains it further, retaining a tensor no later node or recompute can read, recomputing a node
// whose output the stage neither reads nor retains, paging out a tensor nobody reads.
//
// Exponential: a layered search over stage-boundary states (retained set, paged-out set), with a
// Pareto set of (energy, time) per state when there is a deadline. Meant for n ≤ ~12 nodes.
#pragma once

#include <cstdint>

#include "engine/cost_model.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"
#include "solver/scheduler.h"

namespace tp::testing {

struct BruteForceResult {
    bool feasible = false;
    double energy_j = 0.0;  // including static power × time
    double time_s = 0.0;
    Schedule schedule;   // an optimal schedule, with frees where the family frees
    int64_t states = 0;  // stage-boundary states visited, for reporting
};

BruteForceResult brute_force_optimum(const TrainingGraph& graph, const CostModel& costs,
                                     const SolveOptions& options);

}  // namespace tp::testing
