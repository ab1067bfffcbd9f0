// Linear kernels of the firmware runtime (tp_kernels.h): forward, backward-input and the
// in-place update. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

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

// L = sum(y * r) with y = x W^T + b at the parameters' current values; b may be null.
Loss linear_loss(const tpk::Linear& l, const Vec& x, Param& w, Param* b, Vec& y, const Vec& r) {
    return output_dot(y, r, [&l, &x, &w, b, &y] {
        tpk::Rows br{};
        if (b != nullptr) br = b->rows_view();
        tpk::linear_forward(l, x.data(), w.rows_view(), b != nullptr ? &br : nullptr, y.data());
    });
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
    check_grad(x, dx, linear_loss(l, x, w, nullptr, y, r));
}

TEST(KernelsLinear, UpdateMatchesFiniteDifferences) {
    Rng rng(7);
    tpk::Linear l{3, 7, 5};
    Vec x = rng.vec(21), y(15), ws(7);
    const Vec r = rng.vec(15);
    for (int btr : {5, 0}) {
        SCOPED_TRACE("bias trained rows " + std::to_string(btr));
        Param w(rng, 5, 7, 3), b(rng, 5, 1, btr);
        check_update({&w, &b}, linear_loss(l, x, w, &b, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view(), br = b.rows_view();
            tpk::linear_update(l, x.data(), r.data(), wr, mom_or_null(&w, m), &br,
                               mom_or_null(&b, m), sgd, ws.data());
        });
    }
    {
        SCOPED_TRACE("no bias, all rows");
        Param w(rng, 5, 7, 5);
        check_update({&w}, linear_loss(l, x, w, nullptr, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows wr = w.rows_view();
            tpk::linear_update(l, x.data(), r.data(), wr, mom_or_null(&w, m), nullptr, nullptr, sgd,
                               ws.data());
        });
    }
}

}  // namespace
}  // namespace kernel_test
