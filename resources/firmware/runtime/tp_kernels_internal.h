// TrainPlan firmware runtime: helpers shared by the kernel sources (tp_kernels_*.cpp), not part
// of the API the generated code calls (that is tp_kernels.h). sgd_step and bias_update are
// defined once in tp_kernels_sgd.cpp and called, not inlined into every update kernel: the
// update kernels stay as small in flash as when they shared one source file.
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, float accumulators.
#pragma once

#include "tp_kernels.h"

namespace tpk {
namespace detail {

// torch.optim.SGD step on len parameters (momentum buffer used when momentum != 0).
void sgd_step(float* p, float* mom, const float* g, int32_t len, const Sgd& sgd);

// Bias (or norm shift) update: the gradient of row oc is the sum of dy over the batch and the
// `inner` positions of channel oc (dy laid out [n][out][inner]); trained rows only.
void bias_update(const float* dy, int32_t n, int32_t out, int32_t inner, Rows* b, float* b_mom,
                 const Sgd& sgd);

inline float* mom_row(float* mom, int32_t c, int32_t len) {
    return mom != nullptr ? mom + c * len : nullptr;
}

inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace detail
}  // namespace tpk
