// TrainPlan firmware runtime: fp32 reference kernels (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include "tp_kernels.h"

#include <math.h>
#include <string.h>

namespace tpk {
namespace {

// Output positions o in [lo, hi) whose input coordinate o * s + off lies in [0, in).
inline void valid_range(int32_t in, int32_t out, int32_t s, int32_t off, int32_t& lo, int32_t& hi) {
    lo = off >= 0 ? 0 : (-off + s - 1) / s;
    const int32_t last = in - 1 - off;
    hi = last < 0 ? 0 : last / s + 1;
    if (hi > out) hi = out;
    if (lo > hi) lo = hi;
}

// Walks the weight row of one output channel: for every tap (ky, kx) and input channel ic of
// its group it calls op(k, xi, yi, rows, cnt) with k = (ic * kh + ky) * kw + kx and the
// rectangle of outputs that read real (unpadded) input: `rows` rows of `cnt` outputs starting at
// output yi (row stride ow) read inputs starting at xi (row stride sh * w, column stride sw).
// xi is relative to the group's first input plane, yi to the output plane.
template <class Op>
inline void conv_walk(const Conv& c, Op op) {
    const int32_t hw = c.h * c.w, khw = c.kh * c.kw, cing = c.cin / c.groups;
    for (int32_t ky = 0; ky < c.kh; ++ky) {
        int32_t oy0, oy1;
        const int32_t offy = ky * c.dh - c.ph;
        valid_range(c.h, c.oh, c.sh, offy, oy0, oy1);
        if (oy0 >= oy1) continue;
        for (int32_t kx = 0; kx < c.kw; ++kx) {
            int32_t ox0, ox1;
            const int32_t offx = kx * c.dw - c.pw;
            valid_range(c.w, c.ow, c.sw, offx, ox0, ox1);
            if (ox0 >= ox1) continue;
            const int32_t xi = (oy0 * c.sh + offy) * c.w + ox0 * c.sw + offx;
            const int32_t yi = oy0 * c.ow + ox0;
            for (int32_t ic = 0; ic < cing; ++ic) {
                op(ic * khw + ky * c.kw + kx, ic * hw + xi, yi, oy1 - oy0, ox1 - ox0);
            }
        }
    }
}

// torch.optim.SGD step on len parameters (momentum buffer used when momentum != 0).
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

inline float* mom_row(float* mom, int32_t c, int32_t len) {
    return mom != nullptr ? mom + c * len : nullptr;
}

inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

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

// Bias (or norm shift) update: the gradient of row oc is the sum of dy over the batch and the
// `inner` positions of channel oc (dy laid out [n][out][inner]); trained rows only.
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

}  // namespace

// ---- Conv2d -----------------------------------------------------------------------------------

void conv_forward(const Conv& c, const float* x, const Rows& w, const Rows* b, float* y) {
    const int32_t cing = c.cin / c.groups, coutg = c.cout / c.groups;
    const int32_t ohw = c.oh * c.ow, ystep = c.sh * c.w, sw = c.sw, ow = c.ow;
    for (int32_t n = 0; n < c.n; ++n) {
        for (int32_t oc = 0; oc < c.cout; ++oc) {
            float* yc = y + (n * c.cout + oc) * ohw;
            const float bv = b != nullptr ? row(*b, oc)[0] : 0.0f;
            for (int32_t i = 0; i < ohw; ++i) yc[i] = bv;
            const float* wr = row(w, oc);
            const float* xg = x + (n * c.cin + (oc / coutg) * cing) * c.h * c.w;
            conv_walk(c, [=](int32_t k, int32_t xi, int32_t yi, int32_t rows, int32_t cnt) {
                const float wv = wr[k];
                const float* xr = xg + xi;
                float* yr = yc + yi;
                for (int32_t r = 0; r < rows; ++r, xr += ystep, yr += ow) {
                    for (int32_t i = 0; i < cnt; ++i) yr[i] += wv * xr[i * sw];
                }
            });
        }
    }
}

void conv_backward_input(const Conv& c, const float* dy, const Rows& w, float* dx) {
    const int32_t cing = c.cin / c.groups, coutg = c.cout / c.groups;
    const int32_t ohw = c.oh * c.ow, ystep = c.sh * c.w, sw = c.sw, ow = c.ow;
    memset(dx, 0, sizeof(float) * static_cast<size_t>(c.n * c.cin * c.h * c.w));
    for (int32_t n = 0; n < c.n; ++n) {
        for (int32_t oc = 0; oc < c.cout; ++oc) {
            const float* dyc = dy + (n * c.cout + oc) * ohw;
            const float* wr = row(w, oc);
            float* dxg = dx + (n * c.cin + (oc / coutg) * cing) * c.h * c.w;
            conv_walk(c, [=](int32_t k, int32_t xi, int32_t yi, int32_t rows, int32_t cnt) {
                const float wv = wr[k];
                float* xr = dxg + xi;
                const float* dr = dyc + yi;
                for (int32_t r = 0; r < rows; ++r, xr += ystep, dr += ow) {
                    for (int32_t i = 0; i < cnt; ++i) xr[i * sw] += wv * dr[i];
                }
            });
        }
    }
}

void conv_update(const Conv& c, const float* x, const float* dy, Rows& w, float* w_mom, Rows* b,
                 float* b_mom, const Sgd& sgd, float* row_ws) {
    const int32_t cing = c.cin / c.groups, coutg = c.cout / c.groups;
    const int32_t ohw = c.oh * c.ow, ystep = c.sh * c.w, sw = c.sw, ow = c.ow;
    const int32_t len = cing * c.kh * c.kw;
    for (int32_t oc = 0; oc < w.trained_rows; ++oc) {
        for (int32_t i = 0; i < len; ++i) row_ws[i] = 0.0f;
        for (int32_t n = 0; n < c.n; ++n) {
            const float* dyc = dy + (n * c.cout + oc) * ohw;
            const float* xg = x + (n * c.cin + (oc / coutg) * cing) * c.h * c.w;
            conv_walk(c, [=](int32_t k, int32_t xi, int32_t yi, int32_t rows, int32_t cnt) {
                const float* xr = xg + xi;
                const float* dr = dyc + yi;
                float acc = 0.0f;
                for (int32_t r = 0; r < rows; ++r, xr += ystep, dr += ow) {
                    for (int32_t i = 0; i < cnt; ++i) acc += dr[i] * xr[i * sw];
                }
                row_ws[k] += acc;
            });
        }
        sgd_step(w.trained + oc * len, mom_row(w_mom, oc, len), row_ws, len, sgd);
    }
    bias_update(dy, c.n, c.cout, ohw, b, b_mom, sgd);
}

// ---- Linear -----------------------------------------------------------------------------------

void linear_forward(const Linear& l, const float* x, const Rows& w, const Rows* b, float* y) {
    for (int32_t n = 0; n < l.n; ++n) {
        const float* xr = x + n * l.in;
        for (int32_t o = 0; o < l.out; ++o) {
            const float* wr = row(w, o);
            float acc = 0.0f;
            for (int32_t i = 0; i < l.in; ++i) acc += xr[i] * wr[i];
            y[n * l.out + o] = acc + (b != nullptr ? row(*b, o)[0] : 0.0f);
        }
    }
}

void linear_backward_input(const Linear& l, const float* dy, const Rows& w, float* dx) {
    for (int32_t n = 0; n < l.n; ++n) {
        float* dr = dx + n * l.in;
        for (int32_t i = 0; i < l.in; ++i) dr[i] = 0.0f;
        for (int32_t o = 0; o < l.out; ++o) {
            const float d = dy[n * l.out + o];
            const float* wr = row(w, o);
            for (int32_t i = 0; i < l.in; ++i) dr[i] += d * wr[i];
        }
    }
}

void linear_update(const Linear& l, const float* x, const float* dy, Rows& w, float* w_mom, Rows* b,
                   float* b_mom, const Sgd& sgd, float* row_ws) {
    for (int32_t o = 0; o < w.trained_rows; ++o) {
        for (int32_t i = 0; i < l.in; ++i) row_ws[i] = 0.0f;
        for (int32_t n = 0; n < l.n; ++n) {
            const float d = dy[n * l.out + o];
            const float* xr = x + n * l.in;
            for (int32_t i = 0; i < l.in; ++i) row_ws[i] += d * xr[i];
        }
        sgd_step(w.trained + o * l.in, mom_row(w_mom, o, l.in), row_ws, l.in, sgd);
    }
    bias_update(dy, l.n, l.out, 1, b, b_mom, sgd);
}

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
namespace {

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

// ---- Element-wise -------------------------------------------------------------------------------

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

// ---- Pools --------------------------------------------------------------------------------------
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

// ---- Resize -------------------------------------------------------------------------------------
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

// ---- Loss ---------------------------------------------------------------------------------------

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
