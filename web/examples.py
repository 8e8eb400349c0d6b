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


def example_values(folder: Path) -> list[list[dict]]:
    """gr.Examples rows for the editor: background, the mask as its one layer, the tinted thumbnail."""
    return [
        [
            {
                "background": str(ASSETS / name),
                "layers": [str(mask_file(name))],
                "composite": str(thumbnail(name, folder)),
            }
        ]
        for name in EXAMPLES
    ]
