// BatchNorm (frozen statistics) and GroupNorm kernels of the firmware runtime (tp_kernels.h):
// forward, backward-input and the update of scale and shift. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

struct BnSetup {
    tpk::BatchNorm p{2, 5, 6, 0.1f};  // a large eps so its use is visible
    Vec x, mean, var;
    explicit BnSetup(Rng& rng) {
        x = rng.vec(static_cast<size_t>(p.n * p.c * p.hw), -2.0f, 2.0f);
        mean = rng.vec(static_cast<size_t>(p.c), -0.5f, 0.5f);
        var = rng.vec(static_cast<size_t>(p.c), 0.2f, 2.0f);
    }
    size_t size() const { return x.size(); }
    // L = sum(y * r) with y = batchnorm(x) at the current scale and shift.
    Loss loss(Param& sc, Param& bi, Vec& y, const Vec& r) {
        return output_dot(y, r, [this, &sc, &bi, &y] {
            tpk::batchnorm_forward(p, x.data(), sc.rows_view(), bi.rows_view(), mean.data(),
                                   var.data(), y.data());
        });
    }
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
    check_grad(s.x, dx, s.loss(sc, bi, y, r));
}

TEST(KernelsBatchNorm, UpdateMatchesFiniteDifferences) {
    Rng rng(10);
    BnSetup s(rng);
    const Vec r = rng.vec(s.size());
    Vec y(s.size());
    for (int str : {2, 0}) {
        SCOPED_TRACE("scale trained rows " + std::to_string(str));
        Param sc(rng, s.p.c, 1, str), bi(rng, s.p.c, 1, str == 0 ? s.p.c : 3);
        check_update({&sc, &bi}, s.loss(sc, bi, y, r), [&](const tpk::Sgd& sgd, bool m) {
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
    // L = sum(y * r) with y = groupnorm(x) under `gp` (p or a regrouped copy) at the current
    // scale and shift.
    Loss loss(const tpk::GroupNorm& gp, Param& sc, Param& bi, Vec& y, const Vec& r) {
        return output_dot(y, r, [this, &gp, &sc, &bi, &y] {
            tpk::groupnorm_forward(gp, x.data(), sc.rows_view(), bi.rows_view(), y.data());
        });
    }
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
    check_grad(s.x, dx, s.loss(s.p, sc, bi, y, r));
    // One group per channel (InstanceNorm-like) and a single group (LayerNorm-like).
    for (int groups : {6, 1}) {
        SCOPED_TRACE("groups " + std::to_string(groups));
        tpk::GroupNorm p = s.p;
        p.groups = groups;
        Vec ws2(static_cast<size_t>(2 * p.n * p.groups));
        tpk::groupnorm_backward_input(p, s.x.data(), r.data(), sc.rows_view(), dx.data(),
                                      ws2.data());
        check_grad(s.x, dx, s.loss(p, sc, bi, y, r));
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
        check_update({&sc, &bi}, s.loss(s.p, sc, bi, y, r), [&](const tpk::Sgd& sgd, bool m) {
            tpk::Rows scr = sc.rows_view(), bir = bi.rows_view();
            tpk::groupnorm_update(s.p, s.x.data(), r.data(), scr, mom_or_null(&sc, m), bir,
                                  mom_or_null(&bi, m), sgd, ws.data());
        });
    }
}

}  // namespace
}  // namespace kernel_test
