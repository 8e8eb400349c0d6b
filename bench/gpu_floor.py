"""What a GPU release must cost at least, counted rather than timed: every op of the VAE's encode and decode (the
wrapper's conversions included) and of encode_and_decode's error map and preview, run on meta tensors.

    python -m bench.gpu_floor --sizes 1024 2048 4096          # seconds, on any CPU

Per op: floating-point operations (convolutions) and bytes read and written. "Eager" is one kernel per op as
PyTorch runs them on CUDA (cuDNN adds a convolution's bias in a second pass over its output); "fused" keeps only
the convolutions (each reading its input once and writing its output once, bias, ReLU and residual add in its
epilogue; an upsample folded into the next convolution's reads) and a group norm's extra read for its statistics.
Each kernel costs at least max(FLOP / --tflops, bytes / --tbps): the ceilings measured on these machines' H100
(an 8192³ bf16 matrix product, a device-to-device copy, measured on an H100 80GB).
"""

import argparse
from collections import defaultdict
from dataclasses import dataclass, replace

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from bench.gpu_variants import make_vae

POINTWISE_INTO_CONV = {"relu", "add", "add_", "relu_", "tanh", "div", "mul", "sub", "clamp", "_to_copy", "copy_"}


@dataclass
class Op:
    name: str
    flops: int
    read: int
    written: int
    level: int  # the output's side in pixels, the op's resolution


def _bytes(t: torch.Tensor) -> int:
    return min(t.numel() * t.element_size(), t.untyped_storage().nbytes())


class Traffic(TorchDispatchMode):
    """Records each op that moves data (views move none), with a convolution's bias add as an op of its own."""

    def __init__(self):
        super().__init__()
        self.ops: list[Op] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.__name__.split(".")[0]
        copied = name == "to" and out is not args[0]  # `to` is an alias where it changes nothing, else a copy
        if (func.is_view and not copied) or name in ("detach", "alias", "lift_fresh", "empty", "empty_strided"):
            return out
        ins = [a for a in tree_leaves((args, kwargs)) if isinstance(a, torch.Tensor)]
        outs = [o for o in tree_leaves(out) if isinstance(o, torch.Tensor)]
        level = outs[0].shape[-1] if outs and outs[0].ndim >= 2 else 0
        if name in ("conv2d", "convolution"):
            x, weight, bias = args[0], args[1], args[2] if len(args) > 2 else (kwargs or {}).get("bias")
            flops = 2 * outs[0].numel() * weight[0].numel()
            self.ops.append(Op("convolution", flops, _bytes(x) + _bytes(weight), _bytes(outs[0]), level))
            if bias is not None:  # cuDNN convolutions leave the bias to a second pass (ATen's cudnn/ConvShared.cpp)
                self.ops.append(Op("bias add", 0, _bytes(outs[0]), _bytes(outs[0]), level))
            return out
        read = sum(_bytes(t) for t in ins)
        if name in ("group_norm", "native_group_norm"):
            read += _bytes(args[0])  # statistics first, then the normalisation: the input read twice
        self.ops.append(Op(name, 0, read, sum(_bytes(t) for t in outs), level))
        return out


def traced(net: str, size: int) -> list[Op]:
    """The ops of one release's GPU work: encode, decode, error map and preview, as compare.encode_and_decode."""
    meta = torch.device("meta")
    vae = replace(make_vae(net, meta, torch.float16), memory_budget=1 << 50)  # whole, as on the GPU
    pixels = torch.empty(1, size, size, 3, device=meta)
    with torch.inference_mode(), Traffic() as traffic:
        latents = vae.encode(pixels)
        decoded = vae.decode(latents)[0]
        encoded = pixels[0].to(decoded.device, decoded.dtype)
        (decoded - encoded).square_().sum(-1)
        decoded.mul(255).round_().to(torch.uint8)
    return traffic.ops


def floors(ops: list[Op], tflops: float, tbps: float) -> dict[str, float]:
    """Milliseconds at least: one kernel per op, the fused convolutions alone, their arithmetic alone."""

    def ms(flops, moved):
        return max(flops / (tflops * 1e12), moved / (tbps * 1e12)) * 1e3

    eager = sum(ms(op.flops, op.read + op.written) for op in ops)
    convs = [op for op in ops if op.name == "convolution"]
    fused = sum(ms(op.flops, op.read + op.written) for op in convs)
    fused += sum((op.read - op.written) / 2 / (tbps * 1e12) * 1e3 for op in ops if "group_norm" in op.name)
    return {"eager": eager, "fused": fused, "arithmetic": sum(op.flops for op in convs) / (tflops * 1e12) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--nets", nargs="+", choices=["taef2", "taesd-layout"], default=["taesd-layout", "taef2"])
    parser.add_argument("--tflops", type=float, default=790.0, help="the matrix units' rate, TFLOP/s")
    parser.add_argument("--tbps", type=float, default=3.0, help="device memory, TB/s read plus written")
    args = parser.parse_args()
    for net in args.nets:
        for size in args.sizes:
            ops = traced(net, size)
            by_kind = defaultdict(lambda: [0, 0, 0])
            for op in ops:
                kind = (
                    op.name
                    if op.name in ("convolution", "bias add", "group_norm", "native_group_norm")
                    else "pointwise"
                )
                kind = "upsample" if "upsample" in op.name else kind
                by_kind[kind][0] += 1
                by_kind[kind][1] += op.read + op.written
                by_kind[kind][2] += op.flops
            floor = floors(ops, args.tflops, args.tbps)
            kinds = ", ".join(f"{k} {n}× {b / 1e9:.1f} GB" for k, (n, b, _) in sorted(by_kind.items()))
            print(
                f"{net:>12} {size:>5}²  {len(ops)} kernels eager, {sum(o.flops for o in ops) / 1e12:.2f} TFLOP, "
                f"{sum(o.read + o.written for o in ops) / 1e9:.1f} GB moved ({kinds})\n"
                f"{'':>20}at least: eager {floor['eager']:.1f} ms, fused {floor['fused']:.1f} ms, "
                f"the convolutions' arithmetic {floor['arithmetic']:.1f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
