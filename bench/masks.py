"""Seed formulation beside inpaint_core, in one process: mask step and whole node, with ratios.

python -m bench.masks                      # the 2-core CPU goals (512² masks, 1024² node)
python -m bench.masks --device cuda --gpu  # mask step at 1024², 2048², 4096², any amount
"""

import argparse
import math
from functools import partial

import torch

from bench.timing import fmt, median_seconds
from inpaint_core import grow_mask, offset_mask, prepare_comfy, prepare_was
from tests.reference import comfy_reference, was_modify_mask, was_reference


def blob_mask(size: int, device: torch.device) -> torch.Tensor:
    """A (1, 1, size, size) 0/1 mask: a disc and some scattered strokes."""
    gen = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    disc = ((yy - size / 2) ** 2 + (xx - size / 3) ** 2) < (size / 5) ** 2
    specks = torch.rand(size, size, generator=gen) > 0.999
    return (disc | specks).float()[None, None].to(device)


def seed_mask_step(mask, method, amount):
    if method == "comfy":
        kernel = torch.ones((1, 1, amount, amount), device=mask.device)
        return torch.clamp(torch.nn.functional.conv2d(mask.round(), kernel, padding=math.ceil((amount - 1) / 2)), 0, 1)
    return was_modify_mask(mask, amount)


def ours_mask_step(mask, method, amount):
    return grow_mask(mask, amount) if method == "comfy" else offset_mask(mask, amount)


def mask_rows(sizes, cases, device, seed_max_size, repeats):
    print(f"\nmask step on {device}  (seed = conv2d with a ones kernel, on the same device)")
    print(f"{'size':>6} {'method':>6} {'amount':>6} {'seed':>12} {'ours':>12} {'speed-up':>9}")
    for size in sizes:
        mask = blob_mask(size, device)
        for method, amount in cases:
            ours = median_seconds(partial(ours_mask_step, mask, method, amount), device, repeats)
            if size > seed_max_size:
                print(f"{size:>6} {method:>6} {amount:>6} {'(skipped)':>12} {fmt(ours):>12}")
                continue
            warmup = 1 if device.type == "cuda" else 0  # the GPU's first convolution picks its algorithm
            seed = median_seconds(partial(seed_mask_step, mask, method, amount), device, repeats=1, warmup=warmup)
            print(f"{size:>6} {method:>6} {amount:>6} {fmt(seed):>12} {fmt(ours):>12} {seed / ours:>8.0f}x")


def node_rows(size, device, amount, repeats):
    print(f"\nwhole node at {size}² on {device}, stand-in VAE (8×8 average pooling), amount {amount}")
    pixels = torch.rand(1, size, size, 3, device=device)
    mask = blob_mask(size, device)[0]

    def encode(prepared_pixels):
        return torch.nn.functional.avg_pool2d(prepared_pixels.movedim(-1, 1), 8)

    pairs = {
        "comfy": (
            lambda: encode(comfy_reference(pixels, mask, amount)[0]),
            lambda: encode(prepare_comfy(pixels, mask, amount).pixels),
        ),
        "was": (
            lambda: encode(was_reference(pixels, mask, amount)[0]),
            lambda: encode(prepare_was(pixels, mask, amount).pixels),
        ),
    }
    for method, (seed_fn, ours_fn) in pairs.items():
        seed, ours = median_seconds(seed_fn, device, repeats), median_seconds(ours_fn, device, repeats)
        print(f"{method:>6}: seed {fmt(seed)}  ours {fmt(ours)}  speed-up {seed / ours:6.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--gpu", action="store_true", help="the GPU table: 1024² to 4096², amounts up to 128")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.set_grad_enabled(False)
    if args.gpu:
        cases = [("comfy", 6), ("comfy", 64), ("was", 6), ("was", 64), ("was", 128), ("was", -64), ("was", -128)]
        mask_rows([1024, 2048, 4096], cases, device, seed_max_size=2048, repeats=args.repeats * 4)
        node_rows(2048, device, 6, args.repeats * 4)
    else:
        mask_rows([512], [("comfy", 64), ("was", 64), ("was", -64)], device, seed_max_size=512, repeats=args.repeats)
        mask_rows([1024], [("comfy", 6), ("comfy", 64), ("was", 128)], device, seed_max_size=0, repeats=args.repeats)
        node_rows(1024, device, 6, args.repeats)


if __name__ == "__main__":
    main()
