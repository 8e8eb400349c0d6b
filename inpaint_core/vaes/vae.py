"""One VAE type for every source: ComfyUI's IMAGE layout outside, raw latents, the model's device inside.

`encode`: pixels (B, H, W, 3) in [0, 1] -> raw latents (B, C, H/r, W/r), float32, deterministic.
`decode`: raw latents -> pixels (B, H, W, 3) in [0, 1], float32.
Raw latents are what ComfyUI's LATENT carries: unscaled, unshifted.

Memory: before running, each step estimates its activations from the input's size, the VAE's
`activation_channels` (`decode_channels` for decoding, where given) and its dtype, and runs in tiles (tiling.py) where they would pass
`memory_budget`, so a large image on a CPU is tiled before the machine runs out, not after. Inputs
within the budget run whole, exactly as before; on a CPU, those beyond it run in tiles of at most
CPU_TILE_BYTES (smaller tiles cost little time there: `python -m bench.memory_vae --tile-mib N`).
Tiny autoencoders (StagedNet) tile exactly: a tiled pass equals the whole one within float rounding
(tiling.run_staged); other networks' tiles overlap and leave seams (tiling.run_tiled).
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..cancel import checkpoint
from .stages import StagedNet
from .tiling import run_staged, run_tiled, tile_for_budget

Net = Callable[[torch.Tensor], torch.Tensor]  # NCHW in, NCHW out, on the VAE's device and dtype
CPU_MEMORY_BUDGET = 2**30  # bytes of activations one CPU encode or decode may hold
CPU_TILE_BYTES = 2**28  # an input over the CPU budget runs in tiles of at most this: 0.6 GB less at 4096², 7-20% slower
GPU_BUDGET_SHARE = 0.5  # of the GPU memory free when a step starts
GPU_ASK_SHARE = 1 / 8  # a GPU step estimated below this share of the card runs whole without asking what is free
HELD_SHARE = 1 / 4  # of the budget: the most one activation between a tiled tiny autoencoder's stages may hold


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
    tile: int = 512  # pixels per tile side after running out of GPU memory all the same
    # Activation bytes per image pixel at a pass's peak, per byte of dtype: tiny autoencoders hold
    # about 240 (bench/memory_vae.py measures 780-960 B/px in float32), so 256.
    activation_channels: int = 256
    decode_channels: int | None = None  # where decoding holds more than encoding (an AutoencoderKL's decoder)
    memory_budget: int | None = None  # bytes; None: CPU_MEMORY_BUDGET, or a share of the GPU's free memory

    @property
    def display_name(self) -> str:
        return f"{self.name} (approximate)" if self.approximate else self.name

    @torch.inference_mode()
    def encode(self, pixels: torch.Tensor, run: Net | None = None) -> torch.Tensor:
        """(B, H, W, 3) in [0, 1] -> raw latents (B, C, H/r, W/r).

        Channels past the third (RGBA's alpha) are dropped, as ComfyUI 0.8's VAE.encode does. `run` runs the
        encoder on the NCHW images in its stead (incremental.py's, from an earlier pass).
        """
        if pixels.ndim != 4 or pixels.shape[-1] < 3:
            raise ValueError(f"pixels must be (B, H, W, 3), got shape {tuple(pixels.shape)}")
        images = pixels[..., :3].movedim(-1, 1).to(self.device, self.dtype, memory_format=torch.channels_last)
        return (run or (lambda x: self._run("encode", self.encoder, x)))(images).float()

    @torch.inference_mode()
    def decode(self, latents: torch.Tensor, run: Net | None = None) -> torch.Tensor:
        """raw latents (B, C, h, w) -> (B, rh, rw, 3) in [0, 1]; `run` as encode's."""
        if latents.ndim != 4 or latents.shape[1] != self.latent_channels:
            raise ValueError(f"latents must be (B, {self.latent_channels}, h, w), got shape {tuple(latents.shape)}")
        codes = latents.to(self.device, self.dtype, memory_format=torch.channels_last)
        decoded = (run or (lambda z: self._run("decode", self.decoder, z)))(codes)
        return decoded.float().clamp(0, 1).movedim(1, -1)

    def tile_side(self, step: str, batch: int, height: int, width: int, held: int = 0) -> int | None:
        """The tile side, in the step's input units (pixels to encode, latent cells to decode), that keeps
        its activations within the memory budget less `held` bytes; None where the whole input fits."""
        per_unit = self._bytes_per_unit(step, batch)
        if self.memory_budget is None and self.device.type == "cuda":
            card = torch.cuda.get_device_properties(self.device).total_memory
            if height * width * per_unit <= GPU_ASK_SHARE * card:
                return None  # asking the driver costs 0.2-0.6 ms a step; running out still falls back to tiles
        budget = max(self.budget() - held, 0)
        if height * width * per_unit <= budget:
            return None
        if self.device.type != "cuda":
            budget = min(budget, CPU_TILE_BYTES)
        return tile_for_budget(height, width, per_unit, budget, self._tile_unit(step))

    def encodes_as_whole(self, height: int, width: int) -> bool:
        """Whether encoding an image of this size gives the whole encode's latents: it runs whole, or in exact
        tiles (a tiny autoencoder); other networks' tiles differ slightly (tiling.run_tiled)."""
        return isinstance(self.encoder, StagedNet) or self.tile_side("encode", 1, height, width) is None

    def whole_encode_mib(self, height: int, width: int) -> int:
        """The memory budget, in MiB, under which an image of this size encodes whole."""
        return -(-height * width * self._bytes_per_unit("encode", 1) // 2**20)

    def _bytes_per_unit(self, step: str, batch: int) -> int:
        """Activation bytes a step holds per unit of its input (an image pixel to encode, a latent cell to decode)."""
        pixels_per_unit = self.downscale_ratio**2 if step == "decode" else 1
        channels = (step == "decode" and self.decode_channels) or self.activation_channels
        return batch * pixels_per_unit * channels * self.dtype.itemsize

    def _tile_unit(self, step: str) -> int:
        """Tiles in multiples of 8 latent cells: their quarter overlaps and half overlaps stay whole cells."""
        return 8 if step == "decode" else 8 * self.downscale_ratio

    def budget(self) -> int:
        """Bytes of activations a step may hold: `memory_budget`, else the CPU's or a share of the GPU's free memory."""
        if self.memory_budget is not None:
            return self.memory_budget
        if self.device.type != "cuda":
            return CPU_MEMORY_BUDGET
        free, _ = torch.cuda.mem_get_info(self.device)
        cached = torch.cuda.memory_reserved(self.device) - torch.cuda.memory_allocated(self.device)
        return int((free + cached) * GPU_BUDGET_SHARE)

    def _run(self, step: str, net: Net, x: torch.Tensor) -> torch.Tensor:
        """net(x), in tiles where the budget says so; out of GPU memory: again in smaller tiles; still out:
        a clear error (the next call starts afresh)."""
        ratio = self.downscale_ratio
        scale = 1 / ratio if step == "encode" else ratio
        tile = self.tile_side(step, x.shape[0], x.shape[2], x.shape[3])
        checkpoint()  # between stages (encode, decode) and before work that runs whole
        try:
            return net(x) if tile is None else self._tiled(net, x, scale, tile)
        except torch.OutOfMemoryError:
            _free_gpu_memory(self.device)
        smaller = self.tile if step == "encode" else self.tile // ratio
        if tile is not None:
            unit = self._tile_unit(step)
            smaller = min(smaller, max(tile // 2 // unit * unit, unit))
        try:
            return self._tiled(net, x, scale, smaller)
        except torch.OutOfMemoryError as error:
            _free_gpu_memory(self.device)
            raise MemoryError(
                f"{self.display_name}: out of GPU memory even in {smaller}-pixel tiles for input {tuple(x.shape)}; "
                "try a smaller image"
            ) from error

    def _tiled(self, net: Net, x: torch.Tensor, scale: float, tile: int) -> torch.Tensor:
        """net(x) in tiles of side `tile`: exact for a staged tiny autoencoder, overlapping for other networks."""
        if isinstance(net, StagedNet):
            return run_staged(net, x, tile, int(self.budget() * HELD_SHARE))
        return run_tiled(net, x, scale, tile)


def _free_gpu_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
