// The firmware runtime's fp32 reference kernels (resources/firmware/runtime/tp_kernels.cpp):
// forward kernels against hand-computed cases and a naive direct-formula re-implementation,
// every backward kernel against central finite differences of L = sum(y * r), every update
// kernel against the finite-difference gradient of the parameters it trains (plus frozen rows
// bit-identical, sparse rows, and torch's momentum rule).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tp_kernels.h"

namespace {

using Vec = std::vector<float>;
using Loss = std::function<double()>;

constexpr float kEps = 1e-2f;  // finite-difference step
constexpr double kRel = 2e-2;  // finite-difference tolerances
constexpr double kAbs = 1e-3;
constexpr int kGuard = 3;  // sentinel floats after the trained rows and momentum rows
constexpr float kSentinel = 1234.5f;

struct Rng {
    std::mt19937 gen;
    explicit Rng(unsigned seed) : gen(seed) {}
    float uni(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
    Vec vec(size_t n, float lo = -1.0f, float hi = 1.0f) {
        Vec v(n);
        for (float& e : v) e = uni(lo, hi);
        return v;
    }
    // Uniform in [lo, hi) but at least `margin` away from every kink.
    Vec away(size_t n, float lo, float hi, std::vector<float> kinks, float margin = 0.05f) {
        Vec v(n);
        for (float& e : v) {
            for (;;) {
                e = uni(lo, hi);
                bool ok = true;
                for (float k : kinks) ok = ok && std::fabs(e - k) >= margin;
                if (ok) break;
            }
        }
        return v;
    }
    // n distinct values spaced 0.05 apart (> 2 * kEps), shuffled: no maxpool tie is ever close.
    Vec distinct(size_t n) {
        Vec v(n);
        for (size_t i = 0; i < n; ++i)
            v[i] = 0.05f * (static_cast<float>(i) - static_cast<float>(n) / 2);
        std::shuffle(v.begin(), v.end(), gen);
        return v;
    }
};

double dot(const Vec& y, const Vec& r) {
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
    return s;
}

// Central differences of loss() w.r.t. v[0..count). The loss is reduced in double so the
// unperturbed outputs cancel exactly; the kernels themselves run in float.
std::vector<double> fd_grad(float* v, size_t count, const Loss& loss) {
    std::vector<double> g(count);
    for (size_t i = 0; i < count; ++i) {
        const float orig = v[i];
        const float hi = orig + kEps, lo = orig - kEps;
        v[i] = hi;
        const double lp = loss();
        v[i] = lo;
        const double lm = loss();
        v[i] = orig;
        g[i] = (lp - lm) / (static_cast<double>(hi) - static_cast<double>(lo));
    }
    return g;
}

void expect_grad(const Vec& analytic, const std::vector<double>& fd, const char* what) {
    ASSERT_EQ(analytic.size(), fd.size());
    for (size_t i = 0; i < fd.size(); ++i) {
        EXPECT_LE(std::fabs(analytic[i] - fd[i]), kAbs + kRel * std::fabs(fd[i]))
            << what << " element " << i << ": kernel " << analytic[i] << ", finite difference "
            << fd[i];
    }
}

// Checks the gradient `analytic` of loss() w.r.t. the buffer x.
void check_grad(Vec& x, const Vec& analytic, const Loss& loss, const char* what = "dx") {
    expect_grad(analytic, fd_grad(x.data(), x.size(), loss), what);
}

void expect_near_all(const Vec& got, const std::vector<double>& want, double tol = 2e-5) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << "element " << i;
    }
}

void expect_eq_all(const Vec& got, const std::vector<double>& want, double tol = 1e-6) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// A parameter split as the header describes. The flash copy of the trained rows is poisoned
// with NaN so a kernel that reads it instead of RAM fails loudly; RAM and the momentum buffer
// carry sentinel guards after the trained rows.
struct Param {
    int rows, len, tr;
    Vec flash, ram, mom;
    Param(Rng& rng, int rows_, int len_, int tr_, float lo = -1.0f, float hi = 1.0f)
        : rows(rows_), len(len_), tr(tr_) {
        flash = rng.vec(static_cast<size_t>(rows * len), lo, hi);
        ram.assign(flash.begin(), flash.begin() + tr * len);
        ram.resize(static_cast<size_t>(tr * len + kGuard), kSentinel);
        for (int i = 0; i < tr * len; ++i)
            flash[static_cast<size_t>(i)] = std::numeric_limits<float>::quiet_NaN();
        reset_mom();
    }
    void reset_mom() {
        mom.assign(static_cast<size_t>(tr * len), 0.0f);
        mom.resize(static_cast<size_t>(tr * len + kGuard), kSentinel);
    }
    tpk::Rows rows_view() {
        return {tr > 0 ? ram.data() : nullptr, tr < rows ? flash.data() : nullptr, rows, len, tr};
    }
    float get(int c, int i) const {
        return c < tr ? ram[static_cast<size_t>(c * len + i)]
                      : flash[static_cast<size_t>(c * len + i)];
    }
    Vec values() const {
        Vec v(static_cast<size_t>(rows * len));
        for (int c = 0; c < rows; ++c)
            for (int i = 0; i < len; ++i) v[static_cast<size_t>(c * len + i)] = get(c, i);
        return v;
    }
    size_t trained_count() const { return static_cast<size_t>(tr * len); }
};

using Update = std::function<void(const tpk::Sgd&, bool with_momentum)>;

void expect_guards(const Vec& v, size_t from, const char* what) {
    for (size_t i = from; i < v.size(); ++i)
        EXPECT_EQ(v[i], kSentinel) << what << " guard " << i - from;
}

// An update kernel, checked three ways:
//  - lr 1, momentum 0: each trained parameter changes by minus the finite-difference gradient
//    of loss() (whose dy is the r of L = sum(y * r)); guards and flash stay bit-identical;
//  - lr 0.1, momentum 0.9, two calls from a zero buffer: v = g then 1.9 g, p = p0 - 0.1 g - 0.19 g
//    (the gradient does not depend on the parameter for these layers);
//  - the momentum guards stay intact.
void check_update(const std::vector<Param*>& ps, const Loss& loss, const Update& update) {
    std::vector<std::vector<double>> fd;
    for (Param* p : ps) fd.push_back(fd_grad(p->ram.data(), p->trained_count(), loss));
    std::vector<Vec> ram0, flash0;
    for (Param* p : ps) {
        ram0.push_back(p->ram);
        flash0.push_back(p->flash);
    }
    update(tpk::Sgd{1.0f, 0.0f}, false);
    std::vector<Vec> grads;
    for (size_t k = 0; k < ps.size(); ++k) {
        Param& p = *ps[k];
        SCOPED_TRACE("parameter " + std::to_string(k));
        Vec g(p.trained_count());
        for (size_t i = 0; i < g.size(); ++i) g[i] = ram0[k][i] - p.ram[i];
        expect_grad(g, fd[k], "trained parameter");
        expect_guards(p.ram, p.trained_count(), "ram");
        ASSERT_EQ(p.flash.size(), flash0[k].size());
        EXPECT_EQ(0, std::memcmp(p.flash.data(), flash0[k].data(), p.flash.size() * sizeof(float)))
            << "flash rows changed";
        grads.push_back(g);
        p.ram = ram0[k];
        p.reset_mom();
    }
    update(tpk::Sgd{0.1f, 0.9f}, true);
    update(tpk::Sgd{0.1f, 0.9f}, true);
    for (size_t k = 0; k < ps.size(); ++k) {
        Param& p = *ps[k];
        SCOPED_TRACE("momentum, parameter " + std::to_string(k));
        for (size_t i = 0; i < p.trained_count(); ++i) {
            const float g = grads[k][i];
            const float p1 = ram0[k][i] - 0.1f * g;
            const float v2 = 0.9f * g + g;
            const float p2 = p1 - 0.1f * v2;
            EXPECT_NEAR(p.mom[i], v2, 1e-5 * (1.0 + std::fabs(v2))) << "momentum " << i;
            EXPECT_NEAR(p.ram[i], p2, 1e-5 * (1.0 + std::fabs(p2))) << "parameter " << i;
        }
        expect_guards(p.ram, p.trained_count(), "ram");
        expect_guards(p.mom, p.trained_count(), "momentum");
        EXPECT_EQ(0, std::memcmp(p.flash.data(), flash0[k].data(), p.flash.size() * sizeof(float)));
    }
}

float* mom_or_null(Param* p, bool with_momentum) {
    return with_momentum && p != nullptr ? p->mom.data() : nullptr;
}

// ---- Conv
// -----------------------------------------------------------------------------------------

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
        check_grad(x, dx, [&] {
            tpk::conv_forward(c, x.data(), w.rows_view(), nullptr, y.data());
            return dot(y, r);
        });
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
        check_update(
            {&w, &b},
            [&] {
                const tpk::Rows br = b.rows_view();
                tpk::conv_forward(c, x.data(), w.rows_view(), &br, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view(), br = b.rows_view();
                tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), &br,
                                 mom_or_null(&b, m), sgd, ws.data());
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
        check_update(
            {&w, &b},
            [&] {
                const tpk::Rows br = b.rows_view();
                tpk::conv_forward(c, x.data(), w.rows_view(), &br, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view(), br = b.rows_view();
                tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), &br, nullptr, sgd,
                                 ws.data());
            });
    }
    {
        SCOPED_TRACE("no bias");
        Param w(rng, c.cout, conv_row_len(c), c.cout);
        check_update(
            {&w},
            [&] {
                tpk::conv_forward(c, x.data(), w.rows_view(), nullptr, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view();
                tpk::conv_update(c, x.data(), r.data(), wr, mom_or_null(&w, m), nullptr, nullptr,
                                 sgd, ws.data());
            });
    }
    {
        SCOPED_TRACE("frozen weights, x null, trained bias");
        Param w(rng, c.cout, conv_row_len(c), 0);
        Param b(rng, c.cout, 1, c.cout);
        check_update(
            {&w, &b},
            [&] {
                const tpk::Rows br = b.rows_view();
                tpk::conv_forward(c, x.data(), w.rows_view(), &br, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view(), br = b.rows_view();
                tpk::conv_update(c, nullptr, r.data(), wr, nullptr, &br, mom_or_null(&b, m), sgd,
                                 nullptr);
            });
    }
}

// ---- Linear
// ---------------------------------------------------------------------------------------

std::vector<double> linear_ref(const tpk::Linear& l, const Vec& x, const Vec& w, const Vec* b) {
    std::vector<double> y(static_cast<size_t>(l.n * l.out));
    for (int n = 0; n < l.n; ++n)
        for (int o = 0; o < l.out; ++o) {
            double s = b ? (*b)[static_cast<size_t>(o)] : 0.0;
            for (int i = 0; i < l.in; ++i)
                s += static_cast<double>(x[static_cast<size_t>(n * l.in + i)]) *
                     w[static_cast<size_t>(o * l.in + i)];
            y[static_cast<size_t>(n * l.out + o)] = s;
        }
    return y;
}

TEST(KernelsLinear, ForwardHandComputedAndDirectFormula) {
    Vec x = {1, 2, 3};
    Vec w = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    Vec b = {10, 20};
    tpk::Linear l{1, 3, 2};
    Vec y(2);
    const tpk::Rows wr{nullptr, w.data(), 2, 3, 0}, br{nullptr, b.data(), 2, 1, 0};
    tpk::linear_forward(l, x.data(), wr, &br, y.data());
    EXPECT_FLOAT_EQ(y[0], 8.0f);
    EXPECT_FLOAT_EQ(y[1], 23.0f);

    Rng rng(5);
    tpk::Linear lr{3, 7, 5};
    Vec xr = rng.vec(21);
    Param pw(rng, 5, 7, 2), pb(rng, 5, 1, 5);
    Vec yr(15);
    const tpk::Rows pwr = pw.rows_view(), pbr = pb.rows_view();
    tpk::linear_forward(lr, xr.data(), pwr, &pbr, yr.data());
    const Vec bv = pb.values();
    expect_near_all(yr, linear_ref(lr, xr, pw.values(), &bv));
    tpk::linear_forward(lr, xr.data(), pwr, nullptr, yr.data());
    expect_near_all(yr, linear_ref(lr, xr, pw.values(), nullptr));
}

TEST(KernelsLinear, BackwardInputMatchesFiniteDifferences) {
    Rng rng(6);
    tpk::Linear l{3, 7, 5};
    Vec x = rng.vec(21), y(15), dx(21, 5.0f);
    Param w(rng, 5, 7, 2);
    const Vec r = rng.vec(15);
    tpk::linear_backward_input(l, r.data(), w.rows_view(), dx.data());
    check_grad(x, dx, [&] {
        tpk::linear_forward(l, x.data(), w.rows_view(), nullptr, y.data());
        return dot(y, r);
    });
}

TEST(KernelsLinear, UpdateMatchesFiniteDifferences) {
    Rng rng(7);
    tpk::Linear l{3, 7, 5};
    Vec x = rng.vec(21), y(15), ws(7);
    const Vec r = rng.vec(15);
    for (int btr : {5, 0}) {
        SCOPED_TRACE("bias trained rows " + std::to_string(btr));
        Param w(rng, 5, 7, 3), b(rng, 5, 1, btr);
        check_update(
            {&w, &b},
            [&] {
                const tpk::Rows br = b.rows_view();
                tpk::linear_forward(l, x.data(), w.rows_view(), &br, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view(), br = b.rows_view();
                tpk::linear_update(l, x.data(), r.data(), wr, mom_or_null(&w, m), &br,
                                   mom_or_null(&b, m), sgd, ws.data());
            });
    }
    {
        SCOPED_TRACE("no bias, all rows");
        Param w(rng, 5, 7, 5);
        check_update(
            {&w},
            [&] {
                tpk::linear_forward(l, x.data(), w.rows_view(), nullptr, y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows wr = w.rows_view();
                tpk::linear_update(l, x.data(), r.data(), wr, mom_or_null(&w, m), nullptr, nullptr,
                                   sgd, ws.data());
            });
    }
}

// ---- BatchNorm / GroupNorm
// ------------------------------------------------------------------------

struct BnSetup {
    tpk::BatchNorm p{2, 5, 6, 0.1f};  // a large eps so its use is visible
    Vec x, mean, var;
    explicit BnSetup(Rng& rng) {
        x = rng.vec(static_cast<size_t>(p.n * p.c * p.hw), -2.0f, 2.0f);
        mean = rng.vec(static_cast<size_t>(p.c), -0.5f, 0.5f);
        var = rng.vec(static_cast<size_t>(p.c), 0.2f, 2.0f);
    }
    size_t size() const { return x.size(); }
};

TEST(KernelsBatchNorm, ForwardMatchesFormula) {
    Rng rng(8);
    BnSetup s(rng);
    Param sc(rng, s.p.c, 1, 2), bi(rng, s.p.c, 1, 3);
    Vec y(s.size());
    tpk::batchnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(), s.mean.data(),
                           s.var.data(), y.data());
    std::vector<double> want(s.size());
    for (int n = 0; n < s.p.n; ++n)
        for (int c = 0; c < s.p.c; ++c)
            for (int i = 0; i < s.p.hw; ++i) {
                const size_t k = static_cast<size_t>((n * s.p.c + c) * s.p.hw + i);
                const size_t cc = static_cast<size_t>(c);
                want[k] = (s.x[k] - s.mean[cc]) /
                              std::sqrt(static_cast<double>(s.var[cc]) + s.p.eps) * sc.get(c, 0) +
                          bi.get(c, 0);
            }
    expect_near_all(y, want);
    // Hand case: x = 3, mean 1, var 4 - eps, scale 2, bias 1 -> (3 - 1) / 2 * 2 + 1 = 3.
    tpk::BatchNorm hp{1, 1, 1, 0.0f};
    float hx = 3, hm = 1, hv = 4, hs = 2, hb = 1, hy = 0;
    tpk::batchnorm_forward(hp, &hx, {nullptr, &hs, 1, 1, 0}, {nullptr, &hb, 1, 1, 0}, &hm, &hv,
                           &hy);
    EXPECT_FLOAT_EQ(hy, 3.0f);
}

TEST(KernelsBatchNorm, BackwardInputMatchesFiniteDifferences) {
    Rng rng(9);
    BnSetup s(rng);
    Param sc(rng, s.p.c, 1, 2), bi(rng, s.p.c, 1, 0);
    const Vec r = rng.vec(s.size());
    Vec y(s.size()), dx(s.size());
    tpk::batchnorm_backward_input(s.p, r.data(), sc.rows_view(), s.var.data(), dx.data());
    check_grad(s.x, dx, [&] {
        tpk::batchnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(), s.mean.data(),
                               s.var.data(), y.data());
        return dot(y, r);
    });
}

TEST(KernelsBatchNorm, UpdateMatchesFiniteDifferences) {
    Rng rng(10);
    BnSetup s(rng);
    const Vec r = rng.vec(s.size());
    Vec y(s.size());
    for (int str : {2, 0}) {
        SCOPED_TRACE("scale trained rows " + std::to_string(str));
        Param sc(rng, s.p.c, 1, str), bi(rng, s.p.c, 1, str == 0 ? s.p.c : 3);
        check_update(
            {&sc, &bi},
            [&] {
                tpk::batchnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(),
                                       s.mean.data(), s.var.data(), y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows scr = sc.rows_view(), bir = bi.rows_view();
                tpk::batchnorm_update(s.p, str == 0 ? nullptr : s.x.data(), r.data(), scr,
                                      mom_or_null(&sc, m), bir, mom_or_null(&bi, m), s.mean.data(),
                                      s.var.data(), sgd);
            });
    }
}

struct GnSetup {
    tpk::GroupNorm p{2, 6, 5, 3, 1e-5f};
    Vec x;
    explicit GnSetup(Rng& rng) { x = rng.vec(static_cast<size_t>(p.n * p.c * p.hw), -1.5f, 1.5f); }
    size_t size() const { return x.size(); }
};

TEST(KernelsGroupNorm, ForwardMatchesFormula) {
    Rng rng(11);
    GnSetup s(rng);
    for (float& v : s.x)
        v += 100.0f;  // a large common offset: the two-pass variance stays accurate
    Param sc(rng, s.p.c, 1, 4), bi(rng, s.p.c, 1, 1);
    Vec y(s.size());
    tpk::groupnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(), y.data());
    const int cpg = s.p.c / s.p.groups, gsize = cpg * s.p.hw;
    std::vector<double> want(s.size());
    for (int n = 0; n < s.p.n; ++n)
        for (int g = 0; g < s.p.groups; ++g) {
            const size_t base = static_cast<size_t>((n * s.p.c + g * cpg) * s.p.hw);
            double m = 0, v = 0;
            for (int i = 0; i < gsize; ++i) m += s.x[base + static_cast<size_t>(i)];
            m /= gsize;
            for (int i = 0; i < gsize; ++i)
                v += (s.x[base + static_cast<size_t>(i)] - m) *
                     (s.x[base + static_cast<size_t>(i)] - m);
            v /= gsize;
            for (int i = 0; i < gsize; ++i) {
                const int c = g * cpg + i / s.p.hw;
                want[base + static_cast<size_t>(i)] = (s.x[base + static_cast<size_t>(i)] - m) /
                                                          std::sqrt(v + s.p.eps) * sc.get(c, 0) +
                                                      bi.get(c, 0);
            }
        }
    expect_near_all(y, want, 1e-4);
}

TEST(KernelsGroupNorm, BackwardInputMatchesFiniteDifferences) {
    Rng rng(12);
    GnSetup s(rng);
    Param sc(rng, s.p.c, 1, 3, 0.5f, 1.5f), bi(rng, s.p.c, 1, 2);
    const Vec r = rng.vec(s.size());
    Vec y(s.size()), dx(s.size()), ws(static_cast<size_t>(2 * s.p.n * s.p.groups));
    tpk::groupnorm_backward_input(s.p, s.x.data(), r.data(), sc.rows_view(), dx.data(), ws.data());
    check_grad(s.x, dx, [&] {
        tpk::groupnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(), y.data());
        return dot(y, r);
    });
    // One group per channel (InstanceNorm-like) and a single group (LayerNorm-like).
    for (int groups : {6, 1}) {
        SCOPED_TRACE("groups " + std::to_string(groups));
        tpk::GroupNorm p = s.p;
        p.groups = groups;
        Vec ws2(static_cast<size_t>(2 * p.n * p.groups));
        tpk::groupnorm_backward_input(p, s.x.data(), r.data(), sc.rows_view(), dx.data(),
                                      ws2.data());
        check_grad(s.x, dx, [&] {
            tpk::groupnorm_forward(p, s.x.data(), sc.rows_view(), bi.rows_view(), y.data());
            return dot(y, r);
        });
    }
}

TEST(KernelsGroupNorm, UpdateMatchesFiniteDifferences) {
    Rng rng(13);
    GnSetup s(rng);
    const Vec r = rng.vec(s.size());
    Vec y(s.size()), ws(static_cast<size_t>(2 * s.p.n * s.p.groups));
    for (int str : {4, 0}) {
        SCOPED_TRACE("scale trained rows " + std::to_string(str));
        Param sc(rng, s.p.c, 1, str), bi(rng, s.p.c, 1, str == 0 ? s.p.c : 2);
        check_update(
            {&sc, &bi},
            [&] {
                tpk::groupnorm_forward(s.p, s.x.data(), sc.rows_view(), bi.rows_view(), y.data());
                return dot(y, r);
            },
            [&](const tpk::Sgd& sgd, bool m) {
                tpk::Rows scr = sc.rows_view(), bir = bi.rows_view();
                tpk::groupnorm_update(s.p, s.x.data(), r.data(), scr, mom_or_null(&sc, m), bir,
                                      mom_or_null(&bi, m), sgd, ws.data());
            });
    }
}

// ---- Element-wise
// ---------------------------------------------------------------------------------

TEST(KernelsElementwise, ForwardHandComputed) {
    const Vec x = {-4, -3, -1, 0, 1, 3, 4, 7};
    const int n = static_cast<int>(x.size());
    Vec y(x.size());
    tpk::relu_forward(x.data(), y.data(), n);
    expect_eq_all(y, {0, 0, 0, 0, 1, 3, 4, 7});
    tpk::clip_forward(x.data(), y.data(), n, 0.0f, 6.0f);
    expect_eq_all(y, {0, 0, 0, 0, 1, 3, 4, 6});
    tpk::hardswish_forward(x.data(), y.data(), n);
    expect_eq_all(y, {0, 0, -1.0 * 2 / 6, 0, 4.0 / 6, 3, 4, 7});
    tpk::hardsigmoid_forward(x.data(), y.data(), n, 0.2f, 0.5f);
    expect_eq_all(y, {0, 0, 0.3, 0.5, 0.7, 1, 1, 1});
    tpk::hardsigmoid_forward(x.data(), y.data(), n, 1.0f / 6, 0.5f);  // torch.nn.Hardsigmoid
    expect_eq_all(y, {0, 0, 1.0 / 3, 0.5, 2.0 / 3, 1, 1, 1});
}

TEST(KernelsElementwise, MaskBitsLsbFirst) {
    const Vec y = {-1, 0, 0.5f, 6, 7, 3, 1e30f, 2, 0, 5, -0.0f};
    std::vector<uint8_t> m(3, 0xFF);
    tpk::mask_make(y.data(), m.data(), 11, 0.0f, INFINITY);
    EXPECT_EQ(m[0], 0xFC);  // bits 2..7
    EXPECT_EQ(m[1], 0x02);  // bit 9 (y = 5); bits past the count are zero
    EXPECT_EQ(m[2], 0xFF);  // untouched past (count + 7) / 8 bytes
    tpk::mask_make(y.data(), m.data(), 11, 0.0f, 6.0f);
    EXPECT_EQ(m[0], 0xA4);  // y = 0.5 (bit 2), 3 (bit 5), 2 (bit 7): open interval
    EXPECT_EQ(m[1], 0x02);
    const Vec dy = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    Vec dx(11, 99.0f);
    tpk::mask_backward(dy.data(), m.data(), dx.data(), 11, 0.5f);
    expect_eq_all(dx, {0, 0, 1.5, 0, 0, 3, 0, 4, 0, 5, 0});
}

TEST(KernelsElementwise, HardswishBackwardMatchesTorchAndFiniteDifferences) {
    const Vec x = {-4, -3, 0, 3, 4}, dy = {2, 2, 2, 2, 2};
    Vec dx(5);
    tpk::hardswish_backward(x.data(), dy.data(), dx.data(), 5);
    expect_eq_all(dx, {0, -1, 1, 3, 2});  // torch: dy * (x / 3 + 0.5) on [-3, 3]
    Rng rng(14);
    Vec xs = rng.away(200, -5.0f, 5.0f, {-3.0f, 3.0f});
    const Vec r = rng.vec(xs.size());
    Vec y(xs.size()), g(xs.size());
    const int n = static_cast<int>(xs.size());
    tpk::hardswish_backward(xs.data(), r.data(), g.data(), n);
    check_grad(xs, g, [&] {
        tpk::hardswish_forward(xs.data(), y.data(), n);
        return dot(y, r);
    });
}

TEST(KernelsElementwise, MaskBackwardMatchesFiniteDifferences) {
    Rng rng(15);
    struct Case {
        const char* name;
        float lo, hi, xlo, xhi, alpha, beta;  // hardsigmoid when alpha != 0
        std::vector<float> kinks;
    };
    const std::vector<Case> cases = {
        {"relu", 0.0f, INFINITY, -3.0f, 3.0f, 0.0f, 0.0f, {0.0f}},
        {"relu6", 0.0f, 6.0f, -2.0f, 8.0f, 0.0f, 0.0f, {0.0f, 6.0f}},
        {"clip(-1,2)", -1.0f, 2.0f, -3.0f, 4.0f, 0.0f, 0.0f, {-1.0f, 2.0f}},
        {"hardsigmoid(0.2,0.5)", 0.0f, 1.0f, -4.0f, 4.0f, 0.2f, 0.5f, {-2.5f, 2.5f}},
        {"hardsigmoid(1/6,0.5)", 0.0f, 1.0f, -5.0f, 5.0f, 1.0f / 6, 0.5f, {-3.0f, 3.0f}},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.name);
        Vec x = rng.away(150, k.xlo, k.xhi, k.kinks);
        const int n = static_cast<int>(x.size());
        const Vec r = rng.vec(x.size());
        Vec y(x.size()), dx(x.size());
        std::vector<uint8_t> mask(static_cast<size_t>((n + 7) / 8));
        auto forward = [&] {
            if (k.alpha != 0.0f)
                tpk::hardsigmoid_forward(x.data(), y.data(), n, k.alpha, k.beta);
            else if (std::isinf(k.hi))
                tpk::relu_forward(x.data(), y.data(), n);
            else
                tpk::clip_forward(x.data(), y.data(), n, k.lo, k.hi);
        };
        forward();
        tpk::mask_make(y.data(), mask.data(), n, k.lo, k.hi);
        tpk::mask_backward(r.data(), mask.data(), dx.data(), n, k.alpha != 0.0f ? k.alpha : 1.0f);
        check_grad(x, dx, [&] {
            forward();
            return dot(y, r);
        });
    }
}

TEST(KernelsElementwise, AddAliasingAndCopyOverlapping) {
    Vec a = {1, 2, 3}, b = {10, 20, 30};
    tpk::add(a.data(), b.data(), a.data(), 3);
    expect_eq_all(a, {11, 22, 33});
    tpk::add(b.data(), b.data(), b.data(), 3);
    expect_eq_all(b, {20, 40, 60});
    Vec v = {1, 2, 3, 4, 5};
    tpk::copy(v.data(), v.data() + 1, 4 * sizeof(float));
    expect_eq_all(v, {1, 1, 2, 3, 4});
    tpk::copy(v.data() + 1, v.data(), 4 * sizeof(float));
    expect_eq_all(v, {1, 2, 3, 4, 4});
    tpk::copy(nullptr, nullptr, 0);
}

// ---- Pools
// ----------------------------------------------------------------------------------------

tpk::Pool make_pool(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
                    int cip) {
    tpk::Pool p{};
    p.n = n;
    p.c = c;
    p.h = h;
    p.w = w;
    p.kh = kh;
    p.kw = kw;
    p.sh = sh;
    p.sw = sw;
    p.ph = ph;
    p.pw = pw;
    p.oh = (h + 2 * ph - kh) / sh + 1;
    p.ow = (w + 2 * pw - kw) / sw + 1;
    p.count_include_pad = cip;
    return p;
}

std::vector<tpk::Pool> pool_cases(int cip) {
    return {
        make_pool(2, 2, 5, 5, 3, 3, 2, 2, 1, 1, cip), make_pool(1, 3, 4, 6, 2, 2, 2, 2, 0, 0, cip),
        make_pool(1, 2, 5, 4, 3, 3, 1, 1, 1, 1, cip), make_pool(2, 1, 5, 7, 2, 3, 1, 2, 1, 1, cip),
        make_pool(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, cip)};
}

size_t pool_in(const tpk::Pool& p) {
    return static_cast<size_t>(p.n * p.c * p.h * p.w);
}
size_t pool_out(const tpk::Pool& p) {
    return static_cast<size_t>(p.n * p.c * p.oh * p.ow);
}

// Direct formula over the window positions (padding is -inf for max; for average the padded
// positions inside [-pad, size + pad) count when count_include_pad, otherwise only real ones).
std::vector<double> pool_ref(const tpk::Pool& p, const Vec& x, bool max) {
    std::vector<double> y(pool_out(p));
    for (int nc = 0; nc < p.n * p.c; ++nc)
        for (int oy = 0; oy < p.oh; ++oy)
            for (int ox = 0; ox < p.ow; ++ox) {
                double best = -INFINITY, sum = 0;
                int real = 0, padded = 0;
                for (int ky = 0; ky < p.kh; ++ky)
                    for (int kx = 0; kx < p.kw; ++kx) {
                        const int iy = oy * p.sh - p.ph + ky, ix = ox * p.sw - p.pw + kx;
                        if (iy >= -p.ph && iy < p.h + p.ph && ix >= -p.pw && ix < p.w + p.pw)
                            ++padded;
                        if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                        const double v = x[static_cast<size_t>((nc * p.h + iy) * p.w + ix)];
                        best = std::max(best, v);
                        sum += v;
                        ++real;
                    }
                y[static_cast<size_t>((nc * p.oh + oy) * p.ow + ox)] =
                    max ? best : sum / (p.count_include_pad ? padded : real);
            }
    return y;
}

TEST(KernelsPool, MaxForwardHandComputedPaddingIsMinusInfinity) {
    Vec x(16);
    for (int i = 0; i < 16; ++i) x[static_cast<size_t>(i)] = static_cast<float>((i * 7) % 16);
    // rows: [0 7 14 5] [12 3 10 1] [8 15 6 13] [4 11 2 9]
    const tpk::Pool p = make_pool(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, 0);
    Vec y(4);
    std::vector<uint8_t> idx(4);
    tpk::maxpool_forward(p, x.data(), y.data());
    tpk::maxpool_indices(p, x.data(), idx.data());
    expect_eq_all(y, {12, 14, 15, 13});
    EXPECT_EQ(idx, (std::vector<uint8_t>{2, 0, 1, 1}));

    const Vec neg = {-5, -4, -3, -2, -9, -8, -7, -6, -1};
    const tpk::Pool pp = make_pool(1, 1, 3, 3, 3, 3, 2, 2, 1, 1, 0);
    Vec yn(4);
    tpk::maxpool_forward(pp, neg.data(), yn.data());
    expect_eq_all(yn, {-2, -3, -2, -1});  // never 0 from the padding
    std::vector<uint8_t> in(4);
    tpk::maxpool_indices(pp, neg.data(), in.data());
    EXPECT_EQ(in, (std::vector<uint8_t>{7, 4, 1, 4}));  // ky * 3 + kx in the padded window
}

TEST(KernelsPool, MaxTiesFirstMaximumWins) {
    const Vec x = {1, 1, 1, 1};
    const tpk::Pool p = make_pool(1, 1, 2, 2, 2, 2, 1, 1, 0, 0, 0);
    uint8_t idx = 77;
    tpk::maxpool_indices(p, x.data(), &idx);
    EXPECT_EQ(idx, 0);
    const float dy = 3.0f;
    Vec dx(4, 5.0f);
    tpk::maxpool_backward(p, &dy, &idx, dx.data());
    expect_eq_all(dx, {3, 0, 0, 0});
}

TEST(KernelsPool, MaxForwardMatchesDirectFormulaAndBackwardFiniteDifferences) {
    Rng rng(16);
    for (const tpk::Pool& p : pool_cases(0)) {
        SCOPED_TRACE("pool " + std::to_string(p.h) + "x" + std::to_string(p.w) + " k" +
                     std::to_string(p.kh) + "x" + std::to_string(p.kw));
        Vec x = rng.distinct(pool_in(p));
        Vec y(pool_out(p)), dx(pool_in(p), 3.0f);
        std::vector<uint8_t> idx(pool_out(p));
        tpk::maxpool_forward(p, x.data(), y.data());
        expect_eq_all(y, pool_ref(p, x, true), 0.0);
        tpk::maxpool_indices(p, x.data(), idx.data());
        const Vec r = rng.vec(y.size());
        tpk::maxpool_backward(p, r.data(), idx.data(), dx.data());
        check_grad(x, dx, [&] {
            tpk::maxpool_forward(p, x.data(), y.data());
            return dot(y, r);
        });
    }
}

TEST(KernelsPool, AvgForwardHandComputed) {
    const Vec x(9, 1.0f);
    Vec y(9);
    tpk::avgpool_forward(make_pool(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 0), x.data(), y.data());
    expect_eq_all(y, {1, 1, 1, 1, 1, 1, 1, 1, 1});
    tpk::avgpool_forward(make_pool(1, 1, 3, 3, 3, 3, 1, 1, 1, 1, 1), x.data(), y.data());
    expect_eq_all(y, {4.0 / 9, 6.0 / 9, 4.0 / 9, 6.0 / 9, 1, 6.0 / 9, 4.0 / 9, 6.0 / 9, 4.0 / 9});
}

TEST(KernelsPool, AvgForwardMatchesDirectFormulaAndBackwardFiniteDifferences) {
    Rng rng(17);
    for (int cip : {0, 1}) {
        for (const tpk::Pool& p : pool_cases(cip)) {
            SCOPED_TRACE("count_include_pad " + std::to_string(cip) + " pool " +
                         std::to_string(p.h) + "x" + std::to_string(p.w) + " k" +
                         std::to_string(p.kh) + "x" + std::to_string(p.kw));
            Vec x = rng.vec(pool_in(p));
            Vec y(pool_out(p)), dx(pool_in(p), 3.0f);
            tpk::avgpool_forward(p, x.data(), y.data());
            expect_near_all(y, pool_ref(p, x, false));
            const Vec r = rng.vec(y.size());
            tpk::avgpool_backward(p, r.data(), dx.data());
            check_grad(x, dx, [&] {
                tpk::avgpool_forward(p, x.data(), y.data());
                return dot(y, r);
            });
        }
    }
}

TEST(KernelsPool, GlobalAverage) {
    const Vec x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    Vec y(3);
    tpk::global_avgpool_forward(1, 3, 4, x.data(), y.data());
    expect_eq_all(y, {2.5, 6.5, 10.5});
    Rng rng(18);
    Vec xr = rng.vec(2 * 3 * 10), yr(6), dx(60, 4.0f);
    const Vec r = rng.vec(6);
    tpk::global_avgpool_backward(2, 3, 10, r.data(), dx.data());
    check_grad(xr, dx, [&] {
        tpk::global_avgpool_forward(2, 3, 10, xr.data(), yr.data());
        return dot(yr, r);
    });
}

// ---- Resize
// ---------------------------------------------------------------------------------------

tpk::Resize make_resize(int n, int c, int h, int w, int oh, int ow, int bilinear) {
    return tpk::Resize{n, c, h, w, oh, ow, bilinear};
}

// Independent formulas: nearest src = floor(o * in / out) in integers; bilinear half-pixel
// src = (o + 0.5) * in / out - 0.5 clamped at 0, linear between floor(src) and its successor
// (clamped to the last element), in double.
std::vector<double> resize_ref(const tpk::Resize& r, const Vec& x) {
    std::vector<double> y(static_cast<size_t>(r.n * r.c * r.oh * r.ow));
    auto lin = [](int o, int in, int out, int& i0, int& i1, double& l) {
        double s = (o + 0.5) * in / out - 0.5;
        s = std::max(s, 0.0);
        i0 = std::min(static_cast<int>(std::floor(s)), in - 1);
        i1 = std::min(i0 + 1, in - 1);
        l = s - i0;
    };
    for (int nc = 0; nc < r.n * r.c; ++nc)
        for (int oy = 0; oy < r.oh; ++oy)
            for (int ox = 0; ox < r.ow; ++ox) {
                auto at = [&](int iy, int ix) {
                    return static_cast<double>(x[static_cast<size_t>((nc * r.h + iy) * r.w + ix)]);
                };
                double v;
                if (!r.bilinear) {
                    v = at(oy * r.h / r.oh, ox * r.w / r.ow);
                } else {
                    int y0, y1, x0, x1;
                    double ly, lx;
                    lin(oy, r.h, r.oh, y0, y1, ly);
                    lin(ox, r.w, r.ow, x0, x1, lx);
                    v = (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) +
                        ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1));
                }
                y[static_cast<size_t>((nc * r.oh + oy) * r.ow + ox)] = v;
            }
    return y;
}

std::vector<tpk::Resize> resize_cases(int bilinear) {
    return {make_resize(1, 2, 3, 7, 7, 4, bilinear), make_resize(2, 1, 2, 2, 4, 4, bilinear),
            make_resize(1, 1, 7, 3, 4, 7, bilinear), make_resize(1, 2, 5, 4, 5, 8, bilinear),
            make_resize(1, 1, 4, 6, 2, 3, bilinear), make_resize(1, 1, 1, 3, 2, 1, bilinear)};
}

TEST(KernelsResize, BilinearHandComputedMatchesTorch) {
    const Vec row = {1, 2};
    Vec y(4);
    tpk::resize_forward(make_resize(1, 1, 1, 2, 1, 4, 1), row.data(), y.data());
    expect_eq_all(y, {1, 1.25, 1.75, 2});
    tpk::resize_forward(make_resize(1, 1, 2, 1, 4, 1, 1), row.data(), y.data());
    expect_eq_all(y, {1, 1.25, 1.75, 2});
    const Vec sq = {1, 2, 3, 4};
    Vec y2(16);
    tpk::resize_forward(make_resize(1, 1, 2, 2, 4, 4, 1), sq.data(), y2.data());
    expect_eq_all(y2,
                  {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
    // Downsampling 4 -> 2 averages neighbour pairs (src = 0.5 and 2.5).
    const Vec r4 = {1, 3, 5, 9};
    Vec y3(2);
    tpk::resize_forward(make_resize(1, 1, 1, 4, 1, 2, 1), r4.data(), y3.data());
    expect_eq_all(y3, {2, 7});
}

TEST(KernelsResize, NearestHandComputed) {
    const Vec x = {10, 20, 30};
    Vec y(7);
    tpk::resize_forward(make_resize(1, 1, 1, 3, 1, 7, 0), x.data(), y.data());
    expect_eq_all(y, {10, 10, 10, 20, 20, 30, 30});
    const Vec x7 = {0, 1, 2, 3, 4, 5, 6};
    Vec y4(4);
    tpk::resize_forward(make_resize(1, 1, 7, 1, 4, 1, 0), x7.data(), y4.data());
    expect_eq_all(y4, {0, 1, 3, 5});
}

TEST(KernelsResize, ForwardMatchesDirectFormulaAndBackwardFiniteDifferences) {
    Rng rng(19);
    for (int bilinear : {1, 0}) {
        for (const tpk::Resize& rs : resize_cases(bilinear)) {
            SCOPED_TRACE(std::string(bilinear ? "bilinear " : "nearest ") + std::to_string(rs.h) +
                         "x" + std::to_string(rs.w) + " -> " + std::to_string(rs.oh) + "x" +
                         std::to_string(rs.ow));
            Vec x = rng.vec(static_cast<size_t>(rs.n * rs.c * rs.h * rs.w));
            Vec y(static_cast<size_t>(rs.n * rs.c * rs.oh * rs.ow)), dx(x.size(), 8.0f);
            tpk::resize_forward(rs, x.data(), y.data());
            expect_near_all(y, resize_ref(rs, x), 1e-6);
            const Vec r = rng.vec(y.size());
            tpk::resize_backward(rs, r.data(), dx.data());
            check_grad(x, dx, [&] {
                tpk::resize_forward(rs, x.data(), y.data());
                return dot(y, r);
            });
        }
    }
}

// ---- Loss
// -----------------------------------------------------------------------------------------

double ce_ref(const Vec& z, const std::vector<int32_t>& labels, int classes) {
    double loss = 0;
    int valid = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || labels[i] >= classes) continue;
        double m = -INFINITY, s = 0;
        for (int j = 0; j < classes; ++j)
            m = std::max(m, static_cast<double>(
                                z[i * static_cast<size_t>(classes) + static_cast<size_t>(j)]));
        for (int j = 0; j < classes; ++j)
            s += std::exp(z[i * static_cast<size_t>(classes) + static_cast<size_t>(j)] - m);
        loss +=
            m + std::log(s) - z[i * static_cast<size_t>(classes) + static_cast<size_t>(labels[i])];
        ++valid;
    }
    return loss / valid;
}

TEST(KernelsLoss, SoftmaxCrossEntropyHandComputedAndStable) {
    const Vec z = {0, 0};
    const int32_t label = 0;
    Vec d(2);
    EXPECT_NEAR(tpk::softmax_cross_entropy(z.data(), &label, d.data(), 1, 2), std::log(2.0), 1e-6);
    expect_eq_all(d, {-0.5, 0.5});
    const Vec big = {1000, 0, -1000, 0, 1000, 0};
    const std::vector<int32_t> labels = {0, 0};
    Vec db(6);
    const float loss = tpk::softmax_cross_entropy(big.data(), labels.data(), db.data(), 2, 3);
    EXPECT_NEAR(loss, 500.0, 1e-3);  // (0 + 1000) / 2
    expect_eq_all(db, {0, 0, 0, -0.5, 0.5, 0});
}

TEST(KernelsLoss, SoftmaxCrossEntropyMatchesFormulaAndFiniteDifferences) {
    Rng rng(20);
    const int n = 4, classes = 5;
    Vec z = rng.vec(static_cast<size_t>(n * classes), -3.0f, 3.0f), d(z.size());
    const std::vector<int32_t> labels = {2, 0, 4, 2};
    const float loss = tpk::softmax_cross_entropy(z.data(), labels.data(), d.data(), n, classes);
    EXPECT_NEAR(loss, ce_ref(z, labels, classes), 1e-5);
    Vec scratch(z.size());
    check_grad(
        z, d,
        [&] {
            return static_cast<double>(
                tpk::softmax_cross_entropy(z.data(), labels.data(), scratch.data(), n, classes));
        },
        "dlogits");
    // In place (dlogits aliasing logits) gives the same gradient.
    Vec inplace = z;
    EXPECT_FLOAT_EQ(
        tpk::softmax_cross_entropy(inplace.data(), labels.data(), inplace.data(), n, classes),
        loss);
    for (size_t i = 0; i < d.size(); ++i) EXPECT_FLOAT_EQ(inplace[i], d[i]);
}

TEST(KernelsLoss, SoftmaxCrossEntropyIgnoresOutOfRangeLabels) {
    Rng rng(21);
    const int n = 3, classes = 4;
    Vec z = rng.vec(static_cast<size_t>(n * classes)), d(z.size(), 9.0f);
    const std::vector<int32_t> labels = {1, -100, 3};
    const float loss = tpk::softmax_cross_entropy(z.data(), labels.data(), d.data(), n, classes);
    EXPECT_NEAR(loss, ce_ref(z, labels, classes), 1e-5);  // mean over the two valid rows
    for (int j = 0; j < classes; ++j) EXPECT_EQ(d[static_cast<size_t>(classes + j)], 0.0f);
    double row0 = 0;
    for (int j = 0; j < classes; ++j) row0 += d[static_cast<size_t>(j)];
    EXPECT_NEAR(row0, 0.0, 1e-6);
}

}  // namespace
