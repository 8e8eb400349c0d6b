"""Recommendations for both methods at once, beside the plain formulation (every amount's mask, counted).

python -m bench.recommend                          # 1024², ratio 8, ComfyUI's sampler: the 50 ms goal
python -m bench.recommend --backends comfyui diffusers fooocus --ratio 16 --size 2048

Masks: an ellipse and the examples' masks (assets/*_mask.png) scaled to the size. "fresh" is a mask
seen for the first time (what a new stroke costs), "kept" the same mask asked again (a slider move).
"""

import argparse
import statistics
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from inpaint_core.analysis import recommend as recommend_module
from inpaint_core.analysis.halo_counts import direct_grow_counts, direct_offset_counts
from inpaint_core.analysis.recommend import recommend

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def ellipse(size: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return ((((ys - 0.49 * size) / (0.29 * size)) ** 2 + ((xs - 0.53 * size) / (0.2 * size)) ** 2) < 1).float()


def asset_mask(path: Path, size: int) -> torch.Tensor:
    alpha = Image.open(path).getchannel("A").resize((size, size), Image.Resampling.BILINEAR)
    return torch.from_numpy(np.asarray(alpha) >= 128).float()


def timed(fn, repeats: int) -> tuple[float, float]:
    """(min, median) seconds of fn() over `repeats` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def fresh(comfy_mask, was_mask, ratio, backend):
    recommend_module._KEPT.clear()
    return recommend(comfy_mask, was_mask, ratio, backend, mask_offset=6)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--ratio", type=int, default=8)
    parser.add_argument("--backends", nargs="+", default=["comfyui"])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--plain", action="store_true", help="also time the plain formulation (seconds a mask)")
    args = parser.parse_args()
    masks = {"ellipse": ellipse(args.size)}
    masks |= {
        path.stem.removesuffix("_mask"): asset_mask(path, args.size) for path in sorted(ASSETS.glob("*_mask.png"))
    }
    print(f"both methods' recommendations at {args.size}², ratio {args.ratio}, {torch.get_num_threads()} threads")
    print(f"{'mask':>10} {'area':>6} {'backend':>9} {'fresh min':>10} {'median':>8} {'kept':>8}  advice")
    for name, mask in masks.items():
        for backend in args.backends:
            both = (mask, mask.clone(), args.ratio, backend)  # at ratio 8 both crops hold the same mask
            fresh_min, fresh_median = timed(partial(fresh, *both), args.repeats)
            _, kept = timed(partial(recommend, *both, mask_offset=6), args.repeats)
            advice = recommend(*both, mask_offset=6)
            amounts = f"grow_mask_by {advice['comfy'].amount}, mask_offset {advice['was'].amount}"
            print(
                f"{name:>10} {mask.mean().item():>6.1%} {backend:>9} {fresh_min * 1e3:>8.1f}ms "
                f"{fresh_median * 1e3:>6.1f}ms {kept * 1e3:>6.2f}ms  {amounts}"
            )
            if args.plain:
                start = time.perf_counter()
                direct_grow_counts(mask, args.ratio, backend), direct_offset_counts(mask, args.ratio, backend)
                plain = time.perf_counter() - start
                print(f"{'':>10} plain formulation (65 + 257 masks): {plain:.2f} s, {plain / fresh_median:.0f}x")


if __name__ == "__main__":
    main()
