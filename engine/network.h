// Network: the forward graph every importer produces and every later stage reads.
// A DAG of ops over named activation tensors, with parameters kept apart from activations.
// Activation shapes carry the batch as their first dimension, stored as 1; the training
// plan's batch size scales activation bytes (see TrainingPlan).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/result.h"

namespace tp {

using Shape = std::vector<int64_t>;

enum class DType { f32, i64, i32, i8 };

int64_t dtype_bytes(DType t);
const char* dtype_name(DType t);
std::optional<DType> dtype_from_name(const std::string& name);
int64_t element_count(const Shape& s);
std::string shape_to_string(const Shape& s);  // "1x32x56x56"

// The op vocabulary of the IR. ONNX ops map 1:1 except that inputs which ONNX passes as
// constant tensors (Reshape's shape, Clip's bounds, Split's sizes, Slice's ranges, Pad's
// pads, Unsqueeze's axes) are attributes here, so an op's inputs are activations only.
enum class OpType {
    Conv,                // params: weight [Cout, Cin/group, kh, kw], optional bias [Cout]
    Gemm,                // linear layer over the last dim; params: weight, optional bias.
                         // attr transB=1: weight [N, K] (torch Linear), transB=0: [K, N]
    MatMul,              // product of two activations (attention); no params
    BatchNormalization,  // inference statistics; params: scale, bias, mean, var
    LayerNormalization,  // over the last dim; params: scale, bias
    Relu,
    Clip,  // attrs min, max (ReLU6 is Clip 0..6)
    HardSwish,
    HardSigmoid,  // attrs alpha, beta
    Sigmoid,
    Tanh,
    Gelu,
    Erf,
    Add,  // two activations, or one activation and a parameter / scalar attr
    Sub,
    Mul,
    Div,
    Pow,  // attr exponent (scalar)
    Sqrt,
    Concat,       // attr axis
    MaxPool,      // attrs kernel_shape, strides, pads, dilations, ceil_mode
    AveragePool,  // attrs kernel_shape, strides, pads, ceil_mode, count_include_pad
    GlobalAveragePool,
    ReduceMean,  // attrs axes, keepdims
    Flatten,     // attr axis
    Reshape,     // attr shape (ONNX semantics: 0 copies, -1 infers)
    Transpose,   // attr perm
    Split,       // attrs axis, split; several outputs
    Slice,       // attrs starts, ends, axes, steps
    Squeeze,     // attr axes
    Unsqueeze,   // attr axes
    Softmax,     // attr axis
    Dropout,     // identity when training plans are made (ratio kept for the record)
    Identity,
    Pad,       // attrs pads, mode, value
    Gather,    // embedding lookup: input indices (i64), param table [rows, dim]
    Upsample,  // bilinear/nearest resize of the spatial dims to attr sizes, or by integer attr
               // scale
    GroupNormalization,  // attr num_groups; params scale, bias per channel (adapters, batch 1)
};

const char* op_type_name(OpType t);
std::optional<OpType> op_type_from_name(const std::string& name);

using AttrValue =
    std::variant<int64_t, double, std::vector<int64_t>, std::vector<double>, std::string>;

struct Attributes {
    std::map<std::string, AttrValue> values;

    bool has(const std::string& k) const { return values.count(k) != 0; }
    int64_t get_int(const std::string& k, int64_t fallback) const;
    double get_float(const std::string& k, double fallback) const;
    std::vector<int64_t> get_ints(const std::string& k, std::vector<int64_t> fallback = {}) const;
    std::string get_string(const std::string& k, std::string fallback = {}) const;
    void set(const std::string& k, AttrValue v) { values[k] = std::move(v); }
    bool operator==(const Attributes&) const = default;
};

struct TensorInfo {
    std::string name;
    Shape shape;  // batch first (stored as 1) for activations
    DType dtype = DType::f32;
    bool operator==(const TensorInfo&) const = default;
};

// A weight, bias, normalization statistic or embedding table.
struct Parameter {
    std::string name;
    Shape shape;
    DType dtype = DType::f32;
    // Trainable parameters are what the framework counts as parameters (torch's
    // model.parameters()); BatchNorm running statistics are buffers: stored, never trained.
    bool trainable = true;
    std::vector<float> values;  // empty when the model came without weights
    int64_t elements() const { return element_count(shape); }
    bool operator==(const Parameter&) const = default;
};

struct Op {
    std::string name;
    OpType type = OpType::Identity;
    std::vector<std::string> inputs;   // activation tensor names
    std::vector<std::string> outputs;  // activation tensor names
    std::vector<std::string> params;   // parameter names; roles by position, see OpType
    Attributes attrs;
    // The block (residual block, stage) this op belongs to: the unit TinyTL attaches a
    // lite-residual adapter to and presets count ("last k blocks"). Empty: none.
    std::string block;
    int64_t macs = 0;  // set by shape inference; convention in op_semantics.h
    bool operator==(const Op&) const = default;
};

struct Network {
    std::string name;
    std::vector<std::string> inputs;   // graph input tensor names
    std::vector<std::string> outputs;  // graph output tensor names
    std::vector<Op> ops;               // in topological order
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, Parameter> params;

    const TensorInfo* tensor(const std::string& name) const;
    const Parameter* param(const std::string& name) const;
    const Op* op(const std::string& name) const;
    int op_index(const std::string& name) const;  // -1 when absent

    int64_t trainable_param_count() const;  // what torch's model.parameters() counts
    int64_t param_bytes() const;            // all parameters and buffers as stored
    int64_t total_macs() const;
    bool has_weights() const;                      // every parameter carries values
    std::vector<std::string> block_names() const;  // in first-appearance order
    bool operator==(const Network&) const = default;
};

// Structural checks: unique names, every input defined before use, params exist,
// ops in topological order. The message names the op and tensor at fault.
Status validate_structure(const Network& net);

// Reorders ops topologically (stable: keeps the given order where it is already valid).
Status sort_topologically(Network& net);

}  // namespace tp
