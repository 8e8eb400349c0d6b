"""A tiny autoencoder's pass updated from a previous one: only what changed is recomputed, exactly.

A staged net's convolution stages see a bounded neighbourhood (stages.py). Where a new input differs from one
passed before in a few places (a mask_offset release greys a thin band), each local stage recomputes only the
outputs whose inputs changed (the changed set grown by what the stage sees), box by box from the new input,
into a copy of the previous pass's activation; a group-norm stage runs whole (its statistics see everything),
and what follows it then changes everywhere. The output equals the whole pass's within float rounding.

`IncrementalNet` keeps the activations between stages of its latest passes by key, within a byte bound;
`IncrementalVAE` gives a VAE's encode and decode this way (a decoder with group norms decodes whole: TAEF2's).
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count

import torch

from ..cancel import checkpoint
from .stages import Segment, StagedNet
from .tiling import largest_core, run_segment_tiled
from .vae import VAE

KEPT_SHARE = 1 / 4  # of a VAE's memory budget: the passes kept, all together; past it the oldest are dropped
HELD_SHARE = 1 / 16  # of the budget: the most one activation kept between two stages may hold (else they join)
GRID = 32  # output units (times an upsampling stage's factor) per side of the grid that changed outputs fall in
WHOLE_SHARE = 0.6  # a stage whose changed outputs pass this share of its output runs whole


@dataclass
class Pass:
    """One pass's activations: the input, each segment's output (the last is the net's), and its plan."""

    activations: list[torch.Tensor]
    plan: tuple[int, ...]  # each segment's layer count

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in {id(t): t for t in self.activations}.values())


@dataclass
class Update:
    """What a pass did: the share of its work recomputed (1.0: all), and why it ran whole where it did."""

    share: float = 1.0
    whole: str = ""  # "" where it reused a pass; else why not: "no earlier pass of this size", "group norms", ...
    norms: bool = False  # whether group norms ran whole on changed inputs
    boxes: int = 0

    def __str__(self) -> str:
        if self.whole:
            return f"whole: {self.whole}"
        return f"{self.share:.0%} recomputed" + (", group norms whole" if self.norms else "")


@dataclass
class IncrementalNet:
    """A staged net that keeps its latest passes (by key, at most `max_bytes` in all) and runs a new input from
    the kept pass it differs least from (or `previous`, the key of one)."""

    net: StagedNet
    max_bytes: int
    passes: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: count = field(default_factory=count)

    @property
    def held(self) -> int:
        return sum(kept.nbytes for kept in self.passes.values())

    def run(
        self, x: torch.Tensor, tile: int | None, most: int, key: Hashable = None, previous: Hashable = None
    ) -> tuple[torch.Tensor, Update]:
        """net(x) for x (B, C, H, W), from a kept pass where one has x's shape; tiles of side `tile` (None: whole)
        and stages joined past `most` bytes, as tiling.run_staged. The pass is kept under `key`."""
        segments = self.net.plan(x.shape[-2], x.shape[-1], x.shape[0], x.element_size(), most)
        plan = tuple(len(segment.layers) for segment in segments)
        with self.lock:
            base = self._base(x, plan, previous)
        activations, update = [x.clone()], Update()  # kept: a caller's later change to x must not reach it
        changed = None if base is None else _changed(x, base.activations[0])
        side, work, redone = None if tile is None else Fraction(tile), 0.0, 0.0
        for i, segment in enumerate(segments):
            checkpoint()
            new_in = activations[-1]
            out_shape = segment.sizes(new_in.shape[-2])[-1], segment.sizes(new_in.shape[-1])[-1]
            weight = out_shape[0] * out_shape[1] * len(segment.layers)
            work += weight
            old_out = None if base is None else base.activations[i + 1]
            if changed is not None and not changed.any():
                activations.append(old_out)
                changed = torch.zeros(out_shape, dtype=torch.bool, device=x.device)
            else:
                out, share, boxes = self._segment(segment, new_in, old_out, changed, side, out_shape)
                update.norms = update.norms or not segment.local
                redone, update.boxes = redone + share * weight, update.boxes + boxes
                activations.append(out)
                changed = None if old_out is None else _changed(out, old_out)
            if side is not None:
                side *= segment.scale
        update.share = redone / work if work else 0.0
        if base is None:
            update.whole = "no earlier pass of this size"
        elif update.share >= 1.0:
            update.whole = "the input changed everywhere"
        with self.lock:
            self._keep(key if key is not None else ("pass", next(self.keys)), Pass(activations, plan))
        return activations[-1], update

    def _segment(self, segment: Segment, x, old_out, changed, side, out_shape) -> tuple[torch.Tensor, float, int]:
        """The segment's output for input x, its share recomputed and the boxes it took: from `old_out` where
        only `changed` input positions differ, else whole (in tiles where `side` says so)."""
        if old_out is None or not segment.local:
            return _whole(segment, x, side), 1.0, 0
        affected = grown(segment, changed, out_shape)
        if affected.float().mean() > WHOLE_SHARE:
            return _whole(segment, x, side), 1.0, 0
        unit = max(1, int(segment.scale))
        longest = largest_core(segment, side, unit, max(out_shape)) if side is not None else max(out_shape)
        out, area, found = old_out.clone(), 0, boxes(affected, GRID * unit, longest)
        for (top, bottom), (left, right) in found:
            checkpoint()
            out[..., top:bottom, left:right] = segment.region(x, (top, bottom), (left, right))
            area += (bottom - top) * (right - left)
        return out, area / (out_shape[0] * out_shape[1]), len(found)

    def _base(self, x: torch.Tensor, plan: tuple[int, ...], previous: Hashable) -> Pass | None:
        """The kept pass to start from: `previous` where kept and alike, else the alike one x differs least from."""
        alike = {
            key: kept
            for key, kept in self.passes.items()
            if kept.plan == plan and kept.activations[0].shape == x.shape and kept.activations[0].dtype == x.dtype
        }
        if previous in alike:
            return alike[previous]
        if not alike:
            return None
        return min(alike.values(), key=lambda kept: int(_changed(x, kept.activations[0]).sum()))

    def _keep(self, key: Hashable, kept: Pass) -> None:
        self.passes.pop(key, None)
        if kept.nbytes > self.max_bytes:
            return
        self.passes[key] = kept
        while self.held > self.max_bytes:
            self.passes.popitem(last=False)


def _whole(segment: Segment, x: torch.Tensor, side: Fraction | None) -> torch.Tensor:
    return segment(x) if side is None or not segment.local else run_segment_tiled(segment, x, side)


def _changed(new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """(H, W) bool: where any batch item or channel differs."""
    return (new != old).any(1).any(0)


def grown(segment: Segment, changed: torch.Tensor, out_shape: tuple[int, int]) -> torch.Tensor:
    """(h, w) bool: the segment's outputs whose inputs include a changed one (`changed`, (H, W) bool)."""
    before, after = segment.window()
    rows = _window_any(changed, 0, out_shape[0], segment.scale, before, after)
    return _window_any(rows, 1, out_shape[1], segment.scale, before, after)


def _window_any(mask: torch.Tensor, dim: int, n_out: int, scale: Fraction, before: int, after: int) -> torch.Tensor:
    """Along `dim`: output j is whether any of mask[anchor - before : anchor + after] is set, anchor = j / scale."""
    n_in = mask.shape[dim]
    counts = mask.to(torch.int32).cumsum(dim)
    counts = torch.cat([torch.zeros_like(counts.narrow(dim, 0, 1)), counts], dim)
    anchor = torch.arange(n_out, device=mask.device) * scale.denominator // scale.numerator
    start, stop = (anchor - before).clamp(0, n_in), (anchor + after).clamp(0, n_in)
    return counts.index_select(dim, stop) > counts.index_select(dim, start)


def boxes(affected: torch.Tensor, grid: int, longest: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Boxes covering the set positions of `affected` (h, w): per band of `grid` rows, each run of neighbouring
    grid cells holding some (at most `longest` wide), shrunk to the set positions it holds."""
    found = []
    for top in range(0, affected.shape[0], grid):
        band = affected[top : top + grid]
        columns = band.any(0)
        cells = [columns[left : left + grid].any().item() for left in range(0, affected.shape[1], grid)]
        run_start = None
        for i, held in enumerate([*cells, False]):
            if held and run_start is None:
                run_start = i
            if run_start is not None and (not held or (i + 1 - run_start) * grid > longest):
                stop = i if not held else i + 1
                found.append(_shrunk(band, top, run_start * grid, min(stop * grid, affected.shape[1])))
                run_start = None
    return found


def _shrunk(band: torch.Tensor, top: int, left: int, right: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The bounding box of the set positions of band[:, left:right], in the whole mask's coordinates."""
    part = band[:, left:right]
    rows, cols = part.any(1).nonzero()[:, 0], part.any(0).nonzero()[:, 0]
    return (top + int(rows[0]), top + int(rows[-1]) + 1), (left + int(cols[0]), left + int(cols[-1]) + 1)


class IncrementalVAE:
    """A VAE's encode and decode from its latest passes (IncrementalNet): where the new pixels differ from ones
    encoded before in a few places, what changed is encoded again. A decoder with group norms (TAEF2's) changes
    everywhere when its latents change anywhere, so it decodes whole, and says so. The passes kept count against
    the VAE's memory budget: at most KEPT_SHARE of it, the tiles run within the rest."""

    def __init__(self, vae: VAE):
        self.vae = vae
        self.encoder = self._net(vae.encoder)
        decoder = self._net(vae.decoder)
        self.decoder = decoder if decoder is not None and all(s.local for s in vae.decoder.stages) else None

    def _net(self, net) -> IncrementalNet | None:
        return IncrementalNet(net, int(self.vae.budget() * KEPT_SHARE)) if isinstance(net, StagedNet) else None

    @property
    def held(self) -> int:
        return sum(net.held for net in (self.encoder, self.decoder) if net is not None)

    def encode(
        self, pixels: torch.Tensor, key: Hashable = None, previous: Hashable = None
    ) -> tuple[torch.Tensor, Update]:
        """(B, H, W, 3) in [0, 1] -> raw latents (B, C, H/r, W/r), as VAE.encode, and what it recomputed."""
        if self.encoder is None:
            return self.vae.encode(pixels), Update(whole="not a staged network")
        return self._step("encode", self.encoder, pixels, key, previous)

    def decode(
        self, latents: torch.Tensor, key: Hashable = None, previous: Hashable = None
    ) -> tuple[torch.Tensor, Update]:
        """raw latents (B, C, h, w) -> (B, rh, rw, 3) in [0, 1], as VAE.decode, and what it recomputed."""
        if self.decoder is None:
            staged = isinstance(self.vae.decoder, StagedNet)
            return self.vae.decode(latents), Update(whole="group norms" if staged else "not a staged network")
        return self._step("decode", self.decoder, latents, key, previous)

    def _step(self, step: str, net: IncrementalNet, x: torch.Tensor, key, previous) -> tuple[torch.Tensor, Update]:
        update = Update()

        def run(inputs: torch.Tensor) -> torch.Tensor:
            tile = self.vae.tile_side(step, inputs.shape[0], inputs.shape[2], inputs.shape[3], held=self.held)
            out, found = net.run(inputs, tile, int(self.vae.budget() * HELD_SHARE), key, previous)
            update.__dict__.update(found.__dict__)
            return out

        try:
            out = getattr(self.vae, step)(x, run=run)
        except torch.OutOfMemoryError:
            net.passes.clear()  # the whole step again, in the VAE's smaller tiles
            return getattr(self.vae, step)(x), Update(whole="out of memory")
        return out, update
