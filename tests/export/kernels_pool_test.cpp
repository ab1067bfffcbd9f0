// Pool kernels of the firmware runtime (tp_kernels.h): max, average and global average, forward
// and backward. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

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
        check_grad(x, dx, output_dot(y, r, [&] { tpk::maxpool_forward(p, x.data(), y.data()); }));
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
            check_grad(x, dx,
                       output_dot(y, r, [&] { tpk::avgpool_forward(p, x.data(), y.data()); }));
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
    check_grad(xr, dx, output_dot(yr, r, [&] {
                   tpk::global_avgpool_forward(2, 3, 10, xr.data(), yr.data());
               }));
}

}  // namespace
}  // namespace kernel_test
