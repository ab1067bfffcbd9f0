#include "solver/demand_schedule.h"

#include <algorithm>
#include <unordered_map>

namespace tp {

namespace {

bool is_forward_part(NodeKind k) {
    return k == NodeKind::input || k == NodeKind::forward || k == NodeKind::saved_aux;
}

bool recomputable(NodeKind k) {
    return k == NodeKind::forward || k == NodeKind::saved_aux;
}

}  // namespace

DemandSchedule build_demand_schedule(const TrainingGraph& graph,
                                     const std::vector<bool>& keep_after_forward) {
    DemandSchedule out;
    const size_t n = graph.nodes.size();
    if (keep_after_forward.size() != n) {
        out.message = "the keep policy has " + std::to_string(keep_after_forward.size()) +
                      " entries for " + std::to_string(n) + " nodes";
        return out;
    }
    auto at = [](int id) { return static_cast<size_t>(id); };

    // The forward part: the leading run of input, forward and saved_aux nodes.
    size_t forward_end = 0;
    while (forward_end < n && is_forward_part(graph.nodes[forward_end].kind)) ++forward_end;
    auto dropped = [&](size_t id) { return id < forward_end && !keep_after_forward[id]; };

    // Where each tensor is last needed: its last reader, or later when a dropped reader is
    // needed after the forward pass (so it is recomputed from it) up to that reader's own last
    // need. Readers come after what they read, so one backward sweep settles it.
    const std::vector<int> last_reader = graph.last_reader();
    std::vector<int> last_forward_reader(n, -1);
    for (size_t r = 0; r < forward_end; ++r)
        for (int in : graph.nodes[r].inputs)
            last_forward_reader[at(in)] =
                std::max(last_forward_reader[at(in)], static_cast<int>(r));
    std::vector<int> needed_until = last_reader;
    for (size_t r = n; r-- > 0;)
        if (dropped(r) && needed_until[r] > last_forward_reader[r])
            for (int in : graph.nodes[r].inputs)
                needed_until[at(in)] = std::max(needed_until[at(in)], needed_until[r]);

    std::unordered_map<std::string, int> update_by_op;
    for (const auto& u : graph.nodes)
        if (u.kind == NodeKind::update) update_by_op[u.op] = u.id;

    std::vector<bool> resident(n, false), computed(n, false);
    std::vector<int> horizon(n, -1);  // the position after which a resident tensor is freed
    std::vector<Step>& steps = out.schedule.steps;
    auto free_through = [&](size_t p) {
        for (size_t y = 0; y < n; ++y)
            if (resident[y] && horizon[y] <= static_cast<int>(p)) {
                steps.push_back({StepOp::free, static_cast<int>(y)});
                resident[y] = false;
            }
    };

    for (size_t p = 0; p < n; ++p) {
        const TrainingNode& v = graph.nodes[p];
        // Everything missing for v, recursively through what is missing for those.
        std::vector<bool> planned(n, false);
        std::vector<int> plan, stack(v.inputs.begin(), v.inputs.end());
        while (!stack.empty()) {
            const int x = stack.back();
            stack.pop_back();
            if (resident[at(x)] || planned[at(x)]) continue;
            planned[at(x)] = true;
            plan.push_back(x);
            for (int in : graph.nodes[at(x)].inputs) stack.push_back(in);
        }
        std::sort(plan.begin(), plan.end());  // graph order is topological
        for (int x : plan) {
            const TrainingNode& node = graph.nodes[at(x)];
            auto u = update_by_op.find(node.op);
            if (!recomputable(node.kind)) {
                out.message = v.name + " needs " + node.name + " (" + node_kind_name(node.kind) +
                              "), which was freed and cannot be recomputed";
                out.blocked_node = dropped(at(x)) ? x : -1;
                return out;
            }
            if (u != update_by_op.end() && computed[at(u->second)]) {
                out.message = v.name + " needs " + node.name + " recomputed after " +
                              graph.nodes[at(u->second)].name + " changed its weights";
                out.blocked_node = x;
                return out;
            }
        }
        // A recomputed tensor stays as long as it may be needed, so it is recomputed once.
        for (int x : plan) {
            steps.push_back({StepOp::recompute, x});
            resident[at(x)] = true;
            horizon[at(x)] = needed_until[at(x)];
        }

        steps.push_back({StepOp::compute, v.id});
        resident[p] = computed[p] = true;
        horizon[p] = dropped(p) ? last_forward_reader[p] : needed_until[p];
        free_through(p);
    }
    out.ok = true;
    return out;
}

}  // namespace tp
