"""A tiny autoencoder's arithmetic as ComfyUI 0.8 does it, so latents and images match its bit for bit on the CPU.

comfy/sd.py `VAE.encode` hands the model `process_input(p) = p * 2.0 - 1.0`; comfy/taesd/taesd.py `TAESD.encode`
runs the encoder on `x * 0.5 + 0.5` (not always `p` again: a value in 4-5 is off by an ulp) and returns
`enc / vae_scale + vae_shift`, both 0-dim tensors made in float32 (nodes.py `load_taesd`) and cast with the
model. `TAESD.decode` returns `dec((z - vae_shift) * vae_scale).sub(0.5).mul(2)`, and `VAE.decode`'s
`process_output` clamps `(x + 1.0) / 2.0` to [0, 1] (the clamp is VAE.decode's, vae.py).

Memory layout changes the CPU's convolutions too. ComfyUI's encoder sees the IMAGE moved to NCHW: channels_last
strides, as vae.py hands every encoder (its channels_last weights compute the same as ComfyUI's contiguous
ones), so latents are ComfyUI's bit for bit. Its decoder sees a contiguous LATENT; here it runs channels_last,
1.5x faster on a CPU (2.5 s against 3.7 s at 512², 2 cores), so decoded images differ from ComfyUI's by the
convolutions' float32 rounding (about 2e-6), not by the arithmetic around them.
"""

from collections.abc import Callable

import torch
from torch import nn

from .compiled import compiled
from .reach import Pointwise
from .stages import StagedNet

Net = Callable[[torch.Tensor], torch.Tensor]


def comfy_tiny_codec(
    encoder: Net, decoder: Net, scale: float, shift: float, device: torch.device, dtype: torch.dtype
) -> tuple[Net, Net]:
    """(encode, decode) around a tiny autoencoder's two nets ([0, 1] images <-> scaled latents), in raw latents.

    Nets given as nn.Sequential of known layers come back as StagedNets (the same layers in the same order, with
    this arithmetic as pointwise layers), which tile exactly and update from a previous pass (incremental.py);
    on CUDA with INPAINT_COMPILE set, their whole passes run compiled (compiled.py).
    """
    vae_scale = torch.tensor(scale).to(device, dtype)  # as load_taesd's torch.tensor, then the model's dtype
    vae_shift = torch.tensor(shift).to(device, dtype)
    before_encoder = Pointwise(lambda pixels: (pixels * 2.0 - 1.0) * 0.5 + 0.5)
    after_encoder = Pointwise(lambda scaled: scaled / vae_scale + vae_shift)
    before_decoder = Pointwise(lambda latents: (latents - vae_shift) * vae_scale)
    after_decoder = Pointwise(lambda images: (images.sub(0.5).mul(2) + 1.0) / 2.0)

    def encode(pixels: torch.Tensor) -> torch.Tensor:
        return after_encoder(encoder(before_encoder(pixels)))

    def decode(latents: torch.Tensor) -> torch.Tensor:
        return after_decoder(decoder(before_decoder(latents)))

    return (
        compiled(_staged([before_encoder, encoder, after_encoder]), device) or encode,
        compiled(_staged([before_decoder, decoder, after_decoder]), device) or decode,
    )


def _staged(parts: list) -> StagedNet | None:
    """The parts' layers as one StagedNet, where the net between is an nn.Sequential of known layers."""
    first, net, last = parts
    return StagedNet.of([first, *net, last]) if isinstance(net, nn.Sequential) else None
