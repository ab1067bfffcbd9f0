#include "kernel_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace kernel_test {
namespace {

constexpr float kEps = 1e-2f;  // finite-difference step
constexpr double kRel = 2e-2;  // finite-difference tolerances
constexpr double kAbs = 1e-3;
constexpr int kGuard = 3;  // sentinel floats after the trained rows and momentum rows
constexpr float kSentinel = 1234.5f;

void expect_guards(const Vec& v, size_t from, const char* what) {
    for (size_t i = from; i < v.size(); ++i)
        EXPECT_EQ(v[i], kSentinel) << what << " guard " << i - from;
}

}  // namespace

Vec Rng::vec(size_t n, float lo, float hi) {
    Vec v(n);
    for (float& e : v) e = uni(lo, hi);
    return v;
}

Vec Rng::away(size_t n, float lo, float hi, std::vector<float> kinks, float margin) {
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

Vec Rng::distinct(size_t n) {
    Vec v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = 0.05f * (static_cast<float>(i) - static_cast<float>(n) / 2);
    std::shuffle(v.begin(), v.end(), gen);
    return v;
}

double dot(const Vec& y, const Vec& r) {
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += static_cast<double>(y[i]) * r[i];
    return s;
}

Loss output_dot(Vec& y, const Vec& r, std::function<void()> forward) {
    return [&y, &r, forward = std::move(forward)] {
        forward();
        return dot(y, r);
    };
}

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

void check_grad(Vec& x, const Vec& analytic, const Loss& loss, const char* what) {
    expect_grad(analytic, fd_grad(x.data(), x.size(), loss), what);
}

void expect_near_all(const Vec& got, const std::vector<double>& want, double tol) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], tol * (1.0 + std::fabs(want[i]))) << "element " << i;
    }
}

void expect_eq_all(const Vec& got, const std::vector<double>& want, double tol) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

Param::Param(Rng& rng, int rows_, int len_, int tr_, float lo, float hi)
    : rows(rows_), len(len_), tr(tr_) {
    flash = rng.vec(static_cast<size_t>(rows * len), lo, hi);
    ram.assign(flash.begin(), flash.begin() + tr * len);
    ram.resize(static_cast<size_t>(tr * len + kGuard), kSentinel);
    for (int i = 0; i < tr * len; ++i)
        flash[static_cast<size_t>(i)] = std::numeric_limits<float>::quiet_NaN();
    reset_mom();
}

void Param::reset_mom() {
    mom.assign(static_cast<size_t>(tr * len), 0.0f);
    mom.resize(static_cast<size_t>(tr * len + kGuard), kSentinel);
}

Vec Param::values() const {
    Vec v(static_cast<size_t>(rows * len));
    for (int c = 0; c < rows; ++c)
        for (int i = 0; i < len; ++i) v[static_cast<size_t>(c * len + i)] = get(c, i);
    return v;
}

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

}  // namespace kernel_test
