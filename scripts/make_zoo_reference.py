#!/usr/bin/python3
"""Writes tests/fixtures/zoo_reference.json: independent PyTorch references for the
built-in model zoo (engine/zoo), which tests/engine/zoo_test.cpp compares against.

Run with the system interpreter that has torch + torchvision (Debian python3-torch):
    /usr/bin/python3 scripts/make_zoo_reference.py [--pkl-dir DIR]

Per model it records: trainable parameter count (sum of p.numel() over parameters()),
output shape, Conv2d and Linear MACs measured with forward hooks (conv: out.numel() *
in_ch/groups * kh * kw; linear: out.numel() * in_features), attention MatMul MACs (BERT),
module counts (Conv2d, Linear, BatchNorm2d), the sorted shapes of all parameters, the size
of the BatchNorm running statistics and every conv output shape in execution order.

Models:
  mobilenetv2-w0.35  torchvision.models.mobilenet_v2(width_mult=0.35), 144x144
  resnet18           torchvision.models.resnet18(), 224x224
  bert-tiny          a BERT (L=2, H=128, A=2, I=512) written below in plain torch.nn
  mcunet             MCUNet-5FPS, 128x128, as used by "On-Device Training Under 256KB
                     Memory" (mit-han-lab/tiny-training, algorithm/assets/mcu_models/
                     mcunet-5fps.pkl); built below as torch.nn modules (ProxylessNASNets
                     layout of mit-han-lab/mcunet: conv-BN-ReLU6, identity residuals)
  proxylessnas-w0.3  ProxylessNAS-w0.3, 128x128, same source (proxyless-w0.3.pkl)

The MCUNet / Proxyless block tables below were transcribed from those .pkl files. With
--pkl-dir pointing at a folder holding mcunet-5fps.pkl and proxyless-w0.3.pkl (from
tiny-training at commit 7bf8e05bbeebda76cbf2ea2dd596dedee7e3f343) the script re-reads the
files and fails if any transcribed number differs. With --tinyml-configs pointing at
mit-han-lab/tinyml mcunet/assets/configs (commit e899b1bec08604910098ab6aab57bb30735dbb31)
it also checks MCUNet against mcunet-5fps_imagenet.json (the original MCUNet zoo config,
there at 96x96) and derives Proxyless-w0.3 from proxyless_mobile.json (ZeroLayer blocks
dropped, channels x 0.3 rounded up to a multiple of 8, feature-mix layer dropped: the
"nomix" variant tiny-training trains).
"""
import argparse
import json
import math
import os
import re
import sys

import torch
import torch.nn as nn
import torchvision

# (expand_ratio, kernel, stride, out_channels) per block, first conv 3->16 3x3 s2.
# Transcribed from tiny-training algorithm/assets/mcu_models/mcunet-5fps.pkl.
MCUNET_5FPS = dict(
    resolution=128, stem=16, classes=1000,
    blocks=[(1, 3, 1, 8), (4, 3, 2, 16), (3, 3, 1, 16), (3, 7, 2, 24), (5, 3, 1, 24),
            (5, 3, 2, 40), (4, 7, 1, 40), (4, 5, 1, 48), (3, 3, 1, 48), (4, 3, 1, 48),
            (5, 7, 2, 96), (4, 5, 1, 96), (4, 5, 1, 96), (6, 3, 1, 160)])
# Transcribed from tiny-training algorithm/assets/mcu_models/proxyless-w0.3.pkl.
PROXYLESS_W03 = dict(
    resolution=128, stem=16, classes=1000,
    blocks=[(1, 3, 1, 8), (3, 5, 2, 16), (3, 3, 1, 16), (3, 7, 2, 16), (3, 3, 1, 16),
            (3, 5, 1, 16), (3, 5, 1, 16), (6, 7, 2, 24), (3, 5, 1, 24), (3, 5, 1, 24),
            (3, 5, 1, 24), (6, 5, 1, 32), (3, 5, 1, 32), (3, 5, 1, 32), (3, 5, 1, 32),
            (6, 7, 2, 64), (6, 7, 1, 64), (3, 7, 1, 64), (3, 7, 1, 64), (6, 7, 1, 96)])


def pkl_blocks(path):
    """Reads a tiny-training quantized-model pickle into the table format above."""
    cfg = torch.load(path, map_location='cpu')
    fc = cfg['first_conv']
    blocks = []
    for b in cfg['blocks']:
        first = b['pointwise1'] or b['depthwise']
        dw = b['depthwise']
        cin, mid = first['in_channel'], dw['in_channel']
        assert mid % cin == 0, (cin, mid)
        k = dw['kernel_size'][0] if isinstance(dw['kernel_size'], (tuple, list)) else dw['kernel_size']
        blocks.append((mid // cin, k, dw['stride'], b['pointwise2']['out_channel']))
        has_res = b['residual'] is not None
        assert has_res == (dw['stride'] == 1 and cin == b['pointwise2']['out_channel']), b
    assert cfg['feature_mix'] is None
    return dict(resolution=fc['in_shape'], stem=fc['out_channel'],
                classes=cfg['classifier']['out_channel'], blocks=blocks)


def tinyml_blocks(path, width=1.0):
    """Reads a mit-han-lab ProxylessNASNets JSON config into the table format above."""
    # width-scaled channels rounded up to a multiple of 8 (what the pickle holds)
    scale = lambda c: c if width == 1.0 else math.ceil(round(c * width, 6) / 8) * 8
    with open(path) as f:
        cfg = json.load(f)
    blocks = []
    for b in cfg['blocks']:
        m = b['mobile_inverted_conv']
        if m['name'] == 'ZeroLayer':
            continue
        assert m['name'] == 'MBInvertedConvLayer' and not m.get('use_se'), m
        assert m.get('act_func', 'relu6') == 'relu6', m  # ProxylessNAS default
        blocks.append((m['expand_ratio'], m['kernel_size'], m['stride'], scale(m['out_channels'])))
    return dict(resolution=cfg['resolution'], stem=scale(cfg['first_conv']['out_channels']),
                classes=cfg['classifier']['out_features'], blocks=blocks)


class ConvBnAct(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                  nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU6(inplace=True))
        super().__init__(*layers)


class MBBlock(nn.Module):
    """mit-han-lab MBInvertedConvLayer (+ identity shortcut when shapes allow)."""

    def __init__(self, cin, expand, k, stride, cout):
        super().__init__()
        mid = round(cin * expand)
        layers = []
        if expand != 1:
            layers.append(ConvBnAct(cin, mid, 1))
        layers += [ConvBnAct(mid, mid, k, stride, groups=mid), ConvBnAct(mid, cout, 1, act=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class ProxylessNASNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.first_conv = ConvBnAct(3, cfg['stem'], 3, 2)
        blocks, cin = [], cfg['stem']
        for e, k, s, c in cfg['blocks']:
            blocks.append(MBBlock(cin, e, k, s, c))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(cin, cfg['classes'])

    def forward(self, x):
        x = self.blocks(self.first_conv(x))
        return self.classifier(x.mean(3).mean(2))


class BertSelfAttention(nn.Module):
    def __init__(self, hidden, heads, stats):
        super().__init__()
        self.heads, self.dh, self.stats = heads, hidden // heads, stats
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)

    def matmul(self, a, b):
        out = torch.matmul(a, b)
        self.stats['matmul_macs'] += out.numel() * a.shape[-1]
        return out

    def forward(self, x):
        b, s, h = x.shape
        split = lambda t: t.view(b, s, self.heads, self.dh).permute(0, 2, 1, 3)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        probs = torch.softmax(self.matmul(q, k.transpose(-1, -2)) / self.dh ** 0.5, dim=-1)
        return self.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, s, h)


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inter, stats):
        super().__init__()
        self.attention = BertSelfAttention(hidden, heads, stats)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.intermediate = nn.Linear(hidden, inter)
        self.output = nn.Linear(inter, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        x = self.attention_norm(x + self.attention_out(self.attention(x)))
        return self.output_norm(x + self.output(nn.functional.gelu(self.intermediate(x))))


class BertTiny(nn.Module):
    """google/bert_uncased_L-2_H-128_A-2 layout + pooler + 2-class classifier."""

    def __init__(self, stats, vocab=30522, hidden=128, layers=2, heads=2, inter=512,
                 max_pos=512, types=2, classes=2):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_pos, hidden)
        self.token_type = nn.Embedding(types, hidden)
        self.norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(hidden, heads, inter, stats) for _ in range(layers))
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.norm(self.word(ids) + self.position(pos) + self.token_type(torch.zeros_like(ids)))
        for layer in self.layers:
            x = layer(x)
        return self.classifier(torch.tanh(self.pooler(x[:, 0])))


def measure(model, example, stats=None):
    model.eval()
    rec = dict(conv_macs=0, linear_macs=0, conv_output_shapes=[])

    def conv_hook(m, inp, out):
        rec['conv_macs'] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        rec['conv_output_shapes'].append(list(out.shape))

    def linear_hook(m, inp, out):
        rec['linear_macs'] += out.numel() * m.in_features

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(linear_hook)
    with torch.no_grad():
        out = model(example)
    mods = list(model.modules())
    result = dict(
        params=sum(p.numel() for p in model.parameters()),
        output_shape=list(out.shape),
        conv_macs=rec['conv_macs'],
        linear_macs=rec['linear_macs'],
        matmul_macs=stats['matmul_macs'] if stats else 0,
        conv_count=sum(isinstance(m, nn.Conv2d) for m in mods),
        linear_count=sum(isinstance(m, nn.Linear) for m in mods),
        bn_count=sum(isinstance(m, nn.BatchNorm2d) for m in mods),
        layernorm_count=sum(isinstance(m, nn.LayerNorm) for m in mods),
        embedding_count=sum(isinstance(m, nn.Embedding) for m in mods),
        # name-free: every trainable tensor's shape, sorted
        param_shapes=sorted(list(p.shape) for p in model.parameters()),
        bn_buffer_elements=sum(b.numel() for n, b in model.named_buffers()
                               if n.endswith('running_mean') or n.endswith('running_var')),
        conv_output_shapes=rec['conv_output_shapes'],
    )
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--out', default=os.path.join(here, '..', 'tests', 'fixtures', 'zoo_reference.json'))
    ap.add_argument('--pkl-dir', help='folder with tiny-training mcunet-5fps.pkl and proxyless-w0.3.pkl')
    ap.add_argument('--tinyml-configs', help='folder with tinyml mcunet-5fps_imagenet.json, proxyless_mobile.json')
    args = ap.parse_args()

    if args.tinyml_configs:
        got = tinyml_blocks(os.path.join(args.tinyml_configs, 'mcunet-5fps_imagenet.json'))
        if got != dict(MCUNET_5FPS, resolution=96):
            sys.exit(f'mcunet-5fps_imagenet.json differs from the table:\n{got}')
        got = tinyml_blocks(os.path.join(args.tinyml_configs, 'proxyless_mobile.json'), width=0.3)
        if got != dict(PROXYLESS_W03, resolution=224):
            sys.exit(f'proxyless_mobile.json x 0.3 differs from the table:\n{got}')
        print('tinyml configs: MCUNet-5FPS and ProxylessNAS-Mobile x 0.3 match the tables', file=sys.stderr)

    if args.pkl_dir:
        for name, table in (('mcunet-5fps.pkl', MCUNET_5FPS), ('proxyless-w0.3.pkl', PROXYLESS_W03)):
            got = pkl_blocks(os.path.join(args.pkl_dir, name))
            if got != table:
                sys.exit(f'{name}: transcribed table differs from the pickle:\n{got}\n{table}')
            print(f'{name}: transcribed table matches the pickle', file=sys.stderr)

    torch.manual_seed(0)
    refs = {}
    refs['mobilenetv2-w0.35'] = dict(
        source='torchvision %s models.mobilenet_v2(width_mult=0.35), 1x3x144x144' % torchvision.__version__,
        **measure(torchvision.models.mobilenet_v2(width_mult=0.35), torch.zeros(1, 3, 144, 144)))
    refs['resnet18'] = dict(
        source='torchvision %s models.resnet18(), 1x3x224x224' % torchvision.__version__,
        **measure(torchvision.models.resnet18(), torch.zeros(1, 3, 224, 224)))
    stats = dict(matmul_macs=0)
    refs['bert-tiny'] = dict(
        source='plain torch.nn BERT L=2 H=128 A=2 I=512, vocab 30522, seq 128, pooler + 2 classes',
        **measure(BertTiny(stats), torch.zeros(1, 128, dtype=torch.long), stats))
    assert refs['bert-tiny']['params'] == 4386178, refs['bert-tiny']['params']
    for zoo_id, cfg, pkl in (('mcunet', MCUNET_5FPS, 'mcunet-5fps.pkl'),
                             ('proxylessnas-w0.3', PROXYLESS_W03, 'proxyless-w0.3.pkl')):
        r = cfg['resolution']
        refs[zoo_id] = dict(
            source=f'torch.nn rebuild of mit-han-lab/tiny-training algorithm/assets/mcu_models/{pkl} '
                   f'(BN unfolded, ReLU6), 1x3x{r}x{r}',
            **measure(ProxylessNASNet(cfg), torch.zeros(1, 3, r, r)))
    # Cross-check with the published MCUNet model zoo (mit-han-lab/mcunet README,
    # mcunet-in1 = MCUNet-5FPS ImageNet at 96x96: 12.8M MACs, 0.64M params).
    in1 = measure(ProxylessNASNet(dict(MCUNET_5FPS, resolution=96)), torch.zeros(1, 3, 96, 96))
    refs['mcunet']['published'] = dict(
        note='mit-han-lab/mcunet README, mcunet-in1 (5FPS, ImageNet, 96x96): 12.8M MACs, 0.64M params',
        rebuilt_at_96=dict(params=in1['params'], macs=in1['conv_macs'] + in1['linear_macs']))

    text = json.dumps(refs, indent=1)
    # one line per shape: [1, 16, 64, 64]
    text = re.sub(r'\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]',
                  lambda m: '[' + ', '.join(re.split(r',\s*', m.group(1))) + ']', text)
    with open(args.out, 'w') as f:
        f.write(text + '\n')
    for k, v in refs.items():
        print(f"{k}: params {v['params']}, out {v['output_shape']}, conv MACs {v['conv_macs']}, "
              f"linear MACs {v['linear_macs']}, matmul MACs {v['matmul_macs']}", file=sys.stderr)


if __name__ == '__main__':
    main()
