// TrainPlan firmware runtime: fp32 reference kernels for training on a microcontroller.
// Portable C++17: no heap, no exceptions, no RTTI, no static state. Every buffer is passed in;
// the generated trainplan_model.cpp places them in its static arena (or flash for frozen
// parameters). Activations are NCHW float32 with the batch first.
//
// Parameters are stored as output-channel rows (a conv weight [Cout, Cin/g, kh, kw] has Cout rows
// of Cin/g*kh*kw; a bias or a norm scale has rows of 1). The rows a plan trains are the first
// `trained_rows` (the sparse update trains the first r*Cout channels); they live in RAM, the
// rest stay in flash. Updates touch trained rows only.
//
// Backward kernels overwrite their output (dx = ...), never accumulate into it; the generated
// code sums gradients of a tensor read twice with tpk_add.
//
// Implemented in tp_kernels_conv.cpp (Conv2d, Linear), tp_kernels_norm.cpp (BatchNorm,
// GroupNorm), tp_kernels_eltwise.cpp, tp_kernels_pool.cpp, tp_kernels_resize.cpp,
// tp_kernels_loss.cpp and tp_kernels_sgd.cpp (the SGD step of every update kernel), with their
// shared helpers in tp_kernels_internal.h.
#pragma once

#include <stdint.h>

namespace tpk {

// A parameter tensor split into trained rows (RAM) and frozen rows (flash).
// Row c < trained_rows is at trained + c*row_len; row c >= trained_rows at frozen + c*row_len
// (`frozen` is the whole flash array, including the initial values of the trained rows).
struct Rows {
    float* trained;        // null when trained_rows == 0
    const float* frozen;   // null when trained_rows == rows
    int32_t rows;
    int32_t row_len;
    int32_t trained_rows;
};

inline const float* row(const Rows& r, int32_t c) {
    return c < r.trained_rows ? r.trained + c * r.row_len : r.frozen + c * r.row_len;
}

// SGD with optional momentum (torch.optim.SGD, dampening 0, no Nesterov, no weight decay):
//   momentum == 0: p -= lr * g
//   else:          v = momentum * v + g; p -= lr * v   (v starts at zero: torch's first step
//                  sets v = g, the same value)
struct Sgd {
    float lr;
    float momentum;
};

// ---- Conv2d (grouped, depthwise, pointwise), ONNX/torch semantics -----------------------------
// Output size is given; pads are the leading (top, left) pads, the trailing ones follow from it.
struct Conv {
    int32_t n, cin, h, w;      // input
    int32_t cout, oh, ow;      // output
    int32_t kh, kw, sh, sw, ph, pw, dh, dw;
    int32_t groups;
};
// y = conv(x, w) + b; b may be null.
void conv_forward(const Conv& c, const float* x, const Rows& w, const Rows* b, float* y);
// dx = conv_transpose(dy, w).
void conv_backward_input(const Conv& c, const float* dy, const Rows& w, float* dx);
// In-place update (Lin et al. 2022): for each trained output channel the weight-gradient row
// (Cin/g*kh*kw floats) is computed into row_ws and applied at once, so no gradient buffer
// outlives its channel. x may be null when w.trained_rows == 0. b may be null or have
// trained_rows 0 (frozen bias) or rows (trained bias, gradient = sum of dy over n, h, w).
// w_mom / b_mom: momentum buffers of the trained rows (null when sgd.momentum == 0).
void conv_update(const Conv& c, const float* x, const float* dy, Rows& w, float* w_mom, Rows* b,
                 float* b_mom, const Sgd& sgd, float* row_ws);

// ---- Linear (ONNX Gemm with transB = 1, torch nn.Linear): y[n, out] = x[n, in] W^T + b ----
struct Linear {
    int32_t n, in, out;
};
void linear_forward(const Linear& l, const float* x, const Rows& w, const Rows* b, float* y);
void linear_backward_input(const Linear& l, const float* dy, const Rows& w, float* dx);
void linear_update(const Linear& l, const float* x, const float* dy, Rows& w, float* w_mom, Rows* b,
                   float* b_mom, const Sgd& sgd, float* row_ws);

// ---- BatchNorm with frozen statistics (eval-mode affine): y = (x - mean)/sqrt(var+eps)*s + b ----
struct BatchNorm {
    int32_t n, c, hw;
    float eps;
};
void batchnorm_forward(const BatchNorm& p, const float* x, const Rows& scale, const Rows& bias,
                       const float* mean, const float* var, float* y);
void batchnorm_backward_input(const BatchNorm& p, const float* dy, const Rows& scale,
                              const float* var, float* dx);
// scale gradient = sum dy * xhat (needs x; x may be null when scale.trained_rows == 0),
// bias gradient = sum dy.
void batchnorm_update(const BatchNorm& p, const float* x, const float* dy, Rows& scale,
                      float* scale_mom, Rows& bias, float* bias_mom, const float* mean,
                      const float* var, const Sgd& sgd);

// ---- GroupNorm (per sample, `groups` groups of c/groups channels, biased variance) ----------
struct GroupNorm {
    int32_t n, c, hw, groups;
    float eps;
};
void groupnorm_forward(const GroupNorm& p, const float* x, const Rows& scale, const Rows& bias,
                       float* y);
// ws: 2 * n * groups floats (mean and 1/std per group).
void groupnorm_backward_input(const GroupNorm& p, const float* x, const float* dy,
                              const Rows& scale, float* dx, float* ws);
void groupnorm_update(const GroupNorm& p, const float* x, const float* dy, Rows& scale,
                      float* scale_mom, Rows& bias, float* bias_mom, const Sgd& sgd, float* ws);

// ---- Element-wise -------------------------------------------------------------------------------
void relu_forward(const float* x, float* y, int32_t count);
void clip_forward(const float* x, float* y, int32_t count, float lo, float hi);  // ReLU6: 0, 6
void hardswish_forward(const float* x, float* y, int32_t count);   // x * relu6(x + 3) / 6
void hardswish_backward(const float* x, const float* dy, float* dx, int32_t count);
void hardsigmoid_forward(const float* x, float* y, int32_t count, float alpha, float beta);
// A 1-bit mask of where the gradient passes: bit i (LSB first in byte i/8) is set when
// lo < y[i] < hi. ReLU: (0, +inf); Clip: (min, max); HardSigmoid: (0, 1).
void mask_make(const float* y, uint8_t* mask, int32_t count, float lo, float hi);
// dx = mask ? dy * scale : 0  (scale 1, or alpha for HardSigmoid).
void mask_backward(const float* dy, const uint8_t* mask, float* dx, int32_t count, float scale);
void add(const float* a, const float* b, float* y, int32_t count);  // y may alias a or b
void copy(const void* src, void* dst, int32_t bytes);               // memmove semantics

// ---- Pools --------------------------------------------------------------------------------------
struct Pool {
    int32_t n, c, h, w, oh, ow;
    int32_t kh, kw, sh, sw, ph, pw;
    int32_t count_include_pad;  // average pool only (ONNX default 0)
};
void maxpool_forward(const Pool& p, const float* x, float* y);
// Argmax within each window as ky*kw + kx (kh*kw <= 255; the first maximum wins).
void maxpool_indices(const Pool& p, const float* x, uint8_t* idx);
void maxpool_backward(const Pool& p, const float* dy, const uint8_t* idx, float* dx);
void avgpool_forward(const Pool& p, const float* x, float* y);
void avgpool_backward(const Pool& p, const float* dy, float* dx);
void global_avgpool_forward(int32_t n, int32_t c, int32_t hw, const float* x, float* y);
void global_avgpool_backward(int32_t n, int32_t c, int32_t hw, const float* dy, float* dx);

// ---- Resize (Upsample): bilinear with half-pixel centres (torch align_corners=False) or nearest
struct Resize {
    int32_t n, c, h, w, oh, ow;
    int32_t bilinear;  // 0: nearest (floor(o * in / out), torch 'nearest')
};
void resize_forward(const Resize& r, const float* x, float* y);
void resize_backward(const Resize& r, const float* dy, float* dx);

// ---- Loss ---------------------------------------------------------------------------------------
// Mean softmax cross-entropy over the batch (torch CrossEntropyLoss); writes its gradient
// dlogits = (softmax - onehot) / n and returns the loss.
float softmax_cross_entropy(const float* logits, const int32_t* labels, float* dlogits,
                            int32_t n, int32_t classes);

}  // namespace tpk
