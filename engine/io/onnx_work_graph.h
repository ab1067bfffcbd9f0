// Internal to the ONNX importer: the working state between parsing and IR mapping.
// Known constants (initializers, Constant nodes, folded shape arithmetic) live apart from
// the nodes still to be mapped; static shapes come from ONNX shape inference.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/result.h"

namespace tp::onnx_detail {

struct ConstTensor {
    int32_t dtype = onnx::TensorProto::FLOAT;  // onnx::TensorProto::DataType
    std::vector<int64_t> dims;
    // Floating types (float, double, float16) keep their values here, shared because
    // Identity aliases of a weight must not copy it.
    std::shared_ptr<const std::vector<float>> f;
    std::vector<int64_t> i;  // integer and bool types
    bool loaded = true;      // false: the external weight file was missing

    bool is_float() const;
    int64_t numel() const;
    double at(int64_t k) const;         // element k as double; 0 when absent
    std::vector<int64_t> ints() const;  // all elements as int64; empty when not loaded
};

bool is_float_type(int32_t onnx_dtype);

// Reads an initializer or Constant value: raw_data (little-endian), the typed repeated
// fields, or external data resolved against base_dir. A missing external file yields
// loaded = false; a malformed tensor yields an Error naming it.
Result<ConstTensor> load_tensor(const onnx::TensorProto& t, const std::string& base_dir);

ConstTensor make_ints(std::vector<int64_t> dims, std::vector<int64_t> values,
                      int32_t dtype = onnx::TensorProto::INT64);
ConstTensor make_floats(std::vector<int64_t> dims, std::vector<float> values,
                        int32_t dtype = onnx::TensorProto::FLOAT);

// Writes a constant as an initializer for ONNX shape inference. Large float values are
// left out (inference needs only their type and dims).
void to_tensor_proto(const std::string& name, const ConstTensor& c, onnx::TensorProto& out);

struct WorkGraph {
    std::string source;    // file name for messages
    std::string base_dir;  // where external data lives
    int64_t opset = 0;
    std::vector<onnx::NodeProto> nodes;  // not yet folded or mapped, topological order
    std::map<std::string, ConstTensor> consts;
    std::map<std::string, std::vector<int64_t>> shapes;  // fully static shapes from ONNX
    std::vector<std::string> outputs;                    // graph output names

    const ConstTensor* constant(const std::string& name) const;
    std::map<std::string, int> consumer_counts() const;  // graph outputs count as consumers
};

// Attribute lookup on a NodeProto.
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const std::string& name);
std::optional<int64_t> attr_int(const onnx::NodeProto& n, const std::string& name);
std::optional<double> attr_float(const onnx::NodeProto& n, const std::string& name);
std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& n, const std::string& name);
std::optional<std::string> attr_string(const onnx::NodeProto& n, const std::string& name);

// The input at position i, or "" when absent (ONNX marks skipped optional inputs with "").
std::string input_at(const onnx::NodeProto& n, int i);
// "Conv node '/layer1/layer1.0/conv1/Conv'" for messages.
std::string describe(const onnx::NodeProto& n);

}  // namespace tp::onnx_detail
