#include "engine/network.h"

#include <algorithm>
#include <array>
#include <set>
#include <sstream>
#include <utility>

namespace tp {

int64_t dtype_bytes(DType t) {
    switch (t) {
        case DType::f32:
            return 4;
        case DType::i64:
            return 8;
        case DType::i32:
            return 4;
        case DType::i8:
            return 1;
    }
    return 4;
}

const char* dtype_name(DType t) {
    switch (t) {
        case DType::f32:
            return "float32";
        case DType::i64:
            return "int64";
        case DType::i32:
            return "int32";
        case DType::i8:
            return "int8";
    }
    return "float32";
}

std::optional<DType> dtype_from_name(const std::string& name) {
    for (DType t : {DType::f32, DType::i64, DType::i32, DType::i8})
        if (name == dtype_name(t)) return t;
    return std::nullopt;
}

int64_t element_count(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

std::string shape_to_string(const Shape& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (i) out += "x";
        out += std::to_string(s[i]);
    }
    return out.empty() ? "scalar" : out;
}

namespace {
constexpr std::array<std::pair<OpType, const char*>, 38> kOpNames{{
    {OpType::Conv, "Conv"},
    {OpType::Gemm, "Gemm"},
    {OpType::MatMul, "MatMul"},
    {OpType::BatchNormalization, "BatchNormalization"},
    {OpType::LayerNormalization, "LayerNormalization"},
    {OpType::Relu, "Relu"},
    {OpType::Clip, "Clip"},
    {OpType::HardSwish, "HardSwish"},
    {OpType::HardSigmoid, "HardSigmoid"},
    {OpType::Sigmoid, "Sigmoid"},
    {OpType::Tanh, "Tanh"},
    {OpType::Gelu, "Gelu"},
    {OpType::Erf, "Erf"},
    {OpType::Add, "Add"},
    {OpType::Sub, "Sub"},
    {OpType::Mul, "Mul"},
    {OpType::Div, "Div"},
    {OpType::Pow, "Pow"},
    {OpType::Sqrt, "Sqrt"},
    {OpType::Concat, "Concat"},
    {OpType::MaxPool, "MaxPool"},
    {OpType::AveragePool, "AveragePool"},
    {OpType::GlobalAveragePool, "GlobalAveragePool"},
    {OpType::ReduceMean, "ReduceMean"},
    {OpType::Flatten, "Flatten"},
    {OpType::Reshape, "Reshape"},
    {OpType::Transpose, "Transpose"},
    {OpType::Split, "Split"},
    {OpType::Slice, "Slice"},
    {OpType::Squeeze, "Squeeze"},
    {OpType::Unsqueeze, "Unsqueeze"},
    {OpType::Softmax, "Softmax"},
    {OpType::Dropout, "Dropout"},
    {OpType::Identity, "Identity"},
    {OpType::Pad, "Pad"},
    {OpType::Gather, "Gather"},
    {OpType::Upsample, "Upsample"},
    {OpType::GroupNormalization, "GroupNormalization"},
}};
}  // namespace

const char* op_type_name(OpType t) {
    for (const auto& [type, name] : kOpNames)
        if (type == t) return name;
    return "Unknown";
}

std::optional<OpType> op_type_from_name(const std::string& name) {
    for (const auto& [type, n] : kOpNames)
        if (name == n) return type;
    return std::nullopt;
}

int64_t Attributes::get_int(const std::string& k, int64_t fallback) const {
    auto it = values.find(k);
    if (it == values.end()) return fallback;
    if (auto* i = std::get_if<int64_t>(&it->second)) return *i;
    if (auto* d = std::get_if<double>(&it->second)) return static_cast<int64_t>(*d);
    return fallback;
}

double Attributes::get_float(const std::string& k, double fallback) const {
    auto it = values.find(k);
    if (it == values.end()) return fallback;
    if (auto* d = std::get_if<double>(&it->second)) return *d;
    if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
    return fallback;
}

std::vector<int64_t> Attributes::get_ints(const std::string& k,
                                          std::vector<int64_t> fallback) const {
    auto it = values.find(k);
    if (it == values.end()) return fallback;
    if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
    if (auto* i = std::get_if<int64_t>(&it->second)) return {*i};
    return fallback;
}

std::string Attributes::get_string(const std::string& k, std::string fallback) const {
    auto it = values.find(k);
    if (it == values.end()) return fallback;
    if (auto* s = std::get_if<std::string>(&it->second)) return *s;
    return fallback;
}

const TensorInfo* Network::tensor(const std::string& n) const {
    auto it = tensors.find(n);
    return it == tensors.end() ? nullptr : &it->second;
}

const Parameter* Network::param(const std::string& n) const {
    auto it = params.find(n);
    return it == params.end() ? nullptr : &it->second;
}

int Network::op_index(const std::string& n) const {
    for (size_t i = 0; i < ops.size(); ++i)
        if (ops[i].name == n) return static_cast<int>(i);
    return -1;
}

const Op* Network::op(const std::string& n) const {
    int i = op_index(n);
    return i < 0 ? nullptr : &ops[static_cast<size_t>(i)];
}

int64_t Network::trainable_param_count() const {
    int64_t n = 0;
    for (const auto& [name, p] : params)
        if (p.trainable) n += p.elements();
    return n;
}

int64_t Network::param_bytes() const {
    int64_t n = 0;
    for (const auto& [name, p] : params) n += p.elements() * dtype_bytes(p.dtype);
    return n;
}

int64_t Network::total_macs() const {
    int64_t n = 0;
    for (const auto& op : ops) n += op.macs;
    return n;
}

bool Network::has_weights() const {
    if (params.empty()) return false;
    for (const auto& [name, p] : params)
        if (static_cast<int64_t>(p.values.size()) != p.elements()) return false;
    return true;
}

std::vector<std::string> Network::block_names() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& op : ops)
        if (!op.block.empty() && seen.insert(op.block).second) out.push_back(op.block);
    return out;
}

Status validate_structure(const Network& net) {
    std::set<std::string> defined(net.inputs.begin(), net.inputs.end());
    std::set<std::string> op_names;
    for (const auto& in : net.inputs)
        if (!net.tensor(in)) return Error{"graph input '" + in + "' has no tensor info"};
    for (const auto& op : net.ops) {
        if (op.name.empty())
            return Error{"an op of type " + std::string(op_type_name(op.type)) + " has no name"};
        if (!op_names.insert(op.name).second)
            return Error{"op name '" + op.name + "' is used twice"};
        for (const auto& in : op.inputs)
            if (!defined.count(in))
                return Error{"op '" + op.name + "' reads tensor '" + in +
                             "' before any op produces it (ops must be in topological order)"};
        for (const auto& p : op.params)
            if (!net.param(p))
                return Error{"op '" + op.name + "' names parameter '" + p +
                             "' that does not exist"};
        for (const auto& out : op.outputs) {
            if (!defined.insert(out).second)
                return Error{"tensor '" + out + "' is produced twice (second time by op '" +
                             op.name + "')"};
        }
    }
    for (const auto& out : net.outputs)
        if (!defined.count(out)) return Error{"graph output '" + out + "' is never produced"};
    return ok_status();
}

Status sort_topologically(Network& net) {
    std::set<std::string> defined(net.inputs.begin(), net.inputs.end());
    std::vector<Op> sorted;
    std::vector<bool> placed(net.ops.size(), false);
    sorted.reserve(net.ops.size());
    while (sorted.size() < net.ops.size()) {
        bool progress = false;
        for (size_t i = 0; i < net.ops.size(); ++i) {
            if (placed[i]) continue;
            const Op& op = net.ops[i];
            bool ready = std::all_of(op.inputs.begin(), op.inputs.end(),
                                     [&](const std::string& t) { return defined.count(t) != 0; });
            if (!ready) continue;
            for (const auto& o : op.outputs) defined.insert(o);
            sorted.push_back(op);
            placed[i] = true;
            progress = true;
            break;  // restart from the front: keeps the given order where it is valid
        }
        if (!progress) {
            for (size_t i = 0; i < net.ops.size(); ++i)
                if (!placed[i])
                    return Error{"op '" + net.ops[i].name +
                                 "' waits on a tensor no op produces, or the graph has a cycle"};
        }
    }
    net.ops = std::move(sorted);
    return ok_status();
}

}  // namespace tp
