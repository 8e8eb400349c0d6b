"""A tiny autoencoder as stages: runs of layers that see a bounded neighbourhood (local) between changes of
resolution, and runs with group norms (global, run whole). A local segment's output over any box comes
exactly from a crop of its input: each layer runs on what the layers after it need, no more (`region`).

Stages end after a downsampling conv and before an upsampling layer, where the activation is smallest; `plan`
joins neighbouring local stages where the activation between them would be too large to hold whole.
"""

from dataclasses import dataclass
from fractions import Fraction

import torch

from .reach import Reach, reach_of

Span = tuple[int, int]  # [start, stop) along one axis


@dataclass
class Segment:
    """Layers run one after another; `reaches` None where they hold group norms (the segment runs whole)."""

    layers: list
    reaches: list[Reach] | None

    @property
    def local(self) -> bool:
        return self.reaches is not None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __add__(self, other: "Segment") -> "Segment":
        return Segment(self.layers + other.layers, self.reaches + other.reaches)

    @property
    def scale(self) -> Fraction:
        """Output units per input unit (1/2 a downsampling conv, 2 an upsampling layer; 1 a group-norm segment)."""
        scale = Fraction(1)
        for reach in self.reaches or ():
            scale *= Fraction(reach.factor) if reach.kind == "up" else Fraction(1, reach.stride)
        return scale

    def sizes(self, n: int) -> list[int]:
        """The length along one axis at each layer boundary (the input's first) for an input of length n; a
        group-norm segment's: its input's and its output's (the same)."""
        if not self.local:
            return [n, n]
        sizes = [n]
        for reach in self.reaches:
            sizes.append(reach.size(sizes[-1]))
        return sizes

    def spans(self, span: Span, n: int) -> list[Span]:
        """At each layer boundary (the input's first), where values must be exact for outputs `span` of an input
        of length n: each layer's need, clipped to the tensor and started on the layer's grid."""
        sizes, spans = self.sizes(n), [span]
        for reach, size in zip(reversed(self.reaches), reversed(sizes[:-1]), strict=True):
            start, stop = reach.needed(*spans[-1])
            spans.append((max(0, start) // reach.align * reach.align, min(stop, size)))
        return spans[::-1]

    def region(self, x: torch.Tensor, rows: Span, cols: Span) -> torch.Tensor:
        """The outputs rows × cols (output units) of x (B, C, H, W), as the whole pass gives them."""
        ys, xs = self.spans(rows, x.shape[-2]), self.spans(cols, x.shape[-1])
        (top, bottom), (left, right) = ys[0], xs[0]
        out = x[..., top:bottom, left:right]
        for layer, reach, (y0, y1), (x0, x1) in zip(self.layers, self.reaches, ys[1:], xs[1:], strict=True):
            out = layer(out)
            top, left = reach.start(top), reach.start(left)
            out = out[..., y0 - top : y1 - top, x0 - left : x1 - left]
            assert out.shape[-2:] == (y1 - y0, x1 - x0), "a crop must cover what the next layer needs"
            top, left = y0, x0
        return out

    def window(self) -> tuple[int, int]:
        """(before, after): output j depends on inputs [anchor - before, anchor + after), anchor = floor(j / scale)."""
        scale, before, after = self.scale, 0, 0
        base = 1 << 20  # far from both ends, on every layer's grid
        for j in range(base, base + 64):
            anchor = j * scale.denominator // scale.numerator
            start, stop = self.spans((j, j + 1), 1 << 40)[0]
            before, after = max(before, anchor - start), max(after, stop - anchor)
        return before, after

    def peak(self, core: int) -> int:
        """The largest layer-boundary area of a core×core box of outputs far from the edges, in input units²."""
        base, scale, largest = 1 << 20, Fraction(1), 0
        spans = self.spans((base, base + core), 1 << 40)
        for i, (start, stop) in enumerate(spans):
            largest = max(largest, int((stop - start) ** 2 / scale**2))
            if i < len(self.reaches):
                reach = self.reaches[i]
                scale *= Fraction(reach.factor) if reach.kind == "up" else Fraction(1, reach.stride)
        return largest


def stages_of(layers) -> list[Segment] | None:
    """The layers as stages; None where a layer is neither local nor a known global one (a group-norm block)."""
    stages: list[Segment] = []
    for layer in layers:
        reach = reach_of(layer)
        if reach is None:
            if getattr(layer, "pool", None) is None:
                return None  # a layer this module does not know
            if stages and not stages[-1].local:
                stages[-1].layers.append(layer)
            else:
                stages.append(Segment([layer], None))
            continue
        if not stages or not stages[-1].local or (reach.kind == "up" and stages[-1].layers):
            stages.append(Segment([], []))
        stages[-1].layers.append(layer)
        stages[-1].reaches.append(reach)
        if reach.kind == "conv" and reach.stride > 1:
            stages.append(Segment([], []))
    return [stage for stage in stages if stage.layers]


class StagedNet:
    """A sequential network (a tiny autoencoder's layers, with the codec's arithmetic as pointwise layers) run
    whole, stage by stage: the same layers in the same order as nn.Sequential."""

    def __init__(self, stages: list[Segment], channels: list[int]):
        self.stages = stages
        self.channels = channels  # each stage's output channels

    @classmethod
    def of(cls, layers) -> "StagedNet | None":
        stages = stages_of(layers)
        if stages is None:
            return None
        return cls(stages, [_out_channels(stage.layers) for stage in stages])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        return x

    def plan(self, height: int, width: int, batch: int, itemsize: int, most: int) -> list[Segment]:
        """The stages joined where the activation between two local ones would pass `most` bytes."""
        segments, scale = [self.stages[0]], self.stages[0].scale
        for stage, channels in zip(self.stages[1:], self.channels[:-1], strict=True):
            held = batch * channels * itemsize * height * width * scale**2
            if stage.local and segments[-1].local and held > most:
                segments[-1] = segments[-1] + stage
            else:
                segments.append(stage)
            scale *= stage.scale
        return segments


def _out_channels(layers) -> int:
    """The channels a stage hands on: its last convolution's (a stage without one keeps the previous count, 0)."""
    for layer in reversed(layers):
        for module in reversed(list(layer.modules())):
            if isinstance(module, torch.nn.Conv2d):
                return module.out_channels
    return 0
