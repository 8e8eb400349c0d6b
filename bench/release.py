"""A mask_offset release: WAS's latent and decoded preview made anew, whole beside incremental (from the pass of
the previous offset's pixels, vaes/incremental.py), and a tiled decode beside the whole one.

    python -m bench.release --sizes 1024 2048                  # TAEF2 (bundled) and a TAESD-layout net, the CPU
    python -m bench.release --sizes 2048 --seams-only          # tiled against whole decode at 2048²
    python -m bench.release --sizes 2048 --nets taef2 --no-seams
    python -m bench.release --device cuda --sizes 1024 2048 4096 --nets taef2 --no-seams   # on a GPU
    python -m bench.release --device cuda --sizes 4096 --no-seams --compile default         # compiled (compiled.py)

The cat resized to size² with its example mask; the previous release at mask_offset --before, this one at
--after (WAS greys the band between). TAESD's weights are not bundled: a net of its layout with random weights
(tests/conftest.py tiny_layout_vae) stands in, its arithmetic and cost the same. Times are one run each (the
2-core CPU is shared; ±30%). "max |Δ|": incremental against whole, latents and decoded floats.
On a GPU (--device cuda, the VAE in the page's half precision) each figure is the median of --repeats after a
warm-up, and "release" is what the server does on a release: WAS's pixels prepared on the GPU, then the
incremental encode and decode with the preview back on the CPU.
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.timing import median_seconds, sync
from inpaint_core import load_vae
from inpaint_core.compare import Reusing, encode_and_decode
from inpaint_core.preparations.methods import seed_preparation
from inpaint_core.vaes.compiled import compile_vae
from inpaint_core.vaes.device import COMPILE_MODES, model_dtype
from tests.conftest import tiny_layout_vae

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def cat_and_mask(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, size, size, 3) in [0, 1] and its painted mask (1, size, size)."""
    image = Image.open(ASSETS / "chelsea.png").convert("RGB").resize((size, size))
    layer = Image.open(ASSETS / "chelsea_mask.png").resize((size, size), Image.NEAREST)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255)[None]
    return pixels, torch.from_numpy(np.asarray(layer)[..., 3] > 0).float()[None]


def seconds(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def release(vae, size: int, before: int, after: int) -> None:
    image, mask = (t.to(vae.device) for t in cat_and_mask(size))
    previous, pixels = (seed_preparation("was", image, mask, o, 8).encoded[:1] for o in (before, after))
    if vae.device.type == "cuda":
        return gpu_release(vae, image, mask, previous, pixels, after)
    band = (previous != pixels).any(-1).float().mean().item()
    whole, whole_s = seconds(lambda: encode_and_decode(vae, pixels))
    reusing = Reusing()
    _, first_s = seconds(lambda: reusing(vae, previous))
    latent, incremental_s = seconds(lambda: reusing(vae, pixels))
    latents_diff = (latent.latents - whole.latents).abs().max().item()
    decoded_diff = (latent.decoded.int() - whole.decoded.int()).abs().max().item()
    w, i = whole.timings_ms, latent.timings_ms
    print(
        f"{vae.name:>34} {size:>5}²  band {band:6.2%}  whole {whole_s:6.2f} s (encode {w['encode'] / 1e3:.2f} + decode "
        f"{w['decode'] / 1e3:.2f})  first {first_s:6.2f} s  incremental {incremental_s:6.2f} s (encode "
        f"{i['encode'] / 1e3:.2f} [{latent.reuse['encode']}] + decode {i['decode'] / 1e3:.2f} [{latent.reuse['decode']}])"
        f"  {whole_s / incremental_s:4.1f}×  max |Δ| latents {latents_diff:.1e}, preview {decoded_diff} of 255",
        flush=True,
    )


def gpu_release(vae, image, mask, previous, pixels, after: int, repeats: int = 10) -> None:
    """Median times on the GPU: whole encode + decode, and the release (prepare, incremental from `previous`)."""
    sync(vae.device)
    start = time.perf_counter()
    encode_and_decode(vae, pixels)
    sync(vae.device)
    first = time.perf_counter() - start  # a compiled VAE compiles for this shape here
    whole = median_seconds(lambda: encode_and_decode(vae, pixels), vae.device, repeats)

    def one_release():
        reusing = Reusing()  # only the previous offset's pass kept, as after a release
        reusing(vae, previous)
        sync(vae.device)
        start = time.perf_counter()
        prepared = seed_preparation("was", image, mask, after, 8).encoded[:1]
        latent = reusing(vae, prepared)
        sync(vae.device)
        return time.perf_counter() - start, latent

    one_release()
    times, latents = zip(*(one_release() for _ in range(repeats)), strict=True)
    diff = (latents[-1].latents - encode_and_decode(vae, pixels).latents).abs().max().item()
    print(
        f"{vae.name:>34} {image.shape[1]:>5}²  {torch.cuda.get_device_name()} {vae.dtype}  whole encode + decode "
        f"{whole * 1e3:7.1f} ms   release (prepare + incremental) {np.median(times) * 1e3:7.1f} ms "
        f"[{latents[-1].reuse}]  max |Δ| latents {diff:.1e}  first call {first:.2f} s",
        flush=True,
    )


def seams(vae, size: int) -> None:
    """A decode over the CPU budget in its exact tiles beside the whole decode: the max difference."""
    image, _ = cat_and_mask(size)
    latents = vae.encode(image)
    tiled, tiled_s = seconds(lambda: vae.decode(latents))
    tile = vae.tile_side("decode", 1, *latents.shape[-2:])
    budget, vae.memory_budget = vae.memory_budget, 1 << 40
    whole, whole_s = seconds(lambda: vae.decode(latents))
    vae.memory_budget = budget
    print(
        f"{vae.name:>34} {size:>5}²  decode in {tile}-cell tiles {tiled_s:6.2f} s, whole {whole_s:6.2f} s  "
        f"max |tiled - whole| {(tiled - whole).abs().max().item():.1e}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--before", type=int, default=-4)
    parser.add_argument("--after", type=int, default=12)
    parser.add_argument("--vae", default=str(ASSETS / "taef2"))
    parser.add_argument("--seams-only", action="store_true")
    parser.add_argument("--no-seams", action="store_true")
    parser.add_argument("--nets", nargs="+", choices=["taef2", "taesd-layout"], default=["taef2", "taesd-layout"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compile", choices=COMPILE_MODES, help="torch.compile the tiny autoencoders (CUDA only)")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    taef2 = compile_vae(load_vae(args.vae, args.device), args.compile or "0")
    for size in args.sizes:
        if not args.seams_only:
            for net in args.nets:
                dtype = model_dtype(torch.device(args.device), True)
                tiny = tiny_layout_vae(device=args.device, dtype=dtype) if net != "taef2" else None
                tiny = tiny and compile_vae(tiny, args.compile or "0")
                release(tiny or taef2, size, args.before, args.after)
        if not args.no_seams:
            seams(taef2, size)


if __name__ == "__main__":
    main()
