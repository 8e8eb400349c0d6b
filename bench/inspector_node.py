"""The Inpaint Encode Inspector node (inpaint_core.inspector_node) on the CPU, with the approximate VAE.

python -m bench.inspector_node                      # 1024², every method, ComfyUI's sampler: the 100 ms goal
python -m bench.inspector_node --size 2048 --backend fooocus --no-vae

Each call is the node's whole work: both seeds' masks (the page's comparison), the report and the
recommendation, the panels, and with the VAE its encode and decode. "fresh" is a mask the node has not
seen (the recommendation's cache cleared: what a new mask costs), "kept" the same mask again.
The mask is an ellipse at the image's size (LoadImage's MASK of the exported image); with --mask-scale 2, painted
at twice the size, so each seed resizes it first.
"""

import argparse
import statistics
import time

import torch

from inpaint_core import approximate_vae
from inpaint_core.analysis import recommend as recommend_module
from inpaint_core.inspector_node import CHOICES, InpaintEncodeInspector


def ellipse(size: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return ((((ys - 0.49 * size) / (0.29 * size)) ** 2 + ((xs - 0.53 * size) / (0.2 * size)) ** 2) < 1).float()


def timed(fn, repeats: int, before=lambda: None) -> tuple[float, float]:
    """(min, median) milliseconds of fn() over `repeats` runs after one warm-up; before() untimed."""
    before()
    fn()
    times = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--backend", default="comfyui")
    parser.add_argument("--amount", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mask-scale", type=int, default=1, help="the mask's size over the image's")
    parser.add_argument("--no-vae", action="store_true", help="no VAE: the grid and masks only")
    args = parser.parse_args()
    torch.manual_seed(0)
    image = torch.rand(1, args.size, args.size, 3)
    mask = ellipse(args.mask_scale * args.size)[None]
    vae = None if args.no_vae else approximate_vae()
    node = InpaintEncodeInspector()
    print(f"{args.size}², {'no VAE' if vae is None else 'approximate VAE'}, {args.backend}, "
          f"{torch.get_num_threads()} threads; ms (min / median of {args.repeats})")  # fmt: skip
    with torch.inference_mode():  # as ComfyUI runs its nodes
        for choice in CHOICES:
            run = lambda c=choice: node.inspect(image, mask, c, args.amount, args.backend, vae)  # noqa: E731
            fresh = timed(run, args.repeats, recommend_module._KEPT.clear)
            kept = timed(run, args.repeats)
            print(f"  {choice:48s} fresh {fresh[0]:6.1f} / {fresh[1]:6.1f}   kept {kept[0]:6.1f} / {kept[1]:6.1f}")


if __name__ == "__main__":
    main()
