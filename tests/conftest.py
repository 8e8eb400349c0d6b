"""Shared fixtures: the bundled TAEF2 weights, an example image, the one stand-in VAE and the served page."""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings
from PIL import Image

# CI replays the same examples every run (a red build is then always reproducible); elsewhere they vary.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
TAEF2 = Path(os.environ.get("INPAINT_TEST_TAEF2", ASSETS / "taef2"))  # the bundled weights, unless told otherwise


@pytest.fixture(scope="session")
def taef2_dir() -> Path:
    assert (TAEF2 / "taef2_encoder.pth").is_file(), f"the TAEF2 weights are expected in {TAEF2}"
    return TAEF2


@pytest.fixture(scope="session")
def taef2(taef2_dir):
    from inpaint_core import load_vae

    return load_vae(str(taef2_dir), device="cpu")


@pytest.fixture(scope="session")
def chelsea() -> torch.Tensor:
    """(1, 300, 451, 3) in [0, 1]."""
    pixels = np.asarray(Image.open(ASSETS / "chelsea.png").convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(pixels)[None]


def tiny_layout_vae(latent_channels: int = 4, pool: bool = False, seed: int = 0, device="cpu", dtype=torch.float32):
    """A VAE of the tiny autoencoder layout with random weights (TAESD's: no group norms; `pool`: TAEF2's), in
    TAESD's latent scale, float32 on the CPU unless said: the layout's arithmetic without weights to download."""
    from inpaint_core import VAE
    from inpaint_core.vaes.comfy_tiny import comfy_tiny_codec
    from inpaint_core.vaes.tiny_autoencoder import decoder, encoder

    torch.manual_seed(seed)
    nets = [build(latent_channels, pool=pool).eval().requires_grad_(False) for build in (encoder, decoder)]
    device = torch.device(device)
    nets = [net.to(device, dtype, memory_format=torch.channels_last) for net in nets]
    encode, decode = comfy_tiny_codec(*nets, 0.18215, 0.0, device, dtype)
    return VAE("TAESD layout (random weights)", encode, decode, latent_channels, device, dtype)


@pytest.fixture(scope="session")
def taesd_layout():
    """A TAESD-layout VAE with random weights (tiny_layout_vae)."""
    return tiny_layout_vae()


class PoolingVAE:
    """The stand-in VAE: r×r average pooling, so a latent shows exactly which pixels were encoded; it records what
    it was handed (`seen`). With `channels=3` it keeps only the first three channels, as ComfyUI 0.8's VAE.encode
    does with RGBA."""

    def __init__(self, downscale_ratio: int = 8, channels: int | None = None):
        self.downscale_ratio = downscale_ratio
        self.channels = channels
        self.seen = None

    def encode(self, pixels: torch.Tensor) -> torch.Tensor:
        self.seen = pixels
        if self.channels is not None:
            pixels = pixels[..., : self.channels]
        return torch.nn.functional.avg_pool2d(pixels.movedim(-1, 1), self.downscale_ratio)


@pytest.fixture(scope="session")
def stand_in_vae():
    """Makes stand-in VAEs: `stand_in_vae(downscale_ratio=8, channels=None)`, a fresh PoolingVAE each call.
    Session-scoped, so hypothesis tests may take it."""
    return PoolingVAE


@contextmanager
def fresh_folder():
    """An empty folder where the page keeps its images (inside Gradio's cache), removed after use."""
    import app

    app.image_folder().mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=app.image_folder()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def app_url(taef2_dir):
    """The page served on localhost with TAEF2 and the approximate VAE, on the CPU; its images in
    Gradio's cache, as `python app.py` keeps them (a folder of their own)."""
    import app
    from web.guards import install_guards

    args = app.parse_settings(["--vae", str(taef2_dir), "--vae", "approx", "--device", "cpu"])
    sources, note = app.choose_sources(args)
    with fresh_folder() as folder:
        inspector = app.Inspector(app.VAERegistry(sources, torch.device("cpu")), 4096, folder)
        app.limit_decoding(4096)
        page = app.build_page(inspector, note)
        page.queue(max_size=64)
        guards = install_guards(page)  # as python app.py runs it
        _, url, _ = page.launch(
            prevent_thread_lock=True,
            server_name="127.0.0.1",
            quiet=True,
            show_error=True,
            app_kwargs=guards.app_kwargs,
            theme=app.parts.theme(),
        )
        yield url
        page.close()


@pytest.fixture(scope="session")
def chelsea_with_mask() -> dict:
    """An editor value for gradio_client: the cat and its example mask layer."""
    from gradio_client import handle_file

    return {
        "background": handle_file(str(ASSETS / "chelsea.png")),
        "layers": [handle_file(str(ASSETS / "chelsea_mask.png"))],
        "composite": None,
    }
