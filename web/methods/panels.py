"""Any preparation's panels as files (named by content): the pixels as the method fills, greys or blurs them,
its noise mask drawn as soft as it is, the decoded latent, the latent cells DifferentialDiffusion lets the
sampler repaint (coloured by the stage that first reaches them), the sampler's view, and the downloads."""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from inpaint_core.analysis.samplers import latent_view
from inpaint_core.compare import MethodResult
from inpaint_core.editor import EditorInput, to_uint8
from inpaint_core.files.image_files import Batch, write_once
from inpaint_core.files.latent_file import save_latent
from inpaint_core.preparations import DifferentialView, Preparation
from inpaint_core.preparations.differential import STAGES

from ..panels import Overlay, digest, save_png
from .numbers import encoded_ratio, mask_over_encoded

NOISE_COLOUR = np.array([255, 60, 120], dtype=np.float32)  # the page's noise-mask pink
NOISE_OPACITY = 0.65  # of a pixel whose mask is 1; a soft value v is drawn at v times this
SAMPLER_SIDE = 512  # the sampler's view is enlarged by whole pixels to about this
STAGE_COLOURS = {"start": "#ff2020", "middle": "#ffa000", "end": "#20a0ff"}


@dataclass
class MethodPanels:
    pixels: Path  # as the method fills, greys or blurs them
    noise_mask: Path | None  # the mask over the picture it sits on, soft drawn soft; None: no noise mask
    decoded: Path
    cells: Overlay | None  # DifferentialDiffusion's cells by stage; None: no noise mask


def files_key(editor: EditorInput, vae_label: str, preparation: Preparation) -> tuple:
    """Names a method's files: the edit, the VAE, the method and its settings."""
    return editor.content_key, vae_label, preparation.method, json.dumps(preparation.settings, sort_keys=True)


def soft_overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """uint8 (H, W, 3): the image with the noise colour laid over at an opacity that follows the mask's value."""
    alpha = NOISE_OPACITY * np.clip(mask, 0, 1)[..., None]
    return np.rint(image * (1 - alpha) + NOISE_COLOUR * alpha).clip(0, 255).astype(np.uint8)


def _base_for(preparation: Preparation, image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(H, W, 3) in [0, 1]: the picture the noise mask sits on (the one of its size: neutralised, encoded, input)."""
    for candidate in (preparation.neutralised[0], preparation.encoded[0], image):
        if tuple(candidate.shape[:2]) == size:
            return candidate.cpu()
    return preparation.neutralised[0].cpu()


def first_reached(view: DifferentialView) -> dict[str, torch.Tensor]:
    """bool (h, w) per stage: the cells the sampler first repaints there (reached then, not at the stage
    before), so each cell is drawn in one colour."""
    reached = {stage: view.reached(stage)[0, 0].cpu() for stage in STAGES}
    before = torch.zeros_like(reached[STAGES[0]])
    first = {}
    for stage in STAGES:
        first[stage], before = reached[stage] & ~before, reached[stage] | before
    return first


def _cells(reached: torch.Tensor, ratio: int, size: tuple[int, int]) -> np.ndarray:
    """uint8 0/1 (H, W): latent cells (h, w) drawn as the pixels they cover, cut to the encoded crop's size."""
    pixels = reached.to(torch.uint8).repeat_interleave(ratio, 0).repeat_interleave(ratio, 1)
    return pixels[: size[0], : size[1]].numpy()


def stage_cells(batch: Batch, key: tuple, result: MethodResult) -> Overlay:
    """The encoded pixels with the cells each stage first reaches, a layer per stage (the colour map's keys)."""
    encoded, ratio = result.preparation.encoded[0].cpu(), encoded_ratio(result)
    size = tuple(encoded.shape[:2])
    base = batch.jpeg((*key, "encoded"), lambda: to_uint8(encoded))
    layers = [
        (stage, batch.mask((*key, result.denoise, stage, "first reached"), lambda r=r: _cells(r, ratio, size),
                           STAGE_COLOURS[stage]))
        for stage, r in first_reached(result.view).items()
    ]  # fmt: skip
    return Overlay(base, layers)


def draw(batch: Batch, editor: EditorInput, vae_label: str, result: MethodResult) -> MethodPanels:
    """The method's panels; call batch.wait() before sending them."""
    preparation = result.preparation
    key = files_key(editor, vae_label, preparation)
    pixels = batch.png((*key, "neutralised"), lambda: to_uint8(preparation.neutralised[0]))
    decoded = batch.png((*key, "decoded"), lambda: result.latent.decoded.numpy())
    noise_mask = None
    if preparation.noise_mask is not None:
        mask = preparation.noise_mask[0, 0].float().cpu()
        under = _base_for(preparation, editor.pixels[0], tuple(mask.shape))
        noise_mask = batch.png((*key, "soft mask"), lambda: soft_overlay(to_uint8(under), mask.numpy()))
    cells = None if result.view is None else stage_cells(batch, key, result)
    return MethodPanels(pixels, noise_mask, decoded, cells)


def sampler_image(batch: Batch, key: tuple, result: MethodResult, backend: str) -> Path | None:
    """The noise mask as `backend`'s sampler sees it at the latent's size (grey levels), or None without one."""
    mask = mask_over_encoded(result.preparation)
    if mask is None:
        return None

    def enlarged() -> np.ndarray:
        view = latent_view(mask, encoded_ratio(result), backend).cpu()
        scale = max(1, SAMPLER_SIDE // max(view.shape))
        return to_uint8(view.repeat_interleave(scale, 0).repeat_interleave(scale, 1))

    return batch.png((*key, "sampler", backend), enlarged)


def noise_box(preparation: Preparation, size: tuple[int, int]) -> tuple[list[int], torch.Tensor] | None:
    """[top, left, height, width] of the noise mask in the input's frame (every method's crop is centred),
    and where it is above 0 there (soft masks count wherever they reach); None without a noise mask."""
    if preparation.noise_mask is None:
        return None
    mask = preparation.noise_mask[0, 0].cpu() > 0
    top, left = ((whole - part) // 2 for whole, part in zip(size, mask.shape, strict=True))
    return [top, left, *mask.shape], mask


def noise_in_frame(preparation: Preparation, size: tuple[int, int]) -> torch.Tensor | None:
    """bool (H, W) in the input's frame: where the noise mask is above 0; None without a noise mask."""
    found = noise_box(preparation, size)
    if found is None:
        return None
    (top, left, height, width), mask = found
    frame = torch.zeros(size, dtype=torch.bool)
    frame[top : top + height, left : left + width] = mask
    return frame


def downloads(folder: Path, key: tuple, result: MethodResult) -> list[Path]:
    """The method's .latent (Load Latent reads it), its noise mask as an 8-bit grey PNG (soft stays soft)
    and its pixels as filled or greyed, in a folder named by their content: a repeat writes nothing."""
    preparation = result.preparation
    name = digest(*key)
    folder = folder / "downloads" / name
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{preparation.method}-{name[:6]}"  # what it is first, then which image and settings
    files = [folder / f"{stem}.latent", folder / f"{stem}-pixels.png"]
    write_once(files[0], lambda path: save_latent(result.whole_latents(), path))
    write_once(files[1], lambda path: save_png(to_uint8(preparation.neutralised[0]), path))
    if preparation.noise_mask is not None:
        files.insert(1, folder / f"{stem}-noise-mask.png")
        write_once(files[1], lambda path: save_png(to_uint8(preparation.noise_mask[0, 0].float()), path))
    return files
