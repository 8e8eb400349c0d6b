"""The new mask operations beside their sources' formulation, in one process, with ratios.

python -m bench.preparations                 # 1024² on the CPU
python -m bench.preparations --device cuda   # ours on the GPU; the sources where they run (GrowMask's scipy
                                             # loop on the CPU, as the node runs; the torch ones on the GPU)
Masks are soft (a disc with a soft edge and scattered specks), as GrowMask's grey morphology allows.
"""

import argparse
import math
from functools import partial

import torch
import torch.nn.functional as F

from bench.timing import fmt, median_seconds
from inpaint_core.preparations import acly
from inpaint_core.preparations.comfy_mask_nodes import feather_mask, grow_mask, threshold_mask
from tests.reference_preparations import feather_mask_reference, grow_mask_reference, threshold_mask_reference


def soft_mask(size: int, device: torch.device) -> torch.Tensor:
    """(1, size, size) in [0, 1]: a disc whose edge ramps over size/32 px, and specks."""
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    distance = ((yy - size / 2) ** 2 + (xx - size / 3) ** 2).sqrt()
    disc = ((size / 5 - distance) / (size / 32)).clamp(0, 1)
    specks = (torch.rand(size, size, generator=torch.Generator().manual_seed(0)) > 0.999).float()
    return torch.maximum(disc, specks)[None].to(device)


def acly_grow_source(mask: torch.Tensor, grow: int) -> torch.Tensor:
    """util.binary_dilation as kornia runs it: a (2·grow+1)-tap box along x then y, zero border, > 0."""
    kernel = torch.ones(2 * grow + 1, device=mask.device)
    flat = mask[:, None]
    flat = F.conv2d(F.pad(flat, (grow, grow, 0, 0)), kernel.view(1, 1, 1, -1))
    flat = F.conv2d(F.pad(flat, (0, 0, grow, grow)), kernel.view(1, 1, -1, 1))
    return (flat > 0).to(mask.dtype)[:, 0]


def acly_erosion_source(alpha: torch.Tensor, radius: int) -> torch.Tensor:
    """util.binary_erosion: a (2r+1)² ones convolution of the 1-padded mask, == its size."""
    kernel = torch.ones(1, 1, 2 * radius + 1, 2 * radius + 1, device=alpha.device)
    padded = F.pad(alpha[:, None], (radius,) * 4, mode="constant", value=1)
    return (F.conv2d(padded, kernel) == kernel.numel()).to(alpha.dtype)[:, 0]


def acly_erosion_ours(alpha: torch.Tensor, radius: int) -> torch.Tensor:
    from inpaint_core.masks import dilate

    return 1 - dilate(1 - alpha, radius, radius, radius, radius)


def row(name, amount, source, ours, device, repeats, source_device):
    ours_s = median_seconds(ours, device, repeats)
    if source is None:
        print(f"{name:>26} {amount:>12} {'(not run)':>12} {fmt(ours_s):>12}")
        return
    warmup = 1 if source_device.type == "cuda" else 0  # the GPU's first convolution picks its algorithm
    source_s = median_seconds(source, source_device, repeats=1, warmup=warmup)
    print(f"{name:>26} {amount:>12} {fmt(source_s):>12} {fmt(ours_s):>12} {source_s / ours_s:>8.1f}x")


def check_equal(name, source, ours, exact=True):
    a, b = source().cpu(), ours().cpu()
    same = torch.equal(a, b) if exact else torch.allclose(a, b, atol=2e-6, rtol=0)
    assert same, f"{name}: ours differs from the source"


def grow_rows(mask, device, repeats, source_max):
    cpu_mask = mask.cpu()
    for expand in (1, 6, 64, -64, 256, 16384):
        for tapered in (True, False):
            name = f"GrowMask {'diamond' if tapered else 'square'}"
            ours = partial(grow_mask, mask, expand, tapered)
            source = None
            if abs(expand) <= source_max:
                source = partial(grow_mask_reference, cpu_mask, expand, tapered)
                if abs(expand) <= 6:
                    check_equal(name, source, ours)
            row(name, expand, source, ours, device, repeats, torch.device("cpu"))


def feather_rows(mask, device, repeats):
    for amount in (16, 256, 1024):
        source = partial(feather_mask_reference, mask, amount, amount, amount, amount)
        ours = partial(feather_mask, mask, amount, amount, amount, amount)
        check_equal("FeatherMask", source, ours)
        row("FeatherMask (4 sides)", amount, source, ours, device, repeats, device)
    source, ours = partial(threshold_mask_reference, mask, 0.5), partial(threshold_mask, mask, 0.5)
    row("ThresholdMask", 0.5, source, ours, device, repeats, device)


def acly_rows(mask, device, repeats, source_max):
    binary = (mask >= 0.99).float()
    for grow in (16, 64, 256):
        source = partial(acly_grow_source, mask, grow)
        ours = partial(acly.expand_mask, mask, grow, 0)
        check_equal("Expand Mask grow", source, ours)
        row("Expand Mask grow (blur 0)", grow, source, ours, device, repeats, device)
    for falloff in (11, 31, 255):  # the source's (2r+1)² window: 255 px would take minutes
        source = partial(acly_erosion_source, binary, falloff) if falloff <= 31 else None
        ours = partial(acly_erosion_ours, binary, falloff)
        if falloff <= 11:
            check_equal("falloff erosion", source, ours)
        row("Fill/Blur falloff erosion", falloff, source, ours, device, repeats, device)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--source-max", type=int, default=256, help="largest amount the sources' loops are run at")
    args = parser.parse_args()
    device = torch.device(args.device)
    mask = soft_mask(args.size, device)
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"{args.size}² soft mask; ours on {device} ({where}); median of {args.repeats} (sources: 1 after a warm-up)")
    print("GrowMask's source: its scipy loop on the CPU, as the node runs; the others' on the same device as ours\n")
    print(f"{'operation':>26} {'amount':>12} {'source':>12} {'ours':>12} {'ratio':>9}")
    grow_rows(mask, device, args.repeats, args.source_max)
    feather_rows(mask, device, args.repeats)
    acly_rows(mask, device, args.repeats, args.source_max)
    passes = math.ceil(math.log2(2 * (args.size - 1) + 1))
    print(f"\n(doubling passes per axis at most: {passes} for a square, {passes + 1} in a diamond's turned grid)")


if __name__ == "__main__":
    main()
