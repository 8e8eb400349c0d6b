"""The examples: each photo with its mask as the editor's layer, and a thumbnail that shows the mask."""

from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parent.parent / "assets"
EXAMPLES = ["chelsea.png", "astronaut.png", "coffee.png", "rocket.jpg"]
TINT = np.array([255, 60, 120], dtype=np.float32)  # the brush's colour


def mask_file(name: str) -> Path:
    return ASSETS / f"{Path(name).stem}_mask.png"


def thumbnail(name: str, folder: Path) -> Path:
    """The photo with its mask tinted, written once into `folder` (what the examples' gallery shows)."""
    path = folder / f"{Path(name).stem}_with_mask.jpg"
    if not path.exists():
        photo = np.asarray(Image.open(ASSETS / name).convert("RGB"), dtype=np.float32)
        painted = np.asarray(Image.open(mask_file(name)).convert("RGBA"))[..., 3:] > 0
        tinted = np.where(painted, 0.4 * photo + 0.6 * TINT, photo)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(tinted.round().astype(np.uint8)).save(path, quality=90)
    return path


def thumbnails(folder: Path) -> list[list[str]]:
    """The examples' gallery: a row per example, its tinted thumbnail."""
    return [[str(thumbnail(name, folder))] for name in EXAMPLES]


def load_example(index: int):
    """The editor's value for an example, in two steps: empty, then the photo with its mask as the one layer.
    The editor places a new layer within the bounds of what it holds, which after a larger photo can still be
    that photo's: emptied first, it holds nothing larger than the new photo, and the layer lands on it."""
    name = EXAMPLES[index]
    background = str(ASSETS / name)
    yield None
    yield {"background": background, "layers": [str(mask_file(name))], "composite": None}
