#include "engine/op_semantics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tp {
namespace {

std::string where(const Op& op) {
    return "op '" + op.name + "' (" + op_type_name(op.type) + ")";
}

Error fail(const Op& op, const std::string& what) {
    return Error{where(op) + ": " + what};
}

// Resolves a possibly negative axis against `rank`; -1 when out of range.
int64_t norm_axis(int64_t axis, size_t rank) {
    int64_t r = static_cast<int64_t>(rank);
    if (axis < 0) axis += r;
    return (axis < 0 || axis >= r) ? -1 : axis;
}

Result<Shape> broadcast(const Shape& a, const Shape& b) {
    Shape out(std::max(a.size(), b.size()), 1);
    for (size_t i = 0; i < out.size(); ++i) {
        int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
        int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
        if (da != db && da != 1 && db != 1)
            return Error{"shapes " + shape_to_string(a) + " and " + shape_to_string(b) +
                         " do not broadcast"};
        out[i] = std::max(da, db);
    }
    return out;
}

// Output size of a sliding window along one spatial dimension (ONNX / torch rule).
int64_t window_out(int64_t in, int64_t k, int64_t stride, int64_t pad_begin, int64_t pad_end,
                   int64_t dilation, bool ceil_mode) {
    int64_t span = in + pad_begin + pad_end - ((k - 1) * dilation + 1);
    if (span < 0) return 0;
    int64_t out = ceil_mode ? (span + stride - 1) / stride + 1 : span / stride + 1;
    // With ceil_mode the last window must start inside the input or its leading pad.
    if (ceil_mode && (out - 1) * stride >= in + pad_begin) --out;
    return out;
}

struct Ctx {
    Network& net;
    Op& op;
    std::vector<const TensorInfo*> in;
    std::vector<const Parameter*> params;
};

Status set_output(Ctx& c, size_t i, Shape shape, DType dtype = DType::f32) {
    if (i >= c.op.outputs.size())
        return fail(c.op, "expects at least " + std::to_string(i + 1) + " outputs");
    for (int64_t d : shape)
        if (d <= 0)
            return fail(c.op, "output shape " + shape_to_string(shape) + " has an empty dimension");
    c.net.tensors[c.op.outputs[i]] = TensorInfo{c.op.outputs[i], std::move(shape), dtype};
    return ok_status();
}

Status need_inputs(const Ctx& c, size_t n) {
    if (c.in.size() != n)
        return fail(c.op, "expects " + std::to_string(n) + " activation input(s), has " +
                              std::to_string(c.in.size()));
    return ok_status();
}

Status infer_conv(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    if (c.params.empty()) return fail(c.op, "has no weight parameter");
    const Shape& x = c.in[0]->shape;
    const Shape& w = c.params[0]->shape;
    if (x.size() < 3 || w.size() != x.size())
        return fail(c.op, "input " + shape_to_string(x) + " and weight " + shape_to_string(w) +
                              " ranks differ");
    size_t spatial = x.size() - 2;
    int64_t group = c.op.attrs.get_int("group", 1);
    if (group <= 0 || x[1] % group != 0 || w[1] * group != x[1] || w[0] % group != 0)
        return fail(c.op, "input has " + std::to_string(x[1]) + " channels but weight " +
                              shape_to_string(w) + " with group " + std::to_string(group) +
                              " expects " + std::to_string(w[1] * group));
    if (c.params.size() > 1 && element_count(c.params[1]->shape) != w[0])
        return fail(c.op, "bias has " + std::to_string(element_count(c.params[1]->shape)) +
                              " values for " + std::to_string(w[0]) + " output channels");
    auto strides = c.op.attrs.get_ints("strides", std::vector<int64_t>(spatial, 1));
    auto dil = c.op.attrs.get_ints("dilations", std::vector<int64_t>(spatial, 1));
    auto pads = c.op.attrs.get_ints("pads", std::vector<int64_t>(2 * spatial, 0));
    if (strides.size() != spatial || dil.size() != spatial || pads.size() != 2 * spatial)
        return fail(c.op, "strides/dilations/pads do not match " + std::to_string(spatial) +
                              " spatial dims");
    Shape y{x[0], w[0]};
    int64_t window = 1;
    for (size_t i = 0; i < spatial; ++i) {
        y.push_back(
            window_out(x[2 + i], w[2 + i], strides[i], pads[i], pads[i + spatial], dil[i], false));
        window *= w[2 + i];
    }
    c.op.macs = element_count(y) / y[0] * w[1] * window;
    return set_output(c, 0, y);
}

Status infer_gemm(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    if (c.params.empty()) return fail(c.op, "has no weight parameter");
    const Shape& x = c.in[0]->shape;
    const Shape& w = c.params[0]->shape;
    if (w.size() != 2 || x.empty())
        return fail(c.op, "weight must be 2-D, is " + shape_to_string(w));
    bool trans_b = c.op.attrs.get_int("transB", 1) != 0;
    int64_t k = trans_b ? w[1] : w[0];
    int64_t n = trans_b ? w[0] : w[1];
    if (x.back() != k)
        return fail(c.op, "input " + shape_to_string(x) + " has last dim " +
                              std::to_string(x.back()) + " but weight " + shape_to_string(w) +
                              " expects " + std::to_string(k));
    if (c.params.size() > 1 && element_count(c.params[1]->shape) != n)
        return fail(c.op, "bias has " + std::to_string(element_count(c.params[1]->shape)) +
                              " values for " + std::to_string(n) + " outputs");
    Shape y = x;
    y.back() = n;
    c.op.macs = element_count(x) / x[0] * n;
    return set_output(c, 0, y);
}

Status infer_matmul(Ctx& c) {
    if (auto s = need_inputs(c, 2); !s) return s;
    const Shape& a = c.in[0]->shape;
    const Shape& b = c.in[1]->shape;
    if (a.size() < 2 || b.size() < 2) return fail(c.op, "needs operands of rank >= 2");
    if (a.back() != b[b.size() - 2])
        return fail(c.op, "inner dims differ: " + shape_to_string(a) + " x " + shape_to_string(b));
    auto batch = broadcast(Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
    if (!batch) return fail(c.op, batch.error().message);
    Shape y = *batch;
    y.push_back(a[a.size() - 2]);
    y.push_back(b.back());
    c.op.macs = element_count(y) / (y.empty() ? 1 : y[0]) * a.back();
    return set_output(c, 0, y);
}

Status infer_elementwise(Ctx& c) {
    if (c.in.empty()) return fail(c.op, "has no activation input");
    Shape y = c.in[0]->shape;
    for (size_t i = 1; i < c.in.size(); ++i) {
        auto b = broadcast(y, c.in[i]->shape);
        if (!b) return fail(c.op, b.error().message);
        y = *b;
    }
    for (const Parameter* p : c.params) {
        auto b = broadcast(y, p->shape);
        if (!b) return fail(c.op, "parameter '" + p->name + "': " + b.error().message);
        y = *b;
    }
    c.op.macs = element_count(y) / y[0];
    return set_output(c, 0, y);
}

Status infer_normalization(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    if (x.size() < 2) return fail(c.op, "needs rank >= 2");
    int64_t features = c.op.type == OpType::LayerNormalization ? x.back() : x[1];
    if (c.op.type == OpType::GroupNormalization) {
        int64_t groups = c.op.attrs.get_int("num_groups", 1);
        if (groups <= 0 || x[1] % groups != 0)
            return fail(c.op, std::to_string(x[1]) + " channels do not split into " +
                                  std::to_string(groups) + " groups");
    }
    for (const Parameter* p : c.params)
        if (p->elements() != features)
            return fail(c.op, "parameter '" + p->name + "' has " + std::to_string(p->elements()) +
                                  " values for " + std::to_string(features) + " features");
    c.op.macs = element_count(x) / x[0];
    return set_output(c, 0, x);
}

Status infer_pool(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    if (x.size() < 3)
        return fail(c.op, "needs an N x C x spatial input, has " + shape_to_string(x));
    size_t spatial = x.size() - 2;
    auto k = c.op.attrs.get_ints("kernel_shape");
    if (k.size() != spatial)
        return fail(c.op, "kernel_shape must have " + std::to_string(spatial) + " entries");
    auto strides = c.op.attrs.get_ints("strides", std::vector<int64_t>(spatial, 1));
    auto dil = c.op.attrs.get_ints("dilations", std::vector<int64_t>(spatial, 1));
    auto pads = c.op.attrs.get_ints("pads", std::vector<int64_t>(2 * spatial, 0));
    bool ceil_mode = c.op.attrs.get_int("ceil_mode", 0) != 0;
    if (strides.size() != spatial || dil.size() != spatial || pads.size() != 2 * spatial)
        return fail(c.op, "strides/dilations/pads do not match " + std::to_string(spatial) +
                              " spatial dims");
    Shape y{x[0], x[1]};
    int64_t window = 1;
    for (size_t i = 0; i < spatial; ++i) {
        y.push_back(
            window_out(x[2 + i], k[i], strides[i], pads[i], pads[i + spatial], dil[i], ceil_mode));
        window *= k[i];
    }
    c.op.macs = element_count(y) / y[0] * window;
    return set_output(c, 0, y);
}

Status infer_reduce(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    std::vector<int64_t> axes;
    if (c.op.type == OpType::GlobalAveragePool) {
        for (size_t i = 2; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    } else {
        axes = c.op.attrs.get_ints("axes");
        if (axes.empty())
            for (size_t i = 0; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    bool keep = c.op.type == OpType::GlobalAveragePool || c.op.attrs.get_int("keepdims", 1) != 0;
    std::vector<bool> reduced(x.size(), false);
    for (int64_t a : axes) {
        int64_t n = norm_axis(a, x.size());
        if (n < 0)
            return fail(c.op,
                        "axis " + std::to_string(a) + " is out of range for " + shape_to_string(x));
        reduced[static_cast<size_t>(n)] = true;
    }
    Shape y;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!reduced[i])
            y.push_back(x[i]);
        else if (keep)
            y.push_back(1);
    }
    if (y.empty()) y.push_back(1);
    c.op.macs = element_count(x) / x[0];
    return set_output(c, 0, y);
}

Status infer_reshape(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    auto target = c.op.attrs.get_ints("shape");
    if (target.empty()) return fail(c.op, "has no target shape");
    Shape y;
    int64_t infer_at = -1, known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
        int64_t d = target[i];
        if (d == 0) {
            if (i >= x.size())
                return fail(c.op, "copies dim " + std::to_string(i) + " that the input lacks");
            d = x[i];
        }
        if (d == -1) {
            if (infer_at >= 0) return fail(c.op, "has more than one -1 in its target shape");
            infer_at = static_cast<int64_t>(i);
            y.push_back(1);
            continue;
        }
        if (d < 0) return fail(c.op, "has a negative target dim");
        known *= d;
        y.push_back(d);
    }
    int64_t total = element_count(x);
    if (infer_at >= 0) {
        if (known == 0 || total % known != 0)
            return fail(c.op, "cannot infer -1 for " + shape_to_string(x));
        y[static_cast<size_t>(infer_at)] = total / known;
    }
    if (element_count(y) != total)
        return fail(c.op, "cannot reshape " + shape_to_string(x) + " into " + shape_to_string(y));
    return set_output(c, 0, y, c.in[0]->dtype);
}

Status infer_flatten(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    int64_t axis = c.op.attrs.get_int("axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(x.size());
    if (axis < 0 || axis > static_cast<int64_t>(x.size())) return fail(c.op, "axis out of range");
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < x.size(); ++i) (static_cast<int64_t>(i) < axis ? outer : inner) *= x[i];
    return set_output(c, 0, {outer, inner}, c.in[0]->dtype);
}

Status infer_transpose(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    auto perm = c.op.attrs.get_ints("perm");
    if (perm.empty())
        for (size_t i = 0; i < x.size(); ++i)
            perm.push_back(static_cast<int64_t>(x.size() - 1 - i));
    if (perm.size() != x.size())
        return fail(c.op, "perm has the wrong length for " + shape_to_string(x));
    Shape y;
    std::vector<bool> used(x.size(), false);
    for (int64_t p : perm) {
        int64_t n = norm_axis(p, x.size());
        if (n < 0 || used[static_cast<size_t>(n)]) return fail(c.op, "perm is not a permutation");
        used[static_cast<size_t>(n)] = true;
        y.push_back(x[static_cast<size_t>(n)]);
    }
    return set_output(c, 0, y, c.in[0]->dtype);
}

Status infer_concat(Ctx& c) {
    if (c.in.empty()) return fail(c.op, "has no inputs");
    Shape y = c.in[0]->shape;
    int64_t axis = norm_axis(c.op.attrs.get_int("axis", 1), y.size());
    if (axis < 0) return fail(c.op, "axis out of range");
    for (size_t i = 1; i < c.in.size(); ++i) {
        const Shape& s = c.in[i]->shape;
        if (s.size() != y.size()) return fail(c.op, "inputs differ in rank");
        for (size_t d = 0; d < s.size(); ++d) {
            if (static_cast<int64_t>(d) == axis) continue;
            if (s[d] != y[d])
                return fail(c.op, "input '" + c.op.inputs[i] + "' " + shape_to_string(s) +
                                      " differs off the concat axis from " +
                                      shape_to_string(c.in[0]->shape));
        }
        y[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
    }
    return set_output(c, 0, y);
}

Status infer_split(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    int64_t axis = norm_axis(c.op.attrs.get_int("axis", 0), x.size());
    if (axis < 0) return fail(c.op, "axis out of range");
    size_t n = c.op.outputs.size();
    auto split = c.op.attrs.get_ints("split");
    int64_t dim = x[static_cast<size_t>(axis)];
    if (split.empty()) {
        if (n == 0 || dim % static_cast<int64_t>(n) != 0)
            return fail(
                c.op, "cannot split " + std::to_string(dim) + " evenly into " + std::to_string(n));
        split.assign(n, dim / static_cast<int64_t>(n));
    }
    if (split.size() != n || std::accumulate(split.begin(), split.end(), int64_t{0}) != dim)
        return fail(c.op, "split sizes do not add up to " + std::to_string(dim));
    for (size_t i = 0; i < n; ++i) {
        Shape y = x;
        y[static_cast<size_t>(axis)] = split[i];
        if (auto s = set_output(c, i, y, c.in[0]->dtype); !s) return s;
    }
    return ok_status();
}

Status infer_slice(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    Shape y = c.in[0]->shape;
    auto starts = c.op.attrs.get_ints("starts");
    auto ends = c.op.attrs.get_ints("ends");
    auto axes = c.op.attrs.get_ints("axes");
    auto steps = c.op.attrs.get_ints("steps");
    if (starts.size() != ends.size()) return fail(c.op, "starts and ends differ in length");
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size())
        return fail(c.op, "axes/steps differ in length from starts");
    for (size_t i = 0; i < starts.size(); ++i) {
        int64_t a = norm_axis(axes[i], y.size());
        if (a < 0) return fail(c.op, "axis out of range");
        int64_t dim = c.in[0]->shape[static_cast<size_t>(a)];
        int64_t st = steps[i];
        if (st == 0) return fail(c.op, "step 0");
        auto clampi = [&](int64_t v) {
            if (v < 0) v += dim;
            if (st > 0) return std::clamp<int64_t>(v, 0, dim);
            return std::clamp<int64_t>(v, -1, dim - 1);
        };
        int64_t b = clampi(starts[i]), e = clampi(ends[i]);
        int64_t len = st > 0 ? (e - b + st - 1) / st : (b - e + (-st) - 1) / (-st);
        y[static_cast<size_t>(a)] = std::max<int64_t>(0, len);
    }
    return set_output(c, 0, y, c.in[0]->dtype);
}

Status infer_squeeze(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    const Shape& x = c.in[0]->shape;
    auto axes = c.op.attrs.get_ints("axes");
    Shape y;
    if (c.op.type == OpType::Squeeze) {
        std::vector<bool> drop(x.size(), false);
        if (axes.empty())
            for (size_t i = 0; i < x.size(); ++i) drop[i] = x[i] == 1 && i != 0;
        for (int64_t a : axes) {
            int64_t n = norm_axis(a, x.size());
            if (n < 0 || x[static_cast<size_t>(n)] != 1)
                return fail(c.op, "cannot squeeze a dim that is not 1");
            drop[static_cast<size_t>(n)] = true;
        }
        for (size_t i = 0; i < x.size(); ++i)
            if (!drop[i]) y.push_back(x[i]);
    } else {
        size_t rank = x.size() + axes.size();
        std::vector<bool> inserted(rank, false);
        for (int64_t a : axes) {
            int64_t n = norm_axis(a, rank);
            if (n < 0) return fail(c.op, "axis out of range");
            inserted[static_cast<size_t>(n)] = true;
        }
        size_t j = 0;
        for (size_t i = 0; i < rank; ++i) y.push_back(inserted[i] ? 1 : x[j++]);
    }
    return set_output(c, 0, y, c.in[0]->dtype);
}

Status infer_pad(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    Shape y = c.in[0]->shape;
    auto pads = c.op.attrs.get_ints("pads");
    if (pads.size() != 2 * y.size()) return fail(c.op, "pads must have 2 x rank entries");
    for (size_t i = 0; i < y.size(); ++i) y[i] += pads[i] + pads[i + y.size()];
    return set_output(c, 0, y, c.in[0]->dtype);
}

Status infer_gather(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    if (c.params.size() != 1 || c.params[0]->shape.size() != 2)
        return fail(c.op, "needs one 2-D embedding table parameter");
    Shape y = c.in[0]->shape;
    y.push_back(c.params[0]->shape[1]);
    c.op.macs = 0;
    return set_output(c, 0, y);
}

Status infer_upsample(Ctx& c) {
    if (auto s = need_inputs(c, 1); !s) return s;
    Shape y = c.in[0]->shape;
    auto sizes = c.op.attrs.get_ints("sizes");
    int64_t scale = c.op.attrs.get_int("scale", 2);
    if (y.size() < 3 || scale < 1)
        return fail(c.op, "needs a spatial input and an integer scale >= 1");
    if (!sizes.empty() && sizes.size() != y.size() - 2)
        return fail(c.op, "sizes must give every spatial dim of " + shape_to_string(y));
    for (size_t i = 2; i < y.size(); ++i) y[i] = sizes.empty() ? y[i] * scale : sizes[i - 2];
    c.op.macs = element_count(y) / y[0];
    return set_output(c, 0, y);
}

}  // namespace

Status infer_op(Network& net, Op& op) {
    Ctx c{net, op, {}, {}};
    for (const auto& name : op.inputs) {
        const TensorInfo* t = net.tensor(name);
        if (!t) return fail(op, "input tensor '" + name + "' has no known shape");
        c.in.push_back(t);
    }
    for (const auto& name : op.params) {
        const Parameter* p = net.param(name);
        if (!p) return fail(op, "parameter '" + name + "' does not exist");
        c.params.push_back(p);
    }
    if (op.outputs.empty()) return fail(op, "has no output");
    op.macs = 0;
    switch (op.type) {
        case OpType::Conv:
            return infer_conv(c);
        case OpType::Gemm:
            return infer_gemm(c);
        case OpType::MatMul:
            return infer_matmul(c);
        case OpType::BatchNormalization:
        case OpType::LayerNormalization:
        case OpType::GroupNormalization:
            return infer_normalization(c);
        case OpType::Relu:
        case OpType::Clip:
        case OpType::HardSwish:
        case OpType::HardSigmoid:
        case OpType::Sigmoid:
        case OpType::Tanh:
        case OpType::Gelu:
        case OpType::Erf:
        case OpType::Sqrt:
        case OpType::Softmax:
        case OpType::Add:
        case OpType::Sub:
        case OpType::Mul:
        case OpType::Div:
        case OpType::Pow:
            return infer_elementwise(c);
        case OpType::Dropout:
        case OpType::Identity: {
            if (c.in.empty()) return fail(op, "has no input");
            return set_output(c, 0, c.in[0]->shape, c.in[0]->dtype);
        }
        case OpType::Concat:
            return infer_concat(c);
        case OpType::MaxPool:
        case OpType::AveragePool:
            return infer_pool(c);
        case OpType::GlobalAveragePool:
        case OpType::ReduceMean:
            return infer_reduce(c);
        case OpType::Flatten:
            return infer_flatten(c);
        case OpType::Reshape:
            return infer_reshape(c);
        case OpType::Transpose:
            return infer_transpose(c);
        case OpType::Split:
            return infer_split(c);
        case OpType::Slice:
            return infer_slice(c);
        case OpType::Squeeze:
        case OpType::Unsqueeze:
            return infer_squeeze(c);
        case OpType::Pad:
            return infer_pad(c);
        case OpType::Gather:
            return infer_gather(c);
        case OpType::Upsample:
            return infer_upsample(c);
    }
    return fail(op, "has no shape rule");
}

Status infer_shapes(Network& net) {
    for (const auto& in : net.inputs)
        if (!net.tensor(in)) return Error{"graph input '" + in + "' has no shape"};
    for (auto& op : net.ops)
        if (auto s = infer_op(net, op); !s) return s;
    for (const auto& out : net.outputs)
        if (!net.tensor(out)) return Error{"graph output '" + out + "' is never produced"};
    return ok_status();
}

}  // namespace tp
