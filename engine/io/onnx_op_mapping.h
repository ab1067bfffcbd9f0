// Internal to the ONNX importer: maps the folded, fused ONNX nodes onto IR ops, turning
// constant inputs into attributes and initializers into Parameters.
#pragma once

#include "engine/io/onnx_work_graph.h"
#include "engine/network.h"

namespace tp::onnx_detail {

// Appends one IR op per remaining node (MatMul + bias Add become one Gemm) and the
// parameters they use. Errors name the file, the node and what is wrong with it.
Status map_nodes(const WorkGraph& g, Network& net);

// Fails on the first node whose op the importer cannot handle, naming op and node.
Status check_supported(const WorkGraph& g);

// "layer1.0" for "/layer1/layer1.0/conv1/Conv": the second scope segment when the name has
// three or more segments, the first when it has two, none otherwise.
std::string block_from_node_name(const std::string& node_name);

// The ONNX op types map_nodes accepts, comma-separated.
std::string supported_onnx_ops();

}  // namespace tp::onnx_detail
