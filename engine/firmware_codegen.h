// Firmware code generation: the C++ translation unit that runs one Schedule of a TrainingGraph
// on the runtime kernels (resources/firmware/runtime/tp_kernels.h) from one static arena laid
// out by a MemoryPlan. Identifiers in generated code are index-based (tpw_12, kOp7); layer names
// appear only in sanitized comments and escaped string literals, so a hostile model file can
// change nothing but the plan the code runs.
//
// Arena layout: [trained parameter rows | momentum buffers | activation region]. The persistent
// part is what the Validator counts as persistent bytes; the activation region is the larger of
// the training step's and inference's MemoryPlan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/memory_planner.h"
#include "engine/result.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

struct ParamLayout {
    std::string name;
    int op_index = -1;      // the op of the planned network that owns it
    size_t role = 0;        // its position in the op's params
    int64_t elements = 0;
    ParamRows rows;
    int64_t ram_offset = -1;       // trained rows in the arena (-1: nothing trains)
    int64_t momentum_offset = -1;  // their momentum buffer (-1: none)
};

struct FirmwareLayout {
    std::vector<ParamLayout> params;  // every parameter an op reads, in op order
    int64_t persistent_bytes = 0;     // trained rows + momentum, at the arena's start
    float momentum = 0.0f;            // 0.9 for sgd-momentum, 0 for sgd
    int logits_node = -1;
    int input_node = -1;
    int64_t classes = 0;
    int64_t sample_elements = 0;  // one sample's floats
    int param_of(const std::string& name) const;  // index into params, -1 when absent
};

// What the exporter supports, checked before anything is written: fp32, SGD (± momentum),
// in-place update, one graph input, ops with a kernel. The message names the culprit and the way
// out.
Status check_exportable(const TrainingGraph& graph);

Result<FirmwareLayout> layout_parameters(const TrainingGraph& graph);

// The forward-only schedule tp_infer runs: store-all over the input and forward nodes, each freed
// after its last forward reader, the logits last.
Schedule inference_schedule(const TrainingGraph& graph, const FirmwareLayout& layout);

struct GeneratedModel {
    std::string source;  // trainplan_model.cpp (or the reference's)
    int kernel_calls = 0;
    int page_transfers = 0;
};

// One translation unit with the C API under `prefix` ("tp_" or "tpref_"), the arena sized
// `arena_bytes`, running `schedule` (planned by `plan`) for training and `infer` (planned by
// `infer_plan`) for inference.
Result<GeneratedModel> generate_model_source(const TrainingGraph& graph,
                                             const FirmwareLayout& layout,
                                             const Schedule& schedule, const MemoryPlan& plan,
                                             const Schedule& infer, const MemoryPlan& infer_plan,
                                             const std::string& prefix, const std::string& header,
                                             const std::string& banner);

// trainplan_weights.h / .cpp: every parameter's initial values as a const (flash) array.
std::string generate_weights_header(const FirmwareLayout& layout);
Result<std::string> generate_weights_source(const TrainingGraph& graph,
                                            const FirmwareLayout& layout);

// Text made safe for a // comment, and a C string literal (with its quotes) for any bytes.
std::string comment_safe(const std::string& text);
std::string c_string_literal(const std::string& text);

}  // namespace tp
