"""The page's insight inside ComfyUI: the Inpaint Encode Inspector node.

Given an IMAGE, a MASK, an optional VAE, one preparation (either seed encoder, GrowMask + SetLatentNoiseMask,
GrowMask + InpaintModelConditioning) with its amount and the sampler's backend, it returns the page's panels
as an IMAGE (wire it to Preview Image), the recommended amount as an INT (wire it to the encoder's amount),
its sentence and the page's numbers as STRINGs. Its numbers are the page's, computed by the same functions
(for the seeds, analysis.report's method_table and warnings, analysis.recommend's advice); the panels are drawn
here in torch (ComfyUI has it, the pack loads nothing else), in the page's colours.

As on the page: the first image of a batch; a seed gets the mask as it is (the node resizes it), another
method the mask resized bilinearly to the image (not rounded); GrowMask's tapered_corners, FeatherMask's
feather and InpaintModelConditioning's noise_mask at their defaults. Without a VAE there is no latent:
the grid (of `downscale_ratio`) and the masks only.
"""

from functools import partial

import torch

from .analysis.cells import psnr_outside
from .analysis.recommend import WHO, recommend_grow_mask_by, recommend_mask_offset
from .analysis.report import cell_text, cropped_input, edge_cell_map, grid_lines, halo_cell_map, method_table, warnings
from .analysis.samplers import BACKENDS, check_backend, latent_view
from .checks import check_ratio
from .compare import Latent, add_latents, encode_and_decode, prepare_methods
from .preparations.methods import METHODS, SEEDS, noise_mask_over_encoded, run_method
from .prepare import GROW_MASK_BY, resize_mask
from .settings import Choice, Int

# The choices a user picks from, by the nodes they name; each maps to a method of preparations.METHODS.
CHOICES = {
    "VAEEncodeForInpaint (grow_mask_by)": "comfy",
    "VAEEncodeForInpaint (WAS, mask_offset)": "was",
    "GrowMask + SetLatentNoiseMask (expand)": "set_latent_noise_mask",
    "GrowMask + InpaintModelConditioning (expand)": "inpaint_model_conditioning",
}
METHOD = Choice("method", next(iter(CHOICES)), tuple(CHOICES))
BACKEND = Choice("backend", "comfyui", tuple(BACKENDS))
_AMOUNTS = [METHODS[m].amount_setting for m in CHOICES.values()]
AMOUNT = Int("amount", default=GROW_MASK_BY.default, min=min(a.min for a in _AMOUNTS), max=max(a.max for a in _AMOUNTS))
RATIO = Int("downscale_ratio", default=8, min=1, max=64)

# The page's colours (web/panels.py), as RGB in [0, 1], with the opacity each layer is laid over at.
NOISE = (torch.tensor([255, 60, 120]) / 255, 0.5)
GREY = (torch.tensor([128, 128, 128]) / 255, 0.7)
GRID = (torch.tensor([255, 255, 255]) / 255, 0.5)
EDGE = (torch.tensor([255, 208, 0]) / 255, 0.5)
HALO = (torch.tensor([255, 32, 32]) / 255, 0.6)
SOFT_NOISE_OPACITY = 0.65  # another method's soft noise mask: a value v drawn at v times this (web/methods/panels.py)
GAP = 8  # px between panels
GAP_VALUE = 0.12  # their colour, a dark grey

TOOLTIPS = {
    "image": "The image to inpaint (the first of a batch).",
    "mask": "Where to inpaint (1 = repaint), any size: resized to the image as the nodes resize it.",
    "method": "The preparation to inspect: either seed encoder, or GrowMask before SetLatentNoiseMask or "
    "InpaintModelConditioning (tapered corners, no feather).",
    "amount": "The method's amount: grow_mask_by (0..64), mask_offset (-128..128) or GrowMask's expand.",
    "backend": "The sampler whose view of the noise mask counts: ComfyUI's (bilinear), diffusers' "
    "(binarised, a pixel per cell), Fooocus' (any pixel of a cell).",
    "vae": "Optional: with it, the latent is encoded and decoded (its panel, its drift); without, the grid "
    "and masks only.",
    "downscale_ratio": "The latent cell's size in px when no VAE is given (8: SD1.x, SDXL; 16: FLUX.2); "
    "a VAE's own ratio wins.",
}


class InpaintEncodeInspector:
    """What the page shows for one preparation, as a ComfyUI node: panels, the recommended amount, numbers."""

    @classmethod
    def INPUT_TYPES(cls):
        def entry(kind, options, name):
            return (kind, {**options, "tooltip": TOOLTIPS[name]})

        return {
            "required": {
                "image": entry("IMAGE", {}, "image"),
                "mask": entry("MASK", {}, "mask"),
                "method": entry(*METHOD.input_type(), "method"),
                "amount": entry(*AMOUNT.input_type(), "amount"),
                "backend": entry(*BACKEND.input_type(), "backend"),
            },
            "optional": {
                "vae": entry("VAE", {}, "vae"),
                "downscale_ratio": entry(*RATIO.input_type(), "downscale_ratio"),
            },
        }

    RETURN_TYPES = ("IMAGE", "INT", "STRING", "STRING")
    RETURN_NAMES = ("panels", "recommended_amount", "advice", "numbers")
    OUTPUT_TOOLTIPS = (
        "The page's panels side by side: the noise mask and grey over the crop; the latent grid with the cells "
        "the sampler repaints in part and the grey-halo cells; the decoded latent (with a VAE).",
        "The amount to set (the page's recommendation); the amount given where none is recommended.",
        "Why, in one sentence, as the page says it.",
        "The page's numbers for this method, then its warnings, one a line.",
    )
    FUNCTION, CATEGORY = "inspect", "latent/inpaint"
    DESCRIPTION = (
        "Inpaint Encode Inspector: what an inpaint preparation does to the mask, the latent cells a sampler "
        "repaints in part, where grey survives, and the amount that leaves none."
    )

    def inspect(self, image, mask, method, amount, backend, vae=None, downscale_ratio=RATIO.default):
        result = inspect(image, mask, CHOICES[METHOD.check(method)], amount, backend, vae, downscale_ratio)
        return result["panels"], result["amount"], result["sentence"], numbers_text(result)


def inspect(
    image: torch.Tensor, mask: torch.Tensor, method: str, amount: int, backend: str = "comfyui", vae=None,
    downscale_ratio: int = 8,
) -> dict:  # fmt: skip
    """The node's work as a function: {'panels': (1, H, W, 3), 'amount': int, 'sentence': str, 'table': the
    page's numbers (report.method_table's keys; timings left out), 'warnings': [...]}.

    `method` a key of preparations.METHODS among CHOICES' values; `vae` ComfyUI's or inpaint_core's (anything
    with encode, decode and an integer downscale_ratio) or None."""
    if method not in CHOICES.values():
        raise ValueError(f"method must be one of {sorted(CHOICES.values())}, got {method!r}")
    check_backend(backend)
    METHODS[method].amount_setting.check(amount)
    ratio = check_ratio(downscale_ratio if vae is None else _vae_ratio(vae))
    pixels, mask = _inputs(image, mask)
    if method in SEEDS:
        return _seed(pixels, mask, method, amount, backend, vae, ratio)
    return _other(pixels, mask, method, amount, backend, vae, ratio)


def _vae_ratio(vae) -> int:
    if not all(hasattr(vae, name) for name in ("encode", "decode", "downscale_ratio")):
        raise ValueError(f"vae must have encode(), decode() and downscale_ratio, got {type(vae).__name__}")
    if not isinstance(vae.downscale_ratio, int):
        raise ValueError(f"vae's downscale_ratio must be an integer (an image VAE), got {vae.downscale_ratio!r}")
    return vae.downscale_ratio


def _inputs(image, mask) -> tuple[torch.Tensor, torch.Tensor]:
    """The first image, RGB (B=1, H, W, 3), and the first mask (1, h, w) on its device, as float32."""
    if not isinstance(image, torch.Tensor) or image.ndim != 4 or image.shape[-1] < 3:
        raise ValueError(f"image must be an IMAGE (B, H, W, C >= 3), got {getattr(image, 'shape', type(image))}")
    if not isinstance(mask, torch.Tensor) or mask.ndim not in (2, 3):
        raise ValueError(f"mask must be a MASK (B, H, W) or (H, W), got {getattr(mask, 'shape', type(mask))}")
    pixels = image[:1, ..., :3].float()
    return pixels, mask.reshape(-1, *mask.shape[-2:])[:1].to(pixels.device, torch.float32)


def _latent(vae, pixels: torch.Tensor) -> Latent:
    """encode_and_decode, as the page makes a latent, on the VAE's device where it names one."""
    return encode_and_decode(_Device(vae), pixels)


class _Device:
    """A VAE seen through encode_and_decode's eyes: ComfyUI's names its device too; one that does not, the CPU."""

    def __init__(self, vae):
        self.vae, self.device = vae, getattr(vae, "device", torch.device("cpu"))
        self.downscale_ratio = vae.downscale_ratio

    def encode(self, pixels):
        return self.vae.encode(pixels)

    def decode(self, latents):
        decoded = self.vae.decode(latents)
        return decoded.reshape(-1, *decoded.shape[-3:]).clamp(0, 1)  # (B, H, W, 3), as the page's VAE gives


def _seed(pixels, mask, method, amount, backend, vae, ratio) -> dict:
    """Either seed: the page's comparison of both nodes, reported for this one as the page reports it (its
    table, recommendation and warnings). Of the other seed only its crop and rounded mask reach the report
    (ComfyUI's mask for the empty-mask and grid warnings), so it is prepared at its neutral amount, 0."""
    grow = amount if method == "comfy" else 0
    offset = amount if method == "was" else 0
    comparison = prepare_methods(pixels, mask, ratio, grow, offset)
    if vae is not None:
        add_latents(comparison, _Device(vae), methods=(method,))
    result = getattr(comparison, method)
    recommend = recommend_grow_mask_by if method == "comfy" else partial(recommend_mask_offset, mask_offset=offset)
    advice = recommend(result.mask, ratio, backend).as_dict()
    report = {method: method_table(comparison, result, backend), "warnings": warnings(comparison, backend, (method,))}
    grey, noise = (m[0, 0].cpu() > 0 for m in (result.prepared.neutralise_mask, result.prepared.noise_mask))
    over = [(grey, GREY), (noise, NOISE)] if not torch.equal(grey, noise) else [(noise, NOISE)]
    cells = [(grid_lines(comparison, result), GRID), (edge_cell_map(comparison, result), EDGE),
             (halo_cell_map(comparison, result, backend), HALO)]  # fmt: skip
    panels = [(cropped_input(comparison, result), over), (result.prepared.pixels[0], cells)]
    panels += [] if result.latent is None else [(result.latent.decoded, [])]
    table = {k: v for k, v in report[method].items() if k != "time_ms"}
    return _result(method, panels, advice["amount"], amount, advice["sentence"], table, report["warnings"])


def _other(pixels, mask, method, amount, backend, vae, ratio) -> dict:
    """SetLatentNoiseMask or InpaintModelConditioning after GrowMask, on the mask at the image's size."""
    described = METHODS[method]
    mask = resize_mask(mask[:, None], *pixels.shape[1:3])[:, 0]
    preparation = run_method(method, pixels, mask, {described.amount: amount}, None, ratio)
    latent = None if vae is None else _latent(vae, preparation.encoded[:1])
    over_encoded = noise_mask_over_encoded(preparation)
    view = latent_view(over_encoded, ratio, backend)
    in_part = (view > 0) & (view < 1)
    encoded, noise = preparation.encoded[0], preparation.noise_mask[0, 0].float().cpu()
    size = tuple(encoded.shape[:2])
    soft = [(noise, (NOISE[0], SOFT_NOISE_OPACITY))]
    cells = [(_grid(size, ratio), GRID), (_cells(in_part, ratio, size), EDGE)]
    panels = [(_under(preparation, pixels, tuple(noise.shape)), soft), (encoded, cells)]
    panels += [] if latent is None else [(latent.decoded, [])]
    table = {
        described.amount: amount,
        "noise_mask_area": int((preparation.noise_mask[0] > 0).sum()),
        "grey_area": None,  # the page counts no grey and no halo for these: their latent encodes no grey
        "halo_risk_cells": None,
        "edge_cells": int(in_part.sum()),
        "drift_psnr_db": None if latent is None else _drift(latent, over_encoded),
        "latent_shape": "pending" if latent is None else list(latent.latents.shape),
    }
    sentence = (
        f"{described.label}: no amount to recommend (the page recommends the seed encoders' only); "
        f"{table['edge_cells']} latent cells are repainted in part by {WHO[backend]}."
    )
    return _result(method, panels, None, amount, sentence, table, [])


def _drift(latent: Latent, mask: torch.Tensor) -> float | None:
    """The page's drift for another method (web/methods/numbers.py drift): PSNR where the noise mask is 0."""
    return psnr_outside(latent.squared_error.cpu(), (mask.cpu() > 0).to(torch.uint8))


def _under(preparation, pixels, size) -> torch.Tensor:
    """The picture the noise mask sits on: the one of its size (neutralised, encoded, input)."""
    for candidate in (preparation.neutralised[0], preparation.encoded[0], pixels[0]):
        if tuple(candidate.shape[:2]) == size:
            return candidate
    return preparation.neutralised[0]


def _grid(size: tuple[int, int], ratio: int) -> torch.Tensor:
    """bool (H, W): the latent cells' borders (report.grid_lines for any crop)."""
    height, width = size
    return (torch.arange(height) % ratio == 0)[:, None] | (torch.arange(width) % ratio == 0)[None, :]


def _cells(cells: torch.Tensor, ratio: int, size: tuple[int, int]) -> torch.Tensor:
    """bool (H, W): latent cells (h, w) as the pixels they cover, cut or padded to `size`."""
    full = torch.zeros(size, dtype=torch.bool)
    grown = cells.cpu().repeat_interleave(ratio, 0).repeat_interleave(ratio, 1)[: size[0], : size[1]]
    full[: grown.shape[0], : grown.shape[1]] = grown
    return full


def _draw(out: torch.Tensor, base: torch.Tensor, layers: list) -> None:
    """Into `out` (H, W, 3): `base` ((H, W, 3) in [0, 1], or uint8) with each layer (mask (H, W), (colour,
    opacity)) laid over it in turn, as repeated linear blends. Masks of 0/1 (bool) go through one lookup
    table of the blends' every combination (two passes over the picture, whatever the layers); a soft
    (float) one is blended by its value."""
    base = base[..., :3].cpu()
    if all(mask.dtype == torch.bool for mask, _ in layers) and layers:
        table = torch.zeros(2 ** len(layers), 4)  # per combination: what is kept of the base, what is added
        for combination in range(len(table)):
            keep, add = 1.0, torch.zeros(3)
            for i, (_, (colour, opacity)) in enumerate(layers):
                if combination >> i & 1:
                    keep, add = keep * (1 - opacity), add * (1 - opacity) + colour * opacity
            table[combination] = torch.cat([torch.tensor([keep]), add])
        code = torch.zeros(base.shape[:2], dtype=torch.uint8)  # which layers cover each pixel, a bit each
        for i, (mask, _) in enumerate(layers):
            code.add_(mask.cpu().view(torch.uint8), alpha=1 << i)
        blend = torch.nn.functional.embedding(code.int(), table)  # the fastest gather on a CPU
        torch.addcmul(blend[..., 1:], base.float(), blend[..., :1], out=out)
        return
    if base.dtype == torch.uint8:
        torch.div(base, 255, out=out)  # a decoded preview, in one pass
    else:
        out.copy_(base)
    for mask, (colour, opacity) in layers:
        out.lerp_(colour, (opacity * mask.cpu().float().clamp(0, 1))[..., None])


def _side_by_side(panels: list) -> torch.Tensor:
    """(1, H, W, 3): the panels (base, layers) drawn left to right, top-aligned, GAP px apart on dark grey."""
    height = max(base.shape[0] for base, _ in panels)
    width = sum(base.shape[1] for base, _ in panels) + GAP * (len(panels) - 1)
    out = _empty(height, width, 3)
    left = 0
    for base, layers in panels:
        h, w = base.shape[:2]
        _draw(out[:h, left : left + w], base, layers)
        out[h:, left : left + w] = GAP_VALUE
        out[:, left + w : left + w + GAP] = GAP_VALUE
        left += w + GAP
    return out[None]


def _empty(*shape: int) -> torch.Tensor:
    """An uninitialised float32 CPU tensor in numpy's memory: numpy asks Linux for huge pages for a large array
    (madvise), so the first writes to a 1024×3088 picture fault a few dozen pages rather than ten thousand.
    Without numpy (the library needs only torch), a torch tensor."""
    try:
        import numpy as np
    except ImportError:
        return torch.empty(shape, dtype=torch.float32)
    return torch.from_numpy(np.empty(shape, np.float32))


def _result(method, panels, recommended, amount, sentence, table, warnings) -> dict:
    return {
        "title": METHODS[method].title,
        "panels": _side_by_side(panels),
        "amount": amount if recommended is None else int(recommended),
        "recommended": recommended,
        "sentence": sentence,
        "table": table,
        "warnings": list(warnings),
    }


# The rows of the page's numbers table (web/numbers.py ROWS): the key in the report, the label the page shows.
ROWS = (
    ("noise_mask_area", "noise mask (px)"),
    ("grey_area", "grey (px)"),
    ("edge_cells", "edge cells"),
    ("halo_risk_cells", "grey-halo cells"),
    ("drift_psnr_db", "drift outside (dB)"),
    ("latent_shape", "latent"),
)


def numbers_text(result: dict) -> str:
    """The page's numbers table for the method, a line a row ('label: value', as the page writes them), after a
    line naming the method and its amount; then the warnings, one a line."""
    table = result["table"]
    amount = next(iter(table))  # the amount's name comes first
    lines = [f"{result['title']} · {amount} {table[amount]}"]
    lines += [f"{label}: {cell_text(table.get(key))}" for key, label in ROWS]
    return "\n".join(lines + result["warnings"])


NODE_CLASS_MAPPINGS = {"InpaintCore_InpaintEncodeInspector": InpaintEncodeInspector}
NODE_DISPLAY_NAME_MAPPINGS = {"InpaintCore_InpaintEncodeInspector": "Inpaint Encode Inspector"}
