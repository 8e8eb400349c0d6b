"""ComfyUI `.latent` files: safetensors with `latent_tensor` (raw latents) and an empty version marker."""

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def save_latent(latents: torch.Tensor, path: str | Path) -> Path:
    """Write (B, C, h, w) raw latents where ComfyUI's Load Latent reads them as they are."""
    tensors = {
        "latent_tensor": latents.detach().float().cpu().contiguous(),
        "latent_format_version_0": torch.tensor([]),
    }
    save_file(tensors, str(path))
    return Path(path)


def load_latent(path: str | Path) -> torch.Tensor:
    """The raw latents of a `.latent` file written by ComfyUI or `save_latent`."""
    tensors = load_file(str(path))
    if "latent_tensor" not in tensors:
        raise ValueError(f"{path}: not a ComfyUI .latent file (no latent_tensor)")
    return tensors["latent_tensor"]
