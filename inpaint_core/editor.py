"""Image-editor values (background + painted RGBA layers, as numpy arrays) to the core's tensors and back."""

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

MAX_SIDE = 4096  # default longest side accepted from the browser


@dataclass(frozen=True, eq=False)
class EditorInput:
    """An image and its mask; equal and hashed by content, so a page's state notices real changes only."""

    pixels: torch.Tensor  # (1, H, W, 3) float32 in [0, 1]
    mask: torch.Tensor  # (1, h, w) float32 0/1: the union of the layers' painted (alpha > 0) pixels
    content_key: str  # a digest of both, for caches

    def __eq__(self, other) -> bool:
        return isinstance(other, EditorInput) and other.content_key == self.content_key

    def __hash__(self) -> int:
        return hash(self.content_key)


def _rgb(array: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3) from grayscale, RGB or RGBA (alpha dropped)."""
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"image must be grayscale, RGB or RGBA, got an array of shape {array.shape}")
    array = np.repeat(array, 3, axis=-1) if array.shape[-1] == 1 else array[..., :3]
    return array.astype(np.uint8, copy=False)


def _painted(layers: list, height: int, width: int) -> np.ndarray:
    """bool (h, w): pixels any layer painted; the layers' own size (the core resizes as the nodes do)."""
    painted = None
    for layer in layers or []:
        if layer is None:
            continue
        if layer.ndim != 3 or layer.shape[-1] != 4:
            raise ValueError(f"mask layers must be RGBA, got an array of shape {layer.shape}")
        alpha = layer[..., 3] > 0
        painted = alpha if painted is None or painted.shape != alpha.shape else painted | alpha
    return np.zeros((height, width), dtype=bool) if painted is None else painted


def from_editor(value: dict | None, max_side: int = MAX_SIDE) -> EditorInput:
    """The background as pixels and the painted layers as the mask; ValueError naming what is missing."""
    if not value or value.get("background") is None:
        raise ValueError("no image: upload, paste or capture one in the editor first")
    rgb = _rgb(np.asarray(value["background"]))
    height, width = rgb.shape[:2]
    if max(height, width) > max_side:
        raise ValueError(f"image is {width}x{height}; the longest side may be at most {max_side} px")
    painted = _painted(value.get("layers"), height, width)
    digest = hashlib.blake2b(rgb.tobytes(), digest_size=16)
    digest.update(np.packbits(painted).tobytes() + str(rgb.shape + painted.shape).encode())
    pixels = torch.tensor(rgb, dtype=torch.float32).div_(255)[None]
    mask = torch.from_numpy(painted).float()[None]
    return EditorInput(pixels, mask, digest.hexdigest())


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(H, W, 3) or (H, W) in [0, 1] -> uint8 numpy, rounded."""
    return image.mul(255).round_().clamp_(0, 255).to(torch.uint8).numpy()
