// MemoryPlan: static arena offsets for every tensor a schedule keeps in RAM (DESIGN.md data flow:
// Schedule → MemoryPlan → Exporter). Each residency of a node's output — from the compute,
// recompute or page_in that makes it resident to the free that drops it — is one buffer with a
// lifetime in schedule steps; a running node's workspace is a buffer living for its one step.
// Buffers whose lifetimes overlap never share bytes. Offsets come from the better of two greedy
// placements (largest first, as TFLite Micro's GreedyMemoryPlanner; earliest first), each putting
// a buffer at the lowest offset where it fits (best fit among the gaps).
//
// The lower bound is the peak over steps of the live bytes (the Validator's peak minus the
// persistent bytes); fragmentation and alignment can make the arena larger, never smaller.
// Paged copies get offsets in secondary storage: one slot per node ever paged out.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/result.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

inline constexpr int64_t kArenaAlignment = 8;  // every buffer offset is a multiple of this

struct ArenaBuffer {
    int node = -1;           // TrainingGraph node whose output (or workspace) this is
    bool workspace = false;  // the node's scratch while it runs
    int first_step = 0;      // the step that makes it live
    int last_step = 0;       // the step that frees it (inclusive)
    int64_t bytes = 0;       // the node's bytes (unrounded)
    int64_t offset = -1;     // in the activation region, a multiple of kArenaAlignment
};

// Where each step finds and puts its tensors (indices into MemoryPlan::buffers, -1: none).
struct StepPlacement {
    int output = -1;           // compute / recompute / page_in: the buffer written
    int workspace = -1;        // compute / recompute: the node's scratch
    std::vector<int> inputs;   // compute / recompute: one per node input, in input order
    int source = -1;           // page_out / free: the buffer read or dropped
    int storage_slot = -1;     // page_out / page_in: index into storage_slots
};

struct StorageSlot {
    int node = -1;
    int64_t offset = 0;
    int64_t bytes = 0;
};

struct MemoryPlan {
    std::vector<ArenaBuffer> buffers;
    std::vector<StepPlacement> steps;  // one per schedule step
    std::vector<StorageSlot> storage_slots;
    int64_t arena_bytes = 0;        // activation region: max(offset + bytes), rounded to 16
    int64_t high_water_bytes = 0;   // max(offset + bytes): the last byte any kernel writes
    int64_t lower_bound_bytes = 0;  // peak live bytes over the steps
    int64_t storage_bytes = 0;
    const char* strategy = "";      // which placement won
};

// Plans the activation region for `schedule` over `graph`. The schedule must be valid (the
// Validator's replay_schedule); an inconsistent one (input not resident, free of a tensor not in
// RAM) is reported naming the step.
// `workspace_bytes`, when given, replaces each node's workspace_bytes (the exporter passes what
// its kernels really use, never more than the graph's).
Result<MemoryPlan> plan_memory(const TrainingGraph& graph, const Schedule& schedule,
                               const std::vector<int64_t>* workspace_bytes = nullptr);

// Checks a plan: every buffer inside the region and aligned, no two buffers with overlapping
// lifetimes share a byte. Empty string when sound, else the first problem.
std::string check_memory_plan(const MemoryPlan& plan);

}  // namespace tp
