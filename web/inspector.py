"""The page's handlers: an edit read once, the live panels' payload, the server's work when a slider settles,
and /compare. The maths is inpaint_core's; files come from web.panels; only encoding crosses to a GPU worker
on ZeroGPU (web.gpu)."""

import contextlib
import ctypes
import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import torch
from gradio.components.imageslider import SliderData
from gradio.data_classes import ImageData

from inpaint_core.analysis.report import summary
from inpaint_core.cache import LRUCache
from inpaint_core.cancel import Cancelled, also_cancel_when
from inpaint_core.compare import Comparison, MethodResult, Reusing, add_latents, encode_and_decode, prepare_methods
from inpaint_core.editor import EditorInput, from_editor, image_mask
from inpaint_core.files.image_files import Batch, ImageFiles
from inpaint_core.preparations import SEEDS, Preparation, differential_view, run_method
from inpaint_core.preparations.differential import DENOISE
from inpaint_core.vaes.registry import APPROX, VAERegistry, label_of

from . import gpu, panels
from .advice import advice_html
from .cost import Throughput, cost_sentence
from .events import Files, Settled
from .large_work import LargeWork, OneAtATime
from .live import decoded_payload, edit_payload, live_key
from .methods import columns, pickers
from .methods.numbers import method_numbers
from .methods.pickers import PLACES
from .methods.settings import checked_settings, integer
from .numbers import numbers_table
from .painter import Painter
from .panels import as_sent, name_of
from .prune import Pruner
from .superseded import LatestEdits

CACHE_BYTES = 1 << 30  # per cache (preparations, latents); the newest entry is kept whatever its size
KEPT_LATENT_BYTES = 64 << 20  # when a large image needs the room, other edits' latents up to this each stay,
KEPT_LATENTS_BYTES = 256 << 20  # the newest, up to this in all
APPROX_LABEL = label_of(APPROX)  # the built-in approximate VAE's label on the page
FOLDER_BYTES = 2 << 30  # previews and downloads on disk; Gradio's delete_cache also removes them after an hour


def _float_tensors(editor: EditorInput, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The edit as the core takes it: pixels and mask on the device, and the image (H, W, 3) on the CPU."""
    pixels = editor.pixels
    return pixels.to(device), editor.mask.to(device), pixels[0]


def pixels_digest(pixels: torch.Tensor) -> str:
    """Names pixels by their content: methods and settings that encode the same pixels share a latent."""
    array = pixels.detach().cpu().contiguous().numpy()
    return hashlib.blake2b(memoryview(array).cast("B"), digest_size=16).hexdigest() + str(array.shape)


def preparation_bytes(preparation: Preparation) -> int:
    """What keeping a preparation costs: its pixels, encoded crop and noise mask (some are one tensor)."""
    tensors = {
        id(t): t for t in (preparation.neutralised, preparation.encoded, preparation.noise_mask) if t is not None
    }
    return sum(t.nbytes for t in tensors.values())


def release_freed_memory() -> None:
    """Collect what is unreachable and hand freed heap pages back to the system (glibc keeps them otherwise),
    so a large image's peak starts from what is really held."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def trimmed(encode):
    """`encode`, then the heap it freed handed back: a large image's next encode starts from what is held."""

    def encode_and_trim(vae, pixels):
        try:
            return encode(vae, pixels)
        finally:
            release_freed_memory()

    return encode_and_trim


def _mentions(key, part) -> bool:
    """Whether a cache key (nested tuples) holds `part` anywhere."""
    return key == part or (isinstance(key, tuple) and any(_mentions(k, part) for k in key))


def _run(editor: EditorInput, method: str, settings: dict, vae) -> tuple[Preparation, str]:
    """The method on the edit's pixels and its mask resized bilinearly, not rounded (methods take soft masks), to
    8 bits as the export's alpha carries it (image_mask); and the digest of the pixels it encodes, which names
    their latent."""
    try:
        preparation = run_method(method, editor.pixels, image_mask(editor), settings, None, vae.downscale_ratio)
    except (ValueError, MemoryError) as error:
        raise gr.Error(str(error)) from error
    return preparation, pixels_digest(preparation.encoded[:1])


class Inspector:
    """The handlers, around one VAE registry, bounded caches (preparations, latents, inputs on the compute
    device) and a folder of content-named images."""

    def __init__(self, registry: VAERegistry, max_side: int, files: Path, zero_gpu: bool = gpu.ZERO_GPU):
        """On ZeroGPU (`zero_gpu`) masks are made on the CPU and only encoding runs under spaces.GPU,
        so the caches stay in this process and a masks-only change costs no GPU time."""
        self.registry = registry
        self.zero_gpu = zero_gpu
        if zero_gpu:
            gpu.share_with_worker(registry)
        self.max_side = max_side
        self.prepared = LRUCache(8, max_bytes=CACHE_BYTES, size_of=lambda method: method.nbytes)
        self.preparations = LRUCache(  # other methods', with the digest of what they encode
            4, max_bytes=CACHE_BYTES // 4, size_of=lambda kept: preparation_bytes(kept[0])
        )
        self.latents = LRUCache(16, max_bytes=CACHE_BYTES, size_of=lambda latent: latent.nbytes)
        self.on_device = LRUCache(  # the latest edits' tensors on the compute device (one when large)
            4, max_bytes=CACHE_BYTES // 4, size_of=lambda tensors: tensors[0].nbytes + tensors[1].nbytes
        )
        self.files = ImageFiles(files)
        self.pruner = Pruner(files, FOLDER_BYTES)
        self.large_work = LargeWork()  # one large image at a time on a CPU
        self.painter = Painter(self.files.folder / "examples", max_side)  # each photo decoded once, not per stroke
        self.throughput = Throughput()  # seconds per megapixel of this server's encodes: a large image is told first
        self.reusing = Reusing()  # a new mask_offset's latent from the pass of the pixels encoded last: what changed
        self.latest = LatestEdits()  # each session's newest edit: work for an older one stops

    def read_editor(self, value, request: gr.Request = None) -> EditorInput | None:
        """The painter's photo and mask (or an image-editor value), once per change (kept in the session's
        State); the session's work for an earlier edit stops at its next checkpoint."""
        if isinstance(value, dict) and "background" in value:
            if value["background"] is None:
                return None
            try:
                editor = from_editor(value, self.max_side)
            except ValueError as error:
                raise gr.Error(str(error)) from error
        else:
            editor = self.painter.read(value)
        if editor is not None:
            self.latest.note(request, editor.content_key)
        return editor

    def edit(self, editor: EditorInput | None, vae_label: str) -> dict | None:
        """The live panels' payload for an edit and a VAE: the rounded mask and each method's crop."""
        if editor is None:
            return None
        try:
            ratio = self.registry.get(vae_label).downscale_ratio
        except ValueError as error:
            raise gr.Error(str(error)) from error
        batch = self.files.batch()
        photo = editor.image_key or editor.content_key
        image = panels.input_image(batch, photo, lambda: editor.rgb[0].numpy())  # once per photo
        batch.wait()
        return edit_payload(editor, live_key(editor, vae_label), ratio, image)

    @torch.inference_mode()
    def run(self, editor: EditorInput, vae_label, grow_mask_by, mask_offset, progress, encoded=SEEDS) -> Comparison:
        """Both methods, with the latents of those `encoded` (encoding what the caches lack)."""
        try:
            grow, offset = integer(grow_mask_by, "grow_mask_by"), integer(mask_offset, "mask_offset")
            progress(0.1, desc=f"Loading {vae_label}…")
            vae = self.registry.get(vae_label)
            device = torch.device("cpu") if self.zero_gpu else vae.device
            with self.large_image(editor, vae, vae_label, progress, encodes=len(encoded)) as large:
                pixels, mask, image = self.on_device.get_or_make(  # each edit is made float and moved once
                    (editor.content_key, str(device)), lambda: _float_tensors(editor, device)
                )[0]
                content_key = (editor.content_key, vae_label)  # labels are unique; display names need not be
                result = prepare_methods(
                    pixels, mask, vae.downscale_ratio, grow, offset, content_key, vae.display_name, image,
                    self.prepared,
                )  # fmt: skip
                progress(0.4, desc="Encoding and decoding…")
                # a large image's pass is past what Reusing keeps, and holding its stages through the pass costs
                # hundreds of MB at 4096²: plain tiles, and the heap the tiles freed handed back after each
                reusing = trimmed(encode_and_decode) if large else self.reusing
                encode = (lambda _, p: gpu.encode_in_gpu_worker(vae_label, p)) if self.zero_gpu else \
                    self.throughput.timed(vae_label, reusing)  # fmt: skip
                return add_latents(result, vae, self.latents, encode, tuple(encoded))
        except (ValueError, MemoryError) as error:
            raise gr.Error(str(error)) from error

    def prepare_any(
        self, editor: EditorInput, vae_label: str, method: str, settings, denoise=1.0, progress=None
    ) -> MethodResult:
        """Any method by name (settings as JSON text or a dict) on the edit, its latent and the sampler's view
        for `denoise`; preparations and latents are kept by content, VAE, method and settings."""
        settings = checked_settings(method, settings)
        try:
            denoise = DENOISE.check(denoise)
            vae = self.registry.get(vae_label)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        key = (editor.content_key, vae_label, "method", method, json.dumps(settings, sort_keys=True))
        with self.large_image(editor, vae, vae_label, progress):  # one at a time on a CPU, with room made first
            preparation, digest = self.preparations.get_or_make(key, lambda: _run(editor, method, settings, vae))[0]
            encoded = preparation.encoded[:1]
            if self.zero_gpu:
                make = lambda: gpu.encode_in_gpu_worker(vae_label, encoded)  # noqa: E731
            else:
                make = lambda: self.throughput.timed(vae_label, encode_and_decode)(vae, encoded.to(vae.device))  # noqa: E731
            latent_key = (editor.content_key, vae_label, "encoded", digest)
            latent, cached = self.latents.get_or_make(latent_key, make)  # one encode for mask-only settings
        view = None
        if preparation.noise_mask is not None:
            view = differential_view(preparation.noise_mask[:1], tuple(latent.latents.shape[-2:]), denoise)
        return MethodResult(preparation, 0.0, latent_key, latent, cached, view, denoise)

    @contextmanager
    def large_image(self, editor: EditorInput, vae, vae_label: str, progress=None, encodes: int = 1) -> Iterator:
        """Runs the block at once for small images and GPUs; a large image on a CPU is first told what it costs
        (through `progress`) and waits for any other, then makes room in the caches. Yields whether it is large."""
        seconds = self.throughput.seconds(vae_label, editor.size, encodes)

        def say(ahead: float | None = None) -> None:
            if progress is not None:  # a gr.Progress with no iterables is falsy
                progress(0.1, desc=cost_sentence(editor.size, vae.display_name, seconds, ahead))

        large = self.large_work.is_large(editor.size, vae.device)
        with self.large_work.hold(editor.size, vae.device, lambda: say(self.large_work.left_s()), seconds):
            if large:
                say()
                self.make_room_for(editor.content_key, editor.image_key)
            yield large

    @contextmanager
    def large_request(self, editor: EditorInput, vae_label: str, progress=None, encodes: int = 2) -> Iterator:
        """A whole request on an edit, its encodes and the files it writes, inside large_image's gate: a second
        large image waits until the first has written its files, not only encoded."""
        try:
            vae = self.registry.get(vae_label)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        with self.large_image(editor, vae, vae_label, progress, encodes):
            yield

    def batch(self, editor: EditorInput, vae_label: str) -> Batch:
        """The files of one response: a large image's written one at a time (each holds a few hundred MB)."""
        large = self.large_work.is_large(editor.size, self.registry.get(vae_label).device)
        return OneAtATime(self.files) if large else self.files.batch()

    def make_room_for(self, content_key: str, image_key: str = "") -> None:
        """Before a large image on a CPU: drop other edits' preparations and float tensors (quick to make
        again), their large latents (the newest small ones stay, 256 MB at most), the passes kept for releases
        and other photos, then hand the freed memory back, so the peak is this request's, not the caches'."""
        self.prepared.discard(lambda key, _: not _mentions(key, content_key))
        self.preparations.discard(lambda key, _: not _mentions(key, content_key))
        self.on_device.discard(lambda key, _: not _mentions(key, content_key))
        others = [(key, size) for key, size in self.latents.sizes() if not _mentions(key, content_key)]
        drop = {key for key, size in others if size > KEPT_LATENT_BYTES}
        excess = sum(size for key, size in others if key not in drop) - KEPT_LATENTS_BYTES
        for key, size in others:  # oldest first, while the small ones together pass KEPT_LATENTS_BYTES
            if excess > 0 and key not in drop:
                drop.add(key)
                excess -= size
        self.latents.discard(lambda key, _: key in drop)
        self.reusing.clear()  # the passes kept for a release of another image
        photos = self.painter.photos  # discard hands keys (file, size, time) and sizes: the photos are peeked first
        others = {key for key, _ in photos.sizes() if getattr(photos.peek(key), "key", image_key) != image_key}
        photos.discard(lambda key, _: key in others)
        release_freed_memory()

    def settle(
        self, editor, vae_label, grow_mask_by, mask_offset, backend, shown=None, left_method="comfy", left_settings="",
        right_method="was", right_settings="", denoise=1.0, progress=gr.Progress(), request: gr.Request = None,
    ):  # fmt: skip
        """Inspector.settled, stopped at its next checkpoint once the session has painted past `editor`: then
        nothing on the page changes (the newer edit's settle follows)."""
        args = (editor, vae_label, grow_mask_by, mask_offset, backend, shown, left_method, left_settings,
                right_method, right_settings, denoise, progress)  # fmt: skip
        superseded = self.latest.superseded(request, editor.content_key if editor is not None else "")
        try:
            with also_cancel_when(superseded):
                return self.settled(*args)
        except Cancelled:
            if not superseded():
                raise
            return Settled(*(gr.skip() for _ in Settled._fields))

    def settled(
        self, editor, vae_label, grow_mask_by, mask_offset, backend, shown=None, left_method="comfy", left_settings="",
        right_method="was", right_settings="", denoise=1.0, progress=gr.Progress(),
    ):  # fmt: skip
        """When a slider settles (or the edit, VAE, sampler or a column's method changes): the latents (encoding
        what the caches lack), the decoded previews for the live panels and the wipe, the numbers, the advice
        and warnings, the detail panels and the Python snippets. A column may hold another method (its name
        and settings as JSON; its DifferentialDiffusion cells for `denoise`). `shown` names the images the page
        already shows (a session State): those are not sent again."""
        if editor is None:
            return Settled.empty()
        errors = pickers.settings_errors(left_method, left_settings, right_method, right_settings)
        if errors:
            return Settled.invalid(errors)
        picked = pickers.picked(grow_mask_by, mask_offset, left_method, left_settings, right_method, right_settings)
        with self.large_request(editor, vae_label, progress):
            comparison, report, results = self.columns(editor, vae_label, picked, backend, denoise, progress)
            self.pruner.maybe()
            batch = self.batch(editor, vae_label)
            held = [columns.draw(batch, editor, vae_label, comparison, place, r, backend) for place, r in
                    results.items()]  # fmt: skip
            frames = [(columns.frame(c, editor.size), c.key) for c in held]
            difference = panels.difference(batch, comparison.image, comparison.comfy.cache_key[0], frames,
                                           all(c.native for c in held))  # fmt: skip
            batch.wait()
        details = [image for c in held for image in c.details] + [difference] + [c.decoded for c in held]
        table = numbers_table(comparison.vae_name, [columns.numbers_column(c, report, backend) for c in held])
        names = [name_of(image) if image is not None else None for image in details]
        sent = [gr.skip() if (shown or {}).get(i) == name else as_sent(image) for i, (image, name) in
                enumerate(zip(details, names, strict=True))]  # fmt: skip
        key = live_key(editor, vae_label)
        live = decoded_payload(key, {c.place: columns.live_entry(c, key, editor) for c in held})
        if vae_label == APPROX_LABEL:  # its decode is a stand-in: every caption says so
            for place in PLACES:
                live[place]["timing"] = f"approximate VAE (no weights) · {live[place]['timing']}"
        wipe = SliderData(root=tuple(ImageData(path=str(c.decoded)) for c in held))
        source, ratio = self.registry.sources[vae_label], comparison.downscale_ratio
        snippets = [columns.snippet(c, source, ratio) for c in held]
        advice = advice_html(report, {c.place: (c.title, columns.how_drawn(c, editor)) for c in held if not c.native})
        return Settled(live, wipe, table, advice, *sent, *snippets, dict(enumerate(names)), "", "")

    def columns(self, editor, vae_label, picked, backend, denoise, progress) -> tuple[Comparison, dict, dict]:
        """Both seed nodes (the advice compares them; a seed in its place encoded), the report on them, and each
        column's result by place: a native seed's from the comparison, another method's from prepare_any."""
        native = picked.native
        comparison = self.run(editor, vae_label, picked.grow_mask_by, picked.mask_offset, progress, native)
        report = self.report(comparison, backend, native)  # checks the backend before any file names it
        results = {
            place: getattr(comparison, method) if method == PLACES[place]
            else self.prepare_any(editor, vae_label, method, settings, denoise)
            for place, (method, settings) in picked.held.items()
        }  # fmt: skip
        return comparison, report, results

    def column_files(self, editor, vae_label, grow_mask_by, mask_offset, backend="comfyui", left_method="comfy",
                     left_settings="", right_method="was", right_settings="", progress=gr.Progress()):  # fmt: skip
        """The page's downloads button: the numbers as /compare returns them (the nodes' report, then under
        `methods` each other method a column holds), then each column's files (.latent, noise mask, pixels,
        then the export)."""
        if editor is None:
            raise gr.Error("There is no image yet: upload one or pick an example, then paint the area to inpaint.")
        picked = pickers.picked(grow_mask_by, mask_offset, left_method, left_settings, right_method, right_settings)
        with self.large_request(editor, vae_label, progress):
            _, report, results = self.columns(editor, vae_label, picked, backend, 1.0, progress)
            report = report | {"methods": []}
            source, folder, out = self.registry.sources[vae_label], self.files.folder, []
            for place, result in results.items():
                native = result.method == PLACES[place]
                out.append(columns.files(folder, editor, vae_label, source, result, native))
                if not native:
                    report["methods"].append({"column": place} | method_numbers(result))
        if note := columns.tiled_latents_note(self.registry.get(vae_label), editor):
            gr.Warning(note)
        return Files(report, *(as_sent(files) for files in out))

    def report(self, result: Comparison, backend, shown=SEEDS) -> dict:
        try:
            return summary(result, backend, tuple(shown))
        except ValueError as error:
            raise gr.Error(str(error)) from error
