#include "engine/training_plan.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace tp {

const char* update_mode_name(UpdateMode m) {
    switch (m) {
        case UpdateMode::frozen:
            return "frozen";
        case UpdateMode::bias_only:
            return "bias-only";
        case UpdateMode::sparse:
            return "sparse";
        case UpdateMode::full:
            return "full";
    }
    return "frozen";
}

const char* optimizer_name(Optimizer o) {
    switch (o) {
        case Optimizer::sgd:
            return "sgd";
        case Optimizer::sgd_momentum:
            return "sgd-momentum";
        case Optimizer::adam:
            return "adam";
    }
    return "sgd";
}

const char* precision_name(Precision p) {
    return p == Precision::int8 ? "int8" : "fp32";
}

LayerPlan TrainingPlan::layer(const std::string& op_name) const {
    auto it = layers.find(op_name);
    return it == layers.end() ? LayerPlan{} : it->second;
}

bool is_trainable_layer(const Network& net, const Op& op) {
    for (const auto& p : op.params)
        if (const Parameter* prm = net.param(p); prm && prm->trainable) return true;
    return false;
}

std::vector<std::string> trainable_layers(const Network& net) {
    std::vector<std::string> out;
    for (const auto& op : net.ops)
        if (is_trainable_layer(net, op)) out.push_back(op.name);
    return out;
}

std::vector<BlockBoundary> adapter_blocks(const Network& net) {
    std::map<std::string, std::set<std::string>> produced;  // block -> tensors made inside
    for (const auto& op : net.ops)
        if (!op.block.empty()) produced[op.block].insert(op.outputs.begin(), op.outputs.end());
    std::set<std::string> graph_inputs(net.inputs.begin(), net.inputs.end());
    std::vector<BlockBoundary> out;
    for (const auto& block : net.block_names()) {
        const auto& inside = produced[block];
        std::set<std::string> entering, leaving;
        for (const auto& op : net.ops) {
            bool in_block = op.block == block;
            for (const auto& t : op.inputs) {
                if (in_block && !inside.count(t)) entering.insert(t);
                if (!in_block && inside.count(t)) leaving.insert(t);
            }
        }
        for (const auto& t : net.outputs)
            if (inside.count(t)) leaving.insert(t);
        if (entering.size() != 1 || leaving.size() != 1) continue;
        const std::string& in = *entering.begin();
        const std::string& o = *leaving.begin();
        if (graph_inputs.count(in))
            continue;  // the stem sees the raw sample: TinyTL leaves it alone
        if (std::find(net.outputs.begin(), net.outputs.end(), o) != net.outputs.end()) continue;
        const TensorInfo* ti = net.tensor(in);
        const TensorInfo* to = net.tensor(o);
        if (!ti || !to || ti->shape.size() != 4 || to->shape.size() != 4) continue;
        out.push_back({block, in, o});
    }
    return out;
}

const std::vector<std::string>& preset_names() {
    static const std::vector<std::string> names{"full", "last-layer", "bias-only", "tinytl-lb",
                                                "sparse"};
    return names;
}

namespace {

// The parameter a bias-only update trains, if the layer has one.
bool has_bias(const Network& net, const Op& op) {
    switch (op.type) {
        case OpType::Conv:
        case OpType::Gemm:
        case OpType::BatchNormalization:
        case OpType::LayerNormalization:
        case OpType::GroupNormalization:
            return op.params.size() >= 2;
        case OpType::Add:
        case OpType::Sub:
            return !op.params.empty() && net.param(op.params[0])->trainable;
        default:
            return false;
    }
}

bool is_pointwise_conv(const Network& net, const Op& op) {
    if (op.type != OpType::Conv || op.params.empty()) return false;
    const Shape& w = net.param(op.params[0])->shape;
    return op.attrs.get_int("group", 1) == 1 && w.size() == 4 && w[2] == 1 && w[3] == 1;
}

void set_bias_only(const Network& net, TrainingPlan& plan,
                   const std::vector<std::string>& blocks_filter) {
    std::set<std::string> filter(blocks_filter.begin(), blocks_filter.end());
    for (const auto& op : net.ops) {
        if (!is_trainable_layer(net, op) || !has_bias(net, op)) continue;
        if (!filter.empty() && !filter.count(op.block)) continue;
        plan.layers[op.name] = {UpdateMode::bias_only, 1.0};
    }
}

}  // namespace

Result<TrainingPlan> make_preset(const Network& net, const std::string& preset) {
    TrainingPlan plan;
    plan.preset = preset;
    auto layers = trainable_layers(net);
    if (layers.empty()) return Error{"network '" + net.name + "' has no trainable parameters"};
    const std::string last =
        layers.back();  // the classifier: every transfer-learning preset trains it
    if (preset == "full") {
        for (const auto& l : layers) plan.layers[l] = {UpdateMode::full, 1.0};
    } else if (preset == "last-layer") {
        plan.layers[last] = {UpdateMode::full, 1.0};
    } else if (preset == "bias-only" || preset == "tinytl-lb") {
        set_bias_only(net, plan, {});
        plan.layers[last] = {UpdateMode::full, 1.0};
        if (preset == "tinytl-lb")
            for (const auto& b : adapter_blocks(net)) plan.adapters.insert(b.block);
    } else if (preset == "sparse") {
        // 256KB-paper style: biases of the last ~40% of blocks, the pointwise-conv weights
        // of the last three blocks with shrinking channel fractions, and the classifier.
        std::vector<std::string> blocks = net.block_names();
        const Op* last_op = net.op(last);
        blocks.erase(std::remove(blocks.begin(), blocks.end(), last_op->block), blocks.end());
        size_t k = std::max<size_t>(
            1, static_cast<size_t>(std::ceil(0.4 * static_cast<double>(blocks.size()))));
        k = std::min(k, blocks.size());
        std::vector<std::string> tail(blocks.end() - static_cast<long>(k), blocks.end());
        set_bias_only(net, plan, tail);
        const double fractions[] = {0.5, 0.25, 0.125};
        for (size_t i = 0; i < 3 && i < tail.size(); ++i) {
            const std::string& block = tail[tail.size() - 1 - i];
            for (const auto& op : net.ops) {
                if (op.block != block || !is_pointwise_conv(net, op)) continue;
                plan.layers[op.name] = {UpdateMode::sparse, fractions[i]};
                break;  // the block's first pointwise conv
            }
        }
        plan.layers[last] = {UpdateMode::full, 1.0};
    } else {
        std::string names;
        for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
        return Error{"unknown plan preset '" + preset + "' — presets: " + names};
    }
    return plan;
}

Status validate_plan(const Network& net, const TrainingPlan& plan) {
    if (plan.batch < 1)
        return Error{"batch size must be at least 1, is " + std::to_string(plan.batch)};
    if (plan.classes < 0)
        return Error{"classes must be positive (or 0 to keep the network's head), is " +
                     std::to_string(plan.classes)};
    for (const auto& [name, lp] : plan.layers) {
        const Op* op = net.op(name);
        if (!op) return Error{"plan names layer '" + name + "', which the network does not have"};
        if (!is_trainable_layer(net, *op))
            return Error{"plan sets a mode on '" + name + "', which has no trainable parameters"};
        if (lp.mode == UpdateMode::sparse &&
            !(lp.channel_fraction > 0.0 && lp.channel_fraction <= 1.0))
            return Error{"layer '" + name + "': sparse channel fraction must be in (0, 1], is " +
                         std::to_string(lp.channel_fraction)};
        if (lp.mode == UpdateMode::bias_only && !has_bias(net, *op))
            return Error{"layer '" + name +
                         "' has no bias to train: choose frozen, sparse or full"};
    }
    auto blocks = adapter_blocks(net);
    for (const auto& a : plan.adapters) {
        bool found = std::any_of(blocks.begin(), blocks.end(),
                                 [&](const BlockBoundary& b) { return b.block == a; });
        if (!found)
            return Error{"block '" + a +
                         "' cannot carry a lite-residual adapter (it needs one 4-D input and one "
                         "4-D output)"};
    }
    return ok_status();
}

nlohmann::json plan_to_json(const TrainingPlan& plan) {
    nlohmann::json j;
    if (!plan.preset.empty()) j["preset"] = plan.preset;
    j["batch"] = plan.batch;
    j["optimizer"] = optimizer_name(plan.optimizer);
    j["precision"] = precision_name(plan.precision);
    j["in_place_update"] = plan.in_place_update;
    if (plan.classes > 0) j["classes"] = plan.classes;
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& [name, lp] : plan.layers) {
        if (lp.mode == UpdateMode::sparse)
            layers[name] = {{"mode", "sparse"}, {"fraction", lp.channel_fraction}};
        else
            layers[name] = update_mode_name(lp.mode);
    }
    j["layers"] = layers;
    j["adapters"] = std::vector<std::string>(plan.adapters.begin(), plan.adapters.end());
    return j;
}

namespace {

Result<UpdateMode> parse_mode(const std::string& s, const std::string& where) {
    for (UpdateMode m :
         {UpdateMode::frozen, UpdateMode::bias_only, UpdateMode::sparse, UpdateMode::full})
        if (s == update_mode_name(m)) return m;
    return Error{where + ": unknown mode '" + s + "' — modes: frozen, bias-only, sparse, full"};
}

}  // namespace

Result<TrainingPlan> plan_from_json(const Network& net, const nlohmann::json& j,
                                    const std::string& source) {
    if (!j.is_object()) return Error{source + ": a plan is a JSON object"};
    TrainingPlan plan;
    try {
        if (j.contains("preset")) {
            auto p = make_preset(net, j.at("preset").get<std::string>());
            if (!p) return Error{source + ": " + p.error().message};
            plan = *p;
        }
        if (j.contains("batch")) plan.batch = j.at("batch").get<int64_t>();
        if (j.contains("optimizer")) {
            std::string o = j.at("optimizer").get<std::string>();
            if (o == "sgd")
                plan.optimizer = Optimizer::sgd;
            else if (o == "sgd-momentum")
                plan.optimizer = Optimizer::sgd_momentum;
            else if (o == "adam")
                plan.optimizer = Optimizer::adam;
            else
                return Error{source + ": unknown optimizer '" + o +
                             "' — optimizers: sgd, sgd-momentum, adam"};
        }
        if (j.contains("precision")) {
            std::string p = j.at("precision").get<std::string>();
            if (p == "fp32")
                plan.precision = Precision::fp32;
            else if (p == "int8")
                plan.precision = Precision::int8;
            else
                return Error{source + ": unknown precision '" + p + "' — precisions: fp32, int8"};
        }
        if (j.contains("in_place_update"))
            plan.in_place_update = j.at("in_place_update").get<bool>();
        if (j.contains("classes")) plan.classes = j.at("classes").get<int64_t>();
        if (j.contains("layers")) {
            for (const auto& [name, v] : j.at("layers").items()) {
                LayerPlan lp;
                std::string where = source + ": layer '" + name + "'";
                if (v.is_string()) {
                    auto m = parse_mode(v.get<std::string>(), where);
                    if (!m) return m.error();
                    lp.mode = *m;
                } else if (v.is_object()) {
                    auto m = parse_mode(v.at("mode").get<std::string>(), where);
                    if (!m) return m.error();
                    lp.mode = *m;
                    if (v.contains("fraction"))
                        lp.channel_fraction = v.at("fraction").get<double>();
                } else {
                    return Error{where + ": expected a mode string or {\"mode\", \"fraction\"}"};
                }
                plan.layers[name] = lp;
            }
        }
        if (j.contains("adapters"))
            for (const auto& a : j.at("adapters")) plan.adapters.insert(a.get<std::string>());
    } catch (const nlohmann::json::exception& e) {
        return Error{source + ": " + e.what()};
    }
    for (auto it = plan.layers.begin(); it != plan.layers.end();)
        it = it->second.mode == UpdateMode::frozen ? plan.layers.erase(it) : std::next(it);
    if (auto s = validate_plan(net, plan); !s) return Error{source + ": " + s.error().message};
    return plan;
}

Result<TrainingPlan> load_plan_file(const Network& net, const std::string& path) {
    std::ifstream in(path);
    if (!in) return Error{"cannot open plan file '" + path + "'"};
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return Error{path + ": not valid JSON"};
    return plan_from_json(net, j, path);
}

}  // namespace tp
