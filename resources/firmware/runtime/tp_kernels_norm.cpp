// TrainPlan firmware runtime: BatchNorm (frozen statistics) and GroupNorm kernels: forward,
// backward-input and in-place update of scale and shift (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <math.h>

#include "tp_kernels.h"
#include "tp_kernels_internal.h"

namespace tpk {

using detail::bias_update;
using detail::mom_row;
using detail::sgd_step;

namespace {

// Norm scale update: the gradient of trained scale row c is sum over n, hw of dy * xhat with
// xhat = (x - mean) * rstd, stat(n, c, mean, rstd) giving the statistics of (n, c).
template <class Stat>
void scale_update(const float* x, const float* dy, int32_t batch, int32_t channels, int32_t hw,
                  Rows& scale, float* mom, const Sgd& sgd, Stat stat) {
    for (int32_t c = 0; c < scale.trained_rows; ++c) {
        float g = 0.0f;
        for (int32_t n = 0; n < batch; ++n) {
            float mean, rstd;
            stat(n, c, mean, rstd);
            const int32_t off = (n * channels + c) * hw;
            for (int32_t i = 0; i < hw; ++i) g += dy[off + i] * ((x[off + i] - mean) * rstd);
        }
        sgd_step(scale.trained + c, mom_row(mom, c, 1), &g, 1, sgd);
    }
}

// Mean and 1/sqrt(biased variance + eps) of `count` contiguous floats (two passes).
inline void moments(const float* x, int32_t count, float eps, float& mean, float& rstd) {
    float s = 0.0f;
    for (int32_t i = 0; i < count; ++i) s += x[i];
    mean = s / static_cast<float>(count);
    float v = 0.0f;
    for (int32_t i = 0; i < count; ++i) {
        const float d = x[i] - mean;
        v += d * d;
    }
    rstd = 1.0f / sqrtf(v / static_cast<float>(count) + eps);
}

void groupnorm_stats(const GroupNorm& p, const float* x, float* ws) {
    const int32_t gsize = (p.c / p.groups) * p.hw;
    for (int32_t i = 0; i < p.n * p.groups; ++i) {
        moments(x + i * gsize, gsize, p.eps, ws[2 * i], ws[2 * i + 1]);
    }
}

}  // namespace

// ---- BatchNorm (frozen statistics) ----------------------------------------------------------

void batchnorm_forward(const BatchNorm& p, const float* x, const Rows& scale, const Rows& bias,
                       const float* mean, const float* var, float* y) {
    for (int32_t c = 0; c < p.c; ++c) {
        const float inv = 1.0f / sqrtf(var[c] + p.eps);
        const float s = row(scale, c)[0], bb = row(bias, c)[0], m = mean[c];
        for (int32_t n = 0; n < p.n; ++n) {
            const int32_t off = (n * p.c + c) * p.hw;
            for (int32_t i = 0; i < p.hw; ++i) y[off + i] = (x[off + i] - m) * inv * s + bb;
        }
    }
}

void batchnorm_backward_input(const BatchNorm& p, const float* dy, const Rows& scale,
                              const float* var, float* dx) {
    for (int32_t c = 0; c < p.c; ++c) {
        const float k = row(scale, c)[0] / sqrtf(var[c] + p.eps);
        for (int32_t n = 0; n < p.n; ++n) {
            const int32_t off = (n * p.c + c) * p.hw;
            for (int32_t i = 0; i < p.hw; ++i) dx[off + i] = dy[off + i] * k;
        }
    }
}

void batchnorm_update(const BatchNorm& p, const float* x, const float* dy, Rows& scale,
                      float* scale_mom, Rows& bias, float* bias_mom, const float* mean,
                      const float* var, const Sgd& sgd) {
    scale_update(x, dy, p.n, p.c, p.hw, scale, scale_mom, sgd,
                 [=](int32_t, int32_t c, float& m, float& rstd) {
                     m = mean[c];
                     rstd = 1.0f / sqrtf(var[c] + p.eps);
                 });
    bias_update(dy, p.n, p.c, p.hw, &bias, bias_mom, sgd);
}

// ---- GroupNorm --------------------------------------------------------------------------------

void groupnorm_forward(const GroupNorm& p, const float* x, const Rows& scale, const Rows& bias,
                       float* y) {
    const int32_t cpg = p.c / p.groups, gsize = cpg * p.hw;
    for (int32_t ng = 0; ng < p.n * p.groups; ++ng) {
        float mean, rstd;
        moments(x + ng * gsize, gsize, p.eps, mean, rstd);
        for (int32_t k = 0; k < cpg; ++k) {
            const int32_t c = (ng % p.groups) * cpg + k;
            const float s = row(scale, c)[0], b = row(bias, c)[0];
            const int32_t off = ng * gsize + k * p.hw;
            for (int32_t i = 0; i < p.hw; ++i) y[off + i] = (x[off + i] - mean) * rstd * s + b;
        }
    }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * scale, means over the group.
void groupnorm_backward_input(const GroupNorm& p, const float* x, const float* dy,
                              const Rows& scale, float* dx, float* ws) {
    const int32_t cpg = p.c / p.groups, gsize = cpg * p.hw;
    groupnorm_stats(p, x, ws);
    for (int32_t ng = 0; ng < p.n * p.groups; ++ng) {
        const float mean = ws[2 * ng], rstd = ws[2 * ng + 1];
        const int32_t c0 = (ng % p.groups) * cpg, base = ng * gsize;
        float s1 = 0.0f, s2 = 0.0f;
        for (int32_t k = 0; k < cpg; ++k) {
            const float s = row(scale, c0 + k)[0];
            const int32_t off = base + k * p.hw;
            for (int32_t i = 0; i < p.hw; ++i) {
                const float g = dy[off + i] * s;
                s1 += g;
                s2 += g * ((x[off + i] - mean) * rstd);
            }
        }
        s1 /= static_cast<float>(gsize);
        s2 /= static_cast<float>(gsize);
        for (int32_t k = 0; k < cpg; ++k) {
            const float s = row(scale, c0 + k)[0];
            const int32_t off = base + k * p.hw;
            for (int32_t i = 0; i < p.hw; ++i) {
                const float xhat = (x[off + i] - mean) * rstd;
                dx[off + i] = rstd * (dy[off + i] * s - s1 - xhat * s2);
            }
        }
    }
}

void groupnorm_update(const GroupNorm& p, const float* x, const float* dy, Rows& scale,
                      float* scale_mom, Rows& bias, float* bias_mom, const Sgd& sgd, float* ws) {
    const int32_t cpg = p.c / p.groups;
    if (scale.trained_rows > 0) groupnorm_stats(p, x, ws);
    scale_update(x, dy, p.n, p.c, p.hw, scale, scale_mom, sgd,
                 [=](int32_t n, int32_t c, float& mean, float& rstd) {
                     const int32_t ng = n * p.groups + c / cpg;
                     mean = ws[2 * ng];
                     rstd = ws[2 * ng + 1];
                 });
    bias_update(dy, p.n, p.c, p.hw, &bias, bias_mom, sgd);
}

}  // namespace tpk
