#include "engine/firmware_codegen.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "engine/firmware_ops.h"

namespace tp {

int FirmwareLayout::param_of(const std::string& name) const {
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].name == name) return static_cast<int>(i);
    return -1;
}

std::string comment_safe(const std::string& text) {
    // A // comment ends only at a newline or continues past one after a backslash; keep printable
    // ASCII but those (and '?', for trigraph-era compilers).
    std::string out;
    for (unsigned char c : text) {
        bool keep = c >= 0x20 && c < 0x7f && c != '\\' && c != '?';
        out += keep ? static_cast<char>(c) : '_';
        if (out.size() >= 100) break;
    }
    return out;
}

std::string c_string_literal(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '.' || c == ':' || c == '-' || c == ' ' || c == '/';
        if (plain) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", c);  // octal: never more than 3 digits
            out += buf;
        }
    }
    return out + "\"";
}

namespace {

int64_t align8(int64_t v) {
    return (v + 7) / 8 * 8;
}

}  // namespace

Status check_exportable(const TrainingGraph& g) {
    const TrainingPlan& plan = g.plan;
    if (plan.precision != Precision::fp32)
        return Error{"the firmware runtime's kernels are fp32 but the plan uses " +
                     std::string(precision_name(plan.precision)) +
                     " — export with --precision fp32"};
    if (plan.optimizer == Optimizer::adam)
        return Error{"the firmware runtime implements SGD and SGD with momentum, not Adam — "
                     "export with --optimizer sgd or sgd-momentum"};
    if (!plan.in_place_update)
        return Error{"the firmware applies each layer's update in place as its gradient is "
                     "produced; export without --no-in-place"};
    if (g.loss_node < 0)
        return Error{"the plan trains nothing, so there is no training step to export — set at "
                     "least one layer to train"};
    const Network& net = g.network;
    if (net.inputs.size() != 1 || net.tensor(net.inputs[0])->dtype != DType::f32)
        return Error{"the firmware takes one float32 input tensor; network '" + net.name +
                     "' has " + std::to_string(net.inputs.size()) + " inputs"};
    if (!net.has_weights())
        return Error{"network '" + net.name +
                     "' came without weights (a graph-only ONNX file?) — export needs every "
                     "parameter's values: use an ONNX file with initializers or zoo:NAME"};
    for (const auto& op : net.ops)
        if (auto s = check_op_exportable(net, op); !s) return s;
    return ok_status();
}

Result<FirmwareLayout> layout_parameters(const TrainingGraph& g) {
    FirmwareLayout layout;
    const Network& net = g.network;
    layout.momentum = g.plan.optimizer == Optimizer::sgd_momentum ? 0.9f : 0.0f;
    std::set<std::string> seen;
    for (size_t o = 0; o < net.ops.size(); ++o) {
        const Op& op = net.ops[o];
        for (size_t i = 0; i < op.params.size(); ++i) {
            if (!seen.insert(op.params[i]).second)
                return Error{"parameter '" + op.params[i] + "' is shared by several ops (again in '" +
                             op.name + "'); the firmware exporter needs one owner per parameter"};
            const Parameter& p = *net.param(op.params[i]);
            ParamLayout pl;
            pl.name = p.name;
            pl.op_index = static_cast<int>(o);
            pl.role = i;
            pl.elements = p.elements();
            pl.rows = param_rows(op, i, p, g.plan.layer(op.name));
            layout.params.push_back(pl);
        }
    }
    int64_t at = 0;
    for (auto& p : layout.params)
        if (p.rows.trained_rows > 0) {
            p.ram_offset = at;
            at += align8(p.rows.trained_rows * p.rows.row_len * 4);
        }
    if (layout.momentum != 0.0f)
        for (auto& p : layout.params)
            if (p.rows.trained_rows > 0) {
                p.momentum_offset = at;
                at += align8(p.rows.trained_rows * p.rows.row_len * 4);
            }
    layout.persistent_bytes = (at + 15) / 16 * 16;
    for (const auto& n : g.nodes)
        if (n.kind == NodeKind::input) layout.input_node = n.id;
    layout.logits_node = g.nodes[static_cast<size_t>(g.loss_node)].inputs[0];
    const Shape& logits = net.tensor(net.outputs[0])->shape;
    layout.classes = logits.empty() ? 1 : logits.back();
    layout.sample_elements = element_count(net.tensor(net.inputs[0])->shape);
    return layout;
}

Schedule inference_schedule(const TrainingGraph& g, const FirmwareLayout& layout) {
    std::vector<int> order;
    std::vector<int> last(g.nodes.size(), -1);
    for (const auto& n : g.nodes) {
        if (n.kind != NodeKind::input && n.kind != NodeKind::forward) continue;
        order.push_back(n.id);
        for (int in : n.inputs) last[static_cast<size_t>(in)] = n.id;
    }
    last[static_cast<size_t>(layout.logits_node)] = -2;  // kept to the end, then copied out
    Schedule s;
    std::vector<std::vector<int>> frees_after(g.nodes.size());
    for (int id : order)
        if (last[static_cast<size_t>(id)] >= 0)
            frees_after[static_cast<size_t>(last[static_cast<size_t>(id)])].push_back(id);
    for (int id : order) {
        s.steps.push_back({StepOp::compute, id});
        for (int f : frees_after[static_cast<size_t>(id)]) s.steps.push_back({StepOp::free, f});
        if (last[static_cast<size_t>(id)] == -1) s.steps.push_back({StepOp::free, id});  // unread
    }
    s.steps.push_back({StepOp::free, layout.logits_node});
    return s;
}

namespace {

struct Emitter {
    const TrainingGraph& g;
    const FirmwareLayout& layout;
    int64_t base;  // activation region offset in the arena
    std::ostringstream out;
    int calls = 0, pages = 0;

    std::string at(const MemoryPlan& plan, int buffer) const {
        return std::to_string(base + plan.buffers[static_cast<size_t>(buffer)].offset) + "u";
    }

    Status body(const Schedule& schedule, const MemoryPlan& plan, bool training) {
        for (size_t i = 0; i < schedule.steps.size(); ++i) {
            const Step& s = schedule.steps[i];
            const TrainingNode& node = g.nodes[static_cast<size_t>(s.node)];
            const StepPlacement& p = plan.steps[i];
            std::string where = "    // " + std::to_string(i) + ": " + step_op_name(s.op) + " " +
                                comment_safe(node.name);
            switch (s.op) {
                case StepOp::compute:
                case StepOp::recompute: {
                    NodeBuffers b;
                    b.output = p.output >= 0 ? "F(" + at(plan, p.output) + ")" : "nullptr";
                    b.output_bytes = "U8(" + (p.output >= 0 ? at(plan, p.output) : "0u") + ")";
                    b.workspace = p.workspace >= 0 ? "F(" + at(plan, p.workspace) + ")" : "nullptr";
                    for (int in : p.inputs) b.inputs.push_back(at(plan, in));
                    auto call = emit_node_call(g, layout, node, b);
                    if (!call) return call.error();
                    out << where << "\n" << *call;
                    ++calls;
                    break;
                }
                case StepOp::page_out:
                case StepOp::page_in: {
                    const StorageSlot& slot = plan.storage_slots[static_cast<size_t>(p.storage_slot)];
                    bool write = s.op == StepOp::page_out;
                    out << where << "\n    if (int e = " << (write ? "page_out(" : "page_in(")
                        << slot.offset << "u, " << at(plan, write ? p.source : p.output) << ", "
                        << slot.bytes << "u)) return e;\n";
                    ++pages;
                    break;
                }
                case StepOp::free:
                    if (training) out << where << "\n";
                    break;
            }
        }
        return ok_status();
    }
};

std::string params_block(const FirmwareLayout& layout) {
    std::ostringstream o;
    for (size_t i = 0; i < layout.params.size(); ++i) {
        const ParamLayout& p = layout.params[i];
        o << "// " << comment_safe(p.name) << ": " << p.rows.trained_rows << " of " << p.rows.rows
          << " rows train\n";
        o << "[[maybe_unused]] tpk::Rows P" << i << "() { return {";
        if (p.rows.trained_rows > 0)
            o << "F(" << p.ram_offset << "u)";
        else
            o << "nullptr";
        o << ", tpw_" << i << ", " << p.rows.rows << ", " << p.rows.row_len << ", "
          << p.rows.trained_rows << "}; }\n";
        if (p.momentum_offset >= 0)
            o << "[[maybe_unused]] float* M" << i << "() { return F(" << p.momentum_offset << "u); }\n";
        else
            o << "[[maybe_unused]] float* M" << i << "() { return nullptr; }\n";
    }
    return o.str();
}

}  // namespace

Result<GeneratedModel> generate_model_source(const TrainingGraph& g, const FirmwareLayout& layout,
                                             const Schedule& schedule, const MemoryPlan& plan,
                                             const Schedule& infer, const MemoryPlan& infer_plan,
                                             const std::string& prefix, const std::string& header,
                                             const std::string& banner) {
    const std::string P = prefix;
    std::string macro = prefix == "tp_" ? "TP_" : "TPREF_";
    Emitter train{g, layout, layout.persistent_bytes, {}, 0, 0};
    if (auto s = train.body(schedule, plan, true); !s) return s.error();
    Emitter inf{g, layout, layout.persistent_bytes, {}, 0, 0};
    if (auto s = inf.body(infer, infer_plan, false); !s) return s.error();
    int logits_buffer = infer_plan.steps[infer_plan.steps.size() - 1].source;
    int64_t logits_bytes = g.nodes[static_cast<size_t>(layout.logits_node)].bytes;

    std::ostringstream o;
    o << banner << "#include \"" << header << "\"\n\n#include <math.h>\n#include <string.h>\n\n"
      << "#include \"tp_kernels.h\"\n#include \"trainplan_weights.h\"\n\n"
      << "static_assert(sizeof(float) == 4, \"the runtime stores float32\");\n\nnamespace {\n\n"
      << "alignas(16) uint8_t g_arena[" << macro << "ARENA_BYTES];\n"
      << "const tp_storage* g_storage = nullptr;\n"
      << "float g_lr = TP_LEARNING_RATE_DEFAULT;\n\n"
      << "inline float* F(uint32_t offset) { return reinterpret_cast<float*>(g_arena + offset); }\n"
      << "inline uint8_t* U8(uint32_t offset) { return g_arena + offset; }\n\n"
      << "[[maybe_unused]] int page_out(uint32_t storage_offset, uint32_t arena_offset, uint32_t bytes) {\n"
      << "    return g_storage ? g_storage->write(g_storage->ctx, storage_offset, g_arena + "
         "arena_offset, bytes) : -1;\n}\n"
      << "[[maybe_unused]] int page_in(uint32_t storage_offset, uint32_t arena_offset, uint32_t bytes) {\n"
      << "    return g_storage ? g_storage->read(g_storage->ctx, storage_offset, g_arena + "
         "arena_offset, bytes) : -1;\n}\n\n"
      << "// Layer shapes (batch " << g.plan.batch << ").\n"
      << emit_op_descriptors(g) << "\n"
      << "// Parameters: initial values in flash (trainplan_weights.cpp), trained rows in the "
         "arena.\n"
      << params_block(layout) << "\n"
      << "[[maybe_unused]] const float kInf = INFINITY;\n\n"
      << "}  // namespace\n\nextern \"C\" {\n\n";
    // init
    o << "void " << P << "init(const tp_storage* storage) {\n    g_storage = storage;\n";
    for (size_t i = 0; i < layout.params.size(); ++i) {
        const ParamLayout& p = layout.params[i];
        if (p.rows.trained_rows == 0) continue;
        int64_t bytes = p.rows.trained_rows * p.rows.row_len * 4;
        o << "    memcpy(F(" << p.ram_offset << "u), tpw_" << i << ", " << bytes << "u);\n";
        if (p.momentum_offset >= 0)
            o << "    memset(F(" << p.momentum_offset << "u), 0, " << bytes << "u);\n";
    }
    o << "}\n\nvoid " << P << "set_learning_rate(float lr) { g_lr = lr; }\n\n";
    o << "int " << P << "train_step(const float* samples, const int32_t* labels, float* loss_out) "
      << "{\n    const tpk::Sgd sgd = {g_lr, " << (layout.momentum != 0.0f ? "0.9f" : "0.0f") << "};\n    (void)sgd;\n"
      << "    float loss = 0.0f;\n"
      << train.out.str() << "    if (loss_out) *loss_out = loss;\n    return 0;\n}\n\n";
    o << "int " << P << "infer(const float* samples, float* logits) {\n"
      << "    const int32_t* labels = nullptr;\n    (void)labels;\n"
      << "    [[maybe_unused]] float loss = 0.0f;\n    [[maybe_unused]] const tpk::Sgd sgd = "
         "{g_lr, 0.0f};\n"
      << inf.out.str() << "    memcpy(logits, U8(" << inf.at(infer_plan, logits_buffer) << "), "
      << logits_bytes << "u);\n    return 0;\n}\n\n";
    o << "uint8_t* " << P << "arena(void) { return g_arena; }\n";
    o << "uint32_t " << P << "param_count(void) { return " << layout.params.size() << "u; }\n";
    o << "const char* " << P << "param_name(uint32_t i) {\n    static const char* const kNames[] = {\n";
    for (const auto& p : layout.params) o << "        " << c_string_literal(p.name) << ",\n";
    o << "    };\n    return i < " << layout.params.size() << "u ? kNames[i] : \"\";\n}\n";
    o << "uint32_t " << P << "param_elements(uint32_t i) {\n    static const uint32_t kElements[] = {";
    for (const auto& p : layout.params) o << p.elements << "u, ";
    o << "};\n    return i < " << layout.params.size() << "u ? kElements[i] : 0u;\n}\n";
    o << "void " << P << "param_read(uint32_t i, float* out) {\n    switch (i) {\n";
    for (size_t i = 0; i < layout.params.size(); ++i) {
        const ParamLayout& p = layout.params[i];
        int64_t trained = p.rows.trained_rows * p.rows.row_len;
        o << "        case " << i << "u: ";
        if (trained > 0) o << "memcpy(out, F(" << p.ram_offset << "u), " << trained * 4 << "u); ";
        if (trained < p.elements)
            o << "memcpy(out + " << trained << ", tpw_" << i << " + " << trained << ", "
              << (p.elements - trained) * 4 << "u); ";
        o << "break;\n";
    }
    o << "        default: break;\n    }\n}\n\n}  // extern \"C\"\n";
    return GeneratedModel{o.str(), train.calls, train.pages};
}

std::string generate_weights_header(const FirmwareLayout& layout) {
    std::ostringstream o;
    o << "// Generated by TrainPlan Studio: every parameter's initial values, const (flash).\n"
      << "#pragma once\n\n";
    for (size_t i = 0; i < layout.params.size(); ++i)
        o << "extern const float tpw_" << i << "[" << layout.params[i].elements << "];  // "
          << comment_safe(layout.params[i].name) << "\n";
    return o.str();
}

Result<std::string> generate_weights_source(const TrainingGraph& g, const FirmwareLayout& layout) {
    std::string o = "// Generated by TrainPlan Studio: every parameter's initial values, const "
                    "(flash).\n#include \"trainplan_weights.h\"\n\n";
    o.reserve(static_cast<size_t>(g.network.param_bytes()) * 4);
    char buf[40];
    for (size_t i = 0; i < layout.params.size(); ++i) {
        const Parameter& p = *g.network.param(layout.params[i].name);
        o += "// " + comment_safe(p.name) + " " + shape_to_string(p.shape) + "\n";
        o += "alignas(8) extern const float tpw_" + std::to_string(i) + "[" +
             std::to_string(p.elements()) + "] = {";
        for (size_t k = 0; k < p.values.size(); ++k) {
            float v = p.values[k];
            if (!std::isfinite(v))
                return Error{"parameter '" + p.name + "' holds a non-finite value at element " +
                             std::to_string(k) + "; the model file is damaged"};
            std::snprintf(buf, sizeof buf, "%.9gf,", static_cast<double>(v));
            std::string text = buf;
            if (text.find_first_of(".en") == std::string::npos)
                text.insert(text.size() - 2, ".0");  // 1f is not a float literal; 1.0f is
            if (k % 8 == 0) o += "\n    ";
            o += text;
        }
        o += "\n};\n";
    }
    return o;
}

}  // namespace tp
