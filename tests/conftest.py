"""Shared fixtures: the real TAEF2 weights beside the project, and an example image."""

import os
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
TAEF2 = Path(os.environ.get("INPAINT_TEST_TAEF2", ROOT.parent / "shared" / "models" / "taef2"))
ASSETS = ROOT / "assets"


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


@pytest.fixture(scope="session")
def app_url(taef2_dir):
    """The page served on localhost with TAEF2 and the approximate VAE, on the CPU; its images in
    Gradio's cache, as `python app.py` keeps them (a folder of their own)."""
    import app
    from bench.slider import fresh_folder
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
            prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, show_error=True, app_kwargs=guards.app_kwargs
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
