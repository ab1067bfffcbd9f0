// The independent Validator: replays a Schedule step by step over a TrainingGraph, the way a
// device would run it, and measures what it costs. It trusts nothing a solver says: RAM, storage,
// time and energy are recomputed from the graph and the CostModel. Every schedule any solver
// returns goes through it before it is shown, saved or exported (DESIGN.md "Schedules").
//
// Replay semantics (README "solve --json" contract):
//  - RAM = persistent bytes (trained parameters, optimizer state) + Σ bytes of resident outputs,
//    + the running node's workspace while it runs.
//  - compute / recompute: every input resident, every `after` node already computed; the output
//    becomes resident. compute is the node's first evaluation, recompute any later one; a forward
//    node may not be recomputed once its layer's update ran (it would read changed weights).
//  - page_out: the output is resident; a copy goes to storage (storage bytes grow).
//  - page_in: a copy is in storage; the output becomes resident again.
//  - free: the output leaves RAM.
//  - At the end every node has been computed and nothing is left in RAM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cost_model.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

struct ReplayLimits {
    int64_t ram_budget_bytes = 0;  // 0: unlimited
    double deadline_s = 0.0;       // 0: none
};

struct EnergyBreakdown {
    double compute_j = 0.0;    // first evaluation of every node
    double recompute_j = 0.0;  // every later evaluation
    double page_in_j = 0.0;
    double page_out_j = 0.0;
    double static_j = 0.0;  // static power × runtime
    double total_j() const { return compute_j + recompute_j + page_in_j + page_out_j + static_j; }
};

// RAM while one step runs, split for stacked charts; the parts sum to `total`.
struct StepMemory {
    int64_t parameters = 0;       // trained parameters
    int64_t optimizer_state = 0;  // momentum / Adam moments
    int64_t saved = 0;            // activations kept for backward (TensorRole::saved_activation)
    int64_t gradients = 0;        // activation and weight gradients
    int64_t transient = 0;        // other activations and the running node's workspace
    int64_t paged_in = 0;         // tensors resident because a page_in brought them back
    int64_t total = 0;
};

struct ScheduleReplay {
    bool valid = false;
    std::vector<std::string> violations;  // the first problems found, each naming step and node

    int64_t peak_ram_bytes = 0;
    int peak_step = -1;  // index into the schedule's steps
    int64_t persistent_bytes = 0;
    int64_t peak_storage_bytes = 0;
    std::vector<StepMemory> memory_by_step;  // one per schedule step
    EnergyBreakdown energy;
    double time_s = 0.0;
    int computes = 0, recomputes = 0, page_outs = 0, page_ins = 0, frees = 0;
};

ScheduleReplay replay_schedule(const TrainingGraph& graph, const CostModel& costs,
                               const Schedule& schedule, const ReplayLimits& limits);

// The step that needs the most RAM on its own: persistent bytes + the node's distinct inputs +
// its output + its workspace. No schedule can use less; with paging every schedule can reach it.
int64_t smallest_step_bytes(const TrainingGraph& graph);

}  // namespace tp
