"""The Inpaint Encode Inspector node (inpaint_core.inspector_node) on the CPU, with the approximate VAE.

python -m bench.inspector_node                      # 1024², every method, ComfyUI's sampler: the 100 ms goal
python -m bench.inspector_node --size 2048 --backend fooocus --no-vae

Each call is the node's whole work: both seeds' masks (the page's comparison), the report and the
recommendation, the panels, and with the VAE its encode and decode. "fresh" is a mask the node has not
seen (the recommendation's cache cleared: what a new mask costs), "kept" the same mask again.
The mask is an ellipse at the image's size (LoadImage's MASK of the exported image), or with --mask NAME an
example's (assets/NAME_mask.png); with --mask-scale 2, at twice the image's size, so each seed resizes it first.
--parts adds where a seed's fresh run goes: the node's steps (inpaint_core.inspector_node's calls) timed one by one.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from inpaint_core import approximate_vae, inspector_node
from inpaint_core.analysis import recommend as recommend_module
from inpaint_core.inspector_node import CHOICES, InpaintEncodeInspector

PARTS = {  # the seed path's steps, by the names inspector_node calls them
    "prepare_methods": "preparations",
    "add_latents": "encode and decode",
    "method_table": "report: table",
    "recommend_grow_mask_by": "report: recommendation",
    "recommend_mask_offset": "report: recommendation",
    "warnings": "report: warnings",
    "_side_by_side": "panels",
}


def ellipse(size: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return ((((ys - 0.49 * size) / (0.29 * size)) ** 2 + ((xs - 0.53 * size) / (0.2 * size)) ** 2) < 1).float()


def example_mask(name: str, size: int) -> torch.Tensor:
    alpha = Image.open(Path(__file__).resolve().parent.parent / "assets" / f"{name}_mask.png").getchannel("A")
    return torch.from_numpy(np.asarray(alpha.resize((size, size), Image.Resampling.BILINEAR)) >= 128).float()


def once(fn, before=lambda: None) -> float:
    """Milliseconds of one fn(); before() untimed."""
    before()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def timed_parts(spent: dict) -> None:
    """Wrap the node's steps (PARTS) so each call adds its milliseconds to spent[part]."""

    def wrap(fn, part):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            out = fn(*args, **kwargs)
            spent[part] = spent.get(part, 0.0) + (time.perf_counter() - start) * 1e3
            return out

        return timed

    for name, part in PARTS.items():
        setattr(inspector_node, name, wrap(getattr(inspector_node, name), part))


def parts(node, image, mask, vae, args) -> None:
    """Per seed: the median over runs of each step's time, fresh mask (the rest: drawing the layers' masks)."""
    spent = {}
    timed_parts(spent)
    for choice in list(CHOICES)[:2]:
        runs = []
        for _ in range(args.repeats):
            spent.clear()
            total = once(lambda c=choice: node.inspect(image, mask, c, args.amount, args.backend, vae),
                         recommend_module._KEPT.clear)  # fmt: skip
            runs.append({**spent, "the rest": total - sum(spent.values())})
        steps = {part: statistics.median(run[part] for run in runs) for part in runs[0]}
        print(f"  {choice}: " + ", ".join(f"{part} {ms:.1f}" for part, ms in steps.items()) + " ms (medians)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--backend", default="comfyui")
    parser.add_argument("--amount", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--mask", default="ellipse", help="ellipse, or an example: astronaut, chelsea, coffee, rocket")
    parser.add_argument("--mask-scale", type=int, default=1, help="the mask's size over the image's")
    parser.add_argument("--no-vae", action="store_true", help="no VAE: the grid and masks only")
    parser.add_argument("--parts", action="store_true", help="where a seed's fresh run goes, step by step")
    args = parser.parse_args()
    torch.manual_seed(0)
    image = torch.rand(1, args.size, args.size, 3)
    side = args.mask_scale * args.size
    mask = (ellipse(side) if args.mask == "ellipse" else example_mask(args.mask, side))[None]
    vae = None if args.no_vae else approximate_vae()
    node = InpaintEncodeInspector()
    print(f"{args.size}², mask {args.mask}, {'no VAE' if vae is None else 'approximate VAE'}, {args.backend}, "
          f"{torch.get_num_threads()} threads; ms (min / median of {args.repeats})")  # fmt: skip
    runs = {c: (lambda c=c: node.inspect(image, mask, c, args.amount, args.backend, vae)) for c in CHOICES}
    times = {(c, kind): [] for c in CHOICES for kind in ("fresh", "kept")}
    with torch.inference_mode():  # as ComfyUI runs its nodes
        for run in runs.values():
            run()  # warm-up
        for _ in range(args.repeats):  # interleaved, so that a burst of other work on the machine hits every case
            for choice, run in runs.items():
                times[choice, "fresh"].append(once(run, recommend_module._KEPT.clear))
                times[choice, "kept"].append(once(run))
    for choice in CHOICES:
        fresh, kept = (sorted(times[choice, kind]) for kind in ("fresh", "kept"))
        print(f"  {choice:48s} fresh {fresh[0]:6.1f} / {statistics.median(fresh):6.1f}   "
              f"kept {kept[0]:6.1f} / {statistics.median(kept):6.1f}")  # fmt: skip
    if args.parts:
        with torch.inference_mode():
            parts(node, image, mask, vae, args)


if __name__ == "__main__":
    main()
