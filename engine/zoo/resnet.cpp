// torchvision ResNet-18 (He et al. 2016; torchvision/models/resnet.py, BasicBlock [2,2,2,2]),
// 224x224, 1000 classes. Names follow torchvision's modules (conv1, bn1, layer1.0.conv1,
// layer2.0.downsample.0, fc); the ReLU that torchvision reuses is split into relu1 / relu2
// so every op has its own name. Ops appear in torch's execution order (the downsample
// branch runs after conv2 / bn2, as in BasicBlock.forward).
#include <string>

#include "engine/zoo/network_builder.h"
#include "engine/zoo/zoo_models.h"

namespace tp::zoo {
namespace {

std::string basic_block(NetworkBuilder& b, const std::string& name, const std::string& x,
                        int64_t planes, int64_t stride) {
    b.set_block(name);
    std::string y = b.conv(name + ".conv1", x, planes, 3, stride);
    y = b.batch_norm(name + ".bn1", y);
    y = b.act(name + ".relu1", y, Act::Relu);
    y = b.conv(name + ".conv2", y, planes, 3);
    y = b.batch_norm(name + ".bn2", y);
    std::string identity = x;
    if (stride != 1 || b.channels(x) != planes) {
        identity = b.conv(name + ".downsample.0", x, planes, 1, stride);
        identity = b.batch_norm(name + ".downsample.1", identity);
    }
    y = b.add(name + ".add", y, identity);
    return b.act(name + ".relu2", y, Act::Relu);
}

}  // namespace

Result<Network> build_resnet18(bool with_weights) {
    NetworkBuilder b("resnet18", with_weights);
    std::string x = b.input("input", {1, 3, 224, 224});
    b.set_block("stem");
    x = b.conv("conv1", x, 64, 7, 2);
    x = b.batch_norm("bn1", x);
    x = b.act("relu", x, Act::Relu);
    Attributes pool;
    pool.set("kernel_shape", std::vector<int64_t>{3, 3});
    pool.set("strides", std::vector<int64_t>{2, 2});
    pool.set("pads", std::vector<int64_t>{1, 1, 1, 1});
    x = b.op(OpType::MaxPool, "maxpool", {x}, pool);
    const int64_t planes[4] = {64, 128, 256, 512};
    for (int layer = 0; layer < 4; ++layer) {
        for (int i = 0; i < 2; ++i) {
            std::string name = "layer" + std::to_string(layer + 1) + "." + std::to_string(i);
            x = basic_block(b, name, x, planes[layer], (layer > 0 && i == 0) ? 2 : 1);
        }
    }
    b.set_block("head");
    x = b.op(OpType::GlobalAveragePool, "avgpool", {x});
    Attributes flat;
    flat.set("axis", int64_t{1});
    x = b.op(OpType::Flatten, "flatten", {x}, flat);
    b.set_block("classifier");
    x = b.linear("fc", x, 1000);
    return b.finish({x});
}

}  // namespace tp::zoo
