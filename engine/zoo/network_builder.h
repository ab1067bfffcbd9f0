// NetworkBuilder: a small helper the zoo models use to write a Network op by op.
// Every op is shape-inferred as it is added (tp::infer_op), so a builder can ask for a
// tensor's shape or channel count and the first inconsistency is reported with the op
// name. Errors are sticky: after the first one, further calls do nothing and finish()
// returns that error.
//
// Naming: an op's output tensor has the op's name; parameters are "<op>.weight",
// "<op>.bias", and for BatchNormalization also "<op>.running_mean" / "<op>.running_var"
// (torch state_dict style).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/network.h"

namespace tp::zoo {

enum class Act { None, Relu, Relu6, HardSwish };

// How a parameter's values are drawn when the model is built with weights.
enum class Init {
    HeUniform,  // U(-sqrt(6/fan_in), sqrt(6/fan_in)): conv / linear weights
    FanInBias,  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): conv / linear biases (torch default)
    Embedding,  // U(-0.02*sqrt(3), 0.02*sqrt(3)): std 0.02 like BERT's initializer
    Zeros,
    Ones,
};

class NetworkBuilder {
  public:
    NetworkBuilder(std::string net_name, bool with_weights);

    // Declares a graph input.
    std::string input(const std::string& name, Shape shape, DType dtype = DType::f32);
    // Ops added from now on belong to `block`.
    void set_block(std::string block) { block_ = std::move(block); }

    // The inferred shape of a tensor (empty when unknown, e.g. after an error).
    const Shape& shape(const std::string& tensor) const;
    int64_t channels(const std::string& tensor) const;  // dim 1 (NCHW), 0 when unknown

    // Adds a parameter; its values are filled per `init` when building with weights.
    // Values depend only on the parameter's name and shape (fixed seed), never on order.
    std::string param(const std::string& name, Shape shape, Init init, int64_t fan_in = 1,
                      bool trainable = true);

    // Adds a generic single-output op; returns the output tensor (named like the op).
    std::string op(OpType type, const std::string& name, std::vector<std::string> inputs,
                   Attributes attrs = {}, std::vector<std::string> params = {});

    // Conv2d with "same" padding (k/2), square kernel; Cin read from x.
    std::string conv(const std::string& name, const std::string& x, int64_t cout, int64_t k,
                     int64_t stride = 1, int64_t groups = 1, bool bias = false);
    std::string batch_norm(const std::string& name, const std::string& x);
    std::string act(const std::string& name, const std::string& x, Act a);  // Act::None: x
    // <prefix>.conv, <prefix>.bn, <prefix>.act (no bias on the conv).
    std::string conv_bn_act(const std::string& prefix, const std::string& x, int64_t cout,
                            int64_t k, int64_t stride = 1, int64_t groups = 1, Act a = Act::Relu6);
    // MobileNetV2 / ProxylessNAS MBConv (mit-han-lab MBInvertedConvLayer naming):
    // <prefix>.inverted_bottleneck (1x1 to `mid`, skipped when mid == Cin),
    // <prefix>.depth_conv (k x k depthwise, stride), <prefix>.point_linear (1x1, no act),
    // and <prefix>.add with the input when stride is 1 and Cin == cout.
    std::string inverted_residual(const std::string& prefix, const std::string& x, int64_t mid,
                                  int64_t k, int64_t stride, int64_t cout, Act a = Act::Relu6);
    // Gemm over the last dim, torch Linear layout: weight [out, in] (transB=1), bias [out].
    std::string linear(const std::string& name, const std::string& x, int64_t out,
                       bool bias = true);
    std::string layer_norm(const std::string& name, const std::string& x, double epsilon);
    // Gather from an embedding table [rows, dim] with i64 indices.
    std::string embedding(const std::string& name, const std::string& ids, int64_t rows,
                          int64_t dim);
    std::string add(const std::string& name, const std::string& a, const std::string& b);

    // Sets the graph outputs, re-runs shape inference over the whole graph and checks
    // the structure. The builder is spent afterwards.
    Result<Network> finish(std::vector<std::string> outputs);

  private:
    Network net_;
    bool with_weights_;
    std::string block_;
    std::optional<Error> error_;
};

}  // namespace tp::zoo
