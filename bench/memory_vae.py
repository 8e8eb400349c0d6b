"""Peak resident memory of one TAEF2 encode and decode, each image size in a fresh process.

python -m bench.memory_vae                         # the CPU, 2048² and 4096², the VAE's own memory budget
python -m bench.memory_vae --sizes 1024 --budget-mib 256
python -m bench.memory_vae --sizes 4096 --tile-mib 1024   # CPU tiles as large as the budget (before CPU_TILE_BYTES)
python -m bench.memory_vae --limit-gib 10          # a child past 10 GiB of address space fails, not the machine
python -m bench.memory_vae --device cuda --sizes 1024 2048 4096   # GPU: first call in a fresh process, then again

Each child loads the VAE, makes a (1, S, S, 3) image, encodes it, decodes the latent, and prints
/proc/self/status's VmRSS after loading and VmHWM (peak RSS) after each step, with the seconds each
step took and, where the VAE reports it, the tile side it chose. On a GPU it adds the peak GPU memory
torch allocated and a second encode and decode (the first includes CUDA's start-up).
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAEF2 = ROOT / "assets" / "taef2"


def status_mib(key: str) -> float:
    """A /proc/self/status figure (VmRSS, VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def child(size: int, budget_mib: int | None, source: str, device: str, tile_mib: int | None = None) -> dict:
    import torch

    from inpaint_core import load_vae
    from inpaint_core.vaes import vae as vae_module

    if tile_mib is not None:
        vae_module.CPU_TILE_BYTES = tile_mib * 2**20

    def timed(fn):
        start = time.perf_counter()
        result = fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return result, time.perf_counter() - start

    torch.manual_seed(0)
    vae = load_vae(source, device)
    if budget_mib is not None:
        vae.memory_budget = budget_mib * 2**20
    pixels = torch.rand(1, size, size, 3)
    figures = {"size": size, "loaded_rss_mib": status_mib("VmRSS"), "loaded_hwm_mib": status_mib("VmHWM")}
    latents, figures["encode_s"] = timed(lambda: vae.encode(pixels))
    figures["encode_hwm_mib"] = status_mib("VmHWM")
    decoded, figures["decode_s"] = timed(lambda: vae.decode(latents))
    figures["decode_hwm_mib"] = status_mib("VmHWM")
    if hasattr(vae, "tile_side"):  # versions before the memory budget ran whole, or tiled after running out
        batch, _, height, width = latents.shape
        figures["encode_tile"] = vae.tile_side("encode", batch, size, size)
        figures["decode_tile"] = vae.tile_side("decode", batch, height, width)
    if device.startswith("cuda"):
        figures["gpu_peak_mib"] = torch.cuda.max_memory_allocated() / 2**20
        _, figures["again_s"] = timed(lambda: vae.decode(vae.encode(pixels)).cpu())
    figures["decoded_shape"] = list(decoded.shape)
    return figures


def run_child(size: int, args) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.memory_vae",
        "--child",
        str(size),
        "--vae",
        args.vae,
        "--device",
        args.device,
    ]
    if args.budget_mib is not None:
        command += ["--budget-mib", str(args.budget_mib)]
    if args.tile_mib is not None:
        command += ["--tile-mib", str(args.tile_mib)]

    def limit():  # in the child, before exec: an allocation past the limit fails there
        if args.limit_gib:
            cap = int(args.limit_gib * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, preexec_fn=limit)
    if done.returncode != 0:
        return {"size": size, "failed": (done.stderr.strip().splitlines() or ["killed"])[-1][:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 4096])
    parser.add_argument("--vae", default=str(TAEF2), help="a source load_vae takes (default: the bundled TAEF2)")
    parser.add_argument("--budget-mib", type=int, default=None, help="set VAE.memory_budget (default: the VAE's)")
    parser.add_argument("--tile-mib", type=int, default=None, help="set the CPU's largest tile (CPU_TILE_BYTES)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--limit-gib", type=float, default=None, help="address-space limit of each child")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.budget_mib, args.vae, args.device, args.tile_mib)))
        return
    import torch

    print(f"{Path(args.vae).name}, {args.device}, {torch.get_num_threads()} CPU threads; one fresh process per size")
    for size in args.sizes:
        r = run_child(size, args)
        if "failed" in r:
            print(f"{size:>5}²  failed: {r['failed']}")
            continue
        tiles = f"  tiles: encode {r['encode_tile']}, decode {r['decode_tile']}" if "encode_tile" in r else ""
        gpu = f"  GPU peak {r['gpu_peak_mib']:.0f} MiB, again {r['again_s']:.3f} s" if "gpu_peak_mib" in r else ""
        print(
            f"{size:>5}²  loaded {r['loaded_rss_mib']:7.0f} MiB  peak after encode {r['encode_hwm_mib']:7.0f} MiB"
            f"  after decode {r['decode_hwm_mib']:7.0f} MiB ({r['decode_hwm_mib'] / 1024:.2f} GiB)"
            f"  encode {r['encode_s']:6.2f} s  decode {r['decode_s']:6.2f} s{tiles}{gpu}"
        )


if __name__ == "__main__":
    main()
