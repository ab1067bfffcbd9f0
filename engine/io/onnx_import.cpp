// ONNX import: parse -> opset check -> (ONNX shape inference + constant folding) until
// nothing folds -> pattern fusion -> IR mapping -> our shape inference, cross-checked
// against ONNX's -> structural validation.
#include "engine/io/onnx_import.h"

#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/io/onnx_constant_folding.h"
#include "engine/io/onnx_op_mapping.h"
#include "engine/io/onnx_patterns.h"
#include "engine/io/onnx_work_graph.h"
#include "engine/op_semantics.h"

namespace tp {
namespace {

using namespace onnx_detail;

constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 17;
constexpr int kMaxFoldRounds = 64;

Result<DType> dtype_of(int32_t elem_type) {
    switch (elem_type) {
        case onnx::TensorProto::FLOAT:
            return DType::f32;
        case onnx::TensorProto::INT64:
            return DType::i64;
        case onnx::TensorProto::INT32:
            return DType::i32;
        case onnx::TensorProto::INT8:
            return DType::i8;
        default:
            return Error{"element type " + std::to_string(elem_type) +
                         " (TrainPlan supports float32, int64, int32, int8)"};
    }
}

struct GraphInput {
    std::string name;
    Shape shape;
    DType dtype = DType::f32;
    int32_t elem_type = onnx::TensorProto::FLOAT;
};

// Activation inputs with the batch dim pinned to 1; every other dim must be static.
Result<std::vector<GraphInput>> graph_inputs(const onnx::GraphProto& graph, const WorkGraph& g) {
    std::vector<GraphInput> out;
    for (const auto& vi : graph.input()) {
        if (g.constant(vi.name())) continue;  // initializer listed as an input (old exporters)
        const std::string what = g.source + ": graph input '" + vi.name() + "'";
        if (!vi.type().has_tensor_type()) return Error{what + " is not a tensor"};
        const auto& tt = vi.type().tensor_type();
        auto dtype = dtype_of(tt.elem_type());
        if (!dtype) return Error{what + " has unsupported " + dtype.error().message};
        if (!tt.has_shape()) return Error{what + " has no shape; export with a fixed input size"};
        GraphInput in{vi.name(), {}, *dtype, tt.elem_type()};
        for (int d = 0; d < tt.shape().dim_size(); ++d) {
            const auto& dim = tt.shape().dim(d);
            if (dim.has_dim_value() && dim.dim_value() > 0) {
                in.shape.push_back(d == 0 ? 1 : dim.dim_value());
            } else if (d == 0) {
                in.shape.push_back(1);  // symbolic or unknown batch
            } else {
                std::string label = dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "unknown";
                return Error{
                    what + " has " + label + " dimension " + std::to_string(d) +
                    "; only the batch dimension may be symbolic (export with a fixed input size)"};
            }
        }
        out.push_back(std::move(in));
    }
    if (out.empty()) return Error{g.source + ": the graph has no activation input"};
    return out;
}

void set_static_shape(onnx::ValueInfoProto& vi, int32_t elem_type, const Shape& shape) {
    auto* tt = vi.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* s = tt->mutable_shape();
    for (int64_t d : shape) s->add_dim()->set_dim_value(d);
}

void collect_static_shape(const onnx::ValueInfoProto& vi,
                          std::map<std::string, std::vector<int64_t>>& shapes) {
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return;
    std::vector<int64_t> dims;
    for (const auto& d : vi.type().tensor_type().shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() < 0) return;
        dims.push_back(d.dim_value());
    }
    shapes[vi.name()] = std::move(dims);
}

// Runs ONNX shape inference on the not-yet-folded nodes (constants as initializers) and
// records every fully static shape it finds.
Status onnx_shape_inference(const onnx::ModelProto& original, const std::vector<GraphInput>& inputs,
                            WorkGraph& g) {
    onnx::ModelProto m;
    m.set_ir_version(std::max<int64_t>(original.ir_version(), 7));
    *m.mutable_opset_import() = original.opset_import();
    auto* graph = m.mutable_graph();
    graph->set_name(original.graph().name());
    for (const auto& in : inputs) {
        auto* vi = graph->add_input();
        vi->set_name(in.name);
        set_static_shape(*vi, in.elem_type, in.shape);
    }
    for (const auto& out : original.graph().output()) {
        auto* vi = graph->add_output();
        vi->set_name(
            out.name());  // no declared type: ONNX infers it, our cross-check compares shapes
    }
    std::set<std::string> added;
    for (const auto& n : g.nodes) {
        *graph->add_node() = n;
        for (const auto& name : n.input())
            if (const ConstTensor* c = g.constant(name); c && added.insert(name).second)
                to_tensor_proto(name, *c, *graph->add_initializer());
    }
    try {
        onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions{false, 0, true});
    } catch (const std::exception& e) {
        return Error{g.source + ": ONNX shape inference failed: " + e.what()};
    }
    g.shapes.clear();
    for (const auto& vi : graph->input()) collect_static_shape(vi, g.shapes);
    for (const auto& vi : graph->value_info()) collect_static_shape(vi, g.shapes);
    for (const auto& vi : graph->output()) collect_static_shape(vi, g.shapes);
    return ok_status();
}

Status check_opset(const onnx::ModelProto& m, WorkGraph& g) {
    for (const auto& imp : m.opset_import())
        if (imp.domain().empty() || imp.domain() == "ai.onnx") g.opset = imp.version();
    if (g.opset == 0)
        return Error{g.source + ": the model declares no default-domain (ai.onnx) opset"};
    if (g.opset < kMinOpset || g.opset > kMaxOpset)
        return Error{g.source + ": ONNX opset " + std::to_string(g.opset) +
                     " is not supported; TrainPlan imports opset " + std::to_string(kMinOpset) +
                     " to " + std::to_string(kMaxOpset) +
                     " (re-export with opset_version=13 or convert with onnx.version_converter)"};
    return ok_status();
}

// Our inference must agree with ONNX's wherever ONNX found a static shape.
Status cross_check_shapes(const Network& net, const WorkGraph& g) {
    for (const auto& op : net.ops)
        for (const auto& out : op.outputs) {
            auto it = g.shapes.find(out);
            const TensorInfo* t = net.tensor(out);
            if (it == g.shapes.end() || !t || it->second == t->shape) continue;
            return Error{g.source + ": shape check failed at node '" + op.name + "' output '" +
                         out + "': ONNX infers " + shape_to_string(it->second) +
                         ", TrainPlan infers " + shape_to_string(t->shape)};
        }
    return ok_status();
}

std::string network_name(const std::string& source, const onnx::GraphProto& graph) {
    std::string stem = std::filesystem::path(source).stem().string();
    return stem.empty() ? graph.name() : stem;
}

Result<Network> import_model(const std::string& bytes, const std::string& source,
                             const std::string& base_dir) {
    if (bytes.empty()) return Error{source + ": the file is empty, not an ONNX model"};
    onnx::ModelProto model;
    if (!model.ParseFromString(bytes))
        return Error{
            source +
            ": not a valid ONNX model (protobuf parsing failed: the file is truncated, corrupt "
            "or not ONNX)"};
    WorkGraph g;
    g.source = source;
    g.base_dir = base_dir;
    if (!model.has_graph() || model.graph().node_size() == 0)
        return Error{source +
                     ": not a valid ONNX model (it has no graph nodes; the file may be truncated)"};
    if (auto s = check_opset(model, g); !s) return s.error();
    const auto& graph = model.graph();
    for (const auto& init : graph.initializer()) {
        auto c = load_tensor(init, base_dir);
        if (!c) return Error{source + ": initializer " + c.error().message};
        g.consts[init.name()] = std::move(*c);
    }
    auto inputs = graph_inputs(graph, g);
    if (!inputs) return inputs.error();
    g.nodes.assign(graph.node().begin(), graph.node().end());
    for (const auto& o : graph.output()) g.outputs.push_back(o.name());
    if (auto s = check_supported(g); !s) return s.error();

    for (int round = 0; round < kMaxFoldRounds; ++round) {
        if (auto s = onnx_shape_inference(model, *inputs, g); !s) return s.error();
        auto folded = fold_constants(g);
        if (!folded) return Error{source + ": " + folded.error().message};
        if (*folded == 0) break;
    }
    fuse_gelu(g);
    fuse_layer_norm(g);

    Network net;
    net.name = network_name(source, graph);
    for (const auto& in : *inputs) {
        net.inputs.push_back(in.name);
        net.tensors[in.name] = TensorInfo{in.name, in.shape, in.dtype};
    }
    for (const auto& o : g.outputs) {
        if (g.constant(o))
            return Error{source + ": graph output '" + o +
                         "' is a constant, not computed from the input"};
        net.outputs.push_back(o);
    }
    if (auto s = map_nodes(g, net); !s) return s.error();
    if (auto s = infer_shapes(net); !s) return Error{source + ": " + s.error().message};
    if (auto s = cross_check_shapes(net, g); !s) return s.error();
    if (auto s = validate_structure(net); !s) return Error{source + ": " + s.error().message};
    return net;
}

}  // namespace

Result<Network> import_onnx_bytes(const std::string& bytes, const std::string& source_name,
                                  const std::string& base_dir) {
    try {
        return import_model(bytes, source_name, base_dir);
    } catch (const std::exception& e) {
        return Error{source_name + ": import failed: " + e.what()};
    } catch (...) {
        return Error{source_name + ": import failed with an unknown error"};
    }
}

Result<Network> import_onnx_file(const std::string& path) {
    try {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec))
            return Error{path + ": is a directory, not an ONNX file"};
        std::ifstream in(path, std::ios::binary);
        if (!in) return Error{path + ": cannot open the file (" + std::strerror(errno) + ")"};
        std::ostringstream buf;
        buf << in.rdbuf();
        if (in.bad()) return Error{path + ": reading the file failed"};
        std::string dir = std::filesystem::path(path).parent_path().string();
        return import_onnx_bytes(buf.str(), path, dir.empty() ? std::string(".") : dir);
    } catch (const std::exception& e) {
        return Error{path + ": import failed: " + e.what()};
    }
}

}  // namespace tp
