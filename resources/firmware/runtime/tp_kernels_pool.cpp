// TrainPlan firmware runtime: max, average and global-average pools with their backward passes
// (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <math.h>
#include <string.h>

#include "tp_kernels.h"

namespace tpk {
namespace {

// Window of output (oy, ox) clipped to the input: rows [y0, y1), columns [x0, x1); (sy, sx) is
// the unclipped top-left corner (may be negative inside the padding).
struct Window {
    int32_t sy, sx, y0, y1, x0, x1;
};

inline Window window(const Pool& p, int32_t oy, int32_t ox) {
    Window r;
    r.sy = oy * p.sh - p.ph;
    r.sx = ox * p.sw - p.pw;
    r.y0 = r.sy < 0 ? 0 : r.sy;
    r.x0 = r.sx < 0 ? 0 : r.sx;
    r.y1 = r.sy + p.kh < p.h ? r.sy + p.kh : p.h;
    r.x1 = r.sx + p.kw < p.w ? r.sx + p.kw : p.w;
    return r;
}

// torch's rule: the first maximum in row-major window order wins, NaN propagates; padding is
// -inf. Returns the maximum; arg gets ky * kw + kx (the first real element if all are -inf).
inline float window_max(const Pool& p, const float* xc, const Window& win, int32_t& arg) {
    float m = -INFINITY;
    arg = (win.y0 - win.sy) * p.kw + (win.x0 - win.sx);
    for (int32_t iy = win.y0; iy < win.y1; ++iy) {
        const float* xr = xc + iy * p.w;
        for (int32_t ix = win.x0; ix < win.x1; ++ix) {
            const float v = xr[ix];
            if (v > m || isnan(v)) {
                m = v;
                arg = (iy - win.sy) * p.kw + (ix - win.sx);
            }
        }
    }
    return m;
}

// Average-pool divisor, torch's rule: with count_include_pad the window clipped to the padded
// input [-ph, h + ph), otherwise the number of real elements.
inline float avg_divisor(const Pool& p, const Window& win) {
    int32_t cnt;
    if (p.count_include_pad != 0) {
        const int32_t ey = win.sy + p.kh < p.h + p.ph ? win.sy + p.kh : p.h + p.ph;
        const int32_t ex = win.sx + p.kw < p.w + p.pw ? win.sx + p.kw : p.w + p.pw;
        cnt = (ey - win.sy) * (ex - win.sx);
    } else {
        cnt = (win.y1 - win.y0) * (win.x1 - win.x0);
    }
    return cnt > 0 ? static_cast<float>(cnt) : 0.0f;
}

// Calls op(o, base, win) for every output index o; its input plane starts at x + base.
template <class Op>
void pool_walk(const Pool& p, Op op) {
    for (int32_t nc = 0; nc < p.n * p.c; ++nc) {
        for (int32_t oy = 0; oy < p.oh; ++oy) {
            for (int32_t ox = 0; ox < p.ow; ++ox) {
                op((nc * p.oh + oy) * p.ow + ox, nc * p.h * p.w, window(p, oy, ox));
            }
        }
    }
}

}  // namespace

void maxpool_forward(const Pool& p, const float* x, float* y) {
    pool_walk(p, [=, &p](int32_t o, int32_t base, const Window& win) {
        int32_t arg;
        y[o] = window_max(p, x + base, win, arg);
    });
}

void maxpool_indices(const Pool& p, const float* x, uint8_t* idx) {
    pool_walk(p, [=, &p](int32_t o, int32_t base, const Window& win) {
        int32_t arg;
        window_max(p, x + base, win, arg);
        idx[o] = static_cast<uint8_t>(arg);
    });
}

void maxpool_backward(const Pool& p, const float* dy, const uint8_t* idx, float* dx) {
    memset(dx, 0, sizeof(float) * static_cast<size_t>(p.n * p.c * p.h * p.w));
    pool_walk(p, [=, &p](int32_t o, int32_t base, const Window& win) {
        const int32_t iy = win.sy + idx[o] / p.kw, ix = win.sx + idx[o] % p.kw;
        if (iy >= 0 && iy < p.h && ix >= 0 && ix < p.w) dx[base + iy * p.w + ix] += dy[o];
    });
}

void avgpool_forward(const Pool& p, const float* x, float* y) {
    pool_walk(p, [=, &p](int32_t o, int32_t base, const Window& win) {
        const float d = avg_divisor(p, win);
        float s = 0.0f;
        for (int32_t iy = win.y0; iy < win.y1; ++iy) {
            for (int32_t ix = win.x0; ix < win.x1; ++ix) s += x[base + iy * p.w + ix];
        }
        y[o] = d > 0.0f ? s / d : 0.0f;
    });
}

void avgpool_backward(const Pool& p, const float* dy, float* dx) {
    memset(dx, 0, sizeof(float) * static_cast<size_t>(p.n * p.c * p.h * p.w));
    pool_walk(p, [=, &p](int32_t o, int32_t base, const Window& win) {
        const float d = avg_divisor(p, win);
        if (d <= 0.0f) return;
        const float g = dy[o] / d;
        for (int32_t iy = win.y0; iy < win.y1; ++iy) {
            for (int32_t ix = win.x0; ix < win.x1; ++ix) dx[base + iy * p.w + ix] += g;
        }
    });
}

void global_avgpool_forward(int32_t n, int32_t c, int32_t hw, const float* x, float* y) {
    for (int32_t i = 0; i < n * c; ++i) {
        const float* xc = x + i * hw;
        float s = 0.0f;
        for (int32_t k = 0; k < hw; ++k) s += xc[k];
        y[i] = s / static_cast<float>(hw);
    }
}

void global_avgpool_backward(int32_t n, int32_t c, int32_t hw, const float* dy, float* dx) {
    for (int32_t i = 0; i < n * c; ++i) {
        const float g = dy[i] / static_cast<float>(hw);
        float* dxc = dx + i * hw;
        for (int32_t k = 0; k < hw; ++k) dxc[k] = g;
    }
}

}  // namespace tpk
