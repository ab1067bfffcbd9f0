// TrainingPlan: which layers train and how, plus the step's batch, optimizer and precision.
// A plan names layers by op name, so it survives re-import of the same network.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/network.h"

namespace tp {

enum class UpdateMode {
    frozen,     // nothing of the layer trains; its weights stay in flash
    bias_only,  // the bias (or a norm layer's shift) trains: TinyTL-B
    sparse,     // a fraction of the output channels' weights trains, plus the bias (256KB paper)
    full,       // every parameter of the layer trains
};
enum class Optimizer { sgd, sgd_momentum, adam };
enum class Precision {
    fp32,
    int8,  // int8 weights and activations, int32 biases (the 256KB paper's quantized graph)
};

const char* update_mode_name(UpdateMode m);
const char* optimizer_name(Optimizer o);
const char* precision_name(Precision p);

struct LayerPlan {
    UpdateMode mode = UpdateMode::frozen;
    double channel_fraction = 1.0;  // sparse only: share of output channels whose weights train
    bool operator==(const LayerPlan&) const = default;
};

struct TrainingPlan {
    std::string preset;                       // the preset it started from, for the record
    std::map<std::string, LayerPlan> layers;  // by op name; absent means frozen
    std::set<std::string> adapters;           // blocks carrying a lite-residual adapter
    int64_t batch = 1;
    Optimizer optimizer = Optimizer::sgd;
    Precision precision = Precision::fp32;
    bool in_place_update = true;  // apply each layer's update as soon as its gradient exists
    int64_t classes = 0;          // > 0: a new classifier head with this many outputs

    LayerPlan layer(const std::string& op_name) const;
    bool operator==(const TrainingPlan&) const = default;
};

// A layer of the network a plan can set a mode on: an op with trainable parameters.
bool is_trainable_layer(const Network& net, const Op& op);
std::vector<std::string> trainable_layers(const Network& net);

// Blocks a lite-residual adapter can attach to: one 4-D input and one 4-D output tensor.
struct BlockBoundary {
    std::string block;
    std::string input;   // tensor entering the block
    std::string output;  // tensor leaving the block
};
std::vector<BlockBoundary> adapter_blocks(const Network& net);

// Presets: "full", "last-layer", "bias-only", "tinytl-lb", "sparse" (README documents each).
const std::vector<std::string>& preset_names();
Result<TrainingPlan> make_preset(const Network& net, const std::string& preset);

// Plan files (PLAN.json): {"preset": opt., "batch", "optimizer", "precision", "in_place_update",
// "classes", "layers": {"<op name>": "full" | "bias-only" | "frozen" | {"mode": "sparse",
// "fraction": 0.25}}, "adapters": ["<block>", ...]}. Layer modes apply on top of the preset.
// Unknown layer or block names are errors naming them.
nlohmann::json plan_to_json(const TrainingPlan& plan);
Result<TrainingPlan> plan_from_json(const Network& net, const nlohmann::json& j,
                                    const std::string& source);
Result<TrainingPlan> load_plan_file(const Network& net, const std::string& path);

// Checks the plan against the network: layer names exist and are trainable, fractions in
// (0, 1], batch >= 1, adapter blocks exist and can carry one.
Status validate_plan(const Network& net, const TrainingPlan& plan);

}  // namespace tp
