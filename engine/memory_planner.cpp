#include "engine/memory_planner.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace tp {

namespace {

int64_t align_up(int64_t v, int64_t a) {
    return (v + a - 1) / a * a;
}

bool lifetimes_overlap(const ArenaBuffer& a, const ArenaBuffer& b) {
    return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

// Places buffers in `order`, each at the lowest offset where it fits beside the already placed
// buffers whose lifetimes overlap its own; among the gaps, the smallest one that fits (best fit),
// ties to the lowest offset. Returns the offsets and the high-water mark.
std::pair<std::vector<int64_t>, int64_t> place(const std::vector<ArenaBuffer>& buffers,
                                               const std::vector<int>& order) {
    std::vector<int64_t> offset(buffers.size(), -1);
    std::vector<int> placed;
    int64_t high_water = 0;
    std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of conflicting buffers
    for (int b : order) {
        const ArenaBuffer& buf = buffers[static_cast<size_t>(b)];
        busy.clear();
        for (int p : placed)
            if (lifetimes_overlap(buf, buffers[static_cast<size_t>(p)]))
                busy.emplace_back(offset[static_cast<size_t>(p)],
                                  offset[static_cast<size_t>(p)] + buffers[static_cast<size_t>(p)].bytes);
        std::sort(busy.begin(), busy.end());
        int64_t best = -1, best_gap = -1, cursor = 0;
        for (const auto& [begin, end] : busy) {
            int64_t gap = begin - cursor;
            if (gap >= buf.bytes && (best < 0 || gap < best_gap)) best = cursor, best_gap = gap;
            cursor = std::max(cursor, align_up(end, kArenaAlignment));
        }
        if (best < 0) best = cursor;  // above every conflicting buffer
        offset[static_cast<size_t>(b)] = best;
        high_water = std::max(high_water, best + buf.bytes);
        placed.push_back(b);
    }
    return {offset, high_water};
}

}  // namespace

Result<MemoryPlan> plan_memory(const TrainingGraph& graph, const Schedule& schedule,
                               const std::vector<int64_t>* workspace_bytes) {
    MemoryPlan plan;
    const size_t n = graph.nodes.size();
    std::vector<int> live(n, -1);      // node -> its buffer while resident
    std::vector<int> slot_of(n, -1);   // node -> its storage slot
    plan.steps.resize(schedule.steps.size());
    auto fail = [&](size_t i, const std::string& what) {
        const Step& s = schedule.steps[i];
        return Error{"memory planner: step " + std::to_string(i) + " (" + step_op_name(s.op) +
                     " " + graph.nodes[static_cast<size_t>(s.node)].name + "): " + what +
                     " — the schedule is not valid; replay it with the Validator"};
    };
    auto open = [&](int node, bool workspace, int step, int64_t bytes) {
        ArenaBuffer b;
        b.node = node;
        b.workspace = workspace;
        b.first_step = b.last_step = step;
        b.bytes = bytes;
        plan.buffers.push_back(b);
        return static_cast<int>(plan.buffers.size()) - 1;
    };
    for (size_t i = 0; i < schedule.steps.size(); ++i) {
        const Step& s = schedule.steps[i];
        if (s.node < 0 || static_cast<size_t>(s.node) >= n) return fail(i, "node id out of range");
        const TrainingNode& node = graph.nodes[static_cast<size_t>(s.node)];
        StepPlacement& at = plan.steps[i];
        const int step = static_cast<int>(i);
        if (node.bytes == 0 && s.op != StepOp::compute && s.op != StepOp::recompute)
            continue;  // an update has no output to page or free
        switch (s.op) {
            case StepOp::compute:
            case StepOp::recompute: {
                for (int in : node.inputs) {
                    int b = live[static_cast<size_t>(in)];
                    if (b < 0)
                        return fail(i, "input '" + graph.nodes[static_cast<size_t>(in)].name +
                                           "' is not in RAM");
                    at.inputs.push_back(b);
                }
                int64_t ws = workspace_bytes ? (*workspace_bytes)[static_cast<size_t>(s.node)]
                                             : node.workspace_bytes;
                if (ws > 0) at.workspace = open(s.node, true, step, ws);
                if (node.bytes > 0) {
                    // Evaluating a node that is still resident rewrites the same buffer.
                    if (live[static_cast<size_t>(s.node)] < 0)
                        live[static_cast<size_t>(s.node)] = open(s.node, false, step, node.bytes);
                    at.output = live[static_cast<size_t>(s.node)];
                }
                break;
            }
            case StepOp::page_out: {
                int b = live[static_cast<size_t>(s.node)];
                if (b < 0) return fail(i, "pages out a tensor that is not in RAM");
                at.source = b;
                if (slot_of[static_cast<size_t>(s.node)] < 0) {
                    slot_of[static_cast<size_t>(s.node)] = static_cast<int>(plan.storage_slots.size());
                    plan.storage_slots.push_back({s.node, plan.storage_bytes, node.bytes});
                    plan.storage_bytes += align_up(node.bytes, kArenaAlignment);
                }
                at.storage_slot = slot_of[static_cast<size_t>(s.node)];
                break;
            }
            case StepOp::page_in: {
                if (slot_of[static_cast<size_t>(s.node)] < 0)
                    return fail(i, "pages in a tensor that was never paged out");
                at.storage_slot = slot_of[static_cast<size_t>(s.node)];
                if (live[static_cast<size_t>(s.node)] < 0)
                    live[static_cast<size_t>(s.node)] = open(s.node, false, step, node.bytes);
                at.output = live[static_cast<size_t>(s.node)];
                break;
            }
            case StepOp::free: {
                int b = live[static_cast<size_t>(s.node)];
                if (b < 0) return fail(i, "frees a tensor that is not in RAM");
                at.source = b;
                plan.buffers[static_cast<size_t>(b)].last_step = step;
                live[static_cast<size_t>(s.node)] = -1;
                break;
            }
        }
    }
    for (size_t node = 0; node < n; ++node)
        if (live[node] >= 0)
            plan.buffers[static_cast<size_t>(live[node])].last_step =
                static_cast<int>(schedule.steps.size());  // never freed: live to the end

    // Lower bound: live bytes per step.
    std::vector<int64_t> delta(schedule.steps.size() + 2, 0);
    for (const auto& b : plan.buffers) {
        delta[static_cast<size_t>(b.first_step)] += b.bytes;
        delta[static_cast<size_t>(b.last_step) + 1] -= b.bytes;
    }
    int64_t running = 0;
    for (int64_t d : delta) plan.lower_bound_bytes = std::max(plan.lower_bound_bytes, running += d);

    std::vector<int> by_size(plan.buffers.size());
    std::iota(by_size.begin(), by_size.end(), 0);
    std::vector<int> by_start = by_size;
    std::stable_sort(by_size.begin(), by_size.end(), [&](int a, int b) {
        const auto &x = plan.buffers[static_cast<size_t>(a)], &y = plan.buffers[static_cast<size_t>(b)];
        if (x.bytes != y.bytes) return x.bytes > y.bytes;
        return (x.last_step - x.first_step) > (y.last_step - y.first_step);
    });
    auto [size_offsets, size_high] = place(plan.buffers, by_size);
    auto [start_offsets, start_high] = place(plan.buffers, by_start);
    bool size_wins = size_high <= start_high;
    const auto& offsets = size_wins ? size_offsets : start_offsets;
    plan.strategy = size_wins ? "greedy by size" : "greedy by first use";
    plan.high_water_bytes = size_wins ? size_high : start_high;
    for (size_t b = 0; b < plan.buffers.size(); ++b) plan.buffers[b].offset = offsets[b];
    plan.arena_bytes = align_up(plan.high_water_bytes, 16);
    return plan;
}

std::string check_memory_plan(const MemoryPlan& plan) {
    for (size_t a = 0; a < plan.buffers.size(); ++a) {
        const ArenaBuffer& x = plan.buffers[a];
        if (x.offset < 0 || x.offset % kArenaAlignment != 0 || x.offset + x.bytes > plan.arena_bytes)
            return "buffer " + std::to_string(a) + " of node " + std::to_string(x.node) +
                   " lies outside the arena or is misaligned";
        for (size_t b = a + 1; b < plan.buffers.size(); ++b) {
            const ArenaBuffer& y = plan.buffers[b];
            if (!lifetimes_overlap(x, y)) continue;
            if (x.offset < y.offset + y.bytes && y.offset < x.offset + x.bytes)
                return "buffers " + std::to_string(a) + " and " + std::to_string(b) +
                       " are live together and overlap";
        }
    }
    return {};
}

}  // namespace tp
