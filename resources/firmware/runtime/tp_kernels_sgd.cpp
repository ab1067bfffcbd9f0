// TrainPlan firmware runtime: the SGD step every update kernel applies to its trained rows, and
// the bias / norm-shift update shared by conv, linear and the norms (tp_kernels_internal.h).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include "tp_kernels_internal.h"

namespace tpk {
namespace detail {

void sgd_step(float* p, float* mom, const float* g, int32_t len, const Sgd& sgd) {
    if (sgd.momentum != 0.0f && mom != nullptr) {
        for (int32_t i = 0; i < len; ++i) {
            const float v = sgd.momentum * mom[i] + g[i];
            mom[i] = v;
            p[i] -= sgd.lr * v;
        }
    } else {
        for (int32_t i = 0; i < len; ++i) p[i] -= sgd.lr * g[i];
    }
}

void bias_update(const float* dy, int32_t n, int32_t out, int32_t inner, Rows* b, float* b_mom,
                 const Sgd& sgd) {
    if (b == nullptr || b->trained_rows <= 0) return;
    for (int32_t oc = 0; oc < b->trained_rows; ++oc) {
        float g = 0.0f;
        for (int32_t i = 0; i < n; ++i) {
            const float* d = dy + (i * out + oc) * inner;
            for (int32_t k = 0; k < inner; ++k) g += d[k];
        }
        sgd_step(b->trained + oc, mom_row(b_mom, oc, 1), &g, 1, sgd);
    }
}

}  // namespace detail
}  // namespace tpk
