"""A `mask_offset` release on a GPU, the tiny autoencoder run several ways: eager as the page runs it, with
cudnn.benchmark, NCHW, bf16, a CUDA graph, cuDNN's fused conv + bias (+ add) + ReLU, group norms reduced over the
whole GPU, and torch.compile's modes. Every variant but eager runs with cudnn.benchmark on.

    python -m bench.gpu_variants --sizes 1024 2048 4096                     # every variant, both nets
    python -m bench.gpu_variants --sizes 4096 --variants eager compile --profile 4096

Per net, size and variant: the first call's seconds (compiling included), the median of the VAE's whole encode
+ decode and of the release (WAS's pixels prepared, encode_and_decode, the preview on the CPU), and max |Δ|
against the eager half-precision pass on the same GPU (latents; decoded floats from the same latents; the
preview in levels of 255) and against an eager float32 pass (TF32 off). TAESD's weights are not bundled: a net
of its layout with random weights stands in (tests/conftest.py tiny_layout_vae). --profile: where a release's
GPU time goes (torch.profiler, by kind of kernel) at that size.
"""

import argparse
import json
import os
import time
from collections import defaultdict
from dataclasses import replace
from functools import partial

import torch
from torch import nn

from bench.release import ASSETS, cat_and_mask
from bench.timing import median_seconds, sync
from inpaint_core.compare import encode_and_decode
from inpaint_core.preparations.methods import seed_preparation
from inpaint_core.vaes.comfy_tiny import comfy_tiny_codec
from inpaint_core.vaes.compiled import CompiledNet
from inpaint_core.vaes.loaders import TINY_FAMILIES
from inpaint_core.vaes.state_dicts import read_state_dict
from inpaint_core.vaes.tiny_autoencoder import Block, decoder, encoder
from inpaint_core.vaes.vae import VAE

VARIANTS = (
    "eager", "benchmark", "fused-groupnorm", "compile", "groupnorm", "fused", "reduce-overhead", "fused-graph",
    "graph", "bf16", "nchw", "max-autotune-no-cudagraphs", "compile-dynamic",
)  # fmt: skip


def make_vae(net: str, device, dtype, channels_last: bool = True) -> VAE:
    """TAEF2 (bundled weights) or the TAESD layout with tiny_layout_vae's random weights, in dtype."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if net == "taef2":
        channels, scale, shift, label = TINY_FAMILIES["taef2"]
        nets = []
        for part, build in (("encoder", encoder), ("decoder", decoder)):
            weights = read_state_dict(ASSETS / "taef2" / f"taef2_{part}.pth")
            module = build(channels, pool=True)
            module.load_state_dict(weights)
            nets.append(module)
    else:
        channels, scale, shift, label = 4, 0.18215, 0.0, "TAESD layout (random weights)"
        torch.manual_seed(0)
        nets = [build(channels, pool=False) for build in (encoder, decoder)]
    nets = [m.eval().requires_grad_(False).to(device, dtype, memory_format=fmt) for m in nets]
    encode, decode = comfy_tiny_codec(*nets, scale, shift, device, dtype)
    vae = VAE(label, encode, decode, channels, device, dtype)
    if not channels_last:
        vae = replace(vae, encoder=_contiguous(encode), decoder=_contiguous(decode))
    return vae


def _contiguous(net):
    return lambda x: net(x.contiguous())


class Graphed:
    """net(x) replayed from a CUDA graph captured per input shape (static input and output buffers)."""

    def __init__(self, net):
        self.net, self.graphs = net, {}

    def __call__(self, x):
        key = (tuple(x.shape), x.stride(), x.dtype)
        if key not in self.graphs:
            static = x.clone()
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                self.net(static)
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                out = self.net(static)
            self.graphs[key] = graph, static, out
        graph, static, out = self.graphs[key]
        static.copy_(x)
        graph.replay()
        return out.clone()


def conv_relu(conv: nn.Conv2d, x):
    return torch.cudnn_convolution_relu(x, conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, 1)


def wide_group_norm(norm: nn.GroupNorm, x):
    """norm(x) with the statistics from a reduction spread over the whole GPU (PyTorch's CUDA kernel gives each
    of N × groups a single block: 4 blocks for TAEF2's 4 groups), in float32 as the kernel computes them."""
    n, c, h, w = x.shape
    grouped = x.permute(0, 2, 3, 1).reshape(n, h * w, norm.num_groups, c // norm.num_groups).float()
    var, mean = torch.var_mean(grouped, dim=(1, 3), unbiased=False, keepdim=True)
    out = (grouped - mean) * torch.rsqrt(var + norm.eps)
    out = out.reshape(n, h, w, c) * norm.weight.float() + norm.bias.float()
    return out.to(x.dtype).permute(0, 3, 1, 2)


def pool_branch(block: Block, x, wide: bool):
    if not wide:
        return block.pool(x)
    squeeze, norm, relu, expand = block.pool
    return expand(relu(wide_group_norm(norm, squeeze(x))))


def block_fused(block: Block, x, wide: bool = False):
    """relu(convs(x) + x) as cuDNN's conv + bias + ReLU twice and conv + bias + add + ReLU once."""
    if block.pool is not None:
        x = x + pool_branch(block, x, wide)
    first, _, second, _, third = block.conv
    h = conv_relu(second, conv_relu(first, x))
    return torch.cudnn_convolution_add_relu(
        h, third.weight, x, 1.0, third.bias, third.stride, third.padding, third.dilation, 1
    )


def block_eager(block: Block, x, wide: bool = True):
    if block.pool is not None:
        x = x + pool_branch(block, x, wide)
    return torch.relu(block.conv(x) + x)


def fused(net, convs: bool = True, wide: bool = False):
    """A StagedNet's layers run with cuDNN's fused convolutions where a conv meets a ReLU or a block (`convs`),
    and group norms' statistics from a reduction over the whole GPU (`wide`)."""
    layers = [layer for stage in net.stages for layer in stage.layers]
    steps, i = [], 0
    while i < len(layers):
        layer, after = layers[i], layers[i + 1] if i + 1 < len(layers) else None
        if convs and isinstance(layer, nn.Conv2d) and isinstance(after, nn.ReLU):
            steps.append(partial(conv_relu, layer))
            i += 2
            continue
        if isinstance(layer, Block):
            layer = partial(block_fused if convs else block_eager, layer, wide=wide)
        steps.append(layer)
        i += 1

    def run(x):
        for step in steps:
            x = step(x)
        return x

    return run


def variant_vae(name: str, base: VAE, net: str) -> VAE:
    device = base.device
    if name in ("eager", "benchmark"):
        return base
    if name == "nchw":
        return make_vae(net, device, base.dtype, channels_last=False)
    if name == "bf16":
        return make_vae(net, device, torch.bfloat16)
    wrap = {
        "graph": Graphed,
        "fused": fused,
        "groupnorm": partial(fused, convs=False, wide=True),
        "fused-groupnorm": partial(fused, wide=True),
        "fused-graph": lambda n: Graphed(fused(n, wide=True)),
        "compile": CompiledNet,
        "compile-dynamic": partial(CompiledNet, dynamic=True),
        "reduce-overhead": partial(CompiledNet, mode="reduce-overhead"),
        "max-autotune-no-cudagraphs": partial(CompiledNet, mode="max-autotune-no-cudagraphs"),
    }[name]
    return replace(base, encoder=wrap(base.encoder), decoder=wrap(base.decoder))


def release_fn(vae: VAE, image, mask, offset: int):
    def run():
        prepared = seed_preparation("was", image, mask, offset, 8).encoded[:1]
        return encode_and_decode(vae, prepared)

    return run


def max_diff(a, b) -> float:
    return (a.float() - b.float()).abs().max().item()


def measure(name, vae, net, size, refs, repeats, record):
    """One row: first call, medians, differences against the eager half and float32 passes."""
    device = vae.device
    torch.backends.cudnn.benchmark = name != "eager"
    image, mask = (t.to(device) for t in cat_and_mask(size))
    pixels = seed_preparation("was", image, mask, 12, 8).encoded[:1]
    sync(device)
    start = time.perf_counter()
    latents = vae.encode(pixels)
    decoded = vae.decode(refs["half"][0])  # the eager pass's latents: the decoder alone
    sync(device)
    first = time.perf_counter() - start
    whole = median_seconds(lambda: vae.decode(vae.encode(pixels)), device, repeats)
    run = release_fn(vae, image, mask, 12)
    released = median_seconds(run, device, repeats)
    prepare = median_seconds(lambda: seed_preparation("was", image, mask, 12, 8), device, repeats)
    preview = run().decoded
    half, full = refs["half"], refs["float32"]
    row = {
        "net": net, "size": size, "variant": name, "first_s": round(first, 2),
        "whole_ms": round(whole * 1e3, 2), "release_ms": round(released * 1e3, 2), "prepare_ms": round(prepare * 1e3, 2),
        "latents_vs_half": max_diff(latents, half[0]), "decoded_vs_half": max_diff(decoded, half[1]),
        "preview_vs_half": max_diff(preview, half[2]),
        "latents_vs_f32": max_diff(latents, full[0]), "decoded_vs_f32": max_diff(decoded, full[1]),
    }  # fmt: skip
    record(row)


def references(net, size, device, half_vae, f32_vae):
    """(latents, decoded from those latents, uint8 preview) of the eager half pass; the float32 pass's (TF32 off)."""
    torch.backends.cudnn.benchmark = False
    image, mask = (t.to(device) for t in cat_and_mask(size))
    pixels = seed_preparation("was", image, mask, 12, 8).encoded[:1]
    latents = half_vae.encode(pixels)
    half = (latents, half_vae.decode(latents), release_fn(half_vae, image, mask, 12)().decoded)
    tf32 = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    full_latents = f32_vae.encode(pixels)
    full = (full_latents, f32_vae.decode(latents))  # decoded from the half pass's latents: the decoder alone
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = tf32
    return {"half": half, "float32": full}


CATEGORIES = (
    ("copy to host", ("dtoh", "device -> pageable", "device -> pinned")),
    ("copies, layout", ("memcpy", "memset", "nchwtonhwc", "nhwctonchw", "copy_kernel", "transpose")),
    ("convolutions", ("conv", "xmma", "gemm", "cutlass", "implicit", "fprop", "sm90_", "sm80_", "cudnn")),
    ("group norm", ("group_norm", "groupnorm", "rowwisemoments", "computefusedparams", "triton_red", "triton_per")),
    ("upsample", ("upsample",)),
    ("triton (fused pointwise)", ("triton_poi", "triton_")),
    ("elementwise", ("elementwise", "vectorized", "unrolled", "reduce_kernel")),
)


def category(kernel: str) -> str:
    lowered = kernel.lower()
    for name, keys in CATEGORIES:
        if any(key in lowered for key in keys):
            return name
    return "other"


def profile(name, vae, size, out_dir):
    """GPU time of one release by kind of kernel, and the largest kernels."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    torch.backends.cudnn.benchmark = name != "eager"
    image, mask = (t.to(vae.device) for t in cat_and_mask(size))
    run = release_fn(vae, image, mask, 12)
    run()
    run()
    sync(vae.device)
    with torch_profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        run()
        sync(vae.device)
    kernels, totals = [], defaultdict(float)
    for event in prof.key_averages():
        us = getattr(event, "self_device_time_total", 0) or 0
        if us > 0:
            kernels.append((us / 1e3, event.count, event.key))
            totals[category(event.key)] += us / 1e3
    kernels.sort(reverse=True)
    print(f"\nprofile {vae.name} {size}² {name}: GPU {sum(totals.values()):.1f} ms")
    for kind, ms in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<28} {ms:8.2f} ms")
    for ms, count, key in kernels[:14]:
        print(f"    {ms:8.2f} ms {count:4d}×  {key[:110]}")
    if out_dir:
        with open(os.path.join(out_dir, f"profile_{size}_{name}_{vae.name[:5]}.txt"), "w") as file:
            file.write(
                prof.key_averages().table(sort_by="self_device_time_total", row_limit=60, max_name_column_width=120)
            )


def host_side(size: int):
    """The preview's trip to the CPU and its image encodings, beside the GPU work (4096²: 50 MB of uint8)."""
    import io

    import numpy as np
    from PIL import Image

    device = torch.device("cuda")
    decoded = torch.rand(size, size, 3, device=device)
    to_uint8 = median_seconds(lambda: decoded.mul(255).round_().to(torch.uint8), device, 10)
    preview = decoded.mul(255).round_().to(torch.uint8)
    pageable = median_seconds(lambda: preview.cpu(), device, 10)
    pinned = torch.empty(preview.shape, dtype=torch.uint8, pin_memory=True)
    pinned_s = median_seconds(lambda: pinned.copy_(preview), device, 10)
    array = np.asarray(Image.open(ASSETS / "chelsea.png").convert("RGB").resize((size, size)))
    encodings = {}
    for fmt, kwargs in (("PNG", {}), ("PNG level 1", {"compress_level": 1}), ("JPEG 90", {"quality": 90})):
        start = time.perf_counter()
        Image.fromarray(array).save(io.BytesIO(), format=fmt.split()[0], **kwargs)
        encodings[fmt] = time.perf_counter() - start
    print(
        f"\nhost side {size}²: float→uint8 on the GPU {to_uint8 * 1e3:.2f} ms; preview to the CPU "
        f"{pageable * 1e3:.2f} ms pageable, {pinned_s * 1e3:.2f} ms pinned; "
        + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in encodings.items())
        + " (the cat resized, one CPU core)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--nets", nargs="+", choices=["taef2", "taesd-layout"], default=["taesd-layout", "taef2"])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--profile", type=int, nargs="*", default=[], help="sizes to profile (eager and others)")
    parser.add_argument("--profile-variants", nargs="+", choices=VARIANTS, default=["eager"])
    parser.add_argument("--host", type=int, nargs="*", default=[], help="sizes for the preview's host-side costs")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget-s", type=float, default=1e9, help="start no variant past this many seconds")
    parser.add_argument("--out", default=os.environ.get("OUT", ""))
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    device = torch.device(args.device)
    if device.type == "cuda":
        print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")
    rows = []

    def record(row):
        rows.append(row)
        print(
            f"{row['net']:>12} {row['size']:>5}² {row['variant']:<27} first {row['first_s']:7.2f} s  "
            f"whole {row['whole_ms']:8.2f} ms  release {row['release_ms']:8.2f} ms (prepare {row['prepare_ms']:.1f})  Δ vs half: latents "
            f"{row['latents_vs_half']:.1e} decoded {row['decoded_vs_half']:.1e} preview {row['preview_vs_half']:.0f}"
            f"  vs f32: latents {row['latents_vs_f32']:.1e} decoded {row['decoded_vs_f32']:.1e}",
            flush=True,
        )
        if args.out:
            with open(os.path.join(args.out, "rows.json"), "w") as file:
                json.dump(rows, file, indent=1)

    for size in args.host:
        host_side(size)
    halves = {net: make_vae(net, device, torch.float16) for net in args.nets}
    refs = {}
    for net in args.nets:
        f32 = make_vae(net, device, torch.float32)
        refs[net] = {size: references(net, size, device, halves[net], f32) for size in args.sizes}
        del f32
    start = time.perf_counter()
    for name in args.variants:  # the most telling first: a run cut short by its time limit keeps them
        if time.perf_counter() - start > args.budget_s:
            print(f"{name}: not run (past --budget-s {args.budget_s})", flush=True)
            continue
        for net in args.nets:
            vae = variant_vae(name, halves[net], net)
            for size in args.sizes:
                try:
                    measure(name, vae, net, size, refs[net][size], args.repeats, record)
                except Exception as error:  # noqa: BLE001 - a variant that fails is reported and the rest go on
                    print(f"{net:>12} {size:>5}² {name:<27} failed: {type(error).__name__}: {str(error)[:300]}")
            if name in args.profile_variants:
                for size in args.profile:
                    profile(name, vae, size, args.out)
            del vae
            torch._dynamo.reset()
            if device.type == "cuda":
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
