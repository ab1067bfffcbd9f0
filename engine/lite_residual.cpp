#include "engine/lite_residual.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>

#include "engine/op_semantics.h"

namespace tp {

std::string adapter_prefix(const std::string& block) {
    return block + ".lite_residual.";
}

namespace {

int64_t make_divisible(int64_t v, int64_t divisor) {
    int64_t r = std::max(divisor, (v + divisor / 2) / divisor * divisor);
    if (static_cast<double>(r) < 0.9 * static_cast<double>(v)) r += divisor;
    return r;
}

int64_t largest_divisor_up_to(int64_t n, int64_t limit) {
    for (int64_t g = std::min(n, limit); g > 1; --g)
        if (n % g == 0) return g;
    return 1;
}

struct AdapterBuilder {
    Network& net;
    std::string prefix;
    std::string block;
    bool with_values;
    std::vector<Op> ops;

    std::string add_param(const std::string& name, Shape shape, float fill, bool random_fan_in) {
        Parameter p{prefix + name, std::move(shape), DType::f32, true, {}};
        if (with_values) {
            p.values.assign(static_cast<size_t>(p.elements()), fill);
            if (random_fan_in) {
                std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(p.name)));
                int64_t fan_in = p.elements() / p.shape[0];
                float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
                std::uniform_real_distribution<float> u(-bound, bound);
                for (auto& v : p.values) v = u(rng);
            }
        }
        std::string n = p.name;
        net.params[n] = std::move(p);
        return n;
    }

    Result<std::string> add(const std::string& name, OpType type, std::vector<std::string> inputs,
                            std::vector<std::string> params, Attributes attrs) {
        Op op;
        op.name = prefix + name;
        op.type = type;
        op.inputs = std::move(inputs);
        op.outputs = {op.name};
        op.params = std::move(params);
        op.attrs = std::move(attrs);
        op.block = block;
        if (auto s = infer_op(net, op); !s) return s.error();
        ops.push_back(op);
        return op.outputs[0];
    }
};

}  // namespace

Result<Network> insert_adapters(const Network& input, const TrainingPlan& plan) {
    Network net = input;
    if (plan.adapters.empty()) return net;
    auto blocks = adapter_blocks(input);
    const bool with_values = input.has_weights();
    std::map<std::string, std::string> renamed;  // block output -> block output + adapter
    for (const auto& block : plan.adapters) {
        auto it = std::find_if(blocks.begin(), blocks.end(),
                               [&](const BlockBoundary& b) { return b.block == block; });
        if (it == blocks.end())
            return Error{"block '" + block +
                         "' cannot carry a lite-residual adapter (it needs one 4-D input and one "
                         "4-D output)"};
        const Shape x = net.tensor(it->input)->shape;
        const Shape y = net.tensor(it->output)->shape;
        const int64_t stride = std::max<int64_t>(1, x[2] / y[2]);
        AdapterBuilder b{net, adapter_prefix(block), block, with_values, {}};
        std::string t = renamed.count(it->input) ? renamed[it->input] : it->input;
        int64_t res = x[2];
        bool pooled = x[2] >= 2 * stride && x[3] >= 2 * stride;
        if (pooled) {
            Attributes a;
            a.set("kernel_shape", std::vector<int64_t>{2, 2});
            a.set("strides", std::vector<int64_t>{2, 2});
            auto r = b.add("pool", OpType::AveragePool, {t}, {}, a);
            if (!r) return r.error();
            t = *r;
            res = x[2] / 2;
        }
        const int64_t k = (pooled && res / stride > 1) ? 5 : 1;
        const int64_t c_in = x[1], c_mid = make_divisible(c_in, 8), c_out = y[1];
        const int64_t groups = (c_in % 2 == 0 && c_mid % 2 == 0) ? 2 : 1;
        Attributes conv1;
        conv1.set("group", groups);
        conv1.set("strides", std::vector<int64_t>{stride, stride});
        conv1.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
        std::string w1 = b.add_param("conv1.weight", {c_mid, c_in / groups, k, k}, 0.0f, true);
        auto r = b.add("conv1", OpType::Conv, {t}, {w1}, conv1);
        if (!r) return r.error();
        Attributes gn1;
        gn1.set("num_groups", largest_divisor_up_to(c_mid, 8));
        std::string s1 = b.add_param("norm1.weight", {c_mid}, 1.0f, false);
        std::string h1 = b.add_param("norm1.bias", {c_mid}, 0.0f, false);
        r = b.add("norm1", OpType::GroupNormalization, {*r}, {s1, h1}, gn1);
        if (!r) return r.error();
        r = b.add("act", OpType::Relu, {*r}, {}, {});
        if (!r) return r.error();
        std::string w2 = b.add_param("conv2.weight", {c_out, c_mid, 1, 1}, 0.0f, true);
        r = b.add("conv2", OpType::Conv, {*r}, {w2}, {});
        if (!r) return r.error();
        Attributes gn2;
        gn2.set("num_groups", largest_divisor_up_to(c_out, 8));
        std::string s2 = b.add_param("norm2.weight", {c_out}, 0.0f, false);
        std::string h2 = b.add_param("norm2.bias", {c_out}, 0.0f, false);
        r = b.add("norm2", OpType::GroupNormalization, {*r}, {s2, h2}, gn2);
        if (!r) return r.error();
        if (net.tensor(*r)->shape != y) {
            Attributes up;
            up.set("sizes", std::vector<int64_t>{y[2], y[3]});
            up.set("mode", std::string("bilinear"));
            r = b.add("upsample", OpType::Upsample, {*r}, {}, up);
            if (!r) return r.error();
        }
        // The block's consumers now read block output + adapter output.
        const std::string sum = b.prefix + "add";
        for (auto& op : net.ops)
            for (auto& in : op.inputs)
                if (in == it->output) in = sum;
        r = b.add("add", OpType::Add, {it->output, *r}, {}, {});
        if (!r) return r.error();
        renamed[it->output] = sum;
        int producer = -1;
        for (size_t i = 0; i < net.ops.size(); ++i)
            if (std::find(net.ops[i].outputs.begin(), net.ops[i].outputs.end(), it->output) !=
                net.ops[i].outputs.end())
                producer = static_cast<int>(i);
        net.ops.insert(net.ops.begin() + producer + 1, b.ops.begin(), b.ops.end());
    }
    if (auto s = validate_structure(net); !s) return s.error();
    return net;
}

}  // namespace tp
