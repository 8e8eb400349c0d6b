"""VAE encode/decode through the VAE wrapper beside the bare network in one run, with the overhead.

python -m bench.vae --sizes 512                               # the CPU, TAEF2 and the approximate VAE
python -m bench.vae --device cuda --sizes 512 1024 2048       # on a GPU
python -m bench.vae --vae /path/to/taesd_decoder.pth ...      # any other source load_vae takes
"""

import argparse
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.timing import fmt, median_seconds
from inpaint_core import load_vae

TAEF2 = Path(__file__).resolve().parents[2] / "shared" / "models" / "taef2"


def rows(vae, size, device, repeats):
    pixels = torch.rand(1, size, size, 3, device=device)
    images = pixels.movedim(-1, 1).to(vae.device, vae.dtype, memory_format=torch.channels_last)
    latents = vae.encode(pixels)
    codes = latents.to(vae.dtype, memory_format=torch.channels_last)
    with torch.inference_mode():
        for step, wrapped, bare in (
            ("encode", lambda: vae.encode(pixels), lambda: vae.encoder(images)),
            ("decode", lambda: vae.decode(latents), lambda: vae.decoder(codes)),
        ):
            bare_s = median_seconds(bare, device, repeats)
            wrapped_s = median_seconds(wrapped, device, repeats)
            overhead = (wrapped_s / bare_s - 1) * 100
            with FlopCounterMode(display=False) as flops:
                bare()
            gflop = flops.get_total_flops() / 1e9
            print(
                f"{vae.display_name:>32} {size:>5} {step}  bare {fmt(bare_s)}  wrapper {fmt(wrapped_s)}  {overhead:+6.1f}%"
                f"  {gflop:7.1f} GFLOP, {gflop / bare_s:7.1f} GFLOPS"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--vae", action="append", default=[], help="more sources (repeatable)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device(args.device)
    sources = [*([str(TAEF2)] if TAEF2.is_dir() else []), "approx", *args.vae]
    print(f"device {device}, {torch.get_num_threads()} CPU threads")
    for source in sources:
        vae = load_vae(source, device)
        for size in args.sizes:
            rows(vae, size, device, args.repeats)


if __name__ == "__main__":
    main()
