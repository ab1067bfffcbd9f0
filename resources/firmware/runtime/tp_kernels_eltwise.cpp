// TrainPlan firmware runtime: element-wise kernels (activations, gradient masks, add, copy)
// (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <string.h>

#include "tp_kernels.h"
#include "tp_kernels_internal.h"

namespace tpk {

using detail::clampf;

void relu_forward(const float* x, float* y, int32_t count) {
    for (int32_t i = 0; i < count; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void clip_forward(const float* x, float* y, int32_t count, float lo, float hi) {
    for (int32_t i = 0; i < count; ++i) y[i] = clampf(x[i], lo, hi);
}

void hardswish_forward(const float* x, float* y, int32_t count) {
    for (int32_t i = 0; i < count; ++i) y[i] = x[i] * clampf(x[i] + 3.0f, 0.0f, 6.0f) / 6.0f;
}

// torch's hardswish_backward: 0 below -3, dy above 3, dy * (x / 3 + 0.5) on [-3, 3].
void hardswish_backward(const float* x, const float* dy, float* dx, int32_t count) {
    for (int32_t i = 0; i < count; ++i) {
        const float v = x[i];
        dx[i] = v < -3.0f ? 0.0f : (v <= 3.0f ? dy[i] * (v / 3.0f + 0.5f) : dy[i]);
    }
}

void hardsigmoid_forward(const float* x, float* y, int32_t count, float alpha, float beta) {
    for (int32_t i = 0; i < count; ++i) y[i] = clampf(alpha * x[i] + beta, 0.0f, 1.0f);
}

void mask_make(const float* y, uint8_t* mask, int32_t count, float lo, float hi) {
    memset(mask, 0, static_cast<size_t>((count + 7) / 8));
    for (int32_t i = 0; i < count; ++i) {
        if (lo < y[i] && y[i] < hi)
            mask[i >> 3] = static_cast<uint8_t>(mask[i >> 3] | (1u << (i & 7)));
    }
}

void mask_backward(const float* dy, const uint8_t* mask, float* dx, int32_t count, float scale) {
    for (int32_t i = 0; i < count; ++i)
        dx[i] = ((mask[i >> 3] >> (i & 7)) & 1u) ? dy[i] * scale : 0.0f;
}

void add(const float* a, const float* b, float* y, int32_t count) {
    for (int32_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
}

void copy(const void* src, void* dst, int32_t bytes) {
    if (bytes > 0) memmove(dst, src, static_cast<size_t>(bytes));
}

}  // namespace tpk
