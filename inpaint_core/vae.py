"""One VAE type for every source: ComfyUI's IMAGE layout outside, raw latents, the model's device inside.

`encode`: pixels (B, H, W, 3) in [0, 1] -> raw latents (B, C, H/r, W/r), float32, deterministic.
`decode`: raw latents -> pixels (B, H, W, 3) in [0, 1], float32.
Raw latents are what ComfyUI's LATENT carries: unscaled, unshifted.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .tiling import run_tiled

Net = Callable[[torch.Tensor], torch.Tensor]  # NCHW in, NCHW out, on the VAE's device and dtype


@dataclass
class VAE:
    """A loaded VAE. `encoder` maps [0, 1] NCHW images to raw latents, `decoder` the reverse."""

    name: str
    encoder: Net
    decoder: Net
    latent_channels: int
    device: torch.device
    dtype: torch.dtype
    downscale_ratio: int = 8
    approximate: bool = False
    tile: int = 512  # pixels per tile side when a whole image does not fit in GPU memory

    @property
    def display_name(self) -> str:
        return f"{self.name} (approximate)" if self.approximate else self.name

    @torch.inference_mode()
    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) in [0, 1] -> raw latents (B, C, H/r, W/r).

        Channels past the third (RGBA's alpha) are dropped, as ComfyUI 0.8's VAE.encode does.
        """
        if pixels.ndim != 4 or pixels.shape[-1] < 3:
            raise ValueError(f"pixels must be (B, H, W, 3), got shape {tuple(pixels.shape)}")
        images = pixels[..., :3].movedim(-1, 1).to(self.device, self.dtype, memory_format=torch.channels_last)
        latents = self._run(self.encoder, images, 1 / self.downscale_ratio, self.tile)
        return latents.float()

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """raw latents (B, C, h, w) -> (B, rh, rw, 3) in [0, 1]."""
        if latents.ndim != 4 or latents.shape[1] != self.latent_channels:
            raise ValueError(f"latents must be (B, {self.latent_channels}, h, w), got shape {tuple(latents.shape)}")
        codes = latents.to(self.device, self.dtype, memory_format=torch.channels_last)
        images = self._run(self.decoder, codes, self.downscale_ratio, self.tile // self.downscale_ratio)
        return images.float().clamp(0, 1).movedim(1, -1)

    def _run(self, net: Net, x: torch.Tensor, scale: float, tile: int) -> torch.Tensor:
        """net(x); out of GPU memory: again in tiles; still out: a clear error (the next call starts afresh)."""
        try:
            return net(x)
        except torch.OutOfMemoryError:
            _free_gpu_memory(self.device)
        try:
            return run_tiled(net, x, scale, tile)
        except torch.OutOfMemoryError as error:
            _free_gpu_memory(self.device)
            raise MemoryError(
                f"{self.display_name}: out of GPU memory even in {tile}-pixel tiles for input {tuple(x.shape)}; "
                "try a smaller image"
            ) from error


def _free_gpu_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
