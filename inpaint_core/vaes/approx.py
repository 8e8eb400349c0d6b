"""A VAE that needs no weights: 8x8 average pooling and a linear map to SD1.x's latent space.

Decoding uses the latent-to-RGB factors ComfyUI's previews use for SD1.x; encoding inverts them
by least squares. Good enough to see where the latent grid and the mask fall; not a real VAE.
"""

import torch

from .vae import VAE

SD1_SCALE = 0.18215  # SD1.x raw latents * this = the space the factors apply to
SD1_LATENT_TO_RGB = [  # rows: latent channels; columns: R, G, B in [-1, 1]
    [0.3512, 0.2297, 0.3227],
    [0.3250, 0.4974, 0.2350],
    [-0.2829, 0.1762, 0.2721],
    [-0.2120, -0.2616, -0.7177],
]


def approximate_vae(device: torch.device | str = "cpu") -> VAE:
    """The built-in approximate SD1.x VAE, on `device`, in float32."""
    device = torch.device(device)
    to_rgb = torch.tensor(SD1_LATENT_TO_RGB, device=device)  # (4, 3)
    from_rgb = torch.linalg.pinv(to_rgb)  # (3, 4), least squares

    def encode(images):  # (B, 3, H, W) in [0, 1] -> raw (B, 4, H/8, W/8)
        rgb = torch.nn.functional.avg_pool2d(images, 8) * 2 - 1
        return torch.einsum("bchw,cl->blhw", rgb, from_rgb) / SD1_SCALE

    def decode(latents):  # raw (B, 4, h, w) -> (B, 3, 8h, 8w) in [0, 1]
        rgb = torch.einsum("blhw,lc->bchw", latents * SD1_SCALE, to_rgb)
        return torch.nn.functional.interpolate((rgb + 1) / 2, scale_factor=8, mode="nearest")

    return VAE(
        "SD1.x latent-to-RGB", encode, decode, latent_channels=4, device=device, dtype=torch.float32, approximate=True,
        activation_channels=16,  # a few channels a pixel at most: tiling would only cost time
    )  # fmt: skip
