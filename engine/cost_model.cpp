// Prices a TrainingGraph on a Device.
//
// Op class of a node: the class of the forward op it belongs to (its backward, weight-gradient
// and update nodes included). Conv with group == input channels > 1 is depthwise, other Conv is
// conv, Gemm/MatMul is linear, every other op is elementwise; the loss and gradient
// accumulations are elementwise whatever op they sit next to.
//
// Work of a node: its MACs (engine convention, op_semantics.h). A node with 0 MACs that still
// runs (a reshape copy, a secondary output of a split) costs one operation per output element,
// so every node that does work costs something; graph inputs cost nothing.
#include "engine/cost_model.h"

#include <unordered_map>

#include "engine/device.h"

namespace tp {

namespace {

OpClass op_class_of(const Network& net, const Op& op) {
    switch (op.type) {
        case OpType::Conv: {
            int64_t group = op.attrs.get_int("group", 1);
            const TensorInfo* x = op.inputs.empty() ? nullptr : net.tensor(op.inputs[0]);
            int64_t in_channels = x && x->shape.size() >= 2 ? x->shape[1] : 0;
            return group > 1 && group == in_channels ? OpClass::depthwise : OpClass::conv;
        }
        case OpType::Gemm:
        case OpType::MatMul:
            return OpClass::linear;
        default:
            return OpClass::elementwise;
    }
}

// Bytes per element of a node's output (README "Memory model"): weight-gradient buffers are
// int32/fp32 accumulators, everything else is at the plan's precision.
int64_t element_bytes(const TrainingNode& n, Precision p) {
    if (n.kind == NodeKind::weight_grad) return 4;
    return p == Precision::int8 ? 1 : 4;
}

double work_of(const TrainingNode& n, Precision p) {
    if (n.kind == NodeKind::input) return 0.0;
    if (n.macs > 0) return static_cast<double>(n.macs);
    int64_t eb = element_bytes(n, p);
    return static_cast<double>((n.bytes + eb - 1) / eb);
}

}  // namespace

Result<CostModel> build_cost_model(const TrainingGraph& graph, const Device& device) {
    CostModel m;
    m.device_id = device.id;
    m.static_power_w = device.static_power_w;
    m.sram_bytes = device.sram_bytes;
    m.storage_capacity_bytes = device.storage ? device.storage->capacity_bytes : 0;
    m.node.resize(graph.nodes.size());
    m.paging.resize(graph.nodes.size());

    std::unordered_map<std::string, const Op*> ops;
    for (const auto& op : graph.network.ops) ops[op.name] = &op;
    const Precision precision = graph.plan.precision;

    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const TrainingNode& n = graph.nodes[i];
        OpClass cls = OpClass::elementwise;
        if (n.kind != NodeKind::input && n.kind != NodeKind::loss) {
            auto it = ops.find(n.op);
            if (it == ops.end())
                return Error{"training graph node \"" + n.name + "\" belongs to op \"" + n.op +
                             "\", which network \"" + graph.network.name +
                             "\" does not have; derive the training graph again from the network"};
            if (n.kind != NodeKind::grad_accumulate) cls = op_class_of(graph.network, *it->second);
        }
        double work = work_of(n, precision);
        const ComputeRate& rate = device.rate(cls, precision);
        m.node[i].time_s = work / rate.macs_per_s;
        m.node[i].energy_j = work * rate.energy_j_per_mac;

        if (device.storage) {
            const Storage& s = *device.storage;
            double bytes = static_cast<double>(n.bytes);
            m.paging[i].page_out_time_s = bytes / s.write_bytes_per_s;
            m.paging[i].page_out_energy_j = bytes * s.write_energy_j_per_byte;
            m.paging[i].page_in_time_s = bytes / s.read_bytes_per_s;
            m.paging[i].page_in_energy_j = bytes * s.read_energy_j_per_byte;
        }
    }
    return m;
}

}  // namespace tp
