#include "app/cli/plan_args.h"

#include <nlohmann/json.hpp>

#include "engine/model_loader.h"

namespace tp::cli {

const std::set<std::string> kPlanOptions = {"--plan", "--batch", "--optimizer", "--precision",
                                            "--classes"};
const std::set<std::string> kPlanSwitches = {"--no-in-place"};

Result<TrainingGraph> training_graph_from_args(const Args& args, const std::string& command,
                                               bool with_weights) {
    if (args.positional.size() != 1)
        return Error{"usage: trainplan " + command +
                     " MODEL ... (MODEL is a .onnx / .tpnet.json path or zoo:NAME)"};
    auto net = load_model(args.positional[0], with_weights);
    if (!net) return net.error();
    std::string plan_arg = args.option("--plan", "full");
    Result<TrainingPlan> plan =
        plan_arg.size() > 5 && plan_arg.substr(plan_arg.size() - 5) == ".json"
            ? load_plan_file(*net, plan_arg)
            : make_preset(*net, plan_arg);
    if (!plan) return Error{plan.error().message};
    // Command-line settings override what the plan says.
    nlohmann::json overrides = nlohmann::json::object();
    if (args.options.count("--batch")) {
        try {
            overrides["batch"] = std::stoll(args.option("--batch"));
        } catch (...) {
            return Error{"--batch needs a whole number, got '" + args.option("--batch") + "'"};
        }
    }
    if (args.options.count("--classes")) {
        try {
            overrides["classes"] = std::stoll(args.option("--classes"));
        } catch (...) {
            return Error{"--classes needs a whole number, got '" + args.option("--classes") + "'"};
        }
    }
    if (args.options.count("--optimizer")) overrides["optimizer"] = args.option("--optimizer");
    if (args.options.count("--precision")) overrides["precision"] = args.option("--precision");
    if (args.flag("--no-in-place")) overrides["in_place_update"] = false;
    nlohmann::json merged = plan_to_json(*plan);
    merged.merge_patch(overrides);
    merged.erase("preset");
    auto final_plan = plan_from_json(*net, merged, "command line");
    if (!final_plan) return Error{final_plan.error().message};
    final_plan->preset = plan->preset.empty() ? plan_arg : plan->preset;

    return derive_training_graph(*net, *final_plan);
}

}  // namespace tp::cli
