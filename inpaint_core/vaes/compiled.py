"""A tiny autoencoder's whole pass through torch.compile on a GPU: opt-in (INPAINT_COMPILE, device.py).

Compiling is per input shape, on its first call (seconds to a minute: bench/README.md); later calls of a shape
run the compiled code. Tiled and incremental passes (tiling.py, incremental.py) run the same stages eagerly.
Outputs equal the eager pass's within the dtype's float rounding (tests/core/test_cuda.py).
"""

import threading
from dataclasses import replace

import torch
from torch import nn

from .device import compile_mode
from .stages import StagedNet
from .vae import VAE

GRAPHED = ("reduce-overhead", "max-autotune")  # modes that replay CUDA graphs


class CompiledNet(StagedNet):
    """A StagedNet whose whole pass runs compiled in `mode` (a torch.compile mode); its stages stay eager."""

    def __init__(self, net: StagedNet, mode: str = "default", dynamic: bool = False):
        super().__init__(net.stages, net.channels)
        self.mode = mode
        layers = nn.Sequential(*(layer for stage in net.stages for layer in stage.layers))
        self.compiled = torch.compile(layers, mode=None if mode == "default" else mode, dynamic=dynamic)
        self.lock = threading.Lock()  # compiling and CUDA graphs are not safe from two threads at once

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        with self.lock:
            if self.mode in GRAPHED:
                torch.compiler.cudagraph_mark_step_begin()
                return self.compiled(x).clone()  # the graph's output buffer is reused by its next replay
            return self.compiled(x)


def compiled(net, device: torch.device, mode: str | None = None):
    """`net` compiled where it is a StagedNet on CUDA and `mode` (a value as INPAINT_COMPILE takes; None: that
    variable's) asks for it, else `net` itself."""
    mode = compile_mode(mode)
    if mode is None or device.type != "cuda" or not isinstance(net, StagedNet) or isinstance(net, CompiledNet):
        return net
    return CompiledNet(net, mode)


def compile_vae(vae: VAE, mode: str = "default") -> VAE:
    """A VAE sharing `vae`'s weights whose whole encodes and decodes run compiled in `mode` (a value as
    INPAINT_COMPILE takes: '0' gives `vae` back) on CUDA, for a tiny autoencoder; other nets stay as they are."""
    mode = compile_mode(mode)
    if mode is None:
        return vae
    return replace(
        vae, encoder=compiled(vae.encoder, vae.device, mode), decoder=compiled(vae.decoder, vae.device, mode)
    )
