#include "engine/training_graph.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/lite_residual.h"
#include "engine/transfer_head.h"

namespace tp {

const char* node_kind_name(NodeKind k) {
    switch (k) {
        case NodeKind::input:
            return "input";
        case NodeKind::forward:
            return "forward";
        case NodeKind::saved_aux:
            return "saved_aux";
        case NodeKind::loss:
            return "loss";
        case NodeKind::backward:
            return "backward";
        case NodeKind::grad_accumulate:
            return "grad_accumulate";
        case NodeKind::weight_grad:
            return "weight_grad";
        case NodeKind::update:
            return "update";
    }
    return "forward";
}

namespace {

// Bytes per element of each kind of tensor under a precision (README "Memory model").
struct ElementBytes {
    int64_t activation, activation_grad, weight, param_grad, optimizer_state;
};

ElementBytes element_bytes(const TrainingPlan& plan) {
    ElementBytes b{4, 4, 4, 4, 0};
    if (plan.precision == Precision::int8)
        b = {1, 1, 1, 4, 0};  // int32 accumulators for weight gradients
    b.optimizer_state = plan.optimizer == Optimizer::adam           ? 8
                        : plan.optimizer == Optimizer::sgd_momentum ? 4
                                                                    : 0;
    return b;
}

// Parameter roles: the "weight" is what a sparse update slices by output channel.
bool is_weight_role(const Op& op, size_t index) {
    switch (op.type) {
        case OpType::Conv:
        case OpType::Gemm:
        case OpType::Gather:
        case OpType::BatchNormalization:
        case OpType::LayerNormalization:
        case OpType::GroupNormalization:
            return index == 0;
        case OpType::Mul:
        case OpType::Div:
            return true;
        default:
            return false;
    }
}

bool is_bias_role(const Op& op, size_t index) {
    switch (op.type) {
        case OpType::Conv:
        case OpType::Gemm:
        case OpType::BatchNormalization:
        case OpType::LayerNormalization:
        case OpType::GroupNormalization:
            return index == 1;
        case OpType::Add:
        case OpType::Sub:
            return true;
        default:
            return false;
    }
}

// Output channels of a weight, the axis a sparse update keeps a fraction of.
int64_t output_channels(const Op& op, const Parameter& w) {
    if (w.shape.empty()) return 1;
    if (op.type == OpType::Gemm && op.attrs.get_int("transB", 1) == 0 && w.shape.size() == 2)
        return w.shape[1];
    return w.shape[0];
}

// Elements of parameter `index` the layer plan trains.
int64_t trained_elements(const Op& op, size_t index, const Parameter& p, const LayerPlan& lp) {
    if (!p.trainable) return 0;
    switch (lp.mode) {
        case UpdateMode::frozen:
            return 0;
        case UpdateMode::full:
            return p.elements();
        case UpdateMode::bias_only:
            return is_bias_role(op, index) ? p.elements() : 0;
        case UpdateMode::sparse: {
            if (!is_weight_role(op, index)) return p.elements();
            int64_t channels = output_channels(op, p);
            int64_t kept =
                std::clamp<int64_t>(static_cast<int64_t>(std::ceil(lp.channel_fraction *
                                                                   static_cast<double>(channels))),
                                    1, channels);
            return p.elements() / channels * kept;
        }
    }
    return 0;
}

int64_t param_element_bytes(const Op& op, size_t index, const ElementBytes& eb) {
    bool quantizable =
        op.type == OpType::Conv || op.type == OpType::Gemm || op.type == OpType::Gather;
    return quantizable && index == 0 ? eb.weight : 4;
}

struct Builder {
    const Network& net;
    const TrainingPlan& plan;
    ElementBytes eb;
    TrainingGraph g;
    std::map<std::string, int> fwd;  // activation tensor -> node producing it
    std::map<std::string, int>
        grad;                        // activation tensor -> node holding its (accumulated) gradient
    std::map<std::string, int> aux;  // op -> its saved mask / indices node
    std::set<std::string> requires_grad, feeds_loss;
    std::vector<TrainingNode> deferred_updates;

    int add(TrainingNode n) {
        n.id = static_cast<int>(g.nodes.size());
        g.nodes.push_back(std::move(n));
        return g.nodes.back().id;
    }

    int64_t act_bytes(const std::string& tensor) const {
        const TensorInfo& t = *net.tensor(tensor);
        int64_t per = t.dtype == DType::f32 ? eb.activation : dtype_bytes(t.dtype);
        return element_count(t.shape) * per * plan.batch;
    }
    int64_t grad_bytes(const std::string& tensor) const {
        return element_count(net.tensor(tensor)->shape) * eb.activation_grad * plan.batch;
    }
    int64_t elements(const std::string& tensor) const {
        return element_count(net.tensor(tensor)->shape) * plan.batch;
    }
    bool differentiable(const std::string& tensor) const {
        return net.tensor(tensor)->dtype == DType::f32;
    }

    void contribute(const std::string& tensor, int node, const std::string& op) {
        auto it = grad.find(tensor);
        if (it == grad.end()) {
            grad[tensor] = node;
            return;
        }
        TrainingNode acc;
        acc.name = op + ":grad_acc:" + tensor;
        acc.kind = NodeKind::grad_accumulate;
        acc.op = op;
        acc.bytes = grad_bytes(tensor);
        acc.macs = elements(tensor);
        acc.inputs = {it->second, node};
        acc.role = TensorRole::gradient;
        it->second = add(acc);
    }
};

bool needs_mask(OpType t) {
    return t == OpType::Relu || t == OpType::Clip || t == OpType::HardSigmoid;
}

bool reads_own_input(OpType t) {
    switch (t) {
        case OpType::HardSwish:
        case OpType::Sigmoid:
        case OpType::Tanh:
        case OpType::Gelu:
        case OpType::Erf:
        case OpType::Sqrt:
        case OpType::Pow:
        case OpType::LayerNormalization:
        case OpType::GroupNormalization:
            return true;
        default:
            return false;
    }
}

bool gradient_is_alias(OpType t, size_t input_index) {
    switch (t) {
        case OpType::Add:
        case OpType::Dropout:
        case OpType::Identity:
        case OpType::Reshape:
        case OpType::Flatten:
        case OpType::Squeeze:
        case OpType::Unsqueeze:
            return true;
        case OpType::Sub:
            return input_index == 0;
        default:
            return false;
    }
}

}  // namespace

ParamRows param_rows(const Op& op, size_t index, const Parameter& p, const LayerPlan& lp) {
    ParamRows r;
    r.rows = std::max<int64_t>(1, output_channels(op, p));
    r.row_len = p.elements() / r.rows;
    int64_t trained = trained_elements(op, index, p, lp);
    r.trained_rows = r.row_len > 0 ? trained / r.row_len : 0;
    return r;
}

std::vector<int> TrainingGraph::last_reader() const {
    std::vector<int> last(nodes.size(), -1);
    for (const auto& node : nodes)
        for (int in : node.inputs)
            last[static_cast<size_t>(in)] = std::max(last[static_cast<size_t>(in)], node.id);
    return last;
}

std::vector<std::pair<std::string, int64_t>> TrainingGraph::saved_bytes_by_op() const {
    std::map<std::string, int64_t> by_op;
    for (const auto& n : nodes) {
        if (n.role != TensorRole::saved_activation) continue;
        int first = -1;
        std::string owner;
        for (const auto& reader : nodes) {
            if (reader.kind != NodeKind::backward && reader.kind != NodeKind::weight_grad &&
                reader.kind != NodeKind::update)
                continue;
            if (std::find(reader.inputs.begin(), reader.inputs.end(), n.id) == reader.inputs.end())
                continue;
            int idx = network.op_index(reader.op);
            if (first < 0 || idx < first) first = idx, owner = reader.op;
        }
        if (!owner.empty()) by_op[owner] += n.bytes;
    }
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& op : network.ops)
        if (by_op.count(op.name)) out.emplace_back(op.name, by_op[op.name]);
    return out;
}

Result<TrainingGraph> derive_training_graph(const Network& input, const TrainingPlan& input_plan) {
    if (auto s = validate_plan(input, input_plan); !s) return s.error();
    Result<Network> headed =
        input_plan.classes > 0 ? replace_head(input, input_plan.classes) : Result<Network>(input);
    if (!headed) return headed.error();
    auto planned = insert_adapters(*headed, input_plan);
    if (!planned) return planned.error();
    TrainingPlan plan = input_plan;
    for (const auto& block : plan.adapters)
        for (const auto& op : planned->ops)
            if (op.name.rfind(adapter_prefix(block), 0) == 0 && !op.params.empty())
                plan.layers[op.name] = {UpdateMode::full, 1.0};

    Builder b{*planned, plan, element_bytes(plan), {}, {}, {}, {}, {}, {}, {}};
    const Network& net = *planned;
    if (net.outputs.empty())
        return Error{"network '" + net.name + "' has no output to put a loss on"};
    TrainingGraph& g = b.g;

    // Parameters: what trains (RAM), what stays in flash.
    std::map<std::string, int64_t> trained_by_op;
    for (const auto& op : net.ops) {
        LayerPlan lp = plan.layer(op.name);
        LayerCost cost{op.name, op.block, lp.mode, 0, 0, 0, 0, 0, false};
        cost.adapter =
            plan.adapters.count(op.block) && op.name.rfind(adapter_prefix(op.block), 0) == 0;
        for (size_t i = 0; i < op.params.size(); ++i) {
            const Parameter& p = *net.param(op.params[i]);
            int64_t per = param_element_bytes(op, i, b.eb);
            int64_t trained = trained_elements(op, i, p, lp);
            cost.trained_params += trained;
            cost.trained_param_bytes += trained * per;
            cost.frozen_param_bytes += (p.elements() - trained) * per;
            g.flash_bytes += cost.adapter ? 0 : p.elements() * per;
        }
        cost.optimizer_state_bytes = cost.trained_params * b.eb.optimizer_state;
        cost.weight_grad_bytes = cost.trained_params * b.eb.param_grad;
        if (op.params.empty()) continue;
        trained_by_op[op.name] = cost.trained_params;
        g.trained_param_bytes += cost.trained_param_bytes;
        g.optimizer_state_bytes += cost.optimizer_state_bytes;
        g.frozen_param_bytes += cost.frozen_param_bytes;
        g.layers.push_back(cost);
    }

    // Which tensors carry a gradient (something trained upstream) and which reach the loss.
    for (const auto& op : net.ops) {
        bool rg = trained_by_op[op.name] > 0;
        for (const auto& in : op.inputs)
            rg = rg || (b.requires_grad.count(in) && b.differentiable(in));
        if (rg)
            for (const auto& out : op.outputs) b.requires_grad.insert(out);
    }
    const std::string logits = net.outputs[0];
    b.feeds_loss.insert(logits);
    for (auto it = net.ops.rbegin(); it != net.ops.rend(); ++it) {
        bool feeds = std::any_of(it->outputs.begin(), it->outputs.end(),
                                 [&](const std::string& t) { return b.feeds_loss.count(t) != 0; });
        if (feeds)
            for (const auto& in : it->inputs) b.feeds_loss.insert(in);
    }
    auto has_grad_path = [&](const std::string& t) {
        return b.requires_grad.count(t) && b.feeds_loss.count(t) && b.differentiable(t);
    };
    auto op_needs_backward = [&](const Op& op) {
        return std::any_of(op.outputs.begin(), op.outputs.end(),
                           [&](const std::string& t) { return has_grad_path(t); });
    };
    auto input_gets_grad = [&](const Op& op, size_t i) {
        return op_needs_backward(op) && has_grad_path(op.inputs[i]) && op.type != OpType::Gather;
    };

    // Forward.
    for (const auto& in : net.inputs) {
        TrainingNode n;
        n.name = in;
        n.kind = NodeKind::input;
        n.bytes = b.act_bytes(in);
        b.fwd[in] = b.add(n);
    }
    for (const auto& op : net.ops) {
        std::vector<int> ins;
        for (const auto& t : op.inputs) ins.push_back(b.fwd.at(t));
        for (size_t k = 0; k < op.outputs.size(); ++k) {
            TrainingNode n;
            n.name = op.outputs.size() == 1 ? op.name : op.name + ":" + std::to_string(k);
            n.kind = NodeKind::forward;
            n.op = op.name;
            n.bytes = b.act_bytes(op.outputs[k]);
            n.macs = k == 0 ? op.macs * plan.batch : 0;
            n.inputs = ins;
            b.fwd[op.outputs[k]] = b.add(n);
        }
        bool any_input_grad = false;
        for (size_t i = 0; i < op.inputs.size(); ++i)
            any_input_grad = any_input_grad || input_gets_grad(op, i);
        if (any_input_grad && (needs_mask(op.type) || op.type == OpType::MaxPool)) {
            TrainingNode n;
            n.kind = NodeKind::saved_aux;
            n.op = op.name;
            int64_t out_elems = b.elements(op.outputs[0]);
            n.name = op.name + (op.type == OpType::MaxPool ? ":indices" : ":mask");
            n.bytes = op.type == OpType::MaxPool ? out_elems : (out_elems + 7) / 8;
            n.macs = out_elems;
            n.inputs = op.type == OpType::MaxPool ? ins : std::vector<int>{b.fwd.at(op.outputs[0])};
            n.role = TensorRole::saved_activation;
            b.aux[op.name] = b.add(n);
        }
    }

    // Loss: softmax cross-entropy on the first output, fused with its gradient.
    if (has_grad_path(logits)) {
        TrainingNode n;
        n.name = "loss";
        n.kind = NodeKind::loss;
        n.bytes = b.grad_bytes(logits);
        n.macs = 3 * b.elements(logits);
        n.inputs = {b.fwd.at(logits)};
        n.role = TensorRole::gradient;
        g.loss_node = b.add(n);
        b.grad[logits] = g.loss_node;
    }

    // Backward, in reverse op order.
    for (auto it = net.ops.rbegin(); it != net.ops.rend() && g.loss_node >= 0; ++it) {
        const Op& op = *it;
        if (!op_needs_backward(op)) continue;
        std::vector<int> dy;
        for (const auto& out : op.outputs)
            if (b.grad.count(out)) dy.push_back(b.grad.at(out));
        if (dy.empty()) continue;
        auto fwd_of = [&](const std::string& t) { return b.fwd.at(t); };
        std::vector<int> grad_in_nodes;

        for (size_t i = 0; i < op.inputs.size(); ++i) {
            if (!input_gets_grad(op, i)) continue;
            const std::string& x = op.inputs[i];
            bool same_size = b.elements(x) == b.elements(op.outputs[0]);
            if (gradient_is_alias(op.type, i) && same_size && dy.size() == 1 && op.params.empty()) {
                b.contribute(x, dy[0], op.name);
                continue;
            }
            TrainingNode n;
            n.name = op.name + ":grad_in" + std::to_string(i);
            n.kind = NodeKind::backward;
            n.op = op.name;
            n.bytes = b.grad_bytes(x);
            n.inputs = dy;
            n.role = TensorRole::gradient;
            bool matmul_like =
                op.type == OpType::Conv || op.type == OpType::Gemm || op.type == OpType::MatMul;
            n.macs = matmul_like ? op.macs * plan.batch : b.elements(x);
            if (needs_mask(op.type) || op.type == OpType::MaxPool)
                n.inputs.push_back(b.aux.at(op.name));
            if (reads_own_input(op.type)) n.inputs.push_back(fwd_of(x));
            if (op.type == OpType::Softmax) n.inputs.push_back(fwd_of(op.outputs[0]));
            if ((op.type == OpType::Mul || op.type == OpType::MatMul) && op.inputs.size() == 2)
                n.inputs.push_back(fwd_of(op.inputs[1 - i]));
            if (op.type == OpType::Div && op.inputs.size() == 2) {
                n.inputs.push_back(fwd_of(op.inputs[1]));
                if (i == 1) n.inputs.push_back(fwd_of(op.inputs[0]));
            }
            if (op.type == OpType::LayerNormalization || op.type == OpType::GroupNormalization) {
                const Shape& s = net.tensor(x)->shape;
                int64_t rows = op.type == OpType::LayerNormalization
                                   ? element_count(s) / s.back()
                                   : op.attrs.get_int("num_groups", 1);
                n.workspace_bytes = 2 * 4 * rows * plan.batch;  // mean and 1/std per row or group
            }
            int id = b.add(n);
            grad_in_nodes.push_back(id);
            b.contribute(x, id, op.name);
        }
        // The update comes after this op's input gradients, which read the old weights.
        if (int64_t trained = trained_by_op[op.name]; trained > 0) {
            LayerPlan lp = plan.layer(op.name);
            bool weight_trained = false;
            for (size_t i = 0; i < op.params.size(); ++i)
                if (is_weight_role(op, i) &&
                    trained_elements(op, i, *net.param(op.params[i]), lp) > 0)
                    weight_trained = true;
            std::vector<int> reads = dy;
            if (weight_trained && !op.inputs.empty()) reads.push_back(fwd_of(op.inputs[0]));
            double share = lp.mode == UpdateMode::sparse ? lp.channel_fraction : 1.0;
            int64_t grad_macs =
                weight_trained
                    ? static_cast<int64_t>(static_cast<double>(op.macs * plan.batch) * share)
                    : b.elements(op.outputs[0]);
            int64_t update_macs = trained * (plan.optimizer == Optimizer::adam           ? 4
                                             : plan.optimizer == Optimizer::sgd_momentum ? 2
                                                                                         : 1);
            TrainingNode u;
            u.name = op.name + ":update";
            u.kind = NodeKind::update;
            u.op = op.name;
            u.role = TensorRole::none;
            if (plan.in_place_update) {
                // Gradient and update fused per output channel (256KB paper's in-place
                // update): only one channel's gradient row exists at a time.
                int64_t row = 0;
                for (size_t i = 0; i < op.params.size(); ++i) {
                    const Parameter& p = *net.param(op.params[i]);
                    if (trained_elements(op, i, p, lp) > 0)
                        row += p.elements() / output_channels(op, p);
                }
                u.inputs = reads;
                u.after = grad_in_nodes;
                u.macs = grad_macs + update_macs;
                u.workspace_bytes = row * b.eb.param_grad;
                if (weight_trained && (op.type == OpType::GroupNormalization ||
                                       op.type == OpType::LayerNormalization)) {
                    // The scale gradient needs each group's (row's) mean and 1/std again.
                    const Shape& s = net.tensor(op.inputs[0])->shape;
                    int64_t groups = op.type == OpType::LayerNormalization
                                         ? element_count(s) / s.back()
                                         : op.attrs.get_int("num_groups", 1);
                    u.workspace_bytes = std::max(u.workspace_bytes, 2 * 4 * groups * plan.batch);
                }
                b.add(u);
            } else {
                TrainingNode w;
                w.name = op.name + ":grad_w";
                w.kind = NodeKind::weight_grad;
                w.op = op.name;
                w.bytes = trained * b.eb.param_grad;
                w.inputs = reads;
                w.macs = grad_macs;
                w.role = TensorRole::weight_gradient;
                u.inputs = {b.add(w)};
                u.macs = update_macs;
                b.deferred_updates.push_back(
                    u);  // every update waits for the optimizer step at the end
            }
        }
    }
    // Without in-place update every gradient buffer waits for the optimizer step at the end.
    for (auto& u : b.deferred_updates) b.add(std::move(u));

    // Roles: forward outputs read by the backward are the saved activations.
    for (const auto& n : g.nodes) {
        if (n.kind != NodeKind::backward && n.kind != NodeKind::weight_grad &&
            n.kind != NodeKind::update)
            continue;
        for (int in : n.inputs) {
            TrainingNode& src = g.nodes[static_cast<size_t>(in)];
            if (src.kind == NodeKind::forward || src.kind == NodeKind::input ||
                src.kind == NodeKind::saved_aux)
                src.role = TensorRole::saved_activation;
        }
    }
    g.network = net;
    g.plan = plan;
    return std::move(b.g);
}

}  // namespace tp
