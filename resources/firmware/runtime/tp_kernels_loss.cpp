// TrainPlan firmware runtime: the training loss (softmax cross-entropy with its gradient)
// (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <math.h>

#include "tp_kernels.h"

namespace tpk {

// Labels outside [0, classes) are ignored like torch's ignore_index (zero gradient, excluded from
// the mean); with every label valid the divisor is n. Safe when dlogits aliases logits.
float softmax_cross_entropy(const float* logits, const int32_t* labels, float* dlogits, int32_t n,
                            int32_t classes) {
    int32_t valid = 0;
    for (int32_t i = 0; i < n; ++i) valid += (labels[i] >= 0 && labels[i] < classes) ? 1 : 0;
    const float inv = valid > 0 ? 1.0f / static_cast<float>(valid) : 0.0f;
    float loss = 0.0f;
    for (int32_t i = 0; i < n; ++i) {
        const float* z = logits + i * classes;
        float* d = dlogits + i * classes;
        const int32_t label = labels[i];
        if (label < 0 || label >= classes) {
            for (int32_t j = 0; j < classes; ++j) d[j] = 0.0f;
            continue;
        }
        float m = z[0];
        for (int32_t j = 1; j < classes; ++j) m = z[j] > m ? z[j] : m;
        float s = 0.0f;
        for (int32_t j = 0; j < classes; ++j) s += expf(z[j] - m);
        loss += m + logf(s) - z[label];
        const float k = inv / s;
        for (int32_t j = 0; j < classes; ++j) d[j] = expf(z[j] - m) * k;
        d[label] -= inv;
    }
    return loss * inv;
}

}  // namespace tpk
