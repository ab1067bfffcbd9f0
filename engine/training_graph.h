// TrainingGraph: the forward + loss + backward + update DAG a plan derives from a network,
// pruned at derivation time (no gradient below the lowest trained layer, no weight gradient
// for frozen weights), with every node's output bytes, workspace and MACs for the plan's
// batch and precision. Each node produces one tensor; a schedule computes, frees, pages and
// recomputes nodes. The nodes vector is in the store-all order: forward in topological order,
// the loss, backward in reverse, updates right after their gradient (in-place) or at the end.
//
// Saved-for-backward rules (DESIGN.md "Training memory"):
//  - Conv/Gemm weight gradient reads the layer input; bias gradient only the output gradient.
//  - ReLU / ReLU6 (Clip) / HardSigmoid keep a 1-bit mask; MaxPool keeps 1-byte argmax indices.
//  - HardSwish, Sigmoid, Tanh, GELU, Erf, Sqrt, Pow and activation x activation Mul/Div/MatMul
//    read their inputs; Softmax reads its output; Layer/GroupNorm read their input.
//  - Add, Sub, Concat, Split, Slice, Pad, Transpose, Reshape, Flatten, pools, Upsample need
//  nothing.
//  - BatchNorm uses frozen statistics: its input gradient needs nothing, its scale gradient its
//  input.
#pragma once

#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/training_plan.h"

namespace tp {

enum class NodeKind {
    input,            // a graph input (the sample) placed in RAM
    forward,          // one output tensor of a forward op
    saved_aux,        // a compact artifact kept for backward: ReLU mask, MaxPool indices
    loss,             // softmax cross-entropy on the logits; outputs the logits' gradient
    backward,         // the gradient of one activation input of an op
    grad_accumulate,  // sums two gradient contributions to a tensor read by several ops
    weight_grad,      // a layer's whole parameter gradient, kept until the optimizer step
                      // (only without in-place update)
    update,           // applies a layer's update (no output). In-place: computes the gradient
                      // one output channel at a time and applies it at once (256KB paper)
};
const char* node_kind_name(NodeKind k);

// What a node's output is, for the memory breakdown.
enum class TensorRole { activation, saved_activation, gradient, weight_gradient, none };

struct TrainingNode {
    int id = 0;
    std::string name;  // "<op>", "<op>:mask", "<op>:grad_in0", "<op>:grad_w", "<op>:update", "loss"
    NodeKind kind = NodeKind::forward;
    std::string op;               // the forward op it belongs to (empty for the loss)
    int64_t bytes = 0;            // output bytes at the plan's batch and precision
    int64_t workspace_bytes = 0;  // scratch needed only while the node runs
    int64_t macs = 0;             // at the plan's batch
    std::vector<int> inputs;      // ids of the nodes whose outputs it reads
    std::vector<int> after;       // must run after these without reading them (an update
                                  // follows the input gradients that read the old weights)
    TensorRole role = TensorRole::activation;
};

// What one trainable layer costs, for the layer table and the report.
struct LayerCost {
    std::string op;
    std::string block;
    UpdateMode mode = UpdateMode::frozen;
    int64_t trained_params = 0;       // elements updated
    int64_t trained_param_bytes = 0;  // in RAM for the whole step
    int64_t optimizer_state_bytes = 0;
    int64_t weight_grad_bytes = 0;   // the gradient buffer of its trained parameters
    int64_t frozen_param_bytes = 0;  // read from flash
    bool adapter = false;            // part of a lite-residual adapter the plan added
};

struct TrainingGraph {
    Network network;  // the planned network: the input network plus any adapters
    TrainingPlan plan;
    std::vector<TrainingNode> nodes;
    std::vector<LayerCost> layers;  // every op with parameters, in network order
    int64_t trained_param_bytes = 0;
    int64_t optimizer_state_bytes = 0;
    int64_t frozen_param_bytes = 0;  // parameters and buffers used from flash
    int64_t flash_bytes = 0;         // the model image: every parameter's initial value
    int loss_node = -1;              // -1 when the plan trains nothing

    int64_t persistent_bytes() const { return trained_param_bytes + optimizer_state_bytes; }
    // Saved-activation bytes the backward of `op` is the first to read (for per-layer rows).
    std::vector<std::pair<std::string, int64_t>> saved_bytes_by_op() const;
    // For each node, the id of the last node in store-all order that reads its output
    // (-1: nobody reads it). The store-all schedule frees each output right after it.
    std::vector<int> last_reader() const;
};

Result<TrainingGraph> derive_training_graph(const Network& net, const TrainingPlan& plan);

// How parameter `index` of `op` splits into output-channel rows and which of them a layer plan
// trains: the sparse update trains the first ceil(fraction × rows) rows of a weight (at least
// one), bias-only the bias roles, full everything trainable. A row is one output channel's
// slice (a conv weight [Cout, Cin/g, kh, kw] has Cout rows of Cin/g·kh·kw elements).
struct ParamRows {
    int64_t rows = 1;
    int64_t row_len = 0;
    int64_t trained_rows = 0;
};
ParamRows param_rows(const Op& op, size_t index, const Parameter& p, const LayerPlan& lp);

}  // namespace tp
