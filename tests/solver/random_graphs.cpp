#include "random_graphs.h"

#include <algorithm>

namespace tp::testing {

uint64_t Rng::next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int64_t Rng::uniform(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(next() % span);
}

double Rng::uniform_real(double lo, double hi) {
    const double u = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

namespace {

int add(TrainingGraph& g, TrainingNode n) {
    n.id = static_cast<int>(g.nodes.size());
    g.nodes.push_back(std::move(n));
    return g.nodes.back().id;
}

TrainingNode make_node(const std::string& name, NodeKind kind, const std::string& op, int64_t bytes,
                       int64_t macs, std::vector<int> inputs, TensorRole role) {
    TrainingNode n;
    n.name = name;
    n.kind = kind;
    n.op = op;
    n.bytes = bytes;
    n.macs = macs;
    n.inputs = std::move(inputs);
    n.role = role;
    return n;
}

// Forward tensors read by a backward or update node are the saved activations (as derived
// training graphs mark them).
void mark_saved(TrainingGraph& g) {
    for (const auto& n : g.nodes) {
        if (n.kind != NodeKind::backward && n.kind != NodeKind::weight_grad &&
            n.kind != NodeKind::update)
            continue;
        for (int in : n.inputs) {
            TrainingNode& src = g.nodes[static_cast<size_t>(in)];
            if (src.kind == NodeKind::forward || src.kind == NodeKind::input ||
                src.kind == NodeKind::saved_aux)
                src.role = TensorRole::saved_activation;
        }
    }
}

}  // namespace

TrainingGraph random_dag(Rng& rng, const RandomDagOptions& o) {
    TrainingGraph g;
    const int64_t unit = o.unit_bytes;
    auto tensor_bytes = [&] { return rng.uniform(1, 8) * unit; };
    auto macs = [&] { return rng.uniform(1000, 50000); };

    std::vector<int> tensors;  // input and forward outputs, readable by later ops
    std::vector<int> fwd_node(static_cast<size_t>(o.forward_ops) + 1, -1);
    std::vector<int> mask_node(static_cast<size_t>(o.forward_ops) + 1, -1);
    tensors.push_back(
        add(g, make_node("x", NodeKind::input, "", tensor_bytes(), 0, {}, TensorRole::activation)));
    fwd_node[0] = tensors[0];
    for (int i = 1; i <= o.forward_ops; ++i) {
        const std::string op = "op" + std::to_string(i);
        std::vector<int> ins;
        ins.push_back(rng.chance(0.7) ? tensors.back()
                                      : tensors[static_cast<size_t>(rng.uniform(
                                            0, static_cast<int64_t>(tensors.size()) - 1))]);
        if (rng.chance(0.4)) {
            int second = tensors[static_cast<size_t>(
                rng.uniform(0, static_cast<int64_t>(tensors.size()) - 1))];
            if (second != ins[0]) ins.push_back(second);
        }
        TrainingNode f = make_node(op, NodeKind::forward, op, tensor_bytes(), macs(), ins,
                                   TensorRole::activation);
        if (rng.chance(o.workspace_probability)) f.workspace_bytes = rng.uniform(1, 2) * unit;
        const int id = add(g, f);
        fwd_node[static_cast<size_t>(i)] = id;
        tensors.push_back(id);
        if (rng.chance(o.mask_probability)) {
            const int64_t mb = std::max<int64_t>(1, f.bytes / 32);
            mask_node[static_cast<size_t>(i)] =
                add(g, make_node(op + ":mask", NodeKind::saved_aux, op, mb, 8 * mb, {id},
                                 TensorRole::saved_activation));
        }
    }
    std::vector<int> forward_tensors = tensors;
    for (int m : mask_node)
        if (m >= 0) forward_tensors.push_back(m);

    const int last = fwd_node[static_cast<size_t>(o.forward_ops)];
    TrainingNode loss =
        make_node("loss", NodeKind::loss, "", g.nodes[static_cast<size_t>(last)].bytes,
                  3 * g.nodes[static_cast<size_t>(last)].bytes / 4, {last}, TensorRole::gradient);
    g.loss_node = add(g, loss);

    int dy = g.loss_node;
    int64_t trained = 0;
    for (int i = o.forward_ops; i >= 1; --i) {
        const std::string op = "op" + std::to_string(i);
        const TrainingNode& f = g.nodes[static_cast<size_t>(fwd_node[static_cast<size_t>(i)])];
        const std::vector<int> op_inputs = f.inputs;
        int grad_in = -1;
        if (i > 1) {  // the op reading the input gets no input gradient (nothing below trains)
            std::vector<int> ins{dy};
            const int reads = static_cast<int>(rng.uniform(0, 2));
            if (mask_node[static_cast<size_t>(i)] >= 0)
                ins.push_back(mask_node[static_cast<size_t>(i)]);
            while (static_cast<int>(ins.size()) < 1 + reads) {
                // Mostly the op's own inputs; sometimes any forward tensor, so some are read
                // after the update of their own op (exercises the recompute-after-update rule).
                int pick = rng.chance(0.6)
                               ? op_inputs[static_cast<size_t>(
                                     rng.uniform(0, static_cast<int64_t>(op_inputs.size()) - 1))]
                               : forward_tensors[static_cast<size_t>(rng.uniform(
                                     0, static_cast<int64_t>(forward_tensors.size()) - 1))];
                if (std::find(ins.begin(), ins.end(), pick) != ins.end()) {
                    if (rng.chance(0.5)) break;
                    continue;
                }
                ins.push_back(pick);
            }
            TrainingNode b = make_node(op + ":grad_in0", NodeKind::backward, op, tensor_bytes(),
                                       macs(), ins, TensorRole::gradient);
            if (rng.chance(o.workspace_probability)) b.workspace_bytes = rng.uniform(1, 2) * unit;
            grad_in = add(g, b);
        }
        if (rng.chance(o.update_probability)) {
            // In-place update: the weight gradient one channel at a time, applied at once; it
            // reads the output gradient and the op's input and follows the input gradient.
            TrainingNode u = make_node(op + ":update", NodeKind::update, op, 0, macs(),
                                       {dy, op_inputs[0]}, TensorRole::none);
            if (grad_in >= 0) u.after = {grad_in};
            u.workspace_bytes = rng.uniform(0, 2) * unit / 4;
            add(g, u);
            trained += rng.uniform(1, 4) * unit / 4;
        }
        if (grad_in >= 0) dy = grad_in;
    }
    g.trained_param_bytes = trained;
    g.optimizer_state_bytes = 0;
    mark_saved(g);
    return g;
}

TrainingGraph random_chain(Rng& rng, int layers, bool updates, int64_t unit_bytes) {
    TrainingGraph g;
    auto tensor_bytes = [&] { return rng.uniform(1, 8) * unit_bytes; };
    auto macs = [&] { return rng.uniform(1000, 50000); };
    std::vector<int> f;
    f.push_back(add(
        g, make_node("f0", NodeKind::input, "", tensor_bytes(), 0, {}, TensorRole::activation)));
    for (int l = 1; l <= layers; ++l) {
        const std::string op = "l" + std::to_string(l);
        f.push_back(add(g, make_node("f" + std::to_string(l), NodeKind::forward, op, tensor_bytes(),
                                     macs(), {f.back()}, TensorRole::activation)));
    }
    g.loss_node =
        add(g, make_node("loss", NodeKind::loss, "", g.nodes[static_cast<size_t>(f.back())].bytes,
                         1000, {f.back()}, TensorRole::gradient));
    int grad = g.loss_node;
    int64_t trained = 0;
    for (int l = layers; l >= 1; --l) {
        const std::string op = "l" + std::to_string(l);
        const int prev = f[static_cast<size_t>(l - 1)];
        const int b = add(g, make_node("b" + std::to_string(l), NodeKind::backward, op,
                                       tensor_bytes(), macs(), {grad, prev}, TensorRole::gradient));
        if (updates) {
            TrainingNode u = make_node(op + ":update", NodeKind::update, op, 0, macs(),
                                       {grad, prev}, TensorRole::none);
            u.after = {b};
            add(g, u);
            trained += unit_bytes / 2;
        }
        grad = b;
    }
    g.trained_param_bytes = trained;
    mark_saved(g);
    return g;
}

CostModel random_costs(const TrainingGraph& g, Rng& rng, const CostOptions& o) {
    CostModel c;
    c.device_id = "random";
    const double energy_per_mac = rng.uniform_real(0.5, 2.0) * 1e-9;
    const double time_per_mac = rng.uniform_real(0.5, 2.0) * 1e-9;
    const double read_j_per_byte = rng.uniform_real(1.0, 5.0) * 1e-9;
    const double write_j_per_byte = read_j_per_byte * rng.uniform_real(1.5, 4.0);
    const double read_s_per_byte = rng.uniform_real(1.0, 5.0) * 1e-9;
    const double write_s_per_byte = read_s_per_byte * rng.uniform_real(1.5, 4.0);
    int64_t largest = 1;
    for (const auto& n : g.nodes) {
        const double work = static_cast<double>(std::max<int64_t>(n.macs, n.bytes / 4));
        c.node.push_back({work * time_per_mac * rng.uniform_real(0.8, 1.2),
                          work * energy_per_mac * rng.uniform_real(0.8, 1.2)});
        const double b = static_cast<double>(n.bytes);
        c.paging.push_back(
            {b * write_s_per_byte, b * write_j_per_byte, b * read_s_per_byte, b * read_j_per_byte});
        largest = std::max(largest, n.bytes);
    }
    const double storage = rng.uniform_real(0.0, 1.0);
    if (storage < o.no_storage_probability)
        c.storage_capacity_bytes = 0;
    else if (storage < o.no_storage_probability + o.small_storage_probability)
        c.storage_capacity_bytes = largest * rng.uniform(1, 2);
    else
        c.storage_capacity_bytes = int64_t{1} << 30;
    c.static_power_w = rng.chance(o.static_power_probability) ? rng.uniform_real(0.05, 1.0) : 0.0;
    c.sram_bytes = int64_t{256} * 1024;
    return c;
}

RandomCase random_dag_case(uint64_t seed, const RandomDagOptions& options) {
    Rng rng(seed);
    RandomCase c;
    c.graph = random_dag(rng, options);
    c.costs = random_costs(c.graph, rng);
    c.description = "random dag seed " + std::to_string(seed) + " (" +
                    std::to_string(c.graph.nodes.size()) + " nodes, storage " +
                    std::to_string(c.costs.storage_capacity_bytes) + " B)";
    return c;
}

RandomCase random_chain_case(uint64_t seed, int layers, bool updates) {
    Rng rng(seed);
    RandomCase c;
    c.graph = random_chain(rng, layers, updates);
    c.costs = random_costs(c.graph, rng);
    c.description = "random chain seed " + std::to_string(seed) + " (" + std::to_string(layers) +
                    " layers" + (updates ? ", updates" : "") + ", storage " +
                    std::to_string(c.costs.storage_capacity_bytes) + " B)";
    return c;
}

}  // namespace tp::testing
