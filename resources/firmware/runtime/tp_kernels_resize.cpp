// TrainPlan firmware runtime: Resize (Upsample, bilinear or nearest) and its backward pass
// (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <math.h>
#include <string.h>

#include "tp_kernels.h"
#include "tp_kernels_internal.h"

namespace tpk {

using detail::clampf;

namespace {

// Source of output coordinate o. Bilinear, torch's area_pixel_compute_source_index with
// align_corners=False: src = scale * (o + 0.5) - 0.5 clamped at 0, scale = in / out; reads i0
// (weight 1 - l1) and i1 = min(i0 + 1, in - 1) (weight l1). Nearest, torch's nearest_idx:
// i0 = i1 = min(floor(o * scale), in - 1) with its exact shortcuts, l1 = 0.
inline void resize_src(int32_t o, int32_t in, int32_t out, float scale, bool bilinear, int32_t& i0,
                       int32_t& i1, float& l1) {
    l1 = 0.0f;
    if (!bilinear) {
        i0 = out == in
                 ? o
                 : (out == 2 * in ? o >> 1
                                  : static_cast<int32_t>(floorf(static_cast<float>(o) * scale)));
        i0 = i1 = i0 < in - 1 ? i0 : in - 1;
        return;
    }
    float s = scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (s < 0.0f) s = 0.0f;
    i0 = static_cast<int32_t>(s);
    if (i0 > in - 1) i0 = in - 1;
    i1 = i0 < in - 1 ? i0 + 1 : i0;
    l1 = clampf(s - static_cast<float>(i0), 0.0f, 1.0f);
}

// Calls op(o, r0, r1, x0, x1, ly, lx) for every output index o: it reads the input rows starting
// at r0 (weight 1 - ly) and r1 (weight ly), columns x0 (1 - lx) and x1 (lx).
template <class Op>
void resize_walk(const Resize& r, Op op) {
    const float sy = static_cast<float>(r.h) / static_cast<float>(r.oh);
    const float sx = static_cast<float>(r.w) / static_cast<float>(r.ow);
    const bool bl = r.bilinear != 0;
    int32_t y0, y1, x0, x1;
    float ly, lx;
    for (int32_t nc = 0; nc < r.n * r.c; ++nc) {
        for (int32_t oy = 0; oy < r.oh; ++oy) {
            resize_src(oy, r.h, r.oh, sy, bl, y0, y1, ly);
            const int32_t r0 = (nc * r.h + y0) * r.w, r1 = (nc * r.h + y1) * r.w;
            for (int32_t ox = 0; ox < r.ow; ++ox) {
                resize_src(ox, r.w, r.ow, sx, bl, x0, x1, lx);
                op((nc * r.oh + oy) * r.ow + ox, r0, r1, x0, x1, ly, lx);
            }
        }
    }
}

}  // namespace

void resize_forward(const Resize& r, const float* x, float* y) {
    const bool bl = r.bilinear != 0;
    resize_walk(r,
                [=](int32_t o, int32_t r0, int32_t r1, int32_t x0, int32_t x1, float ly, float lx) {
                    y[o] = !bl ? x[r0 + x0]
                               : (1.0f - ly) * ((1.0f - lx) * x[r0 + x0] + lx * x[r0 + x1]) +
                                     ly * ((1.0f - lx) * x[r1 + x0] + lx * x[r1 + x1]);
                });
}

void resize_backward(const Resize& r, const float* dy, float* dx) {
    const bool bl = r.bilinear != 0;
    memset(dx, 0, sizeof(float) * static_cast<size_t>(r.n * r.c * r.h * r.w));
    resize_walk(r,
                [=](int32_t o, int32_t r0, int32_t r1, int32_t x0, int32_t x1, float ly, float lx) {
                    if (!bl) {
                        dx[r0 + x0] += dy[o];
                        return;
                    }
                    const float g0 = (1.0f - ly) * dy[o], g1 = ly * dy[o];
                    dx[r0 + x0] += (1.0f - lx) * g0;
                    dx[r0 + x1] += lx * g0;
                    dx[r1 + x0] += (1.0f - lx) * g1;
                    dx[r1 + x1] += lx * g1;
                });
}

}  // namespace tpk
