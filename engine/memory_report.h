// The training-memory account of a plan under the store-all schedule: every node computed
// once in the TrainingGraph's order, each tensor freed right after its last reader.
// The breakdown is taken at the peak step, so its parts add up to peak_bytes exactly.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/training_graph.h"

namespace tp {

struct LayerMemory {
    std::string op;
    std::string block;
    UpdateMode mode = UpdateMode::frozen;
    double channel_fraction = 1.0;
    bool adapter = false;
    int64_t trained_params = 0;
    int64_t trained_param_bytes = 0;
    int64_t optimizer_state_bytes = 0;
    int64_t saved_activation_bytes = 0;  // what this layer's backward is first to need
    int64_t frozen_param_bytes = 0;
};

struct MemoryReport {
    std::string network;
    std::string preset;
    int64_t batch = 1;
    Precision precision = Precision::fp32;
    Optimizer optimizer = Optimizer::sgd;

    int64_t peak_bytes = 0;  // = the five parts below
    int64_t trained_param_bytes = 0;
    int64_t optimizer_state_bytes = 0;
    int64_t saved_activation_bytes = 0;  // saved for backward, resident at the peak
    int64_t gradient_bytes = 0;          // activation and weight gradients resident at the peak
    int64_t transient_bytes = 0;         // forward tensors not saved, and workspace, at the peak

    int64_t saved_activation_total_bytes = 0;  // every tensor kept for backward (TinyTL's measure)
    int64_t flash_bytes = 0;                   // the model image in flash
    int64_t frozen_param_bytes = 0;            // parameters read from flash during the step
    int64_t trained_params = 0;                // parameter elements updated
    int64_t forward_macs = 0;
    int64_t training_macs = 0;  // forward + loss + backward + update
    int peak_node = -1;
    std::string peak_node_name;
    std::vector<int64_t> ram_by_step;  // RAM in use while each node of the store-all order runs
    std::vector<LayerMemory> layers;   // every layer with parameters
};

// Replays the store-all order of `g`.
MemoryReport store_all_memory(const TrainingGraph& g);

// JSON with stable keys (README "memory --json").
nlohmann::json memory_report_to_json(const MemoryReport& r);

}  // namespace tp
