#include "engine/zoo/zoo.h"

#include "engine/zoo/zoo_models.h"

namespace tp {
namespace {

using Builder = Result<Network> (*)(bool);

struct Model {
    ZooEntry entry;
    Builder build;
};

const std::vector<Model>& models() {
    static const std::vector<Model> m = {
        {{"mcunet",
          "MCUNet-5FPS (TinyNAS MBConv, 14 blocks), 128x128 RGB, ImageNet 1000-class head; "
          "the backbone of the 256KB on-device training paper",
          "Lin et al., On-Device Training Under 256KB Memory, NeurIPS 2022; config from "
          "mit-han-lab/tiny-training algorithm/assets/mcu_models/mcunet-5fps.pkl @7bf8e05b, "
          "identical to mit-han-lab/tinyml mcunet/assets/configs/mcunet-5fps_imagenet.json "
          "@e899b1be "
          "(MCUNet, Lin et al. NeurIPS 2020, mcunet-in1: 0.64M params, 12.8M MACs at 96x96)"},
         zoo::build_mcunet_5fps},
        {{"mobilenetv2-w0.35",
          "MobileNetV2 width 0.35 (torchvision layout, 1280-channel last conv), 144x144 RGB, "
          "ImageNet 1000 classes",
          "Sandler et al., MobileNetV2, CVPR 2018; "
          "torchvision.models.mobilenet_v2(width_mult=0.35). "
          "Note: the MCUNet zoo's mbv2-w0.35-r144 has a 448-channel last conv, and the 256KB "
          "paper's "
          "copy (tiny-training mbv2-w0.35.pkl, 128x128) none"},
         zoo::build_mobilenetv2_w035},
        {{"proxylessnas-w0.3",
          "ProxylessNAS-Mobile width 0.3 (20 MBConv blocks, no feature-mix layer), 128x128 RGB, "
          "ImageNet 1000 classes",
          "Cai et al., ProxylessNAS, ICLR 2019; width-0.3 variant as trained by Lin et al. NeurIPS "
          "2022: "
          "mit-han-lab/tiny-training algorithm/assets/mcu_models/proxyless-w0.3.pkl @7bf8e05b "
          "(= mit-han-lab/tinyml proxyless_mobile.json x0.3, channels rounded up to 8, no feature "
          "mix)"},
         zoo::build_proxyless_w03},
        {{"resnet18", "ResNet-18, 224x224 RGB, ImageNet 1000 classes",
          "He et al., Deep Residual Learning, CVPR 2016; torchvision.models.resnet18"},
         zoo::build_resnet18},
        {{"bert-tiny", "BERT-tiny (L=2, H=128, A=2), sequence 128, pooler + 2-class classifier",
          "Turc et al., Well-Read Students Learn Better, 2019 (google/bert_uncased_L-2_H-128_A-2); "
          "Hugging Face BertForSequenceClassification layout"},
         zoo::build_bert_tiny},
    };
    return m;
}

}  // namespace

const std::vector<ZooEntry>& zoo_entries() {
    static const std::vector<ZooEntry> entries = [] {
        std::vector<ZooEntry> e;
        for (const auto& m : models()) e.push_back(m.entry);
        return e;
    }();
    return entries;
}

Result<Network> build_zoo_model(const std::string& id, bool with_weights) {
    for (const auto& m : models())
        if (m.entry.id == id) return m.build(with_weights);
    std::string valid;
    for (const auto& m : models()) valid += (valid.empty() ? "" : ", ") + m.entry.id;
    return Error{"unknown zoo model '" + id + "'; valid ids: " + valid};
}

}  // namespace tp
