"""What to set: the smallest grow_mask_by, or the mask_offset nearest 0, that leaves no grey halo.

A grey halo is a latent cell holding neutralised (grey) pixels that the sampler does not fully
repaint (analysis.halo_risk_cells): part of the encoded grey survives sampling there. The counts come
for every amount at once and exactly (halo_counts.py), for the backend's own view of the noise mask
(samplers.py) and the VAE's downscale ratio. Results are kept by mask content, so a page may ask on
every change: only a new mask, VAE ratio or backend computes anything.
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch

from ..masks import offset_mask
from ..prepare import GROW_MASK_BY, MASK_OFFSET
from .halo_counts import HaloCounts
from .samplers import check_backend

WHO = {"comfyui": "ComfyUI's sampler", "diffusers": "diffusers' inpaint pipeline", "fooocus": "Fooocus"}


@dataclass(frozen=True)
class Recommendation:
    """One method's recommended amount (None where no amount in range does) and why, in one sentence."""

    method: str  # 'comfy' (grow_mask_by) or 'was' (mask_offset)
    amount: int | None
    sentence: str

    def as_dict(self) -> dict:
        return {"amount": self.amount, "sentence": self.sentence}


@dataclass(frozen=True)
class _Found:
    """What a mask's halo counts say, kept by content: the counts, and the best amounts (None: none)."""

    empty: bool
    grow_counts: list[int]  # per grow_mask_by 0..64
    offset_counts: list[int]  # per mask_offset -128..128
    grow: int | None
    offset: int | None
    first_nonempty: int  # the smallest mask_offset whose noise mask is not empty
    offset_area: float  # the noise mask's area at `offset` over the painted area (1 where there is none)


def recommend(
    comfy_mask: torch.Tensor,
    was_mask: torch.Tensor,
    ratio: int,
    backend: str = "comfyui",
    mask_offset: int | None = None,
) -> dict[str, Recommendation]:
    """{'comfy': ..., 'was': ...} for the two methods' cropped, rounded masks (Prepared.mask, (H, W)).

    `ratio` is the VAE's downscale ratio; `mask_offset`, the offset in use, is named in WAS's sentence
    where no offset avoids the halo.
    """
    check_backend(backend)
    if mask_offset is not None:
        MASK_OFFSET.check(mask_offset)
    comfy = _found(comfy_mask, ratio, backend)
    was = _found(was_mask, ratio, backend)  # the same record where the crops agree (a ratio of 8)
    return {"comfy": _grow_advice(comfy, backend), "was": _offset_advice(was, backend, mask_offset)}


def recommend_grow_mask_by(mask: torch.Tensor, ratio: int, backend: str = "comfyui") -> Recommendation:
    """ComfyUI's VAEEncodeForInpaint: the smallest grow_mask_by in 0..64 that leaves no grey halo."""
    return _grow_advice(_found(mask, ratio, check_backend(backend)), backend)


def recommend_mask_offset(
    mask: torch.Tensor, ratio: int, backend: str = "comfyui", mask_offset: int | None = None
) -> Recommendation:
    """WAS_VAEEncodeForInpaint: the mask_offset in -128..128 nearest 0 (a grow before an equal erosion)
    that leaves no grey halo, with a noise mask neither empty nor the whole image."""
    if mask_offset is not None:
        MASK_OFFSET.check(mask_offset)
    return _offset_advice(_found(mask, ratio, check_backend(backend)), backend, mask_offset)


def _grow_advice(found: _Found, backend: str) -> Recommendation:
    who, name = WHO[backend], GROW_MASK_BY.name
    if found.empty:
        return Recommendation("comfy", None, "The mask is empty: there is nothing to grow.")
    if found.grow is None:
        return Recommendation(
            "comfy",
            None,
            f"No {name} in {GROW_MASK_BY.min}..{GROW_MASK_BY.max} is enough: even at {GROW_MASK_BY.max}, "
            f"{found.grow_counts[-1]} latent cells holding grey are not fully repainted by {who}.",
        )
    return Recommendation(
        "comfy",
        found.grow,
        f"Set {name} to {found.grow}: the smallest grow that leaves no grey pixel in a latent cell "
        f"{who} does not fully repaint.",
    )


def _offset_advice(found: _Found, backend: str, current: int | None) -> Recommendation:
    who, name = WHO[backend], MASK_OFFSET.name
    if found.empty:
        return Recommendation("was", None, "The mask is empty: there is nothing to offset.")
    if found.offset is not None:
        change = found.offset_area
        kept = f"{change:.0%}" if change >= 0.01 else "less than 1%"
        scale = "" if found.offset == 0 else f"; it keeps {kept} of the painted area"
        scale = scale if change <= 1 else f"; it grows the painted area {change:.1f} times"
        return Recommendation(
            "was",
            found.offset,
            f"Set {name} to {found.offset}: the offset nearest 0 that leaves no grey pixel in a latent cell "
            f"{who} does not fully repaint{scale}.",
        )
    counts = found.offset_counts
    if current is not None and counts[current - MASK_OFFSET.min] > 0:
        at, count = current, counts[current - MASK_OFFSET.min]
    else:  # the fewest where the noise mask is not empty (where it is, nothing is grey)
        candidates = [(c, n) for n, c in _offsets(counts) if n >= found.first_nonempty and c > 0]
        if not candidates:
            return Recommendation("was", None, f"Every {name} repaints the whole image: there is no edge to place.")
        count, at = min(candidates, key=lambda pair: (pair[0], abs(pair[1])))
    if current is None or at == current:
        return Recommendation(
            "was",
            None,
            f"No {name} in {MASK_OFFSET.min}..{MASK_OFFSET.max} avoids a grey halo: WAS greys exactly its noise "
            f"mask, so the {count} latent cells its edge cuts at {name}={at} keep part of the grey for {who}.",
        )
    fewest = f"the fewest latent cells its edge cuts, {count} at {name}={at}, keep part of the grey for {who}"
    return Recommendation(
        "was",
        None,
        f"{_nothing_to_cut(found, current, who)}, but no {name} that leaves an edge avoids a grey halo: WAS greys "
        f"exactly its noise mask, and {fewest}.",
    )


def _nothing_to_cut(found: _Found, current: int, who: str) -> str:
    """Why `current` (whose noise mask has no edge) is not the amount a halo sentence names."""
    name = MASK_OFFSET.name
    if current < found.first_nonempty:  # eroded away: a pixel stays while its depth exceeds -current
        depth = 1 - found.first_nonempty
        return (
            f"At {name}={current} WAS erodes away every painted pixel within {-current} px of an unpainted one, "
            f"and none lies deeper than {depth} px, so it greys no pixel and repaints nothing; "
            f"from {name}={found.first_nonempty} up some of the mask is left"
        )
    return f"At {name}={current} WAS's noise mask covers the whole image, so {who} repaints all of it"


def _offsets(counts: list[int]):
    return zip(range(MASK_OFFSET.min, MASK_OFFSET.max + 1), counts, strict=True)


def _best_offset(halo: HaloCounts, counts: list[int], first_nonempty: int) -> int | None:
    """The zero-halo offset nearest 0 whose noise mask is neither empty nor the whole image; a grow wins a tie.

    Offset masks are nested: 'empty' holds below `first_nonempty`, and 'whole image' from some offset
    up, so a candidate that covers the whole image rules out every larger one too.
    """
    zeros = [n for n, c in _offsets(counts) if c == 0 and n >= first_nonempty]
    for n in sorted(zeros, key=lambda n: (abs(n), n < 0)):
        if n in zeros and bool(offset_mask(halo.hit.float(), n).all()):  # it repaints everything
            zeros = [m for m in zeros if m < n]
        elif n in zeros:
            return n
    return None


def _found(mask: torch.Tensor, ratio: int, backend: str) -> _Found:
    key = (_digest(mask), tuple(mask.shape), ratio, backend)
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    halo = HaloCounts(mask, ratio, backend)
    empty = not bool(halo.hit.view(torch.uint8).amax())
    grow_counts, offset_counts = halo.grow.tolist(), halo.offset.tolist()
    first_nonempty = max(1 - int(halo.inside.max()), MASK_OFFSET.min)
    offset = None if empty else _best_offset(halo, offset_counts, first_nonempty)
    area = 1.0
    if offset:  # what the offset does to the painted area, for the sentence
        painted = halo.hit.float()
        kept = (
            (halo.inside > -offset).sum() if offset < 0 else offset_mask(painted, offset).sum()
        )  # eroded: deep enough
        area = kept.item() / painted.sum().item()
    found = _Found(
        empty=empty,
        grow_counts=grow_counts,
        offset_counts=offset_counts,
        grow=None if empty else next((k for k, c in enumerate(grow_counts) if c == 0), None),
        offset=offset,
        first_nonempty=first_nonempty,
        offset_area=area,
    )
    with _KEPT_LOCK:
        _KEPT[key] = found
        while len(_KEPT) > KEPT_MASKS:
            _KEPT.popitem(last=False)
    return found


KEPT_MASKS = 32  # a few kB each
_KEPT: OrderedDict = OrderedDict()
_KEPT_LOCK = threading.Lock()  # a page's handlers ask from several threads


def _digest(mask: torch.Tensor) -> bytes:
    """A digest of a 0/1 mask's set pixels (hashed in place, no copy)."""
    hit = mask.detach()
    hit = (hit if hit.dtype == torch.bool else hit > 0.5).cpu().contiguous()
    return hashlib.blake2b(hit.numpy(), digest_size=16).digest()
