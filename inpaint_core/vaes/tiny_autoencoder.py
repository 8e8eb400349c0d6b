"""Tiny autoencoders (TAESD, TAESDXL, TAESD3, TAEF1, TAEF2) as ComfyUI keeps them in `vae_approx/`.

The TAESD layout: 3x3 convs and residual blocks, three stride-2 convs down, three 2x nearest
upsamples up, 64 channels. TAEF2 adds a group-norm branch in the encoder's last three blocks
and the decoder's first three. Images in [0, 1]; latents in each family's *scaled* space.
"""

import torch
from torch import nn


def conv(n_in: int, n_out: int, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


class Block(nn.Module):
    """relu(convs(x) + x), after an optional residual 1x1 -> group norm -> 1x1 branch."""

    def __init__(self, channels: int, pool: bool = False):
        super().__init__()
        self.conv = nn.Sequential(
            conv(channels, channels), nn.ReLU(), conv(channels, channels), nn.ReLU(), conv(channels, channels)
        )
        self.pool = None
        if pool:
            wide = 4 * channels
            self.pool = nn.Sequential(
                nn.Conv2d(channels, wide, 1, bias=False),
                nn.GroupNorm(4, wide),
                nn.ReLU(),
                nn.Conv2d(wide, channels, 1, bias=False),
            )

    def forward(self, x):
        if self.pool is not None:
            x = x + self.pool(x)
        return torch.relu(self.conv(x) + x)


def encoder(latent_channels: int, pool: bool = False, width: int = 64) -> nn.Sequential:
    """[0, 1] images (B, 3, H, W) -> scaled latents (B, C, H/8, W/8)."""

    def stage(last: bool):
        return [conv(width, width, stride=2, bias=False), *(Block(width, pool and last) for _ in range(3))]

    return nn.Sequential(
        conv(3, width), Block(width), *stage(False), *stage(False), *stage(True), conv(width, latent_channels)
    )


def decoder(latent_channels: int, pool: bool = False, width: int = 64) -> nn.Sequential:
    """scaled latents (B, C, h, w) -> [0, 1] images (B, 3, 8h, 8w), roughly (not clamped)."""

    def stage(first: bool):
        return [
            *(Block(width, pool and first) for _ in range(3)),
            nn.Upsample(scale_factor=2),
            conv(width, width, bias=False),
        ]

    return nn.Sequential(
        Clamp(), conv(latent_channels, width), nn.ReLU(),
        *stage(True), *stage(False), *stage(False),
        Block(width), conv(width, 3),
    )  # fmt: skip
