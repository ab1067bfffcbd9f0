#!/usr/bin/python3
"""Regenerates tests/fixtures/onnx/*: torchvision models exported to ONNX (graph only,
weights stripped) plus one tiny CNN with inline weights, and expected.json with the
reference numbers torch computes for each (parameter count, output shape, Conv2d+Linear
MACs from forward hooks, module counts, tiny-CNN weights and output).

Run with the Debian interpreter (torch 1.13, torchvision 0.14, onnx 1.12):
    /usr/bin/python3 scripts/make_fixtures.py
"""
import io
import json
import os
import sys

import onnx
import torch
import torch.nn as nn
import torchvision.models as tvm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "onnx")
OPSET = 13
INPUT = (1, 3, 224, 224)
MAX_GRAPH_BYTES = 1 << 20


def torch_reference(model, x):
    """Output shape, Conv2d+Linear MACs (per forward hooks) and module counts."""
    macs = [0]

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        macs[0] += out.numel() * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inp, out):
        macs[0] += m.in_features * m.out_features * (out.numel() // m.out_features)

    hooks = []
    counts = {"conv2d": 0, "linear": 0, "batchnorm2d": 0}
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            counts["conv2d"] += 1
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            counts["linear"] += 1
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, nn.BatchNorm2d):
            counts["batchnorm2d"] += 1
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    return y, macs[0], counts


def export(model, x):
    buf = io.BytesIO()
    torch.onnx.export(model, x, buf, opset_version=OPSET,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["input"], output_names=["output"])
    return onnx.load_from_string(buf.getvalue())


def op_histogram(proto):
    hist = {}
    for n in proto.graph.node:
        hist[n.op_type] = hist.get(n.op_type, 0) + 1
    return hist


def save_graph_only(proto, name):
    path = os.path.join(OUT, name + ".onnx")
    weights = name + ".weights.bin"
    onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=weights, size_threshold=1024)
    os.remove(os.path.join(OUT, weights))  # commit the architecture only
    size = os.path.getsize(path)
    if size >= MAX_GRAPH_BYTES:
        sys.exit(f"{path}: {size} bytes, over the 1 MiB budget for a graph-only fixture")
    return path, size


def real_models():
    return {
        "resnet18": lambda: tvm.resnet18(weights=None),
        "mobilenet_v2_035": lambda: tvm.mobilenet_v2(weights=None, width_mult=0.35),
        "mobilenet_v2_100": lambda: tvm.mobilenet_v2(weights=None, width_mult=1.0),
        "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(weights=None),
        "mnasnet0_5": lambda: tvm.mnasnet0_5(weights=None),
        "shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(weights=None),
        "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
    }


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(self.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


def tiny_cnn(expected):
    torch.manual_seed(7)
    model = TinyCnn()
    with torch.no_grad():  # non-trivial running statistics, so mean/var are checkable
        model.bn.running_mean.copy_(torch.linspace(-0.5, 0.5, 8))
        model.bn.running_var.copy_(torch.linspace(0.5, 2.0, 8))
    model.eval()
    x = torch.linspace(-1.0, 1.0, 3 * 8 * 8).reshape(1, 3, 8, 8)
    y, macs, counts = torch_reference(model, x)
    proto = export(model, x)
    path = os.path.join(OUT, "tiny_cnn.onnx")
    onnx.save_model(proto, path)  # weights inline
    size = os.path.getsize(path)
    assert size < 50 * 1024, f"{path}: {size} bytes"
    assert op_histogram(proto).get("BatchNormalization", 0) == 1, "BatchNorm was folded"
    sd = model.state_dict()
    inits = {i.name for i in proto.graph.initializer}
    refs = {}
    for key, idx in [("conv.weight", [0, 0, 0, 0]), ("conv.weight", [7, 2, 2, 1]),
                     ("conv.bias", [3]), ("bn.weight", [5]), ("bn.bias", [2]),
                     ("bn.running_mean", [6]), ("bn.running_var", [1]),
                     ("fc.weight", [9, 127]), ("fc.weight", [4, 17]), ("fc.bias", [0])]:
        assert key in inits, f"initializer {key} missing from the export: {sorted(inits)}"
        t = sd[key]
        flat = 0
        for d, i in enumerate(idx):
            flat = flat * t.shape[d] + i
        refs.setdefault(key, []).append({"index": flat, "value": float(t.flatten()[flat])})
    expected["tiny_cnn"] = {
        "file": "tiny_cnn.onnx",
        "file_bytes": size,
        "input_shape": list(x.shape),
        "input": "linspace(-1, 1, numel) reshaped to input_shape",
        "params": sum(p.numel() for p in model.parameters()),
        "output_shape": list(y.shape),
        "output": [float(v) for v in y.flatten()],
        "macs": macs,
        **counts,
        "onnx_ops": op_histogram(proto),
        "weights": refs,
    }
    print(f"tiny_cnn: {size} bytes, params {expected['tiny_cnn']['params']}")


class TinyTransformerBlock(nn.Module):
    """Exercises the opset-13 LayerNorm and GELU decompositions and MatMul+Add linears."""

    def __init__(self, dim=16, hidden=32):
        super().__init__()
        self.ln = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        h = self.ln(x)
        attn = torch.softmax(h @ h.transpose(1, 2) / 4.0, dim=-1)
        h = attn @ h
        return x + self.fc2(self.act(self.fc1(h)))


def tiny_transformer(expected):
    torch.manual_seed(11)
    model = TinyTransformerBlock().eval()
    x = torch.linspace(-1.0, 1.0, 5 * 16).reshape(1, 5, 16)
    y, macs, counts = torch_reference(model, x)
    proto = export(model, x)
    path = os.path.join(OUT, "tiny_transformer.onnx")
    onnx.save_model(proto, path)
    size = os.path.getsize(path)
    assert size < 50 * 1024, f"{path}: {size} bytes"
    expected["tiny_transformer"] = {
        "file": "tiny_transformer.onnx",
        "file_bytes": size,
        "input_shape": list(x.shape),
        "params": sum(p.numel() for p in model.parameters()),
        "output_shape": list(y.shape),
        "output": [float(v) for v in y.flatten()],
        "macs": macs,
        "layernorm": 1,
        "gelu": 1,
        **counts,
        "onnx_ops": op_histogram(proto),
    }
    print(f"tiny_transformer: {size} bytes, params {expected['tiny_transformer']['params']}")


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"opset": OPSET, "torch": torch.__version__, "onnx": onnx.__version__, "models": {}}
    for name, make in real_models().items():
        torch.manual_seed(0)
        model = make().eval()
        x = torch.randn(*INPUT)
        y, macs, counts = torch_reference(model, x)
        proto = export(model, x)
        hist = op_histogram(proto)
        if hist.get("BatchNormalization", 0) != counts["batchnorm2d"]:
            sys.exit(f"{name}: {counts['batchnorm2d']} BatchNorm2d modules but "
                     f"{hist.get('BatchNormalization', 0)} BatchNormalization nodes (folded?)")
        path, size = save_graph_only(proto, name)
        expected["models"][name] = {
            "file": os.path.basename(path),
            "file_bytes": size,
            "input_shape": list(INPUT),
            "params": sum(p.numel() for p in model.parameters()),
            "output_shape": list(y.shape),
            "macs": macs,
            **counts,
            "onnx_ops": hist,
        }
        print(f"{name}: {size} bytes, params {expected['models'][name]['params']}, "
              f"macs {macs}, ops {hist}")
    tiny_cnn(expected)
    tiny_transformer(expected)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
