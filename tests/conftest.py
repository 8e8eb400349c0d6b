"""Shared fixtures: the real TAEF2 weights beside the project, and an example image."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
TAEF2 = ROOT.parent / "shared" / "models" / "taef2"
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
