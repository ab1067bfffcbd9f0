#include "engine/io/onnx_patterns.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace tp::onnx_detail {
namespace {

struct Index {
    const WorkGraph& g;
    std::map<std::string, int> producer;
    std::map<std::string, std::vector<int>> consumers;
    std::set<std::string> graph_outputs;
    std::set<int> used;  // nodes already taken by a fusion

    explicit Index(const WorkGraph& graph) : g(graph) {
        for (int k = 0; k < static_cast<int>(g.nodes.size()); ++k) {
            for (const auto& o : g.nodes[k].output()) producer[o] = k;
            for (const auto& in : g.nodes[k].input()) consumers[in].push_back(k);
        }
        graph_outputs.insert(g.outputs.begin(), g.outputs.end());
    }

    const onnx::NodeProto* node(int k) const {
        return k < 0 ? nullptr : &g.nodes[static_cast<size_t>(k)];
    }

    // The node producing `name` when it has op type `op` and is not yet fused.
    int producer_of(const std::string& name, const char* op) const {
        auto it = producer.find(name);
        if (it == producer.end() || used.count(it->second) || g.nodes[it->second].op_type() != op)
            return -1;
        return it->second;
    }

    // The single consumer of `name` when it has op type `op` (and `name` is no graph output).
    int sole_consumer(const std::string& name, const char* op) const {
        auto it = consumers.find(name);
        if (graph_outputs.count(name) || it == consumers.end() || it->second.size() != 1) return -1;
        int k = it->second[0];
        return (used.count(k) || g.nodes[k].op_type() != op) ? -1 : k;
    }

    bool is_scalar(const std::string& name, double value, double tol) const {
        const ConstTensor* c = g.constant(name);
        return c && c->loaded && c->numel() == 1 && std::abs(c->at(0) - value) <= tol;
    }
};

// For a binary node with one operand `name`, the other operand ("" when none).
std::string other_operand(const onnx::NodeProto& n, const std::string& name) {
    if (n.input_size() != 2) return {};
    if (n.input(0) == name) return n.input(1);
    if (n.input(1) == name) return n.input(0);
    return {};
}

std::string scoped_name(const std::string& first, const std::string& op) {
    auto slash = first.rfind('/');
    return slash == std::string::npos ? (first.empty() ? std::string{} : first + "_" + op)
                                      : first.substr(0, slash + 1) + op;
}

// Replaces the matched nodes by `fused`, placed where the last of them was.
void replace(WorkGraph& g, Index& idx, std::vector<int> nodes, onnx::NodeProto fused) {
    int last = *std::max_element(nodes.begin(), nodes.end());
    for (int k : nodes) {
        idx.used.insert(k);
        g.nodes[static_cast<size_t>(k)].set_op_type("");
    }
    g.nodes[static_cast<size_t>(last)] = std::move(fused);
}

void drop_dead(WorkGraph& g) {
    std::erase_if(g.nodes, [](const onnx::NodeProto& n) { return n.op_type().empty(); });
}

bool last_axis_only(const WorkGraph& g, const onnx::NodeProto& r, const std::string& x) {
    auto axes = attr_ints(r, "axes");
    if (!axes || axes->size() != 1 || attr_int(r, "keepdims").value_or(1) != 1) return false;
    if ((*axes)[0] == -1) return true;
    auto it = g.shapes.find(x);
    return it != g.shapes.end() && (*axes)[0] == static_cast<int64_t>(it->second.size()) - 1;
}

bool is_vector_param(const WorkGraph& g, const std::string& name) {
    const ConstTensor* c = g.constant(name);
    return c && c->is_float() && c->dims.size() == 1;
}

}  // namespace

int fuse_gelu(WorkGraph& g) {
    Index idx(g);
    int fused = 0;
    for (int e = 0; e < static_cast<int>(g.nodes.size()); ++e) {
        const auto& erf = g.nodes[static_cast<size_t>(e)];
        if (erf.op_type() != "Erf" || idx.used.count(e)) continue;
        int d = idx.producer_of(erf.input(0), "Div");
        if (d < 0 || !idx.is_scalar(idx.node(d)->input(1), std::sqrt(2.0), 1e-3)) continue;
        const std::string x = idx.node(d)->input(0);
        if (g.constant(x) || idx.sole_consumer(idx.node(d)->output(0), "Erf") != e) continue;
        int a = idx.sole_consumer(erf.output(0), "Add");
        if (a < 0 || !idx.is_scalar(other_operand(*idx.node(a), erf.output(0)), 1.0, 1e-6))
            continue;
        int m = idx.sole_consumer(idx.node(a)->output(0), "Mul");
        if (m < 0) continue;
        const std::string other = other_operand(*idx.node(m), idx.node(a)->output(0));
        std::vector<int> nodes{d, e, a, m};
        std::string out;
        if (other == x) {  // (x * (1 + erf)) * 0.5
            int m2 = idx.sole_consumer(idx.node(m)->output(0), "Mul");
            if (m2 < 0 ||
                !idx.is_scalar(other_operand(*idx.node(m2), idx.node(m)->output(0)), 0.5, 1e-6))
                continue;
            nodes.push_back(m2);
            out = idx.node(m2)->output(0);
        } else {  // (x * 0.5) * (1 + erf)
            int h = idx.producer_of(other, "Mul");
            if (h < 0 || idx.sole_consumer(other, "Mul") != m) continue;
            if (!idx.is_scalar(other_operand(*idx.node(h), x), 0.5, 1e-6)) continue;
            nodes.push_back(h);
            out = idx.node(m)->output(0);
        }
        onnx::NodeProto n;
        n.set_op_type("Gelu");
        n.set_name(scoped_name(idx.node(d)->name(), "Gelu"));
        n.add_input(x);
        n.add_output(out);
        replace(g, idx, nodes, std::move(n));
        ++fused;
    }
    drop_dead(g);
    return fused;
}

int fuse_layer_norm(WorkGraph& g) {
    Index idx(g);
    int fused = 0;
    for (int r1 = 0; r1 < static_cast<int>(g.nodes.size()); ++r1) {
        const auto& mean = g.nodes[static_cast<size_t>(r1)];
        if (mean.op_type() != "ReduceMean" || idx.used.count(r1) || mean.input_size() != 1)
            continue;
        const std::string x = mean.input(0);
        if (g.constant(x) || !last_axis_only(g, mean, x)) continue;
        int s = idx.sole_consumer(mean.output(0), "Sub");
        if (s < 0 || idx.node(s)->input(0) != x || idx.node(s)->input(1) != mean.output(0))
            continue;
        const std::string centered = idx.node(s)->output(0);
        auto cons = idx.consumers[centered];
        if (cons.size() != 2 || idx.graph_outputs.count(centered)) continue;
        int p = -1, dv = -1;
        for (int c : cons) {
            if (g.nodes[static_cast<size_t>(c)].op_type() == "Pow") p = c;
            if (g.nodes[static_cast<size_t>(c)].op_type() == "Div") dv = c;
        }
        if (p < 0 || dv < 0 || idx.node(p)->input(0) != centered ||
            !idx.is_scalar(idx.node(p)->input(1), 2.0, 0))
            continue;
        int r2 = idx.sole_consumer(idx.node(p)->output(0), "ReduceMean");
        if (r2 < 0 || !last_axis_only(g, *idx.node(r2), x)) continue;
        int ad = idx.sole_consumer(idx.node(r2)->output(0), "Add");
        if (ad < 0) continue;
        const ConstTensor* eps = g.constant(other_operand(*idx.node(ad), idx.node(r2)->output(0)));
        if (!eps || !eps->loaded || eps->numel() != 1) continue;
        int sq = idx.sole_consumer(idx.node(ad)->output(0), "Sqrt");
        if (sq < 0 || idx.sole_consumer(idx.node(sq)->output(0), "Div") != dv) continue;
        if (idx.node(dv)->input(0) != centered || idx.node(dv)->input(1) != idx.node(sq)->output(0))
            continue;
        int mu = idx.sole_consumer(idx.node(dv)->output(0), "Mul");
        if (mu < 0) continue;
        const std::string scale = other_operand(*idx.node(mu), idx.node(dv)->output(0));
        int ab = idx.sole_consumer(idx.node(mu)->output(0), "Add");
        if (ab < 0) continue;
        const std::string bias = other_operand(*idx.node(ab), idx.node(mu)->output(0));
        if (!is_vector_param(g, scale) || !is_vector_param(g, bias)) continue;
        onnx::NodeProto n;
        n.set_op_type("LayerNormalization");
        n.set_name(scoped_name(mean.name(), "LayerNormalization"));
        n.add_input(x);
        n.add_input(scale);
        n.add_input(bias);
        n.add_output(idx.node(ab)->output(0));
        auto* a = n.add_attribute();
        a->set_name("epsilon");
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(static_cast<float>(eps->at(0)));
        auto* ax = n.add_attribute();
        ax->set_name("axis");
        ax->set_type(onnx::AttributeProto::INT);
        ax->set_i(-1);
        replace(g, idx, {r1, s, p, r2, ad, sq, dv, mu, ab}, std::move(n));
        ++fused;
    }
    drop_dead(g);
    return fused;
}

}  // namespace tp::onnx_detail
