// ScheduleTimeline: the per-node × per-step state of a Schedule, POET's schedule grid as a plain
// value. Row = TrainingGraph node, column = schedule step. Each cell says whether the node's output
// is in RAM and/or has a copy in secondary storage after that step, and whether the node is the
// one the step acts on. Built with the Validator's replay semantics (engine/schedule_replay.h):
//  - compute / recompute: the output becomes resident;
//  - page_out: a copy of the resident output goes to storage (it stays resident);
//  - page_in: the stored copy becomes resident again (the copy stays in storage);
//  - free: the output leaves RAM (a stored copy stays).
// So Σ bytes of resident cells at step s + persistent bytes + the running node's workspace is the
// Validator's memory_by_step[s].total for any valid schedule.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

// What a grid cell shows: the step's action on its acting node, else where the output lives.
// A free step shows its node's state after the step (stored or empty).
enum class CellState : uint8_t {
    empty,                // neither in RAM nor in storage
    resident,             // in RAM only
    stored,               // a copy in storage, not in RAM
    resident_and_stored,  // in RAM, with a copy in storage
    compute,              // first evaluation at this step
    recompute,            // a later evaluation at this step
    page_out,             // written to storage at this step
    page_in,              // read back from storage at this step
};
const char* cell_state_name(CellState s);

struct ScheduleTimeline {
    int nodes = 0;
    int steps = 0;
    // Per cell, step-major (index step * nodes + node): bit 0 resident, bit 1 stored, bits 2-4
    // the step's action on this node (0 none, 1 + StepOp) after the step ran.
    std::vector<uint8_t> cells;
    std::vector<StepOp> step_ops;          // per step
    std::vector<int> acting_nodes;         // per step: the node the step acts on, as scheduled
    std::vector<int64_t> node_bytes;       // per node: output bytes (TrainingNode::bytes)
    std::vector<int64_t> workspace_bytes;  // per node: scratch while it runs
    int64_t persistent_bytes = 0;          // trained parameters + optimizer state

    // Out-of-range cells are empty / not resident / not stored.
    CellState at(int node, int step) const;
    bool resident(int node, int step) const;
    bool stored(int node, int step) const;
    // True when `step` acts on `node` (any op, free included).
    bool acts_on(int node, int step) const;
    int acting_node(int step) const { return acting_nodes[static_cast<size_t>(step)]; }
    StepOp step_op(int step) const { return step_ops[static_cast<size_t>(step)]; }
    // Σ bytes of the outputs resident after `step`.
    int64_t resident_bytes(int step) const;
};

// Steps naming a node outside the graph keep their op and node but change no cell.
ScheduleTimeline build_schedule_timeline(const TrainingGraph& graph, const Schedule& schedule);

}  // namespace tp
