#!/usr/bin/env python3
"""PyTorch eager's training step of MobileViT v1, the baseline that `mobilevit bench train` (on the
CPU) and gpu-check.sh (on a GPU) print their ratio against.

The model is a plain PyTorch MobileViT written here after CVNets v0.1 (same layers, same state-dict
names, so `--check-logits` can load the fixture weights and compare with the fixture logits): no
timm or transformers needed, only torch and numpy (Debian: python3-torch python3-numpy; give it a
real BLAS: libopenblas0-pthread). One step is what the Java side times: forward in train mode,
label-smoothed cross-entropy, backward, torch.optim.AdamW (library defaults), and CVNets' EMA
update of every state entry. Library defaults throughout (NCHW, fp32, no torch.compile). The last
line is name=value pairs; without torch it prints a `skip:` line and torch_train_img_s=NA.
With --infer it times the eval-mode forward of given weights instead, for `mobilevit bench infer`.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

# torch parallelises its ops on its own OpenMP threads (--threads). Debian's libopenblas0-pthread
# would start as many threads again inside each BLAS call, which then contend with torch's for the
# same cores: at batch 2, 64x64 on 2 cores, 2 threads gave 93 ms a step against 39 ms with
# OpenBLAS on one thread (no change at batch 16, 256x256, where oneDNN does the convolutions).
# PyTorch's own wheels use MKL on torch's OpenMP threads, which this mirrors. Set before torch loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as missing:
    print(f"skip: {missing.name} is not importable in this python3")
    print(f"torch_train_img_s=NA reason=no_{missing.name}")
    sys.exit(0)

# (stage channels 1..5, transformer widths of stages 3..5, their ffn widths, expansion, final 1x1)
VARIANTS = {
    "xxs": ([16, 24, 48, 64, 80], [64, 80, 96], [128, 160, 192], 2, 320),
    "xs": ([32, 48, 64, 80, 96], [96, 120, 144], [192, 240, 288], 4, 384),
    "s": ([32, 64, 96, 128, 160], [144, 192, 240], [288, 384, 480], 4, 640),
}
DEPTHS = [2, 4, 3]
HEADS = 4
PATCH = 2


class ConvLayer(nn.Module):
    """conv (no bias) + BatchNorm + swish, named `block.conv` / `block.norm` as CVNets."""

    def __init__(self, cin, cout, k, stride=1, groups=1, norm=True, act=True):
        super().__init__()
        self.block = nn.Sequential()
        self.block.add_module("conv", nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False))
        if norm:
            self.block.add_module("norm", nn.BatchNorm2d(cout))
        if act:
            self.block.add_module("act", nn.SiLU())

    def forward(self, x):
        return self.block(x)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        self.block = nn.Sequential()
        self.block.add_module("exp_1x1", ConvLayer(cin, hidden, 1))
        self.block.add_module("conv_3x3", ConvLayer(hidden, hidden, 3, stride, groups=hidden))
        self.block.add_module("red_1x1", ConvLayer(hidden, cout, 1, act=False))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MultiHeadAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.qkv_proj = nn.Linear(d, 3 * d)
        self.out_proj = nn.Linear(d, d)
        self.scale = (d // HEADS) ** -0.5

    def forward(self, x):  # [B*P, N, d]
        b, n, d = x.shape
        qkv = self.qkv_proj(x).reshape(b, n, 3, HEADS, d // HEADS).permute(2, 0, 3, 1, 4)  # [3, B*P, h, N, hd]
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-1, -2)).softmax(dim=-1)
        return self.out_proj((attn @ v).transpose(1, 2).reshape(b, n, d))


class TransformerEncoder(nn.Module):
    def __init__(self, d, ffn, dropout):
        super().__init__()
        self.pre_norm_mha = nn.Sequential(nn.LayerNorm(d), MultiHeadAttention(d), nn.Dropout(dropout))
        self.pre_norm_ffn = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, ffn), nn.SiLU(), nn.Dropout(0.0),
                                          nn.Linear(ffn, d), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.pre_norm_mha(x)
        return x + self.pre_norm_ffn(x)


class MobileViTBlock(nn.Module):
    def __init__(self, c, d, ffn, depth, dropout):
        super().__init__()
        self.local_rep = nn.Sequential()
        self.local_rep.add_module("conv_3x3", ConvLayer(c, c, 3))
        self.local_rep.add_module("conv_1x1", ConvLayer(c, d, 1, norm=False, act=False))
        self.global_rep = nn.Sequential(*[TransformerEncoder(d, ffn, dropout) for _ in range(depth)], nn.LayerNorm(d))
        self.conv_proj = ConvLayer(d, c, 1)
        self.fusion = ConvLayer(2 * c, c, 3)

    def forward(self, x):
        y = self.local_rep(x)  # [B, d, H, W]
        b, d, h, w = y.shape
        h2, w2 = math.ceil(h / PATCH) * PATCH, math.ceil(w / PATCH) * PATCH
        if (h2, w2) != (h, w):
            y = F.interpolate(y, size=(h2, w2), mode="bilinear", align_corners=False)
        nh, nw = h2 // PATCH, w2 // PATCH
        p = y.reshape(b, d, nh, PATCH, nw, PATCH).permute(0, 3, 5, 2, 4, 1).reshape(b * PATCH * PATCH, nh * nw, d)
        p = self.global_rep(p)  # [B*P, N, d]
        y = p.reshape(b, PATCH, PATCH, nh, nw, d).permute(0, 5, 3, 1, 4, 2).reshape(b, d, h2, w2)
        if (h2, w2) != (h, w):
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        return self.fusion(torch.cat([x, self.conv_proj(y)], dim=1))


class MobileViT(nn.Module):
    def __init__(self, variant="xxs", classes=1000, dropout=0.0):
        super().__init__()
        ch, dims, ffns, e, exp = VARIANTS[variant]
        self.conv_1 = ConvLayer(3, 16, 3, 2)
        self.layer_1 = nn.Sequential(InvertedResidual(16, ch[0], 1, e))
        self.layer_2 = nn.Sequential(*[InvertedResidual(ch[0] if i == 0 else ch[1], ch[1], 2 if i == 0 else 1, e)
                                       for i in range(3)])
        for s in (3, 4, 5):
            setattr(self, f"layer_{s}", nn.Sequential(
                InvertedResidual(ch[s - 2], ch[s - 1], 2, e),
                MobileViTBlock(ch[s - 1], dims[s - 3], ffns[s - 3], DEPTHS[s - 3], dropout)))
        self.conv_1x1_exp = ConvLayer(ch[4], exp, 1)
        self.classifier = nn.Sequential()
        self.classifier.add_module("fc", nn.Linear(exp, classes))

    def forward(self, x):
        x = self.conv_1(x)
        for s in range(1, 6):
            x = getattr(self, f"layer_{s}")(x)
        return self.classifier(self.conv_1x1_exp(x).mean(dim=(2, 3)))


def read_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            a, b = t["data_offsets"]
            out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dtypes[t["dtype"]]).reshape(t["shape"]).copy())
    return out


def check_logits(fixtures):
    model = MobileViT("xxs").eval()
    state = read_safetensors(f"{fixtures}/weights/xx_small_cvnets.safetensors")
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        print(f"fixture weights do not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
        return 1
    worst = 0.0
    for case in ("b1_128x128", "b1_200x200", "b2_160x160", "b2_256x256"):
        x = torch.from_numpy(np.load(f"{fixtures}/inputs/input_{case}.npy"))
        ref = np.load(f"{fixtures}/logits/xx_small_{case}.npy").astype(np.float64)
        with torch.no_grad():
            y = model(x).double().numpy()
        ratio = float(np.max(np.abs(y - ref) / (1e-4 + 1e-4 * np.abs(ref))))
        print(f"logits {case}: max |a-b| {np.max(np.abs(y - ref)):.3g} ({ratio:.3f} of 1e-4 + 1e-4|b|)")
        worst = max(worst, ratio)
    print(f"logits_tolerance_ratio={worst:.4f}")
    return 0 if worst <= 1 else 1


def bench(args):
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"error: {args.device} requested but torch.cuda.is_available() is False", file=sys.stderr)
        return 1
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = MobileViT(args.variant).to(device).train()
    ema = MobileViT(args.variant).to(device)
    ema.load_state_dict(model.state_dict())
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    x = torch.rand(args.batch, 3, args.size, args.size, device=device)
    y = torch.randint(0, 1000, (args.batch,), device=device)

    def now():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()

    pairs = [(e, m) for e, m in zip(ema.state_dict().values(), model.state_dict().values()) if e.is_floating_point()]
    phases = {"fwd_bwd": 0.0, "adamw": 0.0, "ema": 0.0}
    for step in range(args.warmup + args.steps):
        t0 = now()
        optimizer.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
        t1 = now()
        optimizer.step()
        t2 = now()
        with torch.no_grad():
            for e, m in pairs:  # CVNets' EMA: every state entry, buffers included
                e.mul_(1 - 0.0005).add_(m, alpha=0.0005)
        t3 = now()
        if step >= args.warmup:
            phases["fwd_bwd"] += t1 - t0
            phases["adamw"] += t2 - t1
            phases["ema"] += t3 - t2
    ms = {k: 1000 * v / args.steps for k, v in phases.items()}
    total = sum(ms.values())
    print(f"PyTorch {torch.__version__} eager on {device}, {args.threads} thread(s), MobileViT-{args.variant} batch "
          f"{args.batch} at {args.size}x{args.size}: forward+backward {ms['fwd_bwd']:.2f} ms, AdamW {ms['adamw']:.2f} ms, "
          f"EMA {ms['ema']:.2f} ms, step {total:.2f} ms")
    print(f"torch_step_ms={total:.3f} torch_fwd_bwd_ms={ms['fwd_bwd']:.3f} torch_adamw_ms={ms['adamw']:.3f} "
          f"torch_ema_ms={ms['ema']:.3f} torch_train_img_s={1000 * args.batch / total:.2f} "
          f"model=plain-pytorch-cvnets-v0.1 torch_version={torch.__version__}")
    return 0


def infer(args):
    """Eval-mode forward of --weights: batch 1 latency (median, p90) and batch --batch throughput."""
    torch.set_num_threads(args.threads)
    model = MobileViT(args.variant, args.classes).eval()
    missing, unexpected = model.load_state_dict(read_safetensors(args.weights), strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        print(f"{args.weights} does not fit: missing {missing[:5]}, unexpected {unexpected[:5]}")
        return 1
    torch.manual_seed(0)
    one = torch.rand(1, 3, args.size, args.size)
    many = torch.rand(args.batch, 3, args.size, args.size)
    with torch.inference_mode():  # eager's fastest path for a forward without autograd
        for _ in range(args.warmup):
            model(one)
        model(many)
        latency = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            model(one)
            latency.append(1000 * (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for _ in range(args.throughput_steps):
            model(many)
        img_s = args.batch * args.throughput_steps / (time.perf_counter() - t0)
    latency.sort()  # nearest rank, as `bench infer` takes its own
    median = latency[(len(latency) - 1) // 2]
    p90 = latency[math.ceil(0.9 * len(latency)) - 1]
    print(f"PyTorch {torch.__version__} eager, inference mode, {args.threads} thread(s), MobileViT-{args.variant} at "
          f"{args.size}x{args.size}: batch 1 median {median:.2f} ms, p90 {p90:.2f} ms; batch {args.batch} "
          f"{img_s:.1f} images/s")
    print(f"torch_b1_median_ms={median:.3f} torch_b1_p90_ms={p90:.3f} torch_b{args.batch}_img_s={img_s:.2f} "
          f"torch_version={torch.__version__}")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check-logits", metavar="FIXTURES", help="compare eval logits with FIXTURES/logits and exit")
    p.add_argument("--device", default="cpu", help="cpu or cuda:N (default cpu)")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="xxs")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--threads", type=int, default=torch.get_num_threads(), help="intra-op threads on the CPU")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--infer", action="store_true",
                   help="time the eval-mode forward of --weights instead (--steps batch-1 forwards, then"
                        " --throughput-steps of --batch)")
    p.add_argument("--weights", help="safetensors of the model (CVNets names), with --infer")
    p.add_argument("--classes", type=int, default=1000)
    p.add_argument("--throughput-steps", type=int, default=3)
    args = p.parse_args(argv)
    if args.check_logits:
        return check_logits(args.check_logits)
    return infer(args) if args.infer else bench(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
