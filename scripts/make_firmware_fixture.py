#!/usr/bin/python3
"""Writes resources/examples/mbconv-cifar.onnx: a small MobileNetV2/MCUNet-style CNN *with
weights* (initializers inline) for firmware demos and tests under QEMU, and an example users
can open in TrainPlan Studio.

Run from anywhere with the Debian interpreter (python3-torch 1.13, python3-onnx 1.12):
    /usr/bin/python3 scripts/make_firmware_fixture.py [--out PATH]

The output is deterministic for a given torch build (torch.manual_seed(0)).

Network (input 1x3x32x32, 10 classes, ~27k parameters, ~107 KB of fp32 weights):
    stem     Conv3x3 s2 3->16 + BN + ReLU6                         16x16x16
             MaxPool 2x2                                           16x8x8
    block 1  MBConv t4  16->64->16, dw s1, residual add            16x8x8
    block 2  MBConv t4  16->64->24, dw s2                          24x4x4
    block 3  MBConv t6  24->144->24, dw s1, residual add           24x4x4
    block 4  MBConv t6  24->144->40, dw s1                         40x4x4
    head     AdaptiveAvgPool2d(1), torch.flatten(x, 1), Linear 40->10
Each MBConv block: expand 1x1 conv + BN + ReLU6, depthwise 3x3 conv + BN + ReLU6,
project 1x1 conv + BN (no activation), residual add when stride 1 and channels match.
Convolutions have no bias (BN follows); ReLU6 exports as Clip(0, 6).

So that BatchNorm is not an identity, gamma/beta are randomised and the running statistics
come from a few train-mode forward passes on random data before the model is put in eval
mode. The export keeps BatchNormalization as its own op (TrainingMode.PRESERVE, no constant
folding), so the ONNX graph only uses Conv, BatchNormalization, Clip, MaxPool, Add,
GlobalAveragePool, Flatten and Gemm, plus the scalar Constant nodes of Clip's min/max inputs
(opset 13), which the importer folds; the script checks that, checks the model with
onnx.checker, and prints the op counts, parameter count and file size.
"""
import argparse
import collections
import os
import sys

import onnx
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "resources", "examples", "mbconv-cifar.onnx")
OPSET = 13
INPUT = (1, 3, 32, 32)
CLASSES = 10
ALLOWED_OPS = {"Conv", "BatchNormalization", "Clip", "MaxPool", "Add",
               "GlobalAveragePool", "Flatten", "Gemm"}
MAX_FILE_BYTES = 200 * 1024


class MBConv(nn.Module):
    """Inverted residual block (MobileNetV2): expand 1x1, depthwise 3x3, project 1x1."""

    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        mid = cin * expand
        self.use_residual = stride == 1 and cin == cout
        self.expand = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6())
        self.depthwise = nn.Sequential(
            nn.Conv2d(mid, mid, 3, stride=stride, padding=1, groups=mid, bias=False),
            nn.BatchNorm2d(mid), nn.ReLU6())
        self.project = nn.Sequential(
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.use_residual else y


class MBConvCifar(nn.Module):
    def __init__(self, classes=CLASSES):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16),
            nn.ReLU6())
        self.pool = nn.MaxPool2d(2)
        self.blocks = nn.Sequential(
            MBConv(16, 16, 4, 1),
            MBConv(16, 24, 4, 2),
            MBConv(24, 24, 6, 1),
            MBConv(24, 40, 6, 1))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(40, classes)

    def forward(self, x):
        x = self.blocks(self.pool(self.stem(x)))
        x = torch.flatten(self.gap(x), 1)
        return self.classifier(x)


def build_model():
    torch.manual_seed(0)
    model = MBConvCifar()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
    # Non-trivial running statistics: a few train-mode passes on random data.
    model.train()
    with torch.no_grad():
        for _ in range(16):
            model(torch.randn(32, *INPUT[1:]))
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output .onnx path")
    args = ap.parse_args()

    model = build_model()
    x = torch.randn(*INPUT)
    with torch.no_grad():
        y = model(x)
    assert tuple(y.shape) == (1, CLASSES), y.shape
    params = sum(p.numel() for p in model.parameters())

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.onnx.export(model.eval(), x, args.out, opset_version=OPSET,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False,
                      input_names=["input"], output_names=["output"])

    m = onnx.load(args.out)
    onnx.checker.check_model(m)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    # Opset 13 Clip takes min/max as inputs: torch emits scalar Constant nodes for them,
    # which the importer folds. Any other Constant (or op) is unexpected.
    clip_bounds = {i for n in m.graph.node if n.op_type == "Clip" for i in n.input[1:]}
    stray = [n.name for n in m.graph.node
             if n.op_type == "Constant" and not set(n.output) <= clip_bounds]
    if stray:
        sys.exit(f"Constant nodes not feeding Clip bounds: {stray}")
    bad = set(ops) - ALLOWED_OPS - {"Constant"}
    if bad:
        sys.exit(f"unexpected ONNX ops in export: {sorted(bad)}")
    init_values = sum(int(torch.tensor(list(t.dims)).prod()) if t.dims else 1
                      for t in m.graph.initializer)
    size = os.path.getsize(args.out)
    if size > MAX_FILE_BYTES:
        sys.exit(f"{args.out}: {size} bytes, over {MAX_FILE_BYTES}")

    print(f"wrote {os.path.relpath(args.out, ROOT)}: {size} bytes")
    print(f"trainable parameters: {params}")
    print(f"initializer values (incl. BN running stats): {init_values} "
          f"in {len(m.graph.initializer)} initializers")
    print("ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    print("output for a seeded random input: " +
          " ".join(f"{v:.4f}" for v in y[0].tolist()))


if __name__ == "__main__":
    main()
