#include "app/cli/commands.h"

#include <cstdio>
#include <iostream>

#include "app/cli/cli_args.h"
#include "app/cli/plan_args.h"
#include "engine/memory_report.h"
#include "engine/model_loader.h"
#include "engine/training_graph.h"
#include "engine/units.h"
#include "engine/zoo/zoo.h"

namespace tp::cli {

int fail(const std::string& message) {
    std::fprintf(stderr, "trainplan: error: %s\n", message.c_str());
    return 1;
}

int run_zoo(const std::vector<std::string>& argv) {
    auto args = parse_args(argv, {}, {"--json"});
    if (!args) return fail(args.error().message);
    if (args->flag("--json")) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& e : zoo_entries())
            j.push_back({{"id", e.id}, {"description", e.description}, {"source", e.source}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    for (const auto& e : zoo_entries())
        std::printf("%-20s %s\n", e.id.c_str(), e.description.c_str());
    return 0;
}

namespace {

int64_t op_trainable_params(const Network& net, const Op& op) {
    int64_t n = 0;
    for (const auto& p : op.params)
        if (const Parameter* prm = net.param(p); prm && prm->trainable) n += prm->elements();
    return n;
}

Result<Network> load_single_model(const Args& args, const std::string& command) {
    if (args.positional.size() != 1)
        return Error{"usage: trainplan " + command +
                     " MODEL ... (MODEL is a .onnx / .tpnet.json path or zoo:NAME)"};
    return load_model(args.positional[0]);
}

}  // namespace

int run_inspect(const std::vector<std::string>& argv) {
    auto args = parse_args(argv, {}, {"--json"});
    if (!args) return fail(args.error().message);
    auto net = load_single_model(*args, "inspect");
    if (!net) return fail(net.error().message);
    int64_t buffers = 0;
    for (const auto& [name, p] : net->params)
        if (!p.trainable) buffers += p.elements();
    if (args->flag("--json")) {
        nlohmann::json j;
        j["network"] = net->name;
        nlohmann::json inputs = nlohmann::json::array();
        for (const auto& in : net->inputs) {
            const TensorInfo& t = *net->tensor(in);
            inputs.push_back({{"name", in}, {"shape", t.shape}, {"dtype", dtype_name(t.dtype)}});
        }
        j["inputs"] = inputs;
        j["outputs"] = net->outputs;
        j["params"] = net->trainable_param_count();
        j["buffers"] = buffers;
        j["param_bytes"] = net->param_bytes();
        j["macs"] = net->total_macs();
        j["has_weights"] = net->has_weights();
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& op : net->ops) {
            layers.push_back({{"name", op.name},
                              {"op", op_type_name(op.type)},
                              {"block", op.block},
                              {"output_shape", net->tensor(op.outputs[0])->shape},
                              {"params", op_trainable_params(*net, op)},
                              {"macs", op.macs}});
        }
        j["layers"] = layers;
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%-44s %-20s %-18s %12s %12s\n", "layer", "op", "output", "params", "MACs");
    for (const auto& op : net->ops) {
        std::string name =
            op.name.size() > 44 ? "…" + op.name.substr(op.name.size() - 42) : op.name;
        std::printf("%-44s %-20s %-18s %12s %12s\n", name.c_str(), op_type_name(op.type),
                    shape_to_string(net->tensor(op.outputs[0])->shape).c_str(),
                    format_count(op_trainable_params(*net, op)).c_str(),
                    format_count(op.macs).c_str());
    }
    std::printf("\n%s: %zu layers, %s parameters (%s as stored), %s MACs per sample%s\n",
                net->name.c_str(), net->ops.size(),
                format_count(net->trainable_param_count()).c_str(),
                format_bytes(net->param_bytes()).c_str(), format_macs(net->total_macs()).c_str(),
                net->has_weights() ? "" : " — architecture only, no weights");
    return 0;
}

int run_memory(const std::vector<std::string>& argv) {
    std::set<std::string> switches = kPlanSwitches;
    switches.insert("--json");
    auto args = parse_args(argv, kPlanOptions, switches);
    if (!args) return fail(args.error().message);
    auto graph = training_graph_from_args(*args, "memory");
    if (!graph) return fail(graph.error().message);
    MemoryReport r = store_all_memory(*graph);
    if (args->flag("--json")) {
        std::cout << memory_report_to_json(r).dump(2) << "\n";
        return 0;
    }
    std::string head =
        graph->plan.classes > 0 ? " · " + std::to_string(graph->plan.classes) + "-class head" : "";
    std::printf(
        "%s%s · plan %s · batch %lld · %s · %s · %s\n", r.network.c_str(), head.c_str(),
        r.preset.c_str(), static_cast<long long>(r.batch), precision_name(r.precision),
        optimizer_name(r.optimizer),
        graph->plan.in_place_update ? "in-place update" : "gradient buffers until the step ends");
    std::printf("\nPeak training RAM (store-all schedule): %s   (while '%s' runs)\n",
                format_bytes(r.peak_bytes).c_str(), r.peak_node_name.c_str());
    auto row = [&](const char* what, int64_t b) {
        std::printf("  %-32s %12s  %5.1f%%\n", what, format_bytes(b).c_str(),
                    r.peak_bytes
                        ? 100.0 * static_cast<double>(b) / static_cast<double>(r.peak_bytes)
                        : 0.0);
    };
    row("trained parameters", r.trained_param_bytes);
    row("optimizer state", r.optimizer_state_bytes);
    row("saved activations", r.saved_activation_bytes);
    row("gradient buffers", r.gradient_bytes);
    row("transient activations", r.transient_bytes);
    std::printf("\nSaved for backward over the whole step: %s\n",
                format_bytes(r.saved_activation_total_bytes).c_str());
    std::printf("Flash (model image): %s, of which read-only during training: %s\n",
                format_bytes(r.flash_bytes).c_str(), format_bytes(r.frozen_param_bytes).c_str());
    std::printf("Trained parameters: %s of %s\n", format_count(r.trained_params).c_str(),
                format_count(graph->network.trainable_param_count()).c_str());
    std::printf("MACs per step: %s forward, %s in all\n", format_macs(r.forward_macs).c_str(),
                format_macs(r.training_macs).c_str());
    std::printf("\n%-48s %-10s %12s %12s %12s\n", "layer", "mode", "trained", "RAM", "saved");
    for (const auto& l : r.layers) {
        if (l.trained_params == 0 && l.saved_activation_bytes == 0) continue;
        std::string mode =
            l.mode == UpdateMode::sparse
                ? "sparse " + std::to_string(static_cast<int>(l.channel_fraction * 100 + 0.5)) + "%"
                : update_mode_name(l.mode);
        std::string name = (l.adapter ? "+ " : "") + l.op;
        if (name.size() > 48) name = "…" + name.substr(name.size() - 46);
        std::printf("%-48s %-10s %12s %12s %12s\n", name.c_str(), mode.c_str(),
                    format_count(l.trained_params).c_str(),
                    format_bytes(l.trained_param_bytes + l.optimizer_state_bytes).c_str(),
                    format_bytes(l.saved_activation_bytes).c_str());
    }
    return 0;
}

}  // namespace tp::cli
