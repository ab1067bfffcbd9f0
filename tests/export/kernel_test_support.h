// Shared by the firmware runtime's kernel tests (kernels_*_test.cpp, one per kernel family, all in
// export_kernels_test): forward kernels are checked against hand-computed cases and a naive
// direct-formula re-implementation, every backward kernel against central finite differences of
// L = sum(y * r), every update kernel against the finite-difference gradient of the parameters it
// trains (plus frozen rows bit-identical, sparse rows, and torch's momentum rule). This header
// holds the random inputs, the finite-difference gradient and the parameter / update harness.
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <vector>

#include "tp_kernels.h"

namespace kernel_test {

using Vec = std::vector<float>;
using Loss = std::function<double()>;

struct Rng {
    std::mt19937 gen;
    explicit Rng(unsigned seed) : gen(seed) {}
    float uni(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(gen); }
    Vec vec(size_t n, float lo = -1.0f, float hi = 1.0f);
    // Uniform in [lo, hi) but at least `margin` away from every kink.
    Vec away(size_t n, float lo, float hi, std::vector<float> kinks, float margin = 0.05f);
    // n distinct values spaced 0.05 apart (> 2 * the finite-difference step), shuffled: no
    // maxpool tie is ever close.
    Vec distinct(size_t n);
};

double dot(const Vec& y, const Vec& r);

// The loss every finite-difference check differentiates: L = sum(y * r) after forward() has
// written y (so dL/dy = r, the dy handed to the backward and update kernels).
Loss output_dot(Vec& y, const Vec& r, std::function<void()> forward);

// Central differences of loss() w.r.t. v[0..count). The loss is reduced in double so the
// unperturbed outputs cancel exactly; the kernels themselves run in float.
std::vector<double> fd_grad(float* v, size_t count, const Loss& loss);

void expect_grad(const Vec& analytic, const std::vector<double>& fd, const char* what);

// Checks the gradient `analytic` of loss() w.r.t. the buffer x.
void check_grad(Vec& x, const Vec& analytic, const Loss& loss, const char* what = "dx");

void expect_near_all(const Vec& got, const std::vector<double>& want, double tol = 2e-5);

void expect_eq_all(const Vec& got, const std::vector<double>& want, double tol = 1e-6);

// A parameter split as tp_kernels.h describes. The flash copy of the trained rows is poisoned
// with NaN so a kernel that reads it instead of RAM fails loudly; RAM and the momentum buffer
// carry sentinel guards after the trained rows.
struct Param {
    int rows, len, tr;
    Vec flash, ram, mom;
    Param(Rng& rng, int rows_, int len_, int tr_, float lo = -1.0f, float hi = 1.0f);
    void reset_mom();
    tpk::Rows rows_view() {
        return {tr > 0 ? ram.data() : nullptr, tr < rows ? flash.data() : nullptr, rows, len, tr};
    }
    float get(int c, int i) const {
        return c < tr ? ram[static_cast<size_t>(c * len + i)]
                      : flash[static_cast<size_t>(c * len + i)];
    }
    Vec values() const;
    size_t trained_count() const { return static_cast<size_t>(tr * len); }
};

using Update = std::function<void(const tpk::Sgd&, bool with_momentum)>;

// An update kernel, checked three ways:
//  - lr 1, momentum 0: each trained parameter changes by minus the finite-difference gradient
//    of loss() (whose dy is the r of L = sum(y * r)); guards and flash stay bit-identical;
//  - lr 0.1, momentum 0.9, two calls from a zero buffer: v = g then 1.9 g, p = p0 - 0.1 g - 0.19 g
//    (the gradient does not depend on the parameter for these layers);
//  - the momentum guards stay intact.
void check_update(const std::vector<Param*>& ps, const Loss& loss, const Update& update);

float* mom_or_null(Param* p, bool with_momentum);

}  // namespace kernel_test
