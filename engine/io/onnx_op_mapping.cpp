#include "engine/io/onnx_op_mapping.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace tp::onnx_detail {
namespace {

// Clip bounds ONNX leaves open: the float range, so the bound never binds.
constexpr double kFloatMax = 3.4028234663852886e38;

const char* const kSupported[] = {"Add",
                                  "AveragePool",
                                  "BatchNormalization",
                                  "Clip",
                                  "Concat",
                                  "Constant",
                                  "Conv",
                                  "Div",
                                  "Dropout",
                                  "Erf",
                                  "Flatten",
                                  "Gather",
                                  "Gelu",
                                  "Gemm",
                                  "GlobalAveragePool",
                                  "HardSigmoid",
                                  "HardSwish",
                                  "Identity",
                                  "LayerNormalization",
                                  "MatMul",
                                  "MaxPool",
                                  "Mul",
                                  "Pad",
                                  "Pow",
                                  "ReduceMean",
                                  "Relu",
                                  "Reshape",
                                  "Shape",
                                  "Sigmoid",
                                  "Slice",
                                  "Softmax",
                                  "Split",
                                  "Sqrt",
                                  "Squeeze",
                                  "Sub",
                                  "Tanh",
                                  "Transpose",
                                  "Unsqueeze"};

// Ops accepted only where they fold to constants (shape arithmetic).
const char* const kFoldOnly[] = {"Cast", "ConstantOfShape", "Equal", "Range", "Size"};

bool listed(const char* const* begin, const char* const* end, const std::string& op) {
    return std::find(begin, end, op) != end;
}

Error unsupported(const WorkGraph& g, const onnx::NodeProto& n, const std::string& name) {
    std::string t = n.domain().empty() || n.domain() == "ai.onnx" ? n.op_type()
                                                                  : n.domain() + "." + n.op_type();
    return Error{g.source + ": unsupported ONNX op '" + t + "' at node '" + name +
                 "' — supported ops: " + supported_onnx_ops()};
}

using Ints = std::vector<int64_t>;

struct Mapper {
    const WorkGraph& g;
    Network& net;
    std::map<std::string, std::vector<int>> consumers;
    std::set<std::string> graph_outputs;
    std::set<std::string> op_names;
    std::set<int> absorbed;  // bias Adds already folded into a Gemm

    Mapper(const WorkGraph& graph, Network& network) : g(graph), net(network) {
        for (int k = 0; k < static_cast<int>(g.nodes.size()); ++k)
            for (const auto& in : g.nodes[static_cast<size_t>(k)].input())
                consumers[in].push_back(k);
        graph_outputs.insert(g.outputs.begin(), g.outputs.end());
    }

    Error fail(const onnx::NodeProto& n, const std::string& what) const {
        return Error{g.source + ": " + describe(n) + ": " + what};
    }

    bool used(const std::string& t) const { return graph_outputs.count(t) || consumers.count(t); }

    Status activation(const onnx::NodeProto& n, int i, Op& op) {
        std::string name = input_at(n, i);
        if (name.empty()) return fail(n, "input " + std::to_string(i) + " is missing");
        if (g.constant(name))
            return fail(n, "input '" + name + "' is a constant where an activation is expected");
        op.inputs.push_back(name);
        return ok_status();
    }

    // A required constant input (shape, axes, bounds); Error when it is computed at run time.
    Result<const ConstTensor*> constant(const onnx::NodeProto& n, int i,
                                        const std::string& role) const {
        std::string name = input_at(n, i);
        const ConstTensor* c = g.constant(name);
        if (!c)
            return fail(n, role + " input '" + name +
                               "' is not a constant (it is computed at run time); TrainPlan needs "
                               "it fixed at import");
        if (!c->loaded)
            return fail(n, role + " input '" + name + "' lives in a missing external data file");
        return c;
    }

    std::optional<Ints> optional_ints(const onnx::NodeProto& n, int i, const std::string& role,
                                      Error* err) const {
        if (input_at(n, i).empty()) return std::nullopt;
        auto c = constant(n, i, role);
        if (!c) {
            *err = c.error();
            return std::nullopt;
        }
        return (*c)->ints();
    }

    Status param(const onnx::NodeProto& n, int i, bool trainable, const std::string& role, Op& op) {
        std::string name = input_at(n, i);
        const ConstTensor* c = g.constant(name);
        if (!c)
            return fail(
                n, role + " '" + name + "' must be an initializer, but it is computed at run time");
        if (!c->is_float()) return fail(n, role + " '" + name + "' is not a floating-point tensor");
        if (!net.params.count(name)) {
            Parameter p{name, c->dims, DType::f32, trainable, {}};
            if (c->loaded) p.values = *c->f;
            net.params[name] = std::move(p);
        }
        op.params.push_back(name);
        return ok_status();
    }

    // Keeps the first `keep` outputs; later ones (masks, indices, statistics) must be unused.
    Status outputs(const onnx::NodeProto& n, int keep, Op& op) const {
        for (int i = 0; i < n.output_size(); ++i) {
            const std::string& o = n.output(i);
            if (o.empty()) continue;
            if (i < keep)
                op.outputs.push_back(o);
            else if (used(o))
                return fail(n, "output " + std::to_string(i) + " ('" + o +
                                   "') is used; only the main output is supported");
        }
        return ok_status();
    }

    Status check_auto_pad(const onnx::NodeProto& n) const {
        std::string p = attr_string(n, "auto_pad").value_or("NOTSET");
        if (p != "NOTSET" && !p.empty())
            return fail(n, "auto_pad '" + p +
                               "' is not supported; export with explicit pads (auto_pad NOTSET)");
        return ok_status();
    }

    Result<Op> map_node(int k);
    Status map_conv(const onnx::NodeProto& n, Op& op);
    Status map_gemm(const onnx::NodeProto& n, Op& op);
    Status map_matmul(const onnx::NodeProto& n, Op& op);
    Status map_binary(const onnx::NodeProto& n, Op& op);
    Status map_pool(const onnx::NodeProto& n, Op& op);
    Status map_shape_op(const onnx::NodeProto& n, Op& op);
};

Status Mapper::map_conv(const onnx::NodeProto& n, Op& op) {
    if (auto s = check_auto_pad(n); !s) return s;
    if (auto s = activation(n, 0, op); !s) return s;
    if (auto s = param(n, 1, true, "weight", op); !s) return s;
    if (!input_at(n, 2).empty())
        if (auto s = param(n, 2, true, "bias", op); !s) return s;
    const Ints& w = g.constant(n.input(1))->dims;
    if (w.size() < 3) return fail(n, "weight must have rank >= 3");
    size_t spatial = w.size() - 2;
    op.attrs.set("kernel_shape",
                 attr_ints(n, "kernel_shape").value_or(Ints(w.begin() + 2, w.end())));
    op.attrs.set("strides", attr_ints(n, "strides").value_or(Ints(spatial, 1)));
    op.attrs.set("pads", attr_ints(n, "pads").value_or(Ints(2 * spatial, 0)));
    op.attrs.set("dilations", attr_ints(n, "dilations").value_or(Ints(spatial, 1)));
    op.attrs.set("group", attr_int(n, "group").value_or(1));
    return outputs(n, 1, op);
}

Status Mapper::map_gemm(const onnx::NodeProto& n, Op& op) {
    if (attr_int(n, "transA").value_or(0) != 0) return fail(n, "transA=1 is not supported");
    if (attr_float(n, "alpha").value_or(1.0) != 1.0 || attr_float(n, "beta").value_or(1.0) != 1.0)
        return fail(n, "alpha and beta must be 1");
    if (auto s = activation(n, 0, op); !s) return s;
    if (auto s = param(n, 1, true, "weight", op); !s) return s;
    if (!input_at(n, 2).empty())
        if (auto s = param(n, 2, true, "bias", op); !s) return s;
    op.attrs.set("transB", attr_int(n, "transB").value_or(0));
    return outputs(n, 1, op);
}

// MatMul by an initializer is a linear layer: Gemm (transB=0), with the bias of a following
// Add(MatMul, b) folded in when that Add is the product's only consumer.
Status Mapper::map_matmul(const onnx::NodeProto& n, Op& op) {
    const ConstTensor* a = g.constant(input_at(n, 0));
    const ConstTensor* b = g.constant(input_at(n, 1));
    if (a)
        return fail(
            n, "a constant first operand is not supported (weights must be the second operand)");
    if (!b) {
        op.type = OpType::MatMul;
        if (auto s = activation(n, 0, op); !s) return s;
        if (auto s = activation(n, 1, op); !s) return s;
        return outputs(n, 1, op);
    }
    if (b->dims.size() != 2) return fail(n, "weight '" + n.input(1) + "' must be 2-D");
    op.type = OpType::Gemm;
    op.attrs.set("transB", int64_t{0});
    if (auto s = activation(n, 0, op); !s) return s;
    if (auto s = param(n, 1, true, "weight", op); !s) return s;
    const std::string out = n.output(0);
    auto it = consumers.find(out);
    if (!graph_outputs.count(out) && it != consumers.end() && it->second.size() == 1) {
        int k = it->second[0];
        const auto& add = g.nodes[static_cast<size_t>(k)];
        if (add.op_type() == "Add" && add.input_size() == 2) {
            int bias_at = add.input(0) == out ? 1 : 0;
            const ConstTensor* bias = g.constant(add.input(bias_at));
            if (bias && bias->is_float() && bias->dims == Ints{b->dims[1]}) {
                if (auto s = param(add, bias_at, true, "bias", op); !s) return s;
                absorbed.insert(k);
                op.outputs.push_back(add.output(0));
                return ok_status();
            }
        }
    }
    return outputs(n, 1, op);
}

Status Mapper::map_binary(const onnx::NodeProto& n, Op& op) {
    if (n.input_size() != 2) return fail(n, "needs two operands");
    const ConstTensor* a = g.constant(n.input(0));
    const ConstTensor* b = g.constant(n.input(1));
    if (a && b)
        return fail(n, "both operands are constants without values (missing external data)");
    if (!a && !b) {
        if (op.type == OpType::Pow) return fail(n, "the exponent must be a constant scalar");
        op.inputs = {n.input(0), n.input(1)};
        return outputs(n, 1, op);
    }
    int ci = a ? 0 : 1;
    const ConstTensor* c = a ? a : b;
    op.inputs.push_back(n.input(1 - ci));
    if (op.type == OpType::Pow) {
        if (ci != 1 || c->numel() != 1 || !c->loaded)
            return fail(n, "the exponent must be a constant scalar");
        op.attrs.set("exponent", c->at(0));
        return outputs(n, 1, op);
    }
    if (c->numel() == 1 && c->loaded) {
        op.attrs.set("scalar", c->at(0));
    } else if (auto s = param(n, ci, true, "operand", op); !s) {
        return s;
    }
    // Which side the constant sits on matters for Sub and Div: reverse=1 means const op x.
    if (ci == 0 && (op.type == OpType::Sub || op.type == OpType::Div))
        op.attrs.set("reverse", int64_t{1});
    return outputs(n, 1, op);
}

Status Mapper::map_pool(const onnx::NodeProto& n, Op& op) {
    if (auto s = check_auto_pad(n); !s) return s;
    if (auto s = activation(n, 0, op); !s) return s;
    auto k = attr_ints(n, "kernel_shape");
    if (!k) return fail(n, "has no kernel_shape");
    size_t spatial = k->size();
    op.attrs.set("kernel_shape", *k);
    op.attrs.set("strides", attr_ints(n, "strides").value_or(Ints(spatial, 1)));
    op.attrs.set("pads", attr_ints(n, "pads").value_or(Ints(2 * spatial, 0)));
    op.attrs.set("ceil_mode", attr_int(n, "ceil_mode").value_or(0));
    if (op.type == OpType::MaxPool)
        op.attrs.set("dilations", attr_ints(n, "dilations").value_or(Ints(spatial, 1)));
    else
        op.attrs.set("count_include_pad", attr_int(n, "count_include_pad").value_or(0));
    return outputs(n, 1, op);
}

// Ops whose shape-like operands ONNX passes as tensors and the IR keeps as attributes.
Status Mapper::map_shape_op(const onnx::NodeProto& n, Op& op) {
    if (auto s = activation(n, 0, op); !s) return s;
    Error err{};
    const std::string x = n.input(0);
    auto rank = [&]() -> std::optional<size_t> {
        auto it = g.shapes.find(x);
        return it == g.shapes.end() ? std::nullopt : std::optional<size_t>(it->second.size());
    };
    switch (op.type) {
        case OpType::Reshape: {
            auto shape = constant(n, 1, "shape");
            if (!shape) return shape.error();
            op.attrs.set("shape", (*shape)->ints());
            break;
        }
        case OpType::Clip: {
            double lo = -kFloatMax, hi = kFloatMax;
            for (int i : {1, 2}) {
                if (input_at(n, i).empty()) continue;
                auto c = constant(n, i, i == 1 ? "min" : "max");
                if (!c) return c.error();
                if ((*c)->numel() != 1) return fail(n, "bounds must be scalars");
                (i == 1 ? lo : hi) = (*c)->at(0);
            }
            op.attrs.set("min", lo);
            op.attrs.set("max", hi);
            break;
        }
        case OpType::Split: {
            op.attrs.set("axis", attr_int(n, "axis").value_or(0));
            auto split = g.opset >= 13 ? optional_ints(n, 1, "split", &err) : attr_ints(n, "split");
            if (!err.message.empty()) return err;
            if (split) op.attrs.set("split", *split);
            return outputs(n, n.output_size(), op);
        }
        case OpType::Slice: {
            auto starts = constant(n, 1, "starts");
            if (!starts) return starts.error();
            auto ends = constant(n, 2, "ends");
            if (!ends) return ends.error();
            Ints st = (*starts)->ints();
            Ints axes, steps(st.size(), 1);
            for (size_t i = 0; i < st.size(); ++i) axes.push_back(static_cast<int64_t>(i));
            if (auto a = optional_ints(n, 3, "axes", &err)) axes = *a;
            if (auto s = optional_ints(n, 4, "steps", &err)) steps = *s;
            if (!err.message.empty()) return err;
            op.attrs.set("starts", st);
            op.attrs.set("ends", (*ends)->ints());
            op.attrs.set("axes", axes);
            op.attrs.set("steps", steps);
            break;
        }
        case OpType::Pad: {
            auto pads = constant(n, 1, "pads");
            if (!pads) return pads.error();
            op.attrs.set("pads", (*pads)->ints());
            op.attrs.set("mode", attr_string(n, "mode").value_or("constant"));
            double value = 0.0;
            if (!input_at(n, 2).empty()) {
                auto v = constant(n, 2, "constant_value");
                if (!v) return v.error();
                if ((*v)->numel() == 1) value = (*v)->at(0);
            }
            op.attrs.set("value", value);
            break;
        }
        case OpType::Squeeze:
        case OpType::Unsqueeze: {
            auto axes = g.opset >= 13 ? optional_ints(n, 1, "axes", &err) : attr_ints(n, "axes");
            if (!err.message.empty()) return err;
            if (!axes && op.type == OpType::Unsqueeze) return fail(n, "has no axes");
            if (!axes) {  // ONNX squeezes every dim of size 1
                auto it = g.shapes.find(x);
                if (it == g.shapes.end())
                    return fail(n, "squeezes all unit dims of an input of unknown shape");
                axes = Ints{};
                for (size_t d = 0; d < it->second.size(); ++d)
                    if (it->second[d] == 1) axes->push_back(static_cast<int64_t>(d));
            }
            op.attrs.set("axes", *axes);
            break;
        }
        case OpType::ReduceMean: {
            auto axes = attr_ints(n, "axes");
            if (!axes && g.opset >= 18) axes = optional_ints(n, 1, "axes", &err);
            if (!err.message.empty()) return err;
            if (axes) op.attrs.set("axes", *axes);
            op.attrs.set("keepdims", attr_int(n, "keepdims").value_or(1));
            break;
        }
        case OpType::Softmax: {
            int64_t axis = attr_int(n, "axis").value_or(g.opset >= 13 ? -1 : 1);
            auto r = rank();
            if (g.opset < 13 && r && axis != -1 && axis != static_cast<int64_t>(*r) - 1)
                return fail(n, "opset " + std::to_string(g.opset) +
                                   " Softmax over a non-last axis is not supported");
            op.attrs.set("axis", axis);
            break;
        }
        case OpType::Dropout: {
            double ratio = attr_float(n, "ratio").value_or(0.5);
            if (g.opset >= 12 && !input_at(n, 1).empty()) {
                auto r = constant(n, 1, "ratio");
                if (!r) return r.error();
                ratio = (*r)->at(0);
            }
            op.attrs.set("ratio", ratio);
            break;
        }
        case OpType::Flatten:
            op.attrs.set("axis", attr_int(n, "axis").value_or(1));
            break;
        case OpType::Concat: {
            auto axis = attr_int(n, "axis");
            if (!axis) return fail(n, "has no axis");
            for (int i = 1; i < n.input_size(); ++i)
                if (auto s = activation(n, i, op); !s) return s;
            op.attrs.set("axis", *axis);
            break;
        }
        case OpType::Transpose:
            if (auto perm = attr_ints(n, "perm")) op.attrs.set("perm", *perm);
            break;
        case OpType::HardSigmoid:
            op.attrs.set("alpha", attr_float(n, "alpha").value_or(0.2));
            op.attrs.set("beta", attr_float(n, "beta").value_or(0.5));
            break;
        default:
            break;
    }
    return outputs(n, 1, op);
}

Result<Op> Mapper::map_node(int k) {
    const auto& n = g.nodes[static_cast<size_t>(k)];
    Op op;
    op.name = n.name().empty() ? n.op_type() + "_" + std::to_string(k) : n.name();
    for (int i = 2; op_names.count(op.name); ++i)
        op.name = (n.name().empty() ? n.op_type() : n.name()) + "_" + std::to_string(i);
    op_names.insert(op.name);
    op.block = block_from_node_name(n.name());
    const std::string& t = n.op_type();
    auto type = op_type_from_name(t);
    bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!default_domain || !listed(std::begin(kSupported), std::end(kSupported), t)) {
        if (default_domain && listed(std::begin(kFoldOnly), std::end(kFoldOnly), t))
            return fail(n, "is supported only on constants (shape arithmetic), but its input '" +
                               input_at(n, 0) + "' is computed at run time");
        return unsupported(g, n, op.name);
    }
    if (!type)  // Shape, Constant
        return fail(n, "could not be folded to a constant: its input '" + input_at(n, 0) +
                           "' has no static shape");
    op.type = *type;
    Status s = ok_status();
    switch (op.type) {
        case OpType::Conv:
            s = map_conv(n, op);
            break;
        case OpType::Gemm:
            s = map_gemm(n, op);
            break;
        case OpType::MatMul:
            s = map_matmul(n, op);
            break;
        case OpType::Add:
        case OpType::Sub:
        case OpType::Mul:
        case OpType::Div:
        case OpType::Pow:
            s = map_binary(n, op);
            break;
        case OpType::MaxPool:
        case OpType::AveragePool:
            s = map_pool(n, op);
            break;
        case OpType::BatchNormalization:
            if (!(s = activation(n, 0, op))) break;
            for (int i = 1; i <= 4 && s; ++i)
                s = param(n, i, i <= 2,
                          i == 1   ? "scale"
                          : i == 2 ? "bias"
                          : i == 3 ? "mean"
                                   : "var",
                          op);
            if (!s) break;
            op.attrs.set("epsilon", attr_float(n, "epsilon").value_or(1e-5));
            s = outputs(n, 1, op);
            break;
        case OpType::LayerNormalization: {
            int64_t axis = attr_int(n, "axis").value_or(-1);
            auto it = g.shapes.find(input_at(n, 0));
            if (axis != -1 &&
                (it == g.shapes.end() || axis != static_cast<int64_t>(it->second.size()) - 1))
                return fail(n, "normalizes from axis " + std::to_string(axis) +
                                   "; only the last axis is supported");
            if (!(s = activation(n, 0, op))) break;
            if (!(s = param(n, 1, true, "scale", op))) break;
            if (!input_at(n, 2).empty() && !(s = param(n, 2, true, "bias", op))) break;
            op.attrs.set("epsilon", attr_float(n, "epsilon").value_or(1e-5));
            s = outputs(n, 1, op);
            break;
        }
        case OpType::Gather: {
            const ConstTensor* table = g.constant(input_at(n, 0));
            if (!table || g.constant(input_at(n, 1)) || attr_int(n, "axis").value_or(0) != 0 ||
                table->dims.size() != 2)
                return fail(
                    n,
                    "Gather is supported as an embedding lookup only: a 2-D initializer table, "
                    "activation indices, axis 0");
            if (!(s = activation(n, 1, op))) break;
            if (!(s = param(n, 0, true, "embedding table", op))) break;
            s = outputs(n, 1, op);
            break;
        }
        default:
            s = map_shape_op(n, op);
            break;
    }
    if (!s) return s.error();
    return op;
}

}  // namespace

std::string block_from_node_name(const std::string& node_name) {
    if (node_name.empty() || node_name[0] != '/') return {};
    std::vector<std::string> seg;
    std::stringstream ss(node_name);
    for (std::string part; std::getline(ss, part, '/');)
        if (!part.empty()) seg.push_back(part);
    if (seg.size() >= 3) return seg[1];
    if (seg.size() == 2) return seg[0];
    return {};
}

std::string supported_onnx_ops() {
    std::string out;
    for (const char* op : kSupported) out += (out.empty() ? "" : ", ") + std::string(op);
    return out;
}

// The fewest inputs each supported op needs (later passes index inputs up to this).
int min_inputs(const std::string& op) {
    static const std::map<std::string, int> n = {{"Constant", 0},
                                                 {"Add", 2},
                                                 {"Sub", 2},
                                                 {"Mul", 2},
                                                 {"Div", 2},
                                                 {"Pow", 2},
                                                 {"Equal", 2},
                                                 {"Conv", 2},
                                                 {"Gemm", 2},
                                                 {"MatMul", 2},
                                                 {"BatchNormalization", 5},
                                                 {"LayerNormalization", 2},
                                                 {"Gather", 2},
                                                 {"Reshape", 2},
                                                 {"Slice", 3},
                                                 {"Pad", 2},
                                                 {"Range", 3}};
    auto it = n.find(op);
    return it == n.end() ? 1 : it->second;
}

Status check_supported(const WorkGraph& g) {
    for (size_t k = 0; k < g.nodes.size(); ++k) {
        const auto& n = g.nodes[k];
        std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(k) : n.name();
        bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
        if (!default_domain ||
            (!listed(std::begin(kSupported), std::end(kSupported), n.op_type()) &&
             !listed(std::begin(kFoldOnly), std::end(kFoldOnly), n.op_type())))
            return unsupported(g, n, name);
        if (n.output_size() == 0 || n.output(0).empty())
            return Error{g.source + ": " + describe(n) + " has no output"};
        if (n.input_size() < min_inputs(n.op_type()))
            return Error{g.source + ": " + describe(n) + " has " + std::to_string(n.input_size()) +
                         " inputs, fewer than the " + std::to_string(min_inputs(n.op_type())) +
                         " it needs"};
    }
    return ok_status();
}

Status map_nodes(const WorkGraph& g, Network& net) {
    Mapper m(g, net);
    for (int k = 0; k < static_cast<int>(g.nodes.size()); ++k) {
        if (m.absorbed.count(k)) continue;
        auto op = m.map_node(k);
        if (!op) return op.error();
        net.ops.push_back(std::move(*op));
    }
    return ok_status();
}

}  // namespace tp::onnx_detail
