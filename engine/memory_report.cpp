#include "engine/memory_report.h"

#include <algorithm>
#include <map>

namespace tp {

MemoryReport store_all_memory(const TrainingGraph& g) {
    MemoryReport r;
    r.network = g.network.name;
    r.preset = g.plan.preset;
    r.batch = g.plan.batch;
    r.precision = g.plan.precision;
    r.optimizer = g.plan.optimizer;
    r.trained_param_bytes = g.trained_param_bytes;
    r.optimizer_state_bytes = g.optimizer_state_bytes;
    r.flash_bytes = g.flash_bytes;
    r.frozen_param_bytes = g.frozen_param_bytes;

    const size_t n = g.nodes.size();
    const std::vector<int> last_use = g.last_reader();

    std::vector<bool> live(n, false);
    int64_t live_bytes = 0;
    const int64_t persistent = g.persistent_bytes();
    r.peak_bytes = persistent;
    for (size_t i = 0; i < n; ++i) {
        const TrainingNode& node = g.nodes[i];
        live[i] = true;
        live_bytes += node.bytes;
        int64_t ram = persistent + live_bytes + node.workspace_bytes;
        r.ram_by_step.push_back(ram);
        if (ram > r.peak_bytes || r.peak_node < 0) {
            r.peak_bytes = ram;
            r.peak_node = static_cast<int>(i);
            r.saved_activation_bytes = r.gradient_bytes = 0;
            r.transient_bytes = node.workspace_bytes;
            for (size_t j = 0; j <= i; ++j) {
                if (!live[j]) continue;
                const TrainingNode& t = g.nodes[j];
                switch (t.role) {
                    case TensorRole::saved_activation:
                        r.saved_activation_bytes += t.bytes;
                        break;
                    case TensorRole::gradient:
                    case TensorRole::weight_gradient:
                        r.gradient_bytes += t.bytes;
                        break;
                    case TensorRole::activation:
                    case TensorRole::none:
                        r.transient_bytes += t.bytes;
                        break;
                }
            }
        }
        // Free what this step was the last to read, and an output nobody reads.
        for (int in : node.inputs)
            if (last_use[static_cast<size_t>(in)] == static_cast<int>(i) &&
                live[static_cast<size_t>(in)]) {
                live[static_cast<size_t>(in)] = false;
                live_bytes -= g.nodes[static_cast<size_t>(in)].bytes;
            }
        if (last_use[i] < 0) {
            live[i] = false;
            live_bytes -= node.bytes;
        }
    }
    if (r.peak_node >= 0) r.peak_node_name = g.nodes[static_cast<size_t>(r.peak_node)].name;

    for (const auto& node : g.nodes) {
        if (node.role == TensorRole::saved_activation) r.saved_activation_total_bytes += node.bytes;
        if (node.kind == NodeKind::forward) r.forward_macs += node.macs;
        r.training_macs += node.macs;
    }
    std::map<std::string, int64_t> saved;
    for (const auto& [op, bytes] : g.saved_bytes_by_op()) saved[op] = bytes;
    for (const auto& c : g.layers) {
        LayerMemory l;
        l.op = c.op;
        l.block = c.block;
        l.mode = c.mode;
        l.channel_fraction = g.plan.layer(c.op).channel_fraction;
        l.adapter = c.adapter;
        l.trained_params = c.trained_params;
        l.trained_param_bytes = c.trained_param_bytes;
        l.optimizer_state_bytes = c.optimizer_state_bytes;
        l.frozen_param_bytes = c.frozen_param_bytes;
        l.saved_activation_bytes = saved.count(c.op) ? saved[c.op] : 0;
        r.trained_params += c.trained_params;
        r.layers.push_back(l);
    }
    // Layers without parameters (ReLU masks, pools) also hold saved bytes: list them too.
    for (const auto& [op, bytes] : g.saved_bytes_by_op()) {
        bool listed = false;
        for (const auto& l : r.layers) listed = listed || l.op == op;
        if (listed) continue;
        LayerMemory l;
        l.op = op;
        l.block = g.network.op(op) ? g.network.op(op)->block : "";
        l.saved_activation_bytes = bytes;
        r.layers.push_back(l);
    }
    std::stable_sort(r.layers.begin(), r.layers.end(),
                     [&](const LayerMemory& a, const LayerMemory& b) {
                         return g.network.op_index(a.op) < g.network.op_index(b.op);
                     });
    return r;
}

nlohmann::json memory_report_to_json(const MemoryReport& r) {
    nlohmann::json j;
    j["network"] = r.network;
    j["preset"] = r.preset;
    j["batch"] = r.batch;
    j["precision"] = precision_name(r.precision);
    j["optimizer"] = optimizer_name(r.optimizer);
    j["peak_bytes"] = r.peak_bytes;
    j["trained_param_bytes"] = r.trained_param_bytes;
    j["optimizer_state_bytes"] = r.optimizer_state_bytes;
    j["saved_activation_bytes"] = r.saved_activation_bytes;
    j["gradient_bytes"] = r.gradient_bytes;
    j["transient_bytes"] = r.transient_bytes;
    j["saved_activation_total_bytes"] = r.saved_activation_total_bytes;
    j["flash_bytes"] = r.flash_bytes;
    j["frozen_param_bytes"] = r.frozen_param_bytes;
    j["trained_params"] = r.trained_params;
    j["forward_macs"] = r.forward_macs;
    j["training_macs"] = r.training_macs;
    j["peak_step"] = r.peak_node;
    j["peak_node"] = r.peak_node_name;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : r.layers) {
        nlohmann::json e{{"name", l.op},
                         {"block", l.block},
                         {"mode", update_mode_name(l.mode)},
                         {"adapter", l.adapter},
                         {"trained_params", l.trained_params},
                         {"trained_param_bytes", l.trained_param_bytes},
                         {"optimizer_state_bytes", l.optimizer_state_bytes},
                         {"saved_activation_bytes", l.saved_activation_bytes},
                         {"frozen_param_bytes", l.frozen_param_bytes}};
        if (l.mode == UpdateMode::sparse) e["channel_fraction"] = l.channel_fraction;
        layers.push_back(e);
    }
    j["layers"] = layers;
    return j;
}

}  // namespace tp
