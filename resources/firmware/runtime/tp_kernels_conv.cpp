// TrainPlan firmware runtime: Conv2d and Linear kernels: forward, backward-input and in-place
// update (see tp_kernels.h for the contracts).
// Portable C++17 for host g++ and arm-none-eabi-g++ (Cortex-M4F/M7): no heap, no exceptions,
// no RTTI, no static state, single-precision math only (expf, logf, sqrtf), float accumulators.
#include <string.h>

#include "tp_kernels.h"
#include "tp_kernels_internal.h"

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

}  // namespace

using detail::bias_update;
using detail::mom_row;
using detail::sgd_step;

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

}  // namespace tpk
