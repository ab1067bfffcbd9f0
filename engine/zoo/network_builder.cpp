#include "engine/zoo/network_builder.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/op_semantics.h"

namespace tp::zoo {
namespace {

// FNV-1a, so a parameter's values depend on its name alone.
uint32_t name_seed(const std::string& name) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : name) {
        h ^= ch;
        h *= 1099511628211ull;
    }
    return static_cast<uint32_t>(h ^ (h >> 32)) ^ 0x2560u;  // fixed project-wide seed
}

// Values from std::mt19937 (fully specified by the standard) mapped to [-bound, bound)
// by our own arithmetic, so every standard library gives the same floats.
std::vector<float> draw(const std::string& name, int64_t n, Init init, int64_t fan_in) {
    std::vector<float> v(static_cast<size_t>(n));
    if (init == Init::Zeros || init == Init::Ones) {
        std::fill(v.begin(), v.end(), init == Init::Ones ? 1.0f : 0.0f);
        return v;
    }
    double fan = static_cast<double>(std::max<int64_t>(fan_in, 1));
    double bound = init == Init::HeUniform   ? std::sqrt(6.0 / fan)
                   : init == Init::FanInBias ? 1.0 / std::sqrt(fan)
                                             : 0.02 * std::sqrt(3.0);
    std::mt19937 rng(name_seed(name));
    for (auto& x : v) {
        double u = static_cast<double>(rng() >> 8) / 16777216.0;  // [0, 1), 24 bits
        x = static_cast<float>((2.0 * u - 1.0) * bound);
    }
    return v;
}

}  // namespace

NetworkBuilder::NetworkBuilder(std::string net_name, bool with_weights)
    : with_weights_(with_weights) {
    net_.name = std::move(net_name);
}

std::string NetworkBuilder::input(const std::string& name, Shape shape, DType dtype) {
    net_.inputs.push_back(name);
    net_.tensors[name] = TensorInfo{name, std::move(shape), dtype};
    return name;
}

const Shape& NetworkBuilder::shape(const std::string& tensor) const {
    static const Shape none;
    const TensorInfo* t = net_.tensor(tensor);
    return t ? t->shape : none;
}

int64_t NetworkBuilder::channels(const std::string& tensor) const {
    const Shape& s = shape(tensor);
    return s.size() > 1 ? s[1] : 0;
}

std::string NetworkBuilder::param(const std::string& name, Shape shape, Init init, int64_t fan_in,
                                  bool trainable) {
    if (error_) return name;
    if (net_.params.count(name)) {
        error_ = Error{"zoo builder: parameter '" + name + "' defined twice"};
        return name;
    }
    Parameter p;
    p.name = name;
    p.shape = std::move(shape);
    p.trainable = trainable;
    if (with_weights_) p.values = draw(name, p.elements(), init, fan_in);
    net_.params[name] = std::move(p);
    return name;
}

std::string NetworkBuilder::op(OpType type, const std::string& name,
                               std::vector<std::string> inputs, Attributes attrs,
                               std::vector<std::string> params) {
    if (error_) return name;
    if (net_.op_index(name) >= 0 || net_.tensor(name)) {
        error_ = Error{"zoo builder: op or tensor '" + name + "' defined twice"};
        return name;
    }
    Op o;
    o.name = name;
    o.type = type;
    o.inputs = std::move(inputs);
    o.outputs = {name};
    o.params = std::move(params);
    o.attrs = std::move(attrs);
    o.block = block_;
    net_.ops.push_back(std::move(o));
    if (auto s = infer_op(net_, net_.ops.back()); !s)
        error_ = Error{net_.name + ": " + s.error().message};
    return name;
}

std::string NetworkBuilder::conv(const std::string& name, const std::string& x, int64_t cout,
                                 int64_t k, int64_t stride, int64_t groups, bool bias) {
    int64_t cin = channels(x);
    if (!error_ && (groups <= 0 || cin % groups != 0)) {
        error_ = Error{net_.name + ": conv '" + name + "': " + std::to_string(cin) +
                       " input channels, group " + std::to_string(groups)};
    }
    if (error_) return name;
    int64_t fan_in = cin / groups * k * k;
    std::vector<std::string> params{
        param(name + ".weight", {cout, cin / groups, k, k}, Init::HeUniform, fan_in)};
    if (bias) params.push_back(param(name + ".bias", {cout}, Init::FanInBias, fan_in));
    Attributes a;
    int64_t pad = k / 2;
    a.set("kernel_shape", std::vector<int64_t>{k, k});
    a.set("strides", std::vector<int64_t>{stride, stride});
    a.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
    a.set("dilations", std::vector<int64_t>{1, 1});
    a.set("group", groups);
    return op(OpType::Conv, name, {x}, std::move(a), std::move(params));
}

std::string NetworkBuilder::batch_norm(const std::string& name, const std::string& x) {
    int64_t c = channels(x);
    Attributes a;
    a.set("epsilon", 1e-5);
    a.set("momentum", 0.9);  // ONNX convention (torch momentum 0.1)
    return op(OpType::BatchNormalization, name, {x}, std::move(a),
              {param(name + ".weight", {c}, Init::Ones), param(name + ".bias", {c}, Init::Zeros),
               param(name + ".running_mean", {c}, Init::Zeros, 1, false),
               param(name + ".running_var", {c}, Init::Ones, 1, false)});
}

std::string NetworkBuilder::act(const std::string& name, const std::string& x, Act a) {
    switch (a) {
        case Act::None:
            return x;
        case Act::Relu:
            return op(OpType::Relu, name, {x});
        case Act::HardSwish:
            return op(OpType::HardSwish, name, {x});
        case Act::Relu6: {
            Attributes at;
            at.set("min", 0.0);
            at.set("max", 6.0);
            return op(OpType::Clip, name, {x}, std::move(at));
        }
    }
    return x;
}

std::string NetworkBuilder::conv_bn_act(const std::string& prefix, const std::string& x,
                                        int64_t cout, int64_t k, int64_t stride, int64_t groups,
                                        Act a) {
    std::string y = conv(prefix + ".conv", x, cout, k, stride, groups);
    y = batch_norm(prefix + ".bn", y);
    return act(prefix + ".act", y, a);
}

std::string NetworkBuilder::inverted_residual(const std::string& prefix, const std::string& x,
                                              int64_t mid, int64_t k, int64_t stride, int64_t cout,
                                              Act a) {
    int64_t cin = channels(x);
    std::string y = x;
    if (mid != cin) y = conv_bn_act(prefix + ".inverted_bottleneck", y, mid, 1, 1, 1, a);
    y = conv_bn_act(prefix + ".depth_conv", y, mid, k, stride, mid, a);
    y = conv_bn_act(prefix + ".point_linear", y, cout, 1, 1, 1, Act::None);
    if (stride == 1 && cin == cout) y = add(prefix + ".add", x, y);
    return y;
}

std::string NetworkBuilder::linear(const std::string& name, const std::string& x, int64_t out,
                                   bool bias) {
    const Shape& s = shape(x);
    int64_t in = s.empty() ? 0 : s.back();
    std::vector<std::string> params{param(name + ".weight", {out, in}, Init::HeUniform, in)};
    if (bias) params.push_back(param(name + ".bias", {out}, Init::FanInBias, in));
    Attributes a;
    a.set("transB", int64_t{1});
    return op(OpType::Gemm, name, {x}, std::move(a), std::move(params));
}

std::string NetworkBuilder::layer_norm(const std::string& name, const std::string& x,
                                       double epsilon) {
    const Shape& s = shape(x);
    int64_t d = s.empty() ? 0 : s.back();
    Attributes a;
    a.set("axis", int64_t{-1});
    a.set("epsilon", epsilon);
    return op(OpType::LayerNormalization, name, {x}, std::move(a),
              {param(name + ".weight", {d}, Init::Ones), param(name + ".bias", {d}, Init::Zeros)});
}

std::string NetworkBuilder::embedding(const std::string& name, const std::string& ids, int64_t rows,
                                      int64_t dim) {
    return op(OpType::Gather, name, {ids}, {},
              {param(name + ".weight", {rows, dim}, Init::Embedding)});
}

std::string NetworkBuilder::add(const std::string& name, const std::string& a,
                                const std::string& b) {
    return op(OpType::Add, name, {a, b});
}

Result<Network> NetworkBuilder::finish(std::vector<std::string> outputs) {
    if (error_) return *error_;
    net_.outputs = std::move(outputs);
    if (auto s = infer_shapes(net_); !s) return Error{net_.name + ": " + s.error().message};
    if (auto s = validate_structure(net_); !s) return Error{net_.name + ": " + s.error().message};
    return std::move(net_);
}

}  // namespace tp::zoo
