// Per-op firmware code generation: which ops the runtime kernels cover, their shape descriptors,
// and the kernel call each TrainingGraph node becomes (forward, saved mask / indices, loss,
// input gradient, gradient sum, in-place update).
#pragma once

#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/result.h"
#include "engine/training_graph.h"

namespace tp {

struct FirmwareLayout;

// The ops the firmware runtime has kernels for (README "Firmware export").
const std::vector<OpType>& firmware_op_types();

// An op the exporter cannot emit, named with the way out.
Status check_op_exportable(const Network& net, const Op& op);

// constexpr descriptors (tpk::Conv kOp3 = {...}) for every op that needs one.
std::string emit_op_descriptors(const TrainingGraph& graph);

// Where a node's tensors are: C++ expressions for the output (float* and uint8_t* views), the
// workspace (float*, "nullptr" when none) and each input's arena offset literal ("1024u").
struct NodeBuffers {
    std::string output, output_bytes, workspace;
    std::vector<std::string> inputs;
};

// The scratch bytes the runtime kernel of `node` really uses (the graph's workspace_bytes is the
// memory model's allowance; the kernels never need more).
int64_t kernel_workspace_bytes(const TrainingGraph& graph, const FirmwareLayout& layout,
                               const TrainingNode& node);

// The statements that evaluate `node` (indented, newline-terminated).
Result<std::string> emit_node_call(const TrainingGraph& graph, const FirmwareLayout& layout,
                                   const TrainingNode& node, const NodeBuffers& buffers);

}  // namespace tp
