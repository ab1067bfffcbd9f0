// Element-wise kernels of the firmware runtime (tp_kernels.h): ReLU, Clip, HardSwish,
// HardSigmoid, the 1-bit gradient masks, add and copy. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

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
    check_grad(xs, g, output_dot(y, r, [&] { tpk::hardswish_forward(xs.data(), y.data(), n); }));
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
        check_grad(x, dx, output_dot(y, r, forward));
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

}  // namespace
}  // namespace kernel_test
