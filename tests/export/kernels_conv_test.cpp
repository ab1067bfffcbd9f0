// Conv2d kernels of the firmware runtime (tp_kernels.h): forward (plain, strided, dilated,
// grouped, depthwise, pointwise, asymmetric padding), backward-input and the in-place update with
// trained, frozen or missing bias. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

struct ConvCase {
    const char* name;
    int n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups;
    int peh = -1, pew = -1;  // trailing pads (ONNX asymmetric); -1: same as leading
};

tpk::Conv make_conv(const ConvCase& k) {
    const int peh = k.peh < 0 ? k.ph : k.peh, pew = k.pew < 0 ? k.pw : k.pew;
    tpk::Conv c{};
    c.n = k.n;
    c.cin = k.cin;
    c.h = k.h;
    c.w = k.w;
    c.cout = k.cout;
    c.oh = (k.h + k.ph + peh - k.dh * (k.kh - 1) - 1) / k.sh + 1;
    c.ow = (k.w + k.pw + pew - k.dw * (k.kw - 1) - 1) / k.sw + 1;
    c.kh = k.kh;
    c.kw = k.kw;
    c.sh = k.sh;
    c.sw = k.sw;
    c.ph = k.ph;
    c.pw = k.pw;
    c.dh = k.dh;
    c.dw = k.dw;
    c.groups = k.groups;
    return c;
}

const std::vector<ConvCase>& conv_cases() {
    static const std::vector<ConvCase> cases = {
        {"plain", 2, 3, 5, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1},
        {"strided_padded", 2, 3, 7, 6, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1},
        {"dilated", 1, 2, 7, 7, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1},
        {"grouped", 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2},
        {"depthwise", 2, 3, 6, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3},
        {"depthwise_multiplier", 1, 2, 5, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2},
        {"pointwise", 2, 5, 4, 3, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1},
        {"asymmetric", 1, 2, 6, 5, 3, 2, 3, 1, 2, 1, 1, 2, 1, 1, 0, 2},
        {"kernel_larger_than_input_padded", 1, 1, 2, 2, 2, 5, 5, 1, 1, 2, 2, 1, 1, 1},
    };
    return cases;
}

std::vector<double> conv_ref(const tpk::Conv& c, const Vec& x, const Vec& w, const Vec* b) {
    const int cing = c.cin / c.groups, coutg = c.cout / c.groups;
    std::vector<double> y(static_cast<size_t>(c.n * c.cout * c.oh * c.ow));
    for (int n = 0; n < c.n; ++n)
        for (int oc = 0; oc < c.cout; ++oc)
            for (int oy = 0; oy < c.oh; ++oy)
                for (int ox = 0; ox < c.ow; ++ox) {
                    double s = b ? (*b)[static_cast<size_t>(oc)] : 0.0;
                    for (int ic = 0; ic < cing; ++ic)
                        for (int ky = 0; ky < c.kh; ++ky)
                            for (int kx = 0; kx < c.kw; ++kx) {
                                const int iy = oy * c.sh - c.ph + ky * c.dh;
                                const int ix = ox * c.sw - c.pw + kx * c.dw;
                                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                                const int ci = (oc / coutg) * cing + ic;
                                s += static_cast<double>(x[static_cast<size_t>(
                                         ((n * c.cin + ci) * c.h + iy) * c.w + ix)]) *
                                     w[static_cast<size_t>(((oc * cing + ic) * c.kh + ky) * c.kw +
                                                           kx)];
                            }
                    y[static_cast<size_t>(((n * c.cout + oc) * c.oh + oy) * c.ow + ox)] = s;
                }
    return y;
}

size_t conv_out_size(const tpk::Conv& c) {
    return static_cast<size_t>(c.n * c.cout * c.oh * c.ow);
}
size_t conv_in_size(const tpk::Conv& c) {
    return static_cast<size_t>(c.n * c.cin * c.h * c.w);
}
int conv_row_len(const tpk::Conv& c) {
    return c.cin / c.groups * c.kh * c.kw;
}

// L = sum(y * r) with y = conv(x, w) + b at the parameters' current values; b may be null.
Loss conv_loss(const tpk::Conv& c, const Vec& x, Param& w, Param* b, Vec& y, const Vec& r) {
    return output_dot(y, r, [&c, &x, &w, b, &y] {
        tpk::Rows br{};
        if (b != nullptr) br = b->rows_view();
        tpk::conv_forward(c, x.data(), w.rows_view(), b != nullptr ? &br : nullptr, y.data());
    });
}

TEST(KernelsConv, ForwardHandComputed) {
    // x[i][j] = 4i + j + 1 on a 4x4 input.
    Vec x(16);
    for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i + 1);
    Vec sobel = {1, 0, -1, 2, 0, -2, 1, 0, -1};
    Vec bias = {0.5f};
    tpk::Conv c{1, 1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1};
    tpk::Rows w{nullptr, sobel.data(), 1, 9, 0}, b{nullptr, bias.data(), 1, 1, 0};
    Vec y(4);
    tpk::conv_forward(c, x.data(), w, &b, y.data());
    for (float v : y) EXPECT_FLOAT_EQ(v, -7.5f);  // (1 + 2 + 1) * (x[c] - x[c + 2]) + 0.5

    Vec ones(9, 1.0f);
    tpk::Conv cp{1, 1, 4, 4, 1, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    tpk::Rows wo{nullptr, ones.data(), 1, 9, 0};
    Vec yp(16);
    tpk::conv_forward(cp, x.data(), wo, nullptr, yp.data());
    EXPECT_FLOAT_EQ(yp[0], 14.0f);   // 1 + 2 + 5 + 6
    EXPECT_FLOAT_EQ(yp[3], 22.0f);   // 3 + 4 + 7 + 8
    EXPECT_FLOAT_EQ(yp[5], 54.0f);   // 1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11
    EXPECT_FLOAT_EQ(yp[15], 54.0f);  // 11 + 12 + 15 + 16
    EXPECT_FLOAT_EQ(yp[4], 33.0f);   // 1 + 2 + 5 + 6 + 9 + 10

    // Stride 2, padding 1: windows start at rows/columns -1 and 1.
    tpk::Conv cs{1, 1, 4, 4, 1, 2, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1};
    Vec ys(4);
    tpk::conv_forward(cs, x.data(), wo, nullptr, ys.data());
    expect_eq_all(ys, {14, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14,
                       6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16});
}

TEST(KernelsConv, ForwardMatchesDirectFormula) {
    Rng rng(1);
    for (const ConvCase& k : conv_cases()) {
        SCOPED_TRACE(k.name);
        const tpk::Conv c = make_conv(k);
        Vec x = rng.vec(conv_in_size(c));
        Param w(rng, c.cout, conv_row_len(c), c.cout / 2);
        Param b(rng, c.cout, 1, c.cout - 1);
        Vec y(conv_out_size(c), -99.0f);
        const tpk::Rows wr = w.rows_view(), br = b.rows_view();
        tpk::conv_forward(c, x.data(), wr, &br, y.data());
        const Vec bv = b.values();
        expect_near_all(y, conv_ref(c, x, w.values(), &bv));
        tpk::conv_forward(c, x.data(), wr, nullptr, y.data());
        expect_near_all(y, conv_ref(c, x, w.values(), nullptr));
    }
}

TEST(KernelsConv, BackwardInputMatchesFiniteDifferences) {
    Rng rng(2);
    for (const ConvCase& k : conv_cases()) {
        SCOPED_TRACE(k.name);
        const tpk::Conv c = make_conv(k);
        Vec x = rng.vec(conv_in_size(c));
        Param w(rng, c.cout, conv_row_len(c), 1);
        const Vec r = rng.vec(conv_out_size(c));
        Vec y(conv_out_size(c)), dx(conv_in_size(c), 77.0f);
        tpk::conv_backward_input(c, r.data(), w.rows_view(), dx.data());
        check_grad(x, dx, conv_loss(c, x, w, nullptr, y, r));
    }
}

TEST(KernelsConv, UpdateMatchesFiniteDifferencesSparse) {
    Rng rng(3);
    for (const ConvCase& k : conv_cases()) {
        SCOPED_TRACE(k.name);
        const tpk::Conv c = make_conv(k);
        Vec x = rng.vec(conv_in_size(c));
        Param w(rng, c.cout, conv_row_len(c), std::max(1, c.cout / 2));
        Param b(rng, c.cout, 1, c.cout);
        const Vec r = rng.vec(conv_out_size(c));
        Vec y(conv_out_size(c)), ws(static_cast<size_t>(w.len));
        check_update({&w, &b}, conv_loss(c, x, w, &b, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view(), br = b.rows_view();
            tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), &br, mom_or_null(&b, m),
                             sgd, ws.data());
        });
    }
}

TEST(KernelsConv, UpdateWithFrozenOrMissingBiasAndFrozenWeights) {
    Rng rng(4);
    const tpk::Conv c = make_conv(conv_cases()[1]);
    Vec x = rng.vec(conv_in_size(c));
    const Vec r = rng.vec(conv_out_size(c));
    Vec y(conv_out_size(c)), ws(static_cast<size_t>(conv_row_len(c)));
    {
        SCOPED_TRACE("frozen bias");
        Param w(rng, c.cout, conv_row_len(c), 3);
        Param b(rng, c.cout, 1, 0);
        check_update({&w, &b}, conv_loss(c, x, w, &b, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view(), br = b.rows_view();
            tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), &br, nullptr, sgd,
                             ws.data());
        });
    }
    {
        SCOPED_TRACE("no bias");
        Param w(rng, c.cout, conv_row_len(c), c.cout);
        check_update({&w}, conv_loss(c, x, w, nullptr, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view();
            tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), nullptr, nullptr, sgd,
                             ws.data());
        });
    }
    {
        SCOPED_TRACE("frozen weights, x null, trained bias");
        Param w(rng, c.cout, conv_row_len(c), 0);
        Param b(rng, c.cout, 1, c.cout);
        check_update({&w, &b}, conv_loss(c, x, w, &b, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view(), br = b.rows_view();
            tpk::conv_update(c, nullptr, r.data(), wr, nullptr, &br, mom_or_null(&b, m), sgd,
                             nullptr);
        });
    }
}

}  // namespace
}  // namespace kernel_test
