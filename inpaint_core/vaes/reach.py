"""How far a tiny autoencoder's layers see: the input interval an output interval needs, along one axis.

Convolutions (any kernel, stride and zero padding), nearest upsampling by an integer factor, pointwise layers
and residual blocks whose branch is convolutions see a bounded neighbourhood; a layer with a group norm sees
the whole input (`reach_of` gives None for it, and for any layer it does not know).
"""

from dataclasses import dataclass

from torch import nn


class Pointwise(nn.Module):
    """A function of each value alone (the codec's scale and shift), as a layer."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@dataclass(frozen=True)
class Reach:
    """One layer along one axis: `conv` (kernel, stride, padding), `up` (factor) or `same` (radius)."""

    kind: str
    kernel: int = 1
    stride: int = 1
    padding: int = 0
    factor: int = 1
    radius: int = 0

    def needed(self, start: int, stop: int) -> tuple[int, int]:
        """The input interval [a, b) whose values give the outputs [start, stop) exactly."""
        if self.kind == "conv":
            return self.stride * start - self.padding, self.stride * (stop - 1) - self.padding + self.kernel
        if self.kind == "up":
            return start // self.factor, -(-stop // self.factor)
        return start - self.radius, stop + self.radius

    def size(self, n: int) -> int:
        """Output length for an input of length n."""
        if self.kind == "conv":
            return (n + 2 * self.padding - self.kernel) // self.stride + 1
        return n * self.factor if self.kind == "up" else n

    @property
    def align(self) -> int:
        """A crop must start at a multiple of this for its outputs to fall on the whole input's grid."""
        return self.stride if self.kind == "conv" else 1

    def start(self, first: int) -> int:
        """The output position of a crop's first output, for a crop starting at input position `first`."""
        if self.kind == "conv":
            return first // self.stride
        return first * self.factor if self.kind == "up" else first


SAME = Reach("same")


def reach_of(layer) -> Reach | None:
    """The layer's reach, the same along both axes; None for a layer that sees the whole input."""
    if isinstance(layer, nn.Conv2d):
        return _conv_reach(layer)
    if isinstance(layer, nn.Upsample):
        factor = layer.scale_factor
        whole = isinstance(factor, (int, float)) and float(factor).is_integer()
        return Reach("up", factor=int(factor)) if layer.mode == "nearest" and whole else None
    if isinstance(layer, (nn.ReLU, nn.Identity, Pointwise)) or type(layer).__name__ == "Clamp":
        return SAME
    if isinstance(getattr(layer, "conv", None), nn.Sequential) and hasattr(layer, "pool"):
        return _block_reach(layer)
    return None


def _conv_reach(layer: nn.Conv2d) -> Reach | None:
    (kh, kw), (sh, sw), padding = layer.kernel_size, layer.stride, layer.padding
    if isinstance(padding, str) or kh != kw or sh != sw or padding[0] != padding[1] or layer.padding_mode != "zeros":
        return None
    if layer.dilation != (1, 1):
        return None
    return Reach("conv", kernel=kh, stride=sh, padding=padding[0])


def _block_reach(block) -> Reach | None:
    """relu(convs(x) + x): as far as its convolutions see, when they keep the size and no group norm precedes."""
    if block.pool is not None:
        return None
    radius = 0
    for layer in block.conv:
        reach = reach_of(layer)
        if reach is None or reach.kind == "up" or (reach.kind == "conv" and reach.stride != 1):
            return None
        if reach.kind == "conv" and 2 * reach.padding != reach.kernel - 1:
            return None
        radius += reach.padding if reach.kind == "conv" else reach.radius
    return Reach("same", radius=radius)
