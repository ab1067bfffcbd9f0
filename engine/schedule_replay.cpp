#include "engine/schedule_replay.h"

#include <algorithm>
#include <unordered_map>

#include "engine/units.h"

namespace tp {

namespace {

constexpr size_t kMaxViolations = 8;

struct Replayer {
    const TrainingGraph& g;
    const CostModel& costs;
    const ReplayLimits& limits;
    ScheduleReplay r;

    std::vector<bool> resident, stored, computed, paged_in;
    std::vector<int> update_of_op;  // node id -> id of its op's update node (-1: none)
    int64_t resident_bytes = 0;

    Replayer(const TrainingGraph& graph, const CostModel& c, const ReplayLimits& l)
        : g(graph), costs(c), limits(l) {
        const size_t n = g.nodes.size();
        resident.assign(n, false);
        stored.assign(n, false);
        computed.assign(n, false);
        paged_in.assign(n, false);
        update_of_op.assign(n, -1);
        std::unordered_map<std::string, int> update_by_op;
        for (const auto& u : g.nodes)
            if (u.kind == NodeKind::update) update_by_op[u.op] = u.id;
        for (const auto& v : g.nodes) {
            auto it = update_by_op.find(v.op);
            if (it != update_by_op.end() &&
                (v.kind == NodeKind::forward || v.kind == NodeKind::saved_aux))
                update_of_op[static_cast<size_t>(v.id)] = it->second;
        }
        r.persistent_bytes = g.persistent_bytes();
    }

    void violation(size_t step, const std::string& what) {
        r.valid = false;
        if (r.violations.size() < kMaxViolations)
            r.violations.push_back("step " + std::to_string(step) + ": " + what);
    }

    const std::string& name(int id) const { return g.nodes[static_cast<size_t>(id)].name; }

    StepMemory memory(int running) const {
        StepMemory m;
        m.parameters = g.trained_param_bytes;
        m.optimizer_state = g.optimizer_state_bytes;
        for (size_t i = 0; i < resident.size(); ++i) {
            if (!resident[i]) continue;
            const TrainingNode& t = g.nodes[i];
            if (paged_in[i]) {
                m.paged_in += t.bytes;
                continue;
            }
            switch (t.role) {
                case TensorRole::saved_activation:
                    m.saved += t.bytes;
                    break;
                case TensorRole::gradient:
                case TensorRole::weight_gradient:
                    m.gradients += t.bytes;
                    break;
                case TensorRole::activation:
                case TensorRole::none:
                    m.transient += t.bytes;
                    break;
            }
        }
        if (running >= 0) m.transient += g.nodes[static_cast<size_t>(running)].workspace_bytes;
        m.total =
            m.parameters + m.optimizer_state + m.saved + m.gradients + m.transient + m.paged_in;
        return m;
    }

    void run_node(size_t step, const Step& s) {
        const size_t id = static_cast<size_t>(s.node);
        const TrainingNode& node = g.nodes[id];
        const bool first = !computed[id];
        if (s.op == StepOp::compute && !first)
            violation(step,
                      "compute of " + node.name + " which was already computed (use recompute)");
        if (s.op == StepOp::recompute && first)
            violation(step, "recompute of " + node.name + " before its first compute");
        if (!first && (node.kind == NodeKind::input || node.kind == NodeKind::update))
            violation(step, node.name + " (" + node_kind_name(node.kind) + ") cannot run twice");
        if (!first && update_of_op[id] >= 0 && computed[static_cast<size_t>(update_of_op[id])])
            violation(step, "recompute of " + node.name + " after " + name(update_of_op[id]) +
                                " changed its weights");
        for (int in : node.inputs)
            if (!resident[static_cast<size_t>(in)])
                violation(step, node.name + " reads " + name(in) + " which is not in RAM");
        for (int a : node.after)
            if (!computed[static_cast<size_t>(a)])
                violation(step, node.name + " must run after " + name(a));
        if (resident[id])
            violation(step, node.name + " is computed while its output is already in RAM");
        else
            resident_bytes += node.bytes;
        resident[id] = true;
        paged_in[id] = false;
        computed[id] = true;

        const NodeCost& c = costs.node[id];
        r.time_s += c.time_s;
        (first ? r.energy.compute_j : r.energy.recompute_j) += c.energy_j;
        ++(first ? r.computes : r.recomputes);
    }

    void step(size_t index, const Step& s) {
        if (s.node < 0 || static_cast<size_t>(s.node) >= g.nodes.size()) {
            violation(index, "node " + std::to_string(s.node) + " does not exist");
            r.memory_by_step.push_back(memory(-1));
            return;
        }
        const size_t id = static_cast<size_t>(s.node);
        const TrainingNode& node = g.nodes[id];
        int running = -1;
        switch (s.op) {
            case StepOp::compute:
            case StepOp::recompute:
                run_node(index, s);
                running = s.node;
                break;
            case StepOp::page_out:
                if (!resident[id])
                    violation(index, "page_out of " + node.name + " which is not in RAM");
                if (!costs.paging_available())
                    violation(index, "page_out of " + node.name + ": the board has no storage");
                if (!stored[id]) {
                    stored[id] = true;
                    storage_bytes += node.bytes;
                    r.peak_storage_bytes = std::max(r.peak_storage_bytes, storage_bytes);
                }
                if (costs.paging_available() && storage_bytes > costs.storage_capacity_bytes)
                    violation(index, "page_out of " + node.name + ": storage holds " +
                                         format_bytes(storage_bytes) + ", more than its capacity " +
                                         format_bytes(costs.storage_capacity_bytes));
                r.time_s += costs.paging[id].page_out_time_s;
                r.energy.page_out_j += costs.paging[id].page_out_energy_j;
                ++r.page_outs;
                break;
            case StepOp::page_in:
                if (!stored[id])
                    violation(index, "page_in of " + node.name + " which was never paged out");
                if (resident[id])
                    violation(index, "page_in of " + node.name + " which is already in RAM");
                if (!resident[id]) resident_bytes += node.bytes;
                resident[id] = true;
                paged_in[id] = true;
                r.time_s += costs.paging[id].page_in_time_s;
                r.energy.page_in_j += costs.paging[id].page_in_energy_j;
                ++r.page_ins;
                break;
            case StepOp::free:
                if (!resident[id])
                    violation(index, "free of " + node.name + " which is not in RAM");
                if (resident[id]) resident_bytes -= node.bytes;
                resident[id] = false;
                paged_in[id] = false;
                ++r.frees;
                break;
        }
        StepMemory m = memory(running);
        if (m.total > r.peak_ram_bytes || r.peak_step < 0) {
            r.peak_ram_bytes = m.total;
            r.peak_step = static_cast<int>(index);
        }
        if (limits.ram_budget_bytes > 0 && m.total > limits.ram_budget_bytes)
            violation(index, "RAM " + format_bytes(m.total) + " exceeds the budget " +
                                 format_bytes(limits.ram_budget_bytes) + " at " + node.name);
        r.memory_by_step.push_back(m);
    }

    int64_t storage_bytes = 0;
};

}  // namespace

ScheduleReplay replay_schedule(const TrainingGraph& graph, const CostModel& costs,
                               const Schedule& schedule, const ReplayLimits& limits) {
    Replayer p(graph, costs, limits);
    p.r.valid = true;
    if (costs.node.size() != graph.nodes.size() || costs.paging.size() != graph.nodes.size()) {
        p.r.valid = false;
        p.r.violations.push_back("the cost model was built for another graph");
        return p.r;
    }
    p.r.peak_ram_bytes = graph.persistent_bytes();
    for (size_t i = 0; i < schedule.steps.size(); ++i) p.step(i, schedule.steps[i]);
    for (const auto& node : graph.nodes) {
        if (!p.computed[static_cast<size_t>(node.id)])
            p.violation(schedule.steps.size(), node.name + " is never computed");
        if (p.resident[static_cast<size_t>(node.id)])
            p.violation(schedule.steps.size(), node.name + " is still in RAM at the end");
    }
    p.r.energy.static_j = costs.static_power_w * p.r.time_s;
    if (limits.deadline_s > 0 && p.r.time_s > limits.deadline_s)
        p.violation(schedule.steps.size(), "runtime " + std::to_string(p.r.time_s) +
                                               " s exceeds the deadline " +
                                               std::to_string(limits.deadline_s) + " s");
    return p.r;
}

int64_t smallest_step_bytes(const TrainingGraph& graph) {
    int64_t most = 0;
    for (const auto& node : graph.nodes) {
        std::vector<int> in = node.inputs;
        std::sort(in.begin(), in.end());
        in.erase(std::unique(in.begin(), in.end()), in.end());
        int64_t need = node.bytes + node.workspace_bytes;
        for (int i : in)
            if (i != node.id) need += graph.nodes[static_cast<size_t>(i)].bytes;
        most = std::max(most, need);
    }
    return graph.persistent_bytes() + most;
}

}  // namespace tp
