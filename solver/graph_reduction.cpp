#include "solver/graph_reduction.h"

#include <algorithm>
#include <unordered_map>

namespace tp {

namespace {

bool recomputable_kind(NodeKind k) {
    return k == NodeKind::forward || k == NodeKind::saved_aux;
}

}  // namespace

ReducedGraph reduce_graph(const TrainingGraph& graph, const CostModel& costs) {
    const size_t n = graph.nodes.size();
    std::vector<std::vector<int>> readers(n);
    for (const auto& node : graph.nodes)
        for (int i : node.inputs) {
            auto& r = readers[static_cast<size_t>(i)];
            if (r.empty() || r.back() != node.id) r.push_back(node.id);
        }
    // Link j joins the chain of j-1 when j-1's only reader is j, j reads only j-1, both are
    // equally recomputable, and nothing must run between them.
    auto joins = [&](size_t j) {
        if (j == 0) return false;
        const TrainingNode& prev = graph.nodes[j - 1];
        const TrainingNode& node = graph.nodes[j];
        if (readers[j - 1].size() != 1 || readers[j - 1][0] != static_cast<int>(j)) return false;
        for (int i : node.inputs)
            if (i != static_cast<int>(j - 1)) return false;
        if (!node.after.empty() || prev.kind == NodeKind::input || prev.kind == NodeKind::loss ||
            node.kind == NodeKind::loss || node.kind == NodeKind::update)
            return false;
        return recomputable_kind(prev.kind) == recomputable_kind(node.kind);
    };

    std::unordered_map<std::string, int> update_of;
    for (const auto& node : graph.nodes)
        if (node.kind == NodeKind::update) update_of[node.op] = node.id;

    ReducedGraph r;
    std::vector<int> group_of(n, -1);
    for (size_t j = 0; j < n; ++j) {
        if (!joins(j)) r.members.push_back({});
        r.members.back().push_back(static_cast<int>(j));
        group_of[j] = static_cast<int>(r.members.size()) - 1;
    }
    r.graph.trained_param_bytes = graph.trained_param_bytes;
    r.graph.optimizer_state_bytes = graph.optimizer_state_bytes;
    r.costs.device_id = costs.device_id;
    r.costs.static_power_w = costs.static_power_w;
    r.costs.storage_capacity_bytes = costs.storage_capacity_bytes;
    r.costs.sram_bytes = costs.sram_bytes;
    for (size_t gi = 0; gi < r.members.size(); ++gi) {
        const auto& m = r.members[gi];
        const TrainingNode& first = graph.nodes[static_cast<size_t>(m.front())];
        const TrainingNode& last = graph.nodes[static_cast<size_t>(m.back())];
        TrainingNode node;
        node.id = static_cast<int>(gi);
        node.name = m.size() == 1 ? last.name : first.name + ".." + last.name;
        node.kind = last.kind;
        node.op = last.op;
        node.role = last.role;
        node.bytes = last.bytes;
        node.workspace_bytes =
            std::max<int64_t>(0, first.bytes + first.workspace_bytes - last.bytes);
        for (int i : first.inputs) node.inputs.push_back(group_of[static_cast<size_t>(i)]);
        for (int a : first.after) node.after.push_back(group_of[static_cast<size_t>(a)]);
        NodeCost cost;
        int until = static_cast<int>(r.members.size());
        int64_t late = 0;
        for (size_t k = 0; k < m.size(); ++k) {
            const TrainingNode& link = graph.nodes[static_cast<size_t>(m[k])];
            node.macs += link.macs;
            cost.time_s += costs.node[static_cast<size_t>(m[k])].time_s;
            cost.energy_j += costs.node[static_cast<size_t>(m[k])].energy_j;
            if (k > 0) {
                const TrainingNode& prev = graph.nodes[static_cast<size_t>(m[k - 1])];
                late = std::max(late, prev.bytes + link.bytes + link.workspace_bytes);
            }
            auto it = update_of.find(link.op);
            if (it != update_of.end())
                until = std::min(until, group_of[static_cast<size_t>(it->second)]);
        }
        r.first_bytes.push_back(first.bytes + first.workspace_bytes);
        r.late_bytes.push_back(m.size() > 1 ? late : 0);
        r.recompute_until.push_back(until);
        r.costs.node.push_back(cost);
        r.costs.paging.push_back(costs.paging[static_cast<size_t>(m.back())]);
        r.graph.nodes.push_back(std::move(node));
    }
    return r;
}

Schedule expand_schedule(const ReducedGraph& reduced, const Schedule& schedule) {
    Schedule out;
    const auto& steps = schedule.steps;
    std::vector<bool> placed(steps.size(), false);
    for (size_t s = 0; s < steps.size(); ++s) {
        if (placed[s]) continue;
        const Step& step = steps[s];
        const auto& m = reduced.members[static_cast<size_t>(step.node)];
        if (step.op != StepOp::compute && step.op != StepOp::recompute) {
            out.steps.push_back({step.op, m.back()});
            continue;
        }
        // Frees of this node's inputs that directly follow it (page-outs may come between: they
        // only copy) move up behind its first link.
        const TrainingNode& node = reduced.graph.nodes[static_cast<size_t>(step.node)];
        std::vector<int> early;
        if (m.size() > 1)
            for (size_t f = s + 1; f < steps.size() &&
                                   (steps[f].op == StepOp::free || steps[f].op == StepOp::page_out);
                 ++f)
                if (steps[f].op == StepOp::free && std::find(node.inputs.begin(), node.inputs.end(),
                                                             steps[f].node) != node.inputs.end()) {
                    early.push_back(steps[f].node);
                    placed[f] = true;
                }
        for (size_t k = 0; k < m.size(); ++k) {
            out.steps.push_back({step.op, m[k]});
            if (k == 0)
                for (int i : early)
                    out.steps.push_back(
                        {StepOp::free, reduced.members[static_cast<size_t>(i)].back()});
            if (k > 0) out.steps.push_back({StepOp::free, m[k - 1]});
        }
    }
    return out;
}

}  // namespace tp
