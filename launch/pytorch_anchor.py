#!/usr/bin/env python3
"""PyTorch's own eager fp32 training step of MobileViT-XXS, the anchor gpu-check.sh measures this
project against on the same card.

The model comes from timm (mobilevit_xxs) when it is importable, else from Hugging Face
transformers (MobileViTForImageClassification with the xx-small configuration); neither downloads
anything, the weights are random. One step is what `mobilevit bench train` times: forward in train
mode, label-smoothed cross-entropy, backward, AdamW. Library defaults throughout (NCHW, fp32, no
torch.compile, no cudnn.benchmark, the default TF32 settings), so both sides run the same kernels'
precision. The last line is name=value pairs with torch_train_img_s; without PyTorch or without
either model library it prints a `skip:` line and torch_train_img_s=NA.
"""
import argparse
import sys
import time


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda:0", help="cuda:N or cpu (default cuda:0)")
    p.add_argument("--batch", type=positive, default=128)
    p.add_argument("--size", type=positive, default=256, help="square image side")
    p.add_argument("--warmup", type=positive, default=10, help="untimed steps first")
    p.add_argument("--steps", type=positive, default=50, help="timed steps")
    p.add_argument("--impl", choices=["auto", "timm", "transformers"], default="auto")
    return p.parse_args(argv)


def skip(message, reason):
    print(f"skip: {message}")
    print(f"torch_train_img_s=NA reason={reason}")
    return 0


def timm_model():
    import timm

    return timm.create_model("mobilevit_xxs", pretrained=False, num_classes=1000), "timm:mobilevit_xxs"


def transformers_model(size):
    from transformers import MobileViTConfig, MobileViTForImageClassification

    # The xx-small network of the paper (MobileViT-XXS), as Apple's published configuration.
    config = MobileViTConfig(
        image_size=size,
        hidden_sizes=[64, 80, 96],
        neck_hidden_sizes=[16, 16, 24, 48, 64, 80, 320],
        expand_ratio=2.0,
        num_attention_heads=4,
        mlp_ratio=2.0,
        num_labels=1000,
    )
    return MobileViTForImageClassification(config), "transformers:MobileViTForImageClassification-xx-small"


def build(impl, size):
    """Returns (model, logits_fn, name), or None when the wanted library is missing."""
    if impl in ("auto", "timm"):
        try:
            model, name = timm_model()
            return model, model, name
        except ImportError:
            if impl == "timm":
                return None
    try:
        model, name = transformers_model(size)
    except ImportError:
        return None
    return model, (lambda x: model(pixel_values=x).logits), name


def main(argv):
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        return skip("torch is not importable in this python3", "no_torch")

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"error: {args.device} requested but torch.cuda.is_available() is False", file=sys.stderr)
        return 1
    built = build(args.impl, args.size)
    if built is None:
        missing = {"auto": "neither timm nor transformers is", "timm": "timm is not",
                   "transformers": "transformers is not"}[args.impl]
        return skip(f"{missing} importable", "no_model_library")
    model, logits_of, name = built
    model.to(device).train()
    params = sum(p.numel() for p in model.parameters())

    torch.manual_seed(0)
    x = torch.rand(args.batch, 3, args.size, args.size, device=device)
    y = torch.randint(0, 1000, (args.batch,), device=device)
    # CVNets' ImageNet recipe for MobileViT: AdamW (lr 0.002, weight decay 0.01), label smoothing 0.1.
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.002, weight_decay=0.01)
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(logits_of(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(args.warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    sync()
    seconds = time.perf_counter() - start

    img_s = args.batch * args.steps / seconds
    print(f"{name}: {params / 1e6:.3f}M parameters, batch {args.batch} at {args.size}x{args.size} on {device}, "
          f"torch {torch.__version__}, last loss {loss.item():.4f}")
    if device.type == "cuda":
        print(f"gpu {torch.cuda.get_device_name(device)}; float32 matmul precision "
              f"{torch.get_float32_matmul_precision()}, cudnn.benchmark {torch.backends.cudnn.benchmark}")
    print(f"{args.steps} timed steps after {args.warmup} warm-up steps: {seconds * 1000 / args.steps:.2f} ms/step")
    print(f"torch_train_img_s={img_s:.2f} torch_step_ms={seconds * 1000 / args.steps:.2f} model={name} "
          f"params={params} batch={args.batch} size={args.size} device={args.device} torch={torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
