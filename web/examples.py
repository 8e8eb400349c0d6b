"""The examples: each photo with its mask as the editor's layer, and a thumbnail that shows the mask."""

import shutil
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


def load_example(index: int, folder: Path) -> dict:
    """The painter's value for an example: its photo and its mask, copied once into `folder` (served with the
    page's other images), and the URLs under which the page shows them."""
    name = EXAMPLES[index]
    folder.mkdir(parents=True, exist_ok=True)
    image, mask = folder / name, folder / mask_file(name).name
    for source, copy in ((ASSETS / name, image), (mask_file(name), mask)):
        if not copy.exists():
            shutil.copyfile(source, copy)
    return {"image": str(image), "mask": str(mask), "url": f"gradio_api/file={image}",
            "mask_url": f"gradio_api/file={mask}"}  # fmt: skip
