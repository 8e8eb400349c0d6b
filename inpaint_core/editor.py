"""Image-editor values (a background and painted RGBA layers) to the core's tensors, and tensors back to images.

Uploads come in every form a user has: palette, grayscale, CMYK, 16-bit, with alpha, rotated by
EXIF, animated (the first frame is taken). They are turned into 8-bit RGB as a viewer shows them.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps

from .prepare import resize_mask

MAX_SIDE = 4096  # default longest side accepted from the browser


@dataclass(frozen=True, eq=False)
class EditorInput:
    """An image and its mask, kept compact (4 bytes a pixel: what a page's session state holds); equal and
    hashed by content, so a page's state notices real changes only."""

    rgb: torch.Tensor  # (1, H, W, 3) uint8
    painted: torch.Tensor  # (1, h, w) bool: the union of the layers' painted (alpha > 0) pixels
    content_key: str  # a digest of both, for caches
    image_key: str = ""  # a digest of the pixels alone, where known (an image file is written once per photo)

    @property
    def pixels(self) -> torch.Tensor:
        """(1, H, W, 3) float32 in [0, 1], made anew on each call."""
        return self.rgb.float().div_(255)

    @property
    def mask(self) -> torch.Tensor:
        """(1, h, w) float32 0/1, made anew on each call."""
        return self.painted.float()

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) of the image."""
        return tuple(self.rgb.shape[1:3])

    @property
    def nbytes(self) -> int:
        return self.rgb.nbytes + self.painted.nbytes

    def __eq__(self, other) -> bool:
        return isinstance(other, EditorInput) and other.content_key == self.content_key

    def __hash__(self) -> int:
        return hash(self.content_key)


def to_rgb(image: Image.Image | np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) as a viewer shows the image: EXIF rotation applied, transparency over white,
    16-bit and float images scaled to 8 bits."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    if not isinstance(image, Image.Image):
        raise ValueError(f"image must be an image, got {type(image).__name__}")
    image = ImageOps.exif_transpose(image)  # an animated image stays at its first frame
    if image.mode.startswith("I") or image.mode == "F":  # 16- or 32-bit integers, or floats in [0, 1]
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if image.mode == "F" else 255 if values.max() <= 255 and image.mode == "I" else 65535
        image = Image.fromarray(np.clip(values / top * 255, 0, 255).round().astype(np.uint8))
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return np.asarray(image.convert("RGB"))


def painted(layers: list | None, height: int, width: int) -> np.ndarray:
    """bool (h, w): pixels any layer painted (alpha > 0); the layers' own size (the core resizes as the nodes do)."""
    union = None
    for layer in layers or []:
        if layer is None:
            continue
        alpha = np.asarray(layer.convert("RGBA") if isinstance(layer, Image.Image) else layer)
        if alpha.ndim != 3 or alpha.shape[-1] != 4:
            raise ValueError(f"mask layers must be RGBA images, got an array of shape {alpha.shape}")
        alpha = alpha[..., 3] > 0
        if union is not None and union.shape != alpha.shape:
            raise ValueError(f"mask layers must share one size, got {union.shape[::-1]} and {alpha.shape[::-1]} (w, h)")
        union = alpha if union is None else union | alpha
    return np.zeros((height, width), dtype=bool) if union is None else union


@dataclass(frozen=True, eq=False)
class Photo:
    """An image read once (a page keeps it while strokes change only the mask): its pixels and the digest of
    them that every mask on it extends."""

    rgb: torch.Tensor  # (1, H, W, 3) uint8, shared by every edit on it
    digest: "hashlib._Hash"  # blake2b of the pixels, copied before a mask is added

    @classmethod
    def of(cls, image: Image.Image | np.ndarray, max_side: int = MAX_SIDE) -> "Photo":
        """The image as a viewer shows it (to_rgb); ValueError where a side passes `max_side`."""
        rgb = to_rgb(image)
        height, width = rgb.shape[:2]
        if max(height, width) > max_side:
            raise ValueError(f"image is {width}x{height}; the longest side may be at most {max_side} px")
        return cls(torch.from_numpy(np.array(rgb))[None], hashlib.blake2b(rgb.tobytes(), digest_size=16))

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.rgb.shape[1:3])

    @property
    def key(self) -> str:
        """Names the pixels alone (a page's input image is written once per photo, not per stroke)."""
        return self.digest.hexdigest()

    def with_mask(self, mask: np.ndarray) -> EditorInput:
        """The photo and a bool (h, w) mask as one edit, keyed as from_editor keys it."""
        digest = self.digest.copy()
        digest.update(np.packbits(mask).tobytes() + str(tuple(self.rgb.shape[1:]) + mask.shape).encode())
        mask = torch.from_numpy(np.ascontiguousarray(mask))[None]
        return EditorInput(self.rgb, mask, digest.hexdigest(), self.key)


def from_editor(value: dict | None, max_side: int = MAX_SIDE) -> EditorInput:
    """The background as pixels and the painted layers as the mask; ValueError naming what is wrong."""
    if not value or value.get("background") is None:
        raise ValueError("no image: upload, paste or capture one in the editor first")
    photo = Photo.of(value["background"], max_side)
    height, width = photo.size
    return photo.with_mask(painted(value.get("layers"), height, width))


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, 3) or (H, W) in [0, 1], on any device -> uint8 numpy, rounded (converted before it crosses)."""
    return image.mul(255).round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()


def mask_to_alpha(mask) -> np.ndarray:
    """uint8 (H, W): the alpha channel that LoadImage reads back as `mask` (H, W) in [0, 1], to 8 bits:
    255 · (1 - mask), clipped and rounded. Worked in float64, so a mask value keeps its side of 0.5
    (0.5 itself lies at alpha 127.5, never an integer: alpha 127 reads 0.502, 128 reads 0.498), and a
    mask LoadImage made (mask_from_alpha) gives back its own alpha."""
    values = mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
    if values.dtype == np.bool_:
        return np.where(values, 0, 255).astype(np.uint8)
    return np.rint(255.0 * (1.0 - np.clip(values.astype(np.float64), 0.0, 1.0))).astype(np.uint8)


def mask_from_alpha(alpha: np.ndarray) -> torch.Tensor:
    """float32 (H, W): the MASK ComfyUI 0.8's LoadImage makes of an 8-bit alpha channel (`nodes.py`,
    LoadImage.load_image: `1. - torch.from_numpy(np.array(alpha).astype(np.float32) / 255.0)`)."""
    return 1.0 - torch.from_numpy(np.asarray(alpha).astype(np.float32) / 255.0)


def image_mask(editor: EditorInput) -> torch.Tensor:
    """(1, H, W) float32: the painted mask at the image's size (resized bilinearly, as the nodes resize it, not
    rounded) and quantised to 8 bits exactly as LoadImage reads it back from the exported image's alpha.

    What the page runs every method on and what the export writes, so the two agree bit for bit. A mask
    already at the image's size is 0/1 and comes back unchanged; rounding this one at 0.5, as the seed
    nodes do, gives what rounding the unquantised resize gives (mask_to_alpha keeps each side of 0.5)."""
    height, width = editor.size
    soft = resize_mask(editor.mask[:, None], height, width)[0, 0]
    if soft.shape == editor.painted.shape[1:]:
        return soft[None]  # 0/1: 8 bits hold it exactly
    return mask_from_alpha(mask_to_alpha(soft))[None]
