// Resize kernels of the firmware runtime (tp_kernels.h): bilinear (half-pixel) and nearest,
// forward and backward. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

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
            check_grad(x, dx,
                       output_dot(y, r, [&] { tpk::resize_forward(rs, x.data(), y.data()); }));
        }
    }
}

}  // namespace
}  // namespace kernel_test
