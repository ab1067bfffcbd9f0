#include "engine/transfer_head.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/op_semantics.h"

namespace tp {

int classifier_index(const Network& net) {
    for (int i = static_cast<int>(net.ops.size()) - 1; i >= 0; --i) {
        const Op& op = net.ops[static_cast<size_t>(i)];
        if ((op.type == OpType::Gemm || op.type == OpType::Conv) && !op.params.empty() &&
            net.param(op.params[0])->trainable)
            return i;
    }
    return -1;
}

Result<Network> replace_head(const Network& input, int64_t classes) {
    if (classes < 1)
        return Error{"a classifier needs at least 1 class, not " + std::to_string(classes)};
    int idx = classifier_index(input);
    if (idx < 0)
        return Error{"network '" + input.name + "' has no Conv or Gemm classifier to replace"};
    Network net = input;
    const Op& head = net.ops[static_cast<size_t>(idx)];
    const bool with_values = input.has_weights();
    for (size_t i = 0; i < head.params.size() && i < 2; ++i) {
        Parameter& p = net.params.at(head.params[i]);
        size_t axis =
            (head.type == OpType::Gemm && head.attrs.get_int("transB", 1) == 0 && i == 0) ? 1 : 0;
        p.shape[axis] = classes;
        p.values.clear();
        if (with_values) {
            p.values.assign(static_cast<size_t>(p.elements()), 0.0f);
            if (i == 0) {
                std::mt19937 rng(12345);
                float bound = 1.0f / std::sqrt(static_cast<float>(p.elements() / classes));
                std::uniform_real_distribution<float> u(-bound, bound);
                for (auto& v : p.values) v = u(rng);
            }
        }
    }
    for (auto it = net.tensors.begin(); it != net.tensors.end();) {
        bool graph_input =
            std::find(net.inputs.begin(), net.inputs.end(), it->first) != net.inputs.end();
        it = graph_input ? std::next(it) : net.tensors.erase(it);
    }
    if (auto s = infer_shapes(net); !s)
        return Error{"cannot give '" + head.name + "' " + std::to_string(classes) +
                     " classes: " + s.error().message};
    return net;
}

}  // namespace tp
