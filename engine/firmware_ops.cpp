#include "engine/firmware_ops.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/firmware_codegen.h"

namespace tp {

const std::vector<OpType>& firmware_op_types() {
    static const std::vector<OpType> kTypes = {
        OpType::Conv,        OpType::Gemm,          OpType::BatchNormalization,
        OpType::GroupNormalization, OpType::Relu,   OpType::Clip,
        OpType::HardSwish,   OpType::HardSigmoid,   OpType::Add,
        OpType::MaxPool,     OpType::AveragePool,   OpType::GlobalAveragePool,
        OpType::Upsample,    OpType::Flatten,       OpType::Reshape,
        OpType::Identity,    OpType::Dropout,       OpType::Squeeze,
        OpType::Unsqueeze};
    return kTypes;
}

namespace {

std::string supported_list() {
    std::string s;
    for (OpType t : firmware_op_types()) s += (s.empty() ? "" : ", ") + std::string(op_type_name(t));
    return s;
}

Error op_error(const Op& op, const std::string& why) {
    return Error{"op '" + op.name + "' (" + op_type_name(op.type) + ") " + why};
}

std::string flt(double v) {
    if (std::isinf(v)) return v > 0 ? "kInf" : "-kInf";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    std::string t = buf;
    if (t.find_first_of(".en") == std::string::npos) t += ".0";
    return t + "f";
}

std::string ints(std::initializer_list<int64_t> values) {
    std::string s;
    for (int64_t v : values) s += (s.empty() ? "" : ", ") + std::to_string(v);
    return s;
}

const Shape& shape_of(const Network& net, const std::string& tensor) {
    return net.tensor(tensor)->shape;
}

int64_t hw(const Shape& s) {
    int64_t v = 1;
    for (size_t i = 2; i < s.size(); ++i) v *= s[i];
    return v;
}

// Spatial attributes, with ONNX defaults, as 2-D (H, W) values.
struct Window {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};
Window window(const Op& op, int64_t kh, int64_t kw) {
    Window w;
    auto k = op.attrs.get_ints("kernel_shape", {kh, kw});
    auto s = op.attrs.get_ints("strides", {1, 1});
    auto p = op.attrs.get_ints("pads", {0, 0, 0, 0});
    auto d = op.attrs.get_ints("dilations", {1, 1});
    w.kh = k.size() > 0 ? k[0] : kh;
    w.kw = k.size() > 1 ? k[1] : kw;
    w.sh = s.size() > 0 ? s[0] : 1;
    w.sw = s.size() > 1 ? s[1] : 1;
    w.ph = p.size() > 0 ? p[0] : 0;
    w.pw = p.size() > 1 ? p[1] : 0;
    w.dh = d.size() > 0 ? d[0] : 1;
    w.dw = d.size() > 1 ? d[1] : 1;
    return w;
}

bool is_copy(OpType t) {
    return t == OpType::Flatten || t == OpType::Reshape || t == OpType::Identity ||
           t == OpType::Dropout || t == OpType::Squeeze || t == OpType::Unsqueeze;
}

struct Call {
    const TrainingGraph& g;
    const FirmwareLayout& layout;
    const TrainingNode& node;
    const NodeBuffers& b;
    const Op* op;
    int op_index;
    int64_t batch;

    std::string in_f(size_t i) const { return "F(" + b.inputs.at(i) + ")"; }
    std::string in_u8(size_t i) const { return "U8(" + b.inputs.at(i) + ")"; }
    int param(size_t role) const { return layout.param_of(op->params.at(role)); }
    std::string P(size_t role) const { return "P" + std::to_string(param(role)) + "()"; }
    std::string M(size_t role) const { return "M" + std::to_string(param(role)) + "()"; }
    std::string W(size_t role) const { return "tpw_" + std::to_string(param(role)); }
    std::string k() const { return "kOp" + std::to_string(op_index); }
    int64_t count() const { return node.bytes / 4; }
    int64_t out_elements() const {
        return element_count(shape_of(g.network, op->outputs[0])) * batch;
    }
    std::string line(const std::string& s) const { return "    " + s + ";\n"; }

    Result<std::string> forward() const {
        const Network& net = g.network;
        switch (op->type) {
            case OpType::Conv:
            case OpType::Gemm: {
                std::string fn = op->type == OpType::Conv ? "conv_forward" : "linear_forward";
                if (op->params.size() > 1)
                    return "    { tpk::Rows bias = " + P(1) + "; tpk::" + fn + "(" + k() + ", " +
                           in_f(0) + ", " + P(0) + ", &bias, " + b.output + "); }\n";
                return line("tpk::" + fn + "(" + k() + ", " + in_f(0) + ", " + P(0) +
                            ", nullptr, " + b.output + ")");
            }
            case OpType::BatchNormalization:
                return line("tpk::batchnorm_forward(" + k() + ", " + in_f(0) + ", " + P(0) + ", " +
                            P(1) + ", " + W(2) + ", " + W(3) + ", " + b.output + ")");
            case OpType::GroupNormalization:
                return line("tpk::groupnorm_forward(" + k() + ", " + in_f(0) + ", " + P(0) + ", " +
                            P(1) + ", " + b.output + ")");
            case OpType::Relu:
                return line("tpk::relu_forward(" + in_f(0) + ", " + b.output + ", " +
                            std::to_string(count()) + ")");
            case OpType::Clip:
                return line("tpk::clip_forward(" + in_f(0) + ", " + b.output + ", " +
                            std::to_string(count()) + ", " +
                            flt(op->attrs.get_float("min", -INFINITY)) + ", " +
                            flt(op->attrs.get_float("max", INFINITY)) + ")");
            case OpType::HardSwish:
                return line("tpk::hardswish_forward(" + in_f(0) + ", " + b.output + ", " +
                            std::to_string(count()) + ")");
            case OpType::HardSigmoid:
                return line("tpk::hardsigmoid_forward(" + in_f(0) + ", " + b.output + ", " +
                            std::to_string(count()) + ", " +
                            flt(op->attrs.get_float("alpha", 0.2)) + ", " +
                            flt(op->attrs.get_float("beta", 0.5)) + ")");
            case OpType::Add:
                return line("tpk::add(" + in_f(0) + ", " + in_f(1) + ", " + b.output + ", " +
                            std::to_string(count()) + ")");
            case OpType::MaxPool:
                return line("tpk::maxpool_forward(" + k() + ", " + in_f(0) + ", " + b.output + ")");
            case OpType::AveragePool:
                return line("tpk::avgpool_forward(" + k() + ", " + in_f(0) + ", " + b.output + ")");
            case OpType::GlobalAveragePool: {
                const Shape& x = shape_of(net, op->inputs[0]);
                return line("tpk::global_avgpool_forward(" + ints({batch, x[1], hw(x)}) + ", " +
                            in_f(0) + ", " + b.output + ")");
            }
            case OpType::Upsample:
                return line("tpk::resize_forward(" + k() + ", " + in_f(0) + ", " + b.output + ")");
            default:
                if (is_copy(op->type))
                    return line("tpk::copy(" + in_f(0) + ", " + b.output + ", " +
                                std::to_string(node.bytes) + ")");
                return op_error(*op, "has no firmware forward kernel");
        }
    }

    Result<std::string> saved_aux() const {
        if (op->type == OpType::MaxPool)
            return line("tpk::maxpool_indices(" + k() + ", " + in_f(0) + ", " + b.output_bytes + ")");
        std::string lo = "0.0f", hi = "kInf";
        if (op->type == OpType::Clip) {
            lo = flt(op->attrs.get_float("min", -INFINITY));
            hi = flt(op->attrs.get_float("max", INFINITY));
        } else if (op->type == OpType::HardSigmoid) {
            hi = "1.0f";
        }
        return line("tpk::mask_make(" + in_f(0) + ", " + b.output_bytes + ", " +
                    std::to_string(out_elements()) + ", " + lo + ", " + hi + ")");
    }

    Result<std::string> backward() const {
        const Network& net = g.network;
        const std::string dy = in_f(0), dx = b.output;
        switch (op->type) {
            case OpType::Conv:
                return line("tpk::conv_backward_input(" + k() + ", " + dy + ", " + P(0) + ", " + dx + ")");
            case OpType::Gemm:
                return line("tpk::linear_backward_input(" + k() + ", " + dy + ", " + P(0) + ", " + dx + ")");
            case OpType::BatchNormalization:
                return line("tpk::batchnorm_backward_input(" + k() + ", " + dy + ", " + P(0) + ", " +
                            W(3) + ", " + dx + ")");
            case OpType::GroupNormalization:
                return line("tpk::groupnorm_backward_input(" + k() + ", " + in_f(1) + ", " + dy +
                            ", " + P(0) + ", " + dx + ", " + b.workspace + ")");
            case OpType::Relu:
            case OpType::Clip:
            case OpType::HardSigmoid: {
                double scale = op->type == OpType::HardSigmoid ? op->attrs.get_float("alpha", 0.2) : 1.0;
                return line("tpk::mask_backward(" + dy + ", " + in_u8(1) + ", " + dx + ", " +
                            std::to_string(count()) + ", " + flt(scale) + ")");
            }
            case OpType::HardSwish:
                return line("tpk::hardswish_backward(" + in_f(1) + ", " + dy + ", " + dx + ", " +
                            std::to_string(count()) + ")");
            case OpType::MaxPool:
                return line("tpk::maxpool_backward(" + k() + ", " + dy + ", " + in_u8(1) + ", " + dx + ")");
            case OpType::AveragePool:
                return line("tpk::avgpool_backward(" + k() + ", " + dy + ", " + dx + ")");
            case OpType::GlobalAveragePool: {
                const Shape& x = shape_of(net, op->inputs[0]);
                return line("tpk::global_avgpool_backward(" + ints({batch, x[1], hw(x)}) + ", " +
                            dy + ", " + dx + ")");
            }
            case OpType::Upsample:
                return line("tpk::resize_backward(" + k() + ", " + dy + ", " + dx + ")");
            default:
                if (is_copy(op->type))
                    return line("tpk::copy(" + dy + ", " + dx + ", " + std::to_string(node.bytes) + ")");
                return op_error(*op, "has no firmware backward kernel for this case (an Add with "
                                     "broadcasting?)");
        }
    }

    Result<std::string> update() const {
        // Inputs: the output gradient, then the layer input when a weight (or norm scale) trains.
        const std::string dy = in_f(0);
        const std::string x = b.inputs.size() > 1 ? in_f(1) : "nullptr";
        switch (op->type) {
            case OpType::Conv:
            case OpType::Gemm: {
                std::string fn = op->type == OpType::Conv ? "conv_update" : "linear_update";
                std::string s = "    { tpk::Rows w = " + P(0) + ";";
                std::string bias = "nullptr", bias_m = "nullptr";
                if (op->params.size() > 1) {
                    s += " tpk::Rows bias = " + P(1) + ";";
                    bias = "&bias";
                    bias_m = M(1);
                }
                return s + "\n      tpk::" + fn + "(" + k() + ", " + x + ", " + dy + ", w, " + M(0) +
                       ", " + bias + ", " + bias_m + ", sgd, " + b.workspace + "); }\n";
            }
            case OpType::BatchNormalization:
                return "    { tpk::Rows s = " + P(0) + "; tpk::Rows bias = " + P(1) +
                       ";\n      tpk::batchnorm_update(" + k() + ", " + x + ", " + dy + ", s, " + M(0) +
                       ", bias, " + M(1) + ", " + W(2) + ", " + W(3) + ", sgd); }\n";
            case OpType::GroupNormalization:
                return "    { tpk::Rows s = " + P(0) + "; tpk::Rows bias = " + P(1) +
                       ";\n      tpk::groupnorm_update(" + k() + ", " + x + ", " + dy + ", s, " + M(0) +
                       ", bias, " + M(1) + ", sgd, " + b.workspace + "); }\n";
            default:
                return op_error(*op, "has parameters the firmware cannot update");
        }
    }
};

}  // namespace

Status check_op_exportable(const Network& net, const Op& op) {
    const auto& types = firmware_op_types();
    if (std::find(types.begin(), types.end(), op.type) == types.end())
        return op_error(op, "has no firmware kernel; the runtime covers " + supported_list() +
                                " — freeze the layers around it or export a model without it");
    if (op.outputs.size() != 1) return op_error(op, "has several outputs; the firmware needs one");
    auto rank = [&](const std::string& t) { return net.tensor(t)->shape.size(); };
    bool spatial = op.type == OpType::Conv || op.type == OpType::MaxPool ||
                   op.type == OpType::AveragePool || op.type == OpType::GlobalAveragePool ||
                   op.type == OpType::Upsample || op.type == OpType::BatchNormalization ||
                   op.type == OpType::GroupNormalization;
    if (spatial && (rank(op.inputs[0]) != 4 || rank(op.outputs[0]) != 4))
        return op_error(op, "is not 2-D (NCHW); the firmware kernels are 2-D");
    if (op.type == OpType::Gemm &&
        (op.attrs.get_int("transB", 1) != 1 || op.attrs.get_int("transA", 0) != 0 ||
         op.attrs.get_float("alpha", 1.0) != 1.0 || op.attrs.get_float("beta", 1.0) != 1.0 ||
         rank(op.inputs[0]) != 2))
        return op_error(op, "is not a plain linear layer (transB=1, alpha=beta=1, 2-D input)");
    if (op.type == OpType::Add &&
        (!op.params.empty() || op.inputs.size() != 2 ||
         element_count(net.tensor(op.inputs[0])->shape) != element_count(net.tensor(op.inputs[1])->shape)))
        return op_error(op, "adds with broadcasting or a parameter; the firmware adds two tensors "
                            "of one shape");
    if (op.type == OpType::MaxPool) {
        Window w = window(op, 1, 1);
        if (w.dh != 1 || w.dw != 1 || w.kh * w.kw > 255)
            return op_error(op, "is dilated or has a window over 255 elements");
    }
    if (op.type == OpType::Upsample) {
        std::string mode = op.attrs.get_string("mode", "nearest");
        if (mode != "nearest" && mode != "bilinear" && mode != "linear")
            return op_error(op, "uses mode '" + mode + "'; the firmware resizes nearest or bilinear");
    }
    return ok_status();
}

std::string emit_op_descriptors(const TrainingGraph& g) {
    const Network& net = g.network;
    const int64_t n = g.plan.batch;
    std::ostringstream o;
    for (size_t i = 0; i < net.ops.size(); ++i) {
        const Op& op = net.ops[i];
        std::string name = "kOp" + std::to_string(i);
        std::string note = "  // " + comment_safe(op.name) + "\n";
        if (op.type == OpType::Conv) {
            const Shape &x = shape_of(net, op.inputs[0]), &y = shape_of(net, op.outputs[0]);
            const Shape& w = net.param(op.params[0])->shape;
            Window k = window(op, w[2], w[3]);
            o << "constexpr tpk::Conv " << name << " = {"
              << ints({n, x[1], x[2], x[3], y[1], y[2], y[3], k.kh, k.kw, k.sh, k.sw, k.ph, k.pw,
                       k.dh, k.dw, op.attrs.get_int("group", 1)})
              << "};" << note;
        } else if (op.type == OpType::Gemm) {
            const Shape &x = shape_of(net, op.inputs[0]), &y = shape_of(net, op.outputs[0]);
            o << "constexpr tpk::Linear " << name << " = {" << ints({n * x[0], x[1], y[1]}) << "};"
              << note;
        } else if (op.type == OpType::BatchNormalization) {
            const Shape& x = shape_of(net, op.inputs[0]);
            o << "constexpr tpk::BatchNorm " << name << " = {" << ints({n, x[1], hw(x)}) << ", "
              << flt(op.attrs.get_float("epsilon", 1e-5)) << "};" << note;
        } else if (op.type == OpType::GroupNormalization) {
            const Shape& x = shape_of(net, op.inputs[0]);
            o << "constexpr tpk::GroupNorm " << name << " = {"
              << ints({n, x[1], hw(x), op.attrs.get_int("num_groups", 1)}) << ", "
              << flt(op.attrs.get_float("epsilon", 1e-5)) << "};" << note;
        } else if (op.type == OpType::MaxPool || op.type == OpType::AveragePool) {
            const Shape &x = shape_of(net, op.inputs[0]), &y = shape_of(net, op.outputs[0]);
            Window k = window(op, 1, 1);
            o << "constexpr tpk::Pool " << name << " = {"
              << ints({n, x[1], x[2], x[3], y[2], y[3], k.kh, k.kw, k.sh, k.sw, k.ph, k.pw,
                       op.attrs.get_int("count_include_pad", 0)})
              << "};" << note;
        } else if (op.type == OpType::Upsample) {
            const Shape &x = shape_of(net, op.inputs[0]), &y = shape_of(net, op.outputs[0]);
            std::string mode = op.attrs.get_string("mode", "nearest");
            o << "constexpr tpk::Resize " << name << " = {"
              << ints({n, x[1], x[2], x[3], y[2], y[3], mode == "nearest" ? 0 : 1}) << "};"
              << note;
        }
    }
    return o.str();
}

int64_t kernel_workspace_bytes(const TrainingGraph& g, const FirmwareLayout& layout,
                               const TrainingNode& node) {
    if (node.op.empty() || (node.kind != NodeKind::update && node.kind != NodeKind::backward))
        return 0;
    const Op& op = g.network.ops[static_cast<size_t>(g.network.op_index(node.op))];
    auto trained_rows = [&](size_t role) {
        int p = role < op.params.size() ? layout.param_of(op.params[role]) : -1;
        return p < 0 ? int64_t{0} : layout.params[static_cast<size_t>(p)].rows.trained_rows;
    };
    const int64_t gn_stats =
        op.type == OpType::GroupNormalization ? 2 * 4 * g.plan.batch * op.attrs.get_int("num_groups", 1) : 0;
    if (node.kind == NodeKind::backward) return gn_stats;
    switch (op.type) {
        case OpType::Conv:
        case OpType::Gemm: {
            int p = layout.param_of(op.params[0]);
            return trained_rows(0) > 0 ? 4 * layout.params[static_cast<size_t>(p)].rows.row_len : 0;
        }
        case OpType::GroupNormalization:
            return trained_rows(0) > 0 ? gn_stats : 0;
        default:
            return 0;
    }
}

Result<std::string> emit_node_call(const TrainingGraph& g, const FirmwareLayout& layout,
                                   const TrainingNode& node, const NodeBuffers& b) {
    int op_index = node.op.empty() ? -1 : g.network.op_index(node.op);
    Call c{g, layout, node, b, op_index >= 0 ? &g.network.ops[static_cast<size_t>(op_index)] : nullptr,
           op_index, g.plan.batch};
    switch (node.kind) {
        case NodeKind::input:
            return c.line("tpk::copy(samples, " + b.output + ", " + std::to_string(node.bytes) + ")");
        case NodeKind::forward:
            return c.forward();
        case NodeKind::saved_aux:
            return c.saved_aux();
        case NodeKind::loss:
            return c.line("loss = tpk::softmax_cross_entropy(" + c.in_f(0) + ", labels, " + b.output +
                          ", " + std::to_string(g.plan.batch) + ", " + std::to_string(layout.classes) +
                          ")");
        case NodeKind::backward:
            return c.backward();
        case NodeKind::grad_accumulate:
            return c.line("tpk::add(" + c.in_f(0) + ", " + c.in_f(1) + ", " + b.output + ", " +
                          std::to_string(c.count()) + ")");
        case NodeKind::update:
            return c.update();
        case NodeKind::weight_grad:
            break;
    }
    return Error{"node '" + node.name + "' (" + node_kind_name(node.kind) +
                 ") has no firmware form; export with in-place update"};
}

}  // namespace tp
