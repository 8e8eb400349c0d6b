"""The AutoencoderKL config of an original-layout (LDM) VAE checkpoint, read off its weights' shapes.

SD1.x and SDXL VAEs share one layout (4 latent channels); SD3's and FLUX.1's `ae` have 16 latent
channels and no quant convs. Reading the shapes covers all of them, and smaller test models too.
"""

from pathlib import Path

import torch

PREFIXES = ("first_stage_model.", "vae.", "")


def vae_config_from_weights(weights: dict[str, torch.Tensor], path: Path) -> dict:
    """AutoencoderKL keyword arguments for the VAE in `weights` (ValueError if it holds none)."""
    prefix = next((p for p in PREFIXES if f"{p}encoder.conv_in.weight" in weights), None)
    if prefix is None:
        raise ValueError(f"{path}: no VAE weights in it (no encoder.conv_in.weight), expected a VAE checkpoint")

    def shape(key):
        return weights[prefix + key].shape

    levels = 0
    while f"{prefix}encoder.down.{levels}.block.0.conv1.weight" in weights:
        levels += 1
    layers = 0
    while f"{prefix}encoder.down.0.block.{layers}.conv1.weight" in weights:
        layers += 1
    return {
        "in_channels": shape("encoder.conv_in.weight")[1],
        "out_channels": shape("decoder.conv_out.weight")[0],
        "down_block_types": ("DownEncoderBlock2D",) * levels,
        "up_block_types": ("UpDecoderBlock2D",) * levels,
        "block_out_channels": tuple(shape(f"encoder.down.{i}.block.0.conv1.weight")[0] for i in range(levels)),
        "layers_per_block": layers,
        "latent_channels": shape("encoder.conv_out.weight")[0] // 2,
        "norm_num_groups": 32,
        "use_quant_conv": f"{prefix}quant_conv.weight" in weights,
        "use_post_quant_conv": f"{prefix}post_quant_conv.weight" in weights,
    }
