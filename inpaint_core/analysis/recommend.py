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
class _Grow:
    """What a mask's halo counts say of grow_mask_by, kept by content: the counts and the best (None: none)."""

    empty: bool
    counts: list[int]  # per grow_mask_by 0..64
    best: int | None


@dataclass(frozen=True)
class _Offset:
    """What a mask's halo counts say of mask_offset, kept by content."""

    empty: bool
    counts: list[int]  # per mask_offset -128..128
    best: int | None
    first_nonempty: int  # the smallest mask_offset whose noise mask is not empty
    area: float  # the noise mask's area at `best` over the painted area (1 where there is none)


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
    if comfy_mask.shape == was_mask.shape and torch.equal(comfy_mask, was_mask):  # the crops agree (a ratio of 8)
        grow, offset = _found(comfy_mask, ratio, backend, ("grow", "offset"))
    else:
        (grow,), (offset,) = (
            _found(comfy_mask, ratio, backend, ("grow",)),
            _found(was_mask, ratio, backend, ("offset",)),
        )
    return {"comfy": _grow_advice(grow, backend), "was": _offset_advice(offset, backend, mask_offset)}


def recommend_grow_mask_by(mask: torch.Tensor, ratio: int, backend: str = "comfyui") -> Recommendation:
    """ComfyUI's VAEEncodeForInpaint: the smallest grow_mask_by in 0..64 that leaves no grey halo."""
    return _grow_advice(*_found(mask, ratio, check_backend(backend), ("grow",)), backend)


def recommend_mask_offset(
    mask: torch.Tensor, ratio: int, backend: str = "comfyui", mask_offset: int | None = None
) -> Recommendation:
    """WAS_VAEEncodeForInpaint: the mask_offset in -128..128 nearest 0 (a grow before an equal erosion)
    that leaves no grey halo, with a noise mask neither empty nor the whole image."""
    if mask_offset is not None:
        MASK_OFFSET.check(mask_offset)
    return _offset_advice(*_found(mask, ratio, check_backend(backend), ("offset",)), backend, mask_offset)


def _grow_advice(found: _Grow, backend: str) -> Recommendation:
    who, name = WHO[backend], GROW_MASK_BY.name
    if found.empty:
        return Recommendation("comfy", None, "The mask is empty: there is nothing to grow.")
    if found.best is None:
        return Recommendation(
            "comfy",
            None,
            f"No {name} in {GROW_MASK_BY.min}..{GROW_MASK_BY.max} is enough: even at {GROW_MASK_BY.max}, "
            f"{found.counts[-1]} latent cells holding grey are not fully repainted by {who}.",
        )
    return Recommendation(
        "comfy",
        found.best,
        f"Set {name} to {found.best}: the smallest grow that leaves no grey pixel in a latent cell "
        f"{who} does not fully repaint.",
    )


def _offset_advice(found: _Offset, backend: str, current: int | None) -> Recommendation:
    who, name = WHO[backend], MASK_OFFSET.name
    if found.empty:
        return Recommendation("was", None, "The mask is empty: there is nothing to offset.")
    if found.best is not None:
        change = found.area
        kept = f"{change:.0%}" if change >= 0.01 else "less than 1%"
        scale = "" if found.best == 0 else f"; it keeps {kept} of the painted area"
        scale = scale if change <= 1 else f"; it grows the painted area {change:.1f} times"
        return Recommendation(
            "was",
            found.best,
            f"Set {name} to {found.best}: the offset nearest 0 that leaves no grey pixel in a latent cell "
            f"{who} does not fully repaint{scale}.",
        )
    counts = found.counts
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


def _nothing_to_cut(found: _Offset, current: int, who: str) -> str:
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


def _found(mask: torch.Tensor, ratio: int, backend: str, parts: tuple[str, ...]) -> list[_Grow | _Offset]:
    """The records of `parts` ("grow", "offset") for a mask, kept by content; those not kept are counted
    together (their distances worked out once)."""
    key = (_digest(mask), tuple(mask.shape), ratio, backend)
    with _KEPT_LOCK:
        found = {part: _KEPT[(*key, part)] for part in parts if (*key, part) in _KEPT}
        for part in found:
            _KEPT.move_to_end((*key, part))
    missing = [part for part in parts if part not in found]
    if missing:
        halo = HaloCounts(mask, ratio, backend)
        empty = not bool(halo.hit.view(torch.uint8).amax())
        made = {part: (_grow_record if part == "grow" else _offset_record)(halo, empty) for part in missing}
        with _KEPT_LOCK:
            for part, record in made.items():
                _KEPT[(*key, part)] = record
            while len(_KEPT) > KEPT_MASKS:
                _KEPT.popitem(last=False)
        found |= made
    return [found[part] for part in parts]


def _grow_record(halo: HaloCounts, empty: bool) -> _Grow:
    counts = halo.grow.tolist()
    return _Grow(empty, counts, None if empty else next((k for k, c in enumerate(counts) if c == 0), None))


def _offset_record(halo: HaloCounts, empty: bool) -> _Offset:
    counts = halo.offset.tolist()
    first_nonempty = max(1 - int(halo.inside.max()), MASK_OFFSET.min)
    offset = None if empty else _best_offset(halo, counts, first_nonempty)
    area = 1.0
    if offset:  # what the offset does to the painted area, for the sentence
        painted = halo.hit.float()
        kept = (
            (halo.inside > -offset).sum() if offset < 0 else offset_mask(painted, offset).sum()
        )  # eroded: deep enough
        area = kept.item() / painted.sum().item()
    return _Offset(empty, counts, offset, first_nonempty, area)


KEPT_MASKS = 64  # records, two a mask (grow, offset): a few kB each
_KEPT: OrderedDict = OrderedDict()
_KEPT_LOCK = threading.Lock()  # a page's handlers ask from several threads


def _digest(mask: torch.Tensor) -> bytes:
    """A digest of a 0/1 mask's set pixels, a bit each (the key holds the shape)."""
    hit = mask.detach()
    hit = (hit if hit.dtype == torch.bool else hit > 0.5).cpu().reshape(-1)
    bits = torch.nn.functional.pad(hit.to(torch.uint8), (0, -len(hit) % 8)).reshape(-1, 8)
    packed = (bits << torch.arange(7, -1, -1, dtype=torch.uint8)).sum(1, dtype=torch.uint8)  # numpy.packbits' order
    try:
        data = packed.numpy().tobytes()
    except RuntimeError:  # torch without numpy (the library needs only torch)
        data = bytes(packed.tolist())
    return hashlib.blake2b(data, digest_size=16).digest()
