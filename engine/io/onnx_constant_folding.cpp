#include "engine/io/onnx_constant_folding.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tp::onnx_detail {
namespace {

using TP = onnx::TensorProto;
using Dims = std::vector<int64_t>;
using Folded = std::optional<std::vector<ConstTensor>>;

int64_t numel(const Dims& d) {
    return std::accumulate(d.begin(), d.end(), int64_t{1}, std::multiplies<>());
}

Dims strides_of(const Dims& d) {
    Dims s(d.size(), 1);
    for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
    return s;
}

// Elements of `in` at flat positions `idx`, laid out with `dims`. Unloaded stays unloaded.
ConstTensor pick(const ConstTensor& in, const std::vector<int64_t>& idx, Dims dims) {
    ConstTensor out;
    out.dtype = in.dtype;
    out.dims = std::move(dims);
    out.loaded = in.loaded;
    if (!in.loaded) return out;
    if (in.is_float()) {
        std::vector<float> v;
        v.reserve(idx.size());
        for (int64_t k : idx) v.push_back((*in.f)[static_cast<size_t>(k)]);
        out.f = std::make_shared<const std::vector<float>>(std::move(v));
    } else {
        for (int64_t k : idx) out.i.push_back(in.i[static_cast<size_t>(k)]);
    }
    return out;
}

ConstTensor with_dims(const ConstTensor& in, Dims dims) {
    ConstTensor out = in;  // float payload is shared, not copied
    out.dims = std::move(dims);
    return out;
}

int64_t norm_axis(int64_t a, size_t rank) {
    return a < 0 ? a + static_cast<int64_t>(rank) : a;
}

Error bad(const onnx::NodeProto& n, const std::string& what) {
    return Error{describe(n) + ": " + what};
}

// Axes from the attribute (opset < 13) or the second input (opset >= 13).
std::optional<Dims> axes_of(const onnx::NodeProto& n, const WorkGraph& g) {
    if (auto a = attr_ints(n, "axes")) return a;
    if (const ConstTensor* c = g.constant(input_at(n, 1))) return c->ints();
    return std::nullopt;
}

Result<Folded> fold_binary(const onnx::NodeProto& n, const ConstTensor& a, const ConstTensor& b) {
    size_t rank = std::max(a.dims.size(), b.dims.size());
    Dims out(rank), da(rank - a.dims.size(), 1), db(rank - b.dims.size(), 1);
    da.insert(da.end(), a.dims.begin(), a.dims.end());
    db.insert(db.end(), b.dims.begin(), b.dims.end());
    for (size_t i = 0; i < rank; ++i) {
        if (da[i] != db[i] && da[i] != 1 && db[i] != 1)
            return bad(n, "constant operands do not broadcast");
        out[i] = da[i] == 1 ? db[i] : da[i];
    }
    const std::string& op = n.op_type();
    ConstTensor r;
    r.dtype = op == "Equal" ? int32_t{TP::BOOL} : a.dtype;
    r.dims = out;
    if (!a.loaded || !b.loaded) {
        r.loaded = false;
        return Folded{{r}};
    }
    Dims sa = strides_of(da), sb = strides_of(db), so = strides_of(out);
    const int64_t total = numel(out);
    std::vector<double> fv;
    for (int64_t k = 0; k < total; ++k) {
        int64_t ia = 0, ib = 0;
        for (size_t d = 0; d < rank; ++d) {
            int64_t c = (k / so[d]) % out[d];
            if (da[d] != 1) ia += c * sa[d];
            if (db[d] != 1) ib += c * sb[d];
        }
        if (r.is_float()) {
            double x = a.at(ia), y = b.at(ib);
            fv.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y);
        } else {
            int64_t x =
                a.is_float() ? static_cast<int64_t>(a.at(ia)) : a.i[static_cast<size_t>(ia)];
            int64_t y =
                b.is_float() ? static_cast<int64_t>(b.at(ib)) : b.i[static_cast<size_t>(ib)];
            if (op == "Div" && y == 0) return bad(n, "integer division by zero");
            r.i.push_back(op == "Add"   ? x + y
                          : op == "Sub" ? x - y
                          : op == "Mul" ? x * y
                          : op == "Div" ? x / y
                                        : x == y);
        }
    }
    if (r.is_float()) r.f = std::make_shared<const std::vector<float>>(fv.begin(), fv.end());
    return Folded{{r}};
}

Result<Folded> fold_gather(const onnx::NodeProto& n, const ConstTensor& data,
                           const ConstTensor& idx) {
    if (data.dims.empty()) return bad(n, "gathers from a scalar");
    int64_t axis = norm_axis(attr_int(n, "axis").value_or(0), data.dims.size());
    if (axis < 0 || axis >= static_cast<int64_t>(data.dims.size()))
        return bad(n, "axis out of range");
    const int64_t dim = data.dims[static_cast<size_t>(axis)];
    Dims outer(data.dims.begin(), data.dims.begin() + axis),
        inner(data.dims.begin() + axis + 1, data.dims.end());
    const int64_t n_outer = numel(outer), n_inner = numel(inner);
    std::vector<int64_t> src;
    for (int64_t o = 0; o < n_outer; ++o)
        for (int64_t j : idx.ints()) {
            if (j < 0) j += dim;
            if (j < 0 || j >= dim) return bad(n, "index out of range");
            for (int64_t in = 0; in < n_inner; ++in) src.push_back((o * dim + j) * n_inner + in);
        }
    Dims dims = outer;
    dims.insert(dims.end(), idx.dims.begin(), idx.dims.end());
    dims.insert(dims.end(), inner.begin(), inner.end());
    return Folded{{pick(data, src, dims)}};
}

Result<Folded> fold_concat(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in) {
    const Dims& d0 = in[0]->dims;
    int64_t axis = norm_axis(attr_int(n, "axis").value_or(0), d0.size());
    if (axis < 0 || axis >= static_cast<int64_t>(d0.size())) return bad(n, "axis out of range");
    Dims out = d0;
    out[static_cast<size_t>(axis)] = 0;
    for (const ConstTensor* c : in) {
        if (c->dims.size() != d0.size() || c->is_float() != in[0]->is_float())
            return bad(n, "operands differ");
        for (size_t d = 0; d < d0.size(); ++d)
            if (static_cast<int64_t>(d) != axis && c->dims[d] != d0[d])
                return bad(n, "operands differ off the axis");
        out[static_cast<size_t>(axis)] += c->dims[static_cast<size_t>(axis)];
    }
    const int64_t n_outer = numel(Dims(d0.begin(), d0.begin() + axis));
    ConstTensor r;
    r.dtype = in[0]->dtype;
    r.dims = out;
    std::vector<float> fv;
    for (int64_t o = 0; o < n_outer; ++o)
        for (const ConstTensor* c : in) {
            int64_t chunk = numel(Dims(c->dims.begin() + axis, c->dims.end()));
            for (int64_t k = o * chunk; k < (o + 1) * chunk; ++k) {
                if (r.is_float())
                    fv.push_back(static_cast<float>(c->at(k)));
                else
                    r.i.push_back(c->i[static_cast<size_t>(k)]);
            }
        }
    if (r.is_float()) r.f = std::make_shared<const std::vector<float>>(std::move(fv));
    return Folded{{r}};
}

Result<Folded> fold_slice(const onnx::NodeProto& n, const WorkGraph& g, const ConstTensor& data) {
    Dims starts, ends, axes, steps;
    if (g.opset >= 10) {
        starts = g.constant(input_at(n, 1))->ints();
        ends = g.constant(input_at(n, 2))->ints();
        if (const ConstTensor* a = g.constant(input_at(n, 3))) axes = a->ints();
        if (const ConstTensor* s = g.constant(input_at(n, 4))) steps = s->ints();
    } else {
        starts = attr_ints(n, "starts").value_or(Dims{});
        ends = attr_ints(n, "ends").value_or(Dims{});
        axes = attr_ints(n, "axes").value_or(Dims{});
    }
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
        return bad(n, "starts/ends/axes/steps differ in length");
    const size_t rank = data.dims.size();
    Dims begin(rank, 0), step(rank, 1), out = data.dims;
    for (size_t i = 0; i < starts.size(); ++i) {
        int64_t a = norm_axis(axes[i], rank);
        if (a < 0 || a >= static_cast<int64_t>(rank) || steps[i] == 0)
            return bad(n, "invalid axis or step");
        int64_t dim = data.dims[static_cast<size_t>(a)], st = steps[i];
        auto clampi = [&](int64_t v) {
            if (v < 0) v += dim;
            return st > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
        };
        int64_t b = clampi(starts[i]), e = clampi(ends[i]);
        int64_t len = st > 0 ? (e - b + st - 1) / st : (b - e - st - 1) / -st;
        begin[static_cast<size_t>(a)] = b;
        step[static_cast<size_t>(a)] = st;
        out[static_cast<size_t>(a)] = std::max<int64_t>(0, len);
    }
    Dims sin = strides_of(data.dims), sout = strides_of(out);
    std::vector<int64_t> src;
    for (int64_t k = 0; k < numel(out); ++k) {
        int64_t s = 0;
        for (size_t d = 0; d < rank; ++d)
            s += (begin[d] + ((k / sout[d]) % out[d]) * step[d]) * sin[d];
        src.push_back(s);
    }
    return Folded{{pick(data, src, out)}};
}

Result<Folded> fold_cast(const onnx::NodeProto& n, const ConstTensor& in) {
    auto to = attr_int(n, "to");
    if (!to) return bad(n, "has no 'to' attribute");
    ConstTensor r;
    r.dtype = static_cast<int32_t>(*to);
    r.dims = in.dims;
    r.loaded = in.loaded;
    if (!in.loaded) return Folded{{r}};
    if (r.is_float()) {
        std::vector<float> v;
        for (int64_t k = 0; k < in.numel(); ++k) v.push_back(static_cast<float>(in.at(k)));
        r.f = std::make_shared<const std::vector<float>>(std::move(v));
    } else {
        for (int64_t k = 0; k < in.numel(); ++k) {
            double v = in.at(k);
            r.i.push_back(*to == TP::BOOL ? int64_t{v != 0.0} : static_cast<int64_t>(v));
        }
    }
    return Folded{{r}};
}

Result<Folded> fold_constant_node(const onnx::NodeProto& n, const WorkGraph& g) {
    if (const auto* a = find_attr(n, "value")) {
        auto t = load_tensor(a->t(), g.base_dir);
        if (!t) return bad(n, t.error().message);
        return Folded{{*t}};
    }
    if (auto v = attr_ints(n, "value_ints"))
        return Folded{{make_ints({static_cast<int64_t>(v->size())}, *v)}};
    if (auto v = attr_int(n, "value_int")) return Folded{{make_ints({}, {*v})}};
    if (const auto* a = find_attr(n, "value_floats"))
        return Folded{{make_floats({a->floats_size()},
                                   std::vector<float>(a->floats().begin(), a->floats().end()))}};
    if (const auto* a = find_attr(n, "value_float")) return Folded{{make_floats({}, {a->f()})}};
    return bad(n,
               "has no supported value attribute (sparse and string constants are not supported)");
}

Result<Folded> fold_reshape(const onnx::NodeProto& n, const ConstTensor& data,
                            const ConstTensor& shape) {
    Dims target = shape.ints();
    int64_t infer_at = -1, known = 1;
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == 0 && i < data.dims.size()) target[i] = data.dims[i];
        if (target[i] == -1)
            infer_at = static_cast<int64_t>(i);
        else
            known *= target[i];
    }
    if (infer_at >= 0 && known > 0) target[static_cast<size_t>(infer_at)] = data.numel() / known;
    if (numel(target) != data.numel()) return bad(n, "cannot reshape its constant input");
    return Folded{{with_dims(data, target)}};
}

}  // namespace

Result<Folded> try_fold(const onnx::NodeProto& n, const WorkGraph& g) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") return Folded{};
    if (op == "Constant") return fold_constant_node(n, g);
    if (op == "Shape") {
        Dims dims;
        if (const ConstTensor* c = g.constant(input_at(n, 0)))
            dims = c->dims;
        else if (auto it = g.shapes.find(input_at(n, 0)); it != g.shapes.end())
            dims = it->second;
        else
            return Folded{};
        int64_t r = static_cast<int64_t>(dims.size());
        int64_t start =
            std::clamp<int64_t>(norm_axis(attr_int(n, "start").value_or(0), dims.size()), 0, r);
        int64_t end =
            std::clamp<int64_t>(norm_axis(attr_int(n, "end").value_or(r), dims.size()), 0, r);
        Dims v(dims.begin() + start, dims.begin() + std::max(start, end));
        return Folded{{make_ints({static_cast<int64_t>(v.size())}, v)}};
    }
    static const char* const kFoldable[] = {
        "Identity",        "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast",
        "Slice",           "Add",    "Sub",       "Mul",     "Div",    "Equal",
        "ConstantOfShape", "Range",  "Reshape",   "Size"};
    if (std::find(std::begin(kFoldable), std::end(kFoldable), op) == std::end(kFoldable))
        return Folded{};
    std::vector<const ConstTensor*> in;
    bool all_loaded = true;
    for (const auto& name : n.input()) {
        if (name.empty()) {
            in.push_back(nullptr);
            continue;
        }
        const ConstTensor* c = g.constant(name);
        if (!c) return Folded{};
        all_loaded = all_loaded && c->loaded;
        in.push_back(c);
    }
    if (in.empty() || !in[0]) return Folded{};
    // Without values only ops whose result dims do not depend on values can fold.
    bool dims_only = op == "Identity" || op == "Cast" || op == "Add" || op == "Sub" ||
                     op == "Mul" || op == "Div";
    for (size_t k = 1; k < in.size(); ++k)
        if (in[k] && !in[k]->loaded) return Folded{};
    if (!all_loaded && !dims_only) return Folded{};

    const ConstTensor& x = *in[0];
    if (op == "Identity") return Folded{{x}};
    if (op == "Cast") return fold_cast(n, x);
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Equal") {
        if (in.size() != 2 || !in[1]) return bad(n, "needs two operands");
        return fold_binary(n, x, *in[1]);
    }
    if (op == "Gather") {
        if (in.size() != 2 || !in[1]) return bad(n, "needs data and indices");
        return fold_gather(n, x, *in[1]);
    }
    if (op == "Concat") {
        for (const ConstTensor* c : in)
            if (!c) return bad(n, "has an empty input");
        return fold_concat(n, in);
    }
    if (op == "Slice") {
        if (g.opset >= 10 && (in.size() < 3 || !in[1] || !in[2]))
            return bad(n, "needs starts and ends");
        return fold_slice(n, g, x);
    }
    if (op == "Reshape") {
        if (in.size() < 2 || !in[1]) return bad(n, "needs a shape");
        return fold_reshape(n, x, *in[1]);
    }
    if (op == "Size") return Folded{{make_ints({}, {x.numel()})}};
    if (op == "Unsqueeze" || op == "Squeeze") {
        auto axes = axes_of(n, g);
        Dims dims = x.dims;
        if (op == "Squeeze") {
            Dims out;
            for (size_t d = 0; d < dims.size(); ++d) {
                bool drop = axes ? std::find_if(axes->begin(), axes->end(),
                                                [&](int64_t a) {
                                                    return norm_axis(a, dims.size()) ==
                                                           static_cast<int64_t>(d);
                                                }) != axes->end()
                                 : dims[d] == 1;
                if (drop && dims[d] != 1) return bad(n, "squeezes a dimension that is not 1");
                if (!drop) out.push_back(dims[d]);
            }
            return Folded{{with_dims(x, out)}};
        }
        if (!axes) return bad(n, "has no axes");
        const size_t rank = dims.size() + axes->size();
        Dims sorted;
        for (int64_t a : *axes) sorted.push_back(norm_axis(a, rank));
        std::sort(sorted.begin(), sorted.end());
        for (int64_t a : sorted) {
            if (a < 0 || a > static_cast<int64_t>(dims.size())) return bad(n, "axis out of range");
            dims.insert(dims.begin() + a, 1);
        }
        return Folded{{with_dims(x, dims)}};
    }
    if (op == "ConstantOfShape") {
        Dims dims = x.ints();
        ConstTensor value = make_floats({1}, {0.0f});
        if (const auto* a = find_attr(n, "value")) {
            auto t = load_tensor(a->t(), g.base_dir);
            if (!t || t->numel() != 1 || !t->loaded)
                return bad(n, "has an invalid value attribute");
            value = *t;
        }
        if (numel(dims) > (int64_t{1} << 24)) return Folded{};
        return Folded{
            {pick(value, std::vector<int64_t>(static_cast<size_t>(numel(dims)), 0), dims)}};
    }
    if (op == "Range") {
        if (in.size() != 3 || !in[1] || !in[2]) return bad(n, "needs start, limit and delta");
        double start = x.at(0), limit = in[1]->at(0), delta = in[2]->at(0);
        if (delta == 0) return bad(n, "has delta 0");
        int64_t count =
            std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
        if (count > (int64_t{1} << 24)) return Folded{};
        if (x.is_float()) {
            std::vector<float> v;
            for (int64_t k = 0; k < count; ++k) v.push_back(static_cast<float>(start + k * delta));
            return Folded{{make_floats({count}, v, x.dtype)}};
        }
        std::vector<int64_t> v;
        for (int64_t k = 0; k < count; ++k)
            v.push_back(static_cast<int64_t>(start) + k * static_cast<int64_t>(delta));
        return Folded{{make_ints({count}, v, x.dtype)}};
    }
    return Folded{};
}

Result<int> fold_constants(WorkGraph& g) {
    int folded = 0;
    std::vector<onnx::NodeProto> kept;
    kept.reserve(g.nodes.size());
    for (auto& n : g.nodes) {
        auto r = try_fold(n, g);
        if (!r) return r.error();
        if (!r->has_value()) {
            kept.push_back(std::move(n));
            continue;
        }
        auto& values = **r;
        if (values.size() != static_cast<size_t>(n.output_size())) {
            if (n.output_size() < static_cast<int>(values.size()))
                return bad(n, "has too few outputs");
        }
        for (size_t k = 0; k < values.size(); ++k)
            g.consts[n.output(static_cast<int>(k))] = std::move(values[k]);
        ++folded;
    }
    g.nodes = std::move(kept);
    return folded;
}

}  // namespace tp::onnx_detail
