"""Both methods on one image and mask: prepared pixels and masks first, latents and previews second.

The two steps are separate so a page can show the masks at once and the (slower) latents after.
Given caches, each method's preparation is kept by content and amount, and latents by content
(image, mask, VAE, and WAS's offset: ComfyUI's latent does not depend on grow_mask_by), so a
slider change prepares and encodes only what it changes.
Host copies are made on first use: pixels (H', W', 3) float, masks (H', W') uint8 0/1, latents (1, C, h, w).
A `Reusing` encoder (a page keeps one) encodes new pixels from the pass of those it encoded last: a new
mask_offset of the same image recomputes only what its grey band changes (vaes/incremental.py).
"""

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import torch

from .cache import LRUCache
from .clock import StepClock
from .preparations.differential import DifferentialView
from .preparations.methods import METHODS, Preparation, seed_preparation
from .prepare import Prepared
from .vaes.incremental import IncrementalVAE
from .vaes.vae import VAE


@dataclass
class Latent:
    latents: torch.Tensor  # (1, C, h, w) raw, CPU
    decoded: torch.Tensor  # (H', W', 3) uint8 preview, CPU
    squared_error: torch.Tensor  # (H', W') decoded minus encoded pixels, squared, summed over RGB, on the VAE's device
    timings_ms: dict[str, float]
    reuse: dict[str, str] = field(default_factory=dict)  # step: what it recomputed ("whole decode: group norms")
    whole_encode: Callable[[torch.Tensor], torch.Tensor] | None = field(default=None, repr=False, compare=False)

    @property
    def nbytes(self) -> int:
        return self.latents.nbytes + self.decoded.nbytes + self.squared_error.nbytes

    def whole_latents(self, pixels: torch.Tensor) -> torch.Tensor:
        """The latents of `pixels` (those these were made of) as one whole encode gives them, as ComfyUI's
        VAEEncode does (bit for bit on the CPU): `latents` where they came so; where an earlier pass was updated
        (equal within float rounding: a box's convolutions round as their size has them), a whole encode, made
        on the first call and kept in their place."""
        if self.whole_encode is not None:
            self.latents, self.whole_encode = self.whole_encode(pixels[:1]).cpu(), None
            self.reuse["encode"] = f"{self.reuse.get('encode', '')}; latents from a whole encode".lstrip("; ")
        return self.latents

    def to_cpu(self) -> "Latent":
        """The same latent wholly on the CPU (to cross a process boundary)."""
        return replace(self, squared_error=self.squared_error.cpu(), whole_encode=None)


@dataclass
class MethodResult:
    """One method's output for the first image of the batch, whatever the method: its preparation, latent
    and, where the page asks for it, DifferentialDiffusion's view for a denoise. A page column holds one."""

    preparation: Preparation  # on the compute device, for the encoder
    prepare_ms: float = 0.0
    cache_key: tuple | None = None  # names this method's latent in a cache
    latent: Latent | None = None
    latent_cached: bool = False
    view: DifferentialView | None = None  # the sampler's view at `denoise`, where asked for and a noise mask is set
    denoise: float = 1.0
    memo: dict = field(default_factory=dict, repr=False)  # analyses derived from this result (see once)

    @property
    def method(self) -> str:
        return self.preparation.method

    @property
    def amount(self) -> int | None:
        """The setting the method's slider drives (grow_mask_by, mask_offset, GrowMask's expand), if any."""
        return self.preparation.settings.get(METHODS[self.method].amount)

    @property
    def crop_offset(self) -> tuple[int, int]:  # (top, left) of the crop in the input image
        return self.preparation.crop_offset

    @property
    def prepared(self) -> Prepared:
        """A seed node's pixels and masks as the node makes them (the seeds only)."""
        return self.preparation.extra["prepared"]

    @property
    def size(self) -> tuple[int, int]:  # (H', W') of the crop
        return tuple(self.preparation.neutralised.shape[1:3])

    @property
    def nbytes(self) -> int:  # what keeping it costs: its tensors (some are one) and a seed's host masks
        preparation = self.preparation
        prepared = preparation.extra.get("prepared")
        masks = () if prepared is None else (prepared.mask, prepared.neutralise_mask, prepared.noise_mask)
        kept = (preparation.neutralised, preparation.encoded, preparation.noise_mask, *masks)
        tensors = {id(t): t for t in kept if t is not None}
        host = 3 * self.size[0] * self.size[1] if prepared is not None else 0
        return sum(t.nbytes for t in tensors.values()) + host

    def whole_latents(self) -> torch.Tensor:
        """The latent's values as one whole encode of the encoded pixels gives them (Latent.whole_latents)."""
        return self.latent.whole_latents(self.preparation.encoded)

    def once(self, name: str, make: Callable[[], Any]) -> Any:
        """make(), the first time `name` is asked for; then the same value, kept with this result."""
        if name not in self.memo:
            self.memo[name] = make()
        return self.memo[name]

    @cached_property
    def neutralised(self) -> torch.Tensor:  # (H', W', 3): what the VAE encodes
        return self.preparation.neutralised[0].cpu()

    @cached_property
    def mask(self) -> torch.Tensor:  # (H', W') uint8 0/1: a seed's input mask, resized, cropped, rounded
        return _to_host(self.prepared.mask[0, 0])

    @cached_property
    def neutralise_mask(self) -> torch.Tensor:  # (H', W') uint8 0/1: the pixels a seed set to grey
        return _to_host(self.prepared.neutralise_mask[0, 0])

    @cached_property
    def noise_mask(self) -> torch.Tensor:  # (H', W') uint8 0/1: a seed's noise mask
        return _to_host(self.prepared.noise_mask[0, 0])


def _to_host(mask: torch.Tensor) -> torch.Tensor:
    """A 0/1 mask on the CPU as uint8 (from a GPU, a quarter of the float traffic)."""
    return mask.to(torch.uint8).cpu()


@dataclass
class Comparison:
    image: torch.Tensor  # (H, W, 3) the input, CPU
    downscale_ratio: int
    comfy: MethodResult
    was: MethodResult
    vae_name: str = ""

    @property
    def methods(self) -> tuple[MethodResult, MethodResult]:
        return self.comfy, self.was


def prepare_methods(
    pixels: torch.Tensor, mask: torch.Tensor, downscale_ratio: int, grow_mask_by: int, mask_offset: int,
    content_key: Hashable | None = None, vae_name: str = "", image: torch.Tensor | None = None,
    cache: LRUCache | None = None,
) -> Comparison:  # fmt: skip
    """Both preparations of the first image; `content_key` (a digest of image and mask, with whatever
    tells apart VAEs of one name) and `vae_name` key the caches.

    `image` is the first image on the CPU where the caller has it (else it is copied from `pixels`).
    With a `cache`, a method whose amount has not changed is not prepared again.
    """
    ratio = downscale_ratio
    key = None if content_key is None else (content_key, vae_name)

    def comfy() -> MethodResult:
        preparation, ms = _timed(lambda: seed_preparation("comfy", pixels, mask, grow_mask_by, ratio), pixels)
        return MethodResult(preparation, ms, key and (*key, "comfy"))

    def was() -> MethodResult:
        preparation, ms = _timed(lambda: seed_preparation("was", pixels, mask, mask_offset, ratio), pixels)
        return MethodResult(preparation, ms, key and (*key, "was", mask_offset))

    def kept(make, method: str, amount: int) -> MethodResult:
        return make() if cache is None or key is None else cache.get_or_make((*key, method, amount), make)[0]

    return Comparison(
        pixels[0].cpu() if image is None else image,
        downscale_ratio,
        kept(comfy, "comfy", grow_mask_by),
        kept(was, "was", mask_offset),
        vae_name,
    )


def _timed(prepare: Callable[[], Preparation], pixels: torch.Tensor) -> tuple[Preparation, float]:
    clock = StepClock(pixels.device)
    prepared = clock.step("prepare", prepare)
    return prepared, clock.milliseconds()["prepare"]


def encode_and_decode(vae: VAE, pixels: torch.Tensor, codec: IncrementalVAE | None = None) -> Latent:
    """The latent of prepared pixels (1, H', W', 3), its decoded preview and per-pixel error, with timings;
    through `codec` (the VAE's, incremental.py): from its earlier passes, with what each step recomputed.

    A decode smaller than the crop (a crop that is not whole latent cells) is compared where both are.
    """
    clock, reuse = StepClock(vae.device), {}

    def step(name: str, x: torch.Tensor) -> torch.Tensor:
        if codec is None:
            return getattr(vae, name)(x)
        out, update = getattr(codec, name)(x)
        reuse[name] = str(update)
        return out

    latents = clock.step("encode", lambda: step("encode", pixels[:1]))
    decoded = clock.step("decode", lambda: step("decode", latents)[0])
    height, width = (min(a, b) for a, b in zip(decoded.shape[:2], pixels.shape[1:3], strict=True))
    encoded = pixels[0, :height, :width].to(decoded.device, decoded.dtype)
    error = (decoded[:height, :width] - encoded).square_().sum(-1)  # stays on the VAE's device
    preview = decoded.mul(255).round_().to(torch.uint8).cpu()  # a quarter of the float traffic
    updated = codec is not None and not reuse["encode"].startswith("whole")
    return Latent(latents.cpu(), preview, error, clock.milliseconds(), reuse, vae.encode if updated else None)


Encoder = Callable[[VAE, torch.Tensor], Latent]


class Reusing:
    """An Encoder (for add_latents) that encodes and decodes through each VAE's IncrementalVAE, so pixels that
    differ from ones it encoded before in a few places (a new mask_offset of the same image) cost what changed.
    Latents equal encode_and_decode's within float rounding (their whole_latents() bit for bit). Keeps the codecs
    of its `most` latest VAEs.

    On a GPU it encodes whole: there the box-by-box update costs more than the whole pass (bench/release.py:
    35 against 12 ms at 1024², 407 against 244 ms at 4096², TAEF2 in half precision on an H100)."""

    def __init__(self, most: int = 2):
        self.most = most
        self.codecs: dict[int, IncrementalVAE] = {}  # by id(vae); each holds its VAE, so ids stay its own
        self.lock = threading.Lock()

    def codec(self, vae: VAE) -> IncrementalVAE:
        with self.lock:
            codec = self.codecs.pop(id(vae), None) or IncrementalVAE(vae)
            self.codecs[id(vae)] = codec
            while len(self.codecs) > self.most:
                self.codecs.pop(next(iter(self.codecs)))
            return codec

    def __call__(self, vae: VAE, pixels: torch.Tensor) -> Latent:
        if vae.device.type != "cpu":
            return encode_and_decode(vae, pixels)
        return encode_and_decode(vae, pixels, self.codec(vae))

    def clear(self) -> None:
        """Drop every kept pass (a large image needs the room first)."""
        with self.lock:
            self.codecs.clear()


def add_latents(
    comparison: Comparison, vae: VAE, cache: LRUCache | None = None, encode: Encoder = encode_and_decode,
    methods: tuple[str, ...] = ("comfy", "was"),
) -> Comparison:  # fmt: skip
    """Fill in the latents of `methods` (both by default), from the cache where they are already known.

    `encode(vae, pixels)` makes one (encode_and_decode, or a caller's wrapper that runs it elsewhere).
    """
    for result in comparison.methods:
        if result.method not in methods:
            continue
        if cache is None or result.cache_key is None:
            result.latent, result.latent_cached = encode(vae, result.preparation.encoded), False
        else:
            result.latent, result.latent_cached = cache.get_or_make(
                result.cache_key, lambda r=result: encode(vae, r.preparation.encoded)
            )
    return comparison


def compare_methods(
    pixels: torch.Tensor, mask: torch.Tensor, vae: VAE, grow_mask_by: int, mask_offset: int,
    cache: LRUCache | None = None, content_key: str | None = None,
) -> Comparison:  # fmt: skip
    """Both methods, latents included, on the VAE's device."""
    pixels, mask = pixels.to(vae.device), mask.to(vae.device)
    comparison = prepare_methods(
        pixels, mask, vae.downscale_ratio, grow_mask_by, mask_offset, content_key, vae.display_name
    )
    return add_latents(comparison, vae, cache)
