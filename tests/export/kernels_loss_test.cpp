// The loss kernel of the firmware runtime (tp_kernels.h): softmax cross-entropy, its dlogits,
// ignored labels and the in-place form. Harness: kernel_test_support.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernel_test_support.h"
#include "tp_kernels.h"

namespace kernel_test {
namespace {

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
}  // namespace kernel_test
