// The MBConv family: MobileNetV2 (torchvision), MCUNet-5FPS and ProxylessNAS-w0.3
// (mit-han-lab ProxylessNASNets layout). Conv-BN-ReLU6 everywhere, identity residuals.
//
// Naming follows mit-han-lab's ProxylessNASNets modules for all three:
//   first_conv.{conv,bn,act}                       block "stem"
//   blocks.<i>.inverted_bottleneck.{conv,bn,act}   block "blocks.<i>"
//   blocks.<i>.depth_conv.{conv,bn,act}
//   blocks.<i>.point_linear.{conv,bn}, blocks.<i>.add
//   feature_mix_layer.{conv,bn,act} (MobileNetV2 only), global_avg_pool, flatten   "head"
//   classifier (Gemm)                              block "classifier"
// Dropout before the classifier is left out (identity at inference, as in ONNX exports).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/zoo/network_builder.h"
#include "engine/zoo/zoo_models.h"

namespace tp::zoo {
namespace {

struct MBBlock {
    int64_t expand;  // mid channels = round(Cin * expand)
    int64_t kernel;
    int64_t stride;
    int64_t out;
};

struct MBNetConfig {
    const char* name;
    int64_t resolution;
    int64_t stem;  // first conv output channels (3x3, stride 2)
    int64_t head;  // feature-mix 1x1 conv channels, 0: none
    int64_t classes;
    std::vector<MBBlock> blocks;
};

Result<Network> build_mbnet(const MBNetConfig& cfg, bool with_weights) {
    NetworkBuilder b(cfg.name, with_weights);
    std::string x = b.input("input", {1, 3, cfg.resolution, cfg.resolution});
    b.set_block("stem");
    x = b.conv_bn_act("first_conv", x, cfg.stem, 3, 2);
    for (size_t i = 0; i < cfg.blocks.size(); ++i) {
        const MBBlock& blk = cfg.blocks[i];
        std::string name = "blocks." + std::to_string(i);
        b.set_block(name);
        x = b.inverted_residual(name, x, b.channels(x) * blk.expand, blk.kernel, blk.stride,
                                blk.out);
    }
    b.set_block("head");
    if (cfg.head > 0) x = b.conv_bn_act("feature_mix_layer", x, cfg.head, 1);
    x = b.op(OpType::GlobalAveragePool, "global_avg_pool", {x});
    Attributes flat;
    flat.set("axis", int64_t{1});
    x = b.op(OpType::Flatten, "flatten", {x}, flat);
    b.set_block("classifier");
    x = b.linear("classifier", x, cfg.classes);
    return b.finish({x});
}

// torchvision.models.mobilenetv2._make_divisible
int64_t make_divisible(double v, int64_t divisor) {
    int64_t n =
        std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (static_cast<double>(n) < 0.9 * v) n += divisor;
    return n;
}

}  // namespace

// torchvision MobileNetV2(width_mult=0.35, round_nearest=8): inverted residual setting
// (t, c, n, s) from Sandler et al. 2018 / torchvision/models/mobilenetv2.py; stem
// _make_divisible(32 * 0.35) = 16, last channel _make_divisible(1280 * max(1, 0.35)) = 1280.
// Block channels equal the MCUNet zoo's mbv2-w0.35-r144_imagenet.json, but that config's
// feature-mix conv has 448 channels and tiny-training's mbv2-w0.35.pkl (128x128) has none.
Result<Network> build_mobilenetv2_w035(bool with_weights) {
    const double width = 0.35;
    const int64_t setting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    MBNetConfig cfg{"mobilenetv2-w0.35",
                    144,
                    make_divisible(32 * width, 8),
                    make_divisible(1280 * std::max(1.0, width), 8),
                    1000,
                    {}};
    for (const auto& s : setting) {
        int64_t out = make_divisible(static_cast<double>(s[1]) * width, 8);
        for (int64_t i = 0; i < s[2]; ++i) cfg.blocks.push_back({s[0], 3, i == 0 ? s[3] : 1, out});
    }
    return build_mbnet(cfg, with_weights);
}

// MCUNet-5FPS as trained by "On-Device Training Under 256KB Memory" (Lin et al. 2022):
// mit-han-lab/tiny-training algorithm/assets/mcu_models/mcunet-5fps.pkl (commit 7bf8e05b),
// 128x128 input (algorithm/configs/default.yaml image_size; partial_backward.py samples
// 1x3x128x128). The block table equals the MCUNet zoo's mcunet-5fps_imagenet.json
// (mit-han-lab/tinyml mcunet/assets/configs @e899b1be, "mcunet-in1", there at 96x96:
// 0.64M params, 12.8M MACs): no feature-mix layer, classifier 160 -> 1000.
Result<Network> build_mcunet_5fps(bool with_weights) {
    MBNetConfig cfg{"mcunet",
                    128,
                    16,
                    0,
                    1000,
                    {{1, 3, 1, 8},
                     {4, 3, 2, 16},
                     {3, 3, 1, 16},
                     {3, 7, 2, 24},
                     {5, 3, 1, 24},
                     {5, 3, 2, 40},
                     {4, 7, 1, 40},
                     {4, 5, 1, 48},
                     {3, 3, 1, 48},
                     {4, 3, 1, 48},
                     {5, 7, 2, 96},
                     {4, 5, 1, 96},
                     {4, 5, 1, 96},
                     {6, 3, 1, 160}}};
    return build_mbnet(cfg, with_weights);
}

// ProxylessNAS-Mobile at width 0.3 as trained by "On-Device Training Under 256KB Memory":
// mit-han-lab/tiny-training algorithm/assets/mcu_models/proxyless-w0.3.pkl (commit 7bf8e05b),
// 128x128 input. Equals proxyless_mobile.json (mit-han-lab/tinyml @e899b1be) with its two
// ZeroLayer blocks dropped, channels x 0.3 rounded up to a multiple of 8 and the feature-mix
// layer dropped (tiny-training's "proxyless-w0.3-nomix"); classifier 96 -> 1000.
Result<Network> build_proxyless_w03(bool with_weights) {
    MBNetConfig cfg{"proxylessnas-w0.3",
                    128,
                    16,
                    0,
                    1000,
                    {{1, 3, 1, 8},  {3, 5, 2, 16}, {3, 3, 1, 16}, {3, 7, 2, 16}, {3, 3, 1, 16},
                     {3, 5, 1, 16}, {3, 5, 1, 16}, {6, 7, 2, 24}, {3, 5, 1, 24}, {3, 5, 1, 24},
                     {3, 5, 1, 24}, {6, 5, 1, 32}, {3, 5, 1, 32}, {3, 5, 1, 32}, {3, 5, 1, 32},
                     {6, 7, 2, 64}, {6, 7, 1, 64}, {3, 7, 1, 64}, {3, 7, 1, 64}, {6, 7, 1, 96}}};
    return build_mbnet(cfg, with_weights);
}

}  // namespace tp::zoo
