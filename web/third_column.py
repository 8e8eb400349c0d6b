"""A third column: any other preparation (inpaint_core.preparations.METHODS) with its own settings, beside the
two seed methods. It shows the pixels the method fills, greys or blurs, its noise mask drawn as soft as it is,
the decoded latent, and the latent cells DifferentialDiffusion lets the sampler repaint at the start, middle and
end of a run for a chosen denoise (inpaint_core.preparations.differential, ComfyUI 0.8.0).

Settings are a JSON object (missing names at their defaults), checked by the method's declared settings; a bad
one raises gr.Error naming the setting and its range. The maths is inpaint_core's; this module draws and wires.
"""

import json
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from inpaint_core.compare import encode_and_decode
from inpaint_core.editor import EditorInput, from_editor, to_uint8
from inpaint_core.export import write_export
from inpaint_core.image_files import write_once
from inpaint_core.latent_file import save_latent
from inpaint_core.preparations import METHODS, DifferentialView, Preparation, differential_view, run_method
from inpaint_core.preparations.differential import DENOISE, STAGES
from inpaint_core.preparations.settings import Choice, Flag, Float, Int, Setting, check_settings
from inpaint_core.prepare import resize_mask
from inpaint_core.workflow import ENCODERS

from . import gpu
from .live import rounded_mask
from .method_numbers import Shown, encoded_ratio, method_numbers, numbers_line
from .panels import Overlay, as_sent, digest, save_png

SEEDS = ("comfy", "was")  # the page's own two columns: here too, with amounts of their own
CHOICES = [(method.label, name) for name, method in METHODS.items() if name not in SEEDS] + [
    (f"{METHODS[name].label} (a second setting)", name) for name in SEEDS
]
DEFAULT_METHOD = "set_latent_noise_mask"
DENOISE_SLIDER = (0.05, 1.0)
NOISE_COLOUR = np.array([255, 60, 120], dtype=np.float32)  # the page's noise-mask pink
NOISE_OPACITY = 0.65  # of a cell whose mask is 1; a soft value v is drawn at v times this
STAGE_COLOURS = {"start": "#ff2020", "middle": "#ffa000", "end": "#20a0ff"}


def default_settings(method: str) -> str:
    """The method's settings at their defaults, as the settings box shows them."""
    return json.dumps({s.name: s.default for s in _method(method).settings}, indent=1)


def _describe(setting: Setting) -> str:
    if isinstance(setting, Int):
        low, high = setting.slider_range
        wide = "" if (low, high) == (setting.min, setting.max) else f" (usual {low}..{high})"
        return f"`{setting.name}` integer {setting.min}..{setting.max}{wide}"
    if isinstance(setting, Float):
        return f"`{setting.name}` number {setting.min}..{setting.max}"
    if isinstance(setting, Flag):
        return f"`{setting.name}` true or false"
    assert isinstance(setting, Choice)
    return f"`{setting.name}` one of {', '.join(setting.options)}"


def settings_help(method: str) -> str:
    """One line naming each setting of the method and what it accepts."""
    return f"{_method(method).label}: " + " · ".join(_describe(s) for s in _method(method).settings)


def _method(name: str):
    if name not in METHODS:
        raise gr.Error(f"method must be one of {[n for _, n in CHOICES]}, got {name!r}")
    return METHODS[name]


def parse_settings(method: str, text) -> dict:
    """The settings box's JSON as a dict (checked by run_method); gr.Error where it is not a JSON object."""
    _method(method)
    if isinstance(text, dict):
        return text
    try:
        settings = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise gr.Error(f"settings must be a JSON object, e.g. {default_settings(method)!s}: {error}") from error
    if not isinstance(settings, dict):
        raise gr.Error(f"settings must be a JSON object, got {type(settings).__name__}")
    return settings


MAX_METHODS = 4  # per /compare call


def parse_methods(text) -> list[tuple[str, dict, float]]:
    """/compare's `methods`: a JSON list of {"method": name, "settings": {...}, "denoise": x} (settings and
    denoise optional) or an object {name: settings}; empty: none. gr.Error naming what is wrong."""
    if text in (None, "", [], {}):
        return []
    try:
        given = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as error:
        raise gr.Error(f'methods must be JSON, e.g. [{{"method": "acly_fill", "settings": {{}}}}]: {error}') from error
    if isinstance(given, dict):
        given = [{"method": name, "settings": settings} for name, settings in given.items()]
    if not isinstance(given, list) or not all(isinstance(item, dict) and "method" in item for item in given):
        raise gr.Error('methods must be a list of {"method": name, "settings": {...}} or an object {name: settings}')
    if len(given) > MAX_METHODS:
        raise gr.Error(f"methods: at most {MAX_METHODS} a call, got {len(given)}")
    requested = []
    for item in given:
        unknown = sorted(set(item) - {"method", "settings", "denoise"})
        if unknown:
            raise gr.Error(f"methods: unknown keys {unknown}; each takes method, settings and denoise")
        method = item["method"]
        settings = parse_settings(method, item.get("settings") or {})
        try:
            check_settings(METHODS[method].settings, settings)
            denoise = DENOISE.check(item.get("denoise", 1.0))
        except ValueError as error:
            raise gr.Error(f"methods: {error}") from error
        requested.append((method, settings, denoise))
    return requested


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


class ThirdColumn:
    """The column's components, its handler (show), the API handler (prepare_api) and the wiring."""

    def __init__(self, inspector):
        self.inspector = inspector
        with gr.Row():
            self.method = gr.Dropdown(CHOICES, value=DEFAULT_METHOD, label="Method", elem_id="third-method")
            self.denoise = gr.Slider(
                *DENOISE_SLIDER, value=1.0, step=0.01, label="denoise (DifferentialDiffusion view)",
                elem_id="third-denoise",
            )  # fmt: skip
        self.help = gr.Markdown(settings_help(DEFAULT_METHOD), elem_id="third-help")
        self.settings = gr.Code(
            default_settings(DEFAULT_METHOD), language="json", label="Settings (JSON)", elem_id="third-settings"
        )
        self.run = gr.Button("Run", elem_id="third-run")
        with gr.Row():
            self.neutralised = gr.Image(
                label="Pixels as the method fills them", type="filepath", elem_id="third-pixels"
            )
            self.noise_mask = gr.Image(label="Noise mask (soft drawn soft)", type="filepath", elem_id="third-mask")
            self.decoded = gr.Image(label="Decoded latent", type="filepath", elem_id="third-decoded")
        self.cells = gr.AnnotatedImage(
            label="Cells the sampler repaints with DifferentialDiffusion, coloured by when it first does: at the "
            "start, by the middle, by the end of sampling",
            format="jpeg", color_map=STAGE_COLOURS, elem_id="third-cells", height=360,
        )  # fmt: skip
        self.numbers = gr.Markdown(elem_id="third-numbers")
        self.downloads = gr.File(
            label="Downloads: .latent (Load Latent), noise mask, pixels, the image with the mask in its alpha, "
            "the ComfyUI workflow where the graph needs no other model, Python", file_count="multiple",
            elem_id="third-downloads", height=200,
        )  # fmt: skip

    @property
    def outputs(self) -> list:
        return [self.neutralised, self.noise_mask, self.decoded, self.cells, self.numbers, self.downloads]

    def compute(self, editor: EditorInput, vae_label: str, method: str, settings_json, denoise) -> Shown:
        """The method on the edit, its latent (cached by content, VAE, method and settings) and the sampler's view."""
        settings = parse_settings(method, settings_json)
        try:
            denoise = DENOISE.check(denoise)
            vae = self.inspector.registry.get(vae_label)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        with self.inspector.large_image(editor, vae.device):  # one at a time on a CPU, with room made first
            preparation, latent = self._prepare_and_encode(editor, vae_label, vae, method, settings)
        view = None
        if preparation.noise_mask is not None:
            view = differential_view(preparation.noise_mask[:1], tuple(latent.latents.shape[-2:]), denoise)
        return Shown(preparation, latent, view, denoise)

    def _prepare_and_encode(self, editor: EditorInput, vae_label: str, vae, method: str, settings: dict):
        """The method on the edit, and its latent (cached by content, VAE, method and settings)."""
        try:
            height, width = editor.size
            mask = resize_mask(editor.mask[:, None], height, width)[:, 0]  # bilinear, not rounded: methods take soft
            preparation = run_method(method, editor.pixels, mask, settings, None, vae.downscale_ratio)
        except (ValueError, MemoryError) as error:
            raise gr.Error(str(error)) from error
        key = (editor.content_key, vae_label, "third", method, json.dumps(preparation.settings, sort_keys=True))
        encoded = preparation.encoded[:1]
        if self.inspector.zero_gpu:
            latent = self.inspector.latents.get_or_make(key, lambda: gpu.encode_in_gpu_worker(vae_label, encoded))[0]
        else:
            latent = self.inspector.latents.get_or_make(key, lambda: encode_and_decode(vae, encoded.to(vae.device)))[0]
        return preparation, latent

    def draw(self, editor: EditorInput, vae_label: str, shown: Shown) -> tuple:
        """The panels' files (named by content), the numbers line and the downloads."""
        batch, preparation = self.inspector.files.batch(), shown.preparation
        key = _files_key(editor, vae_label, preparation)
        neutralised = batch.png((*key, "neutralised"), lambda: to_uint8(preparation.neutralised[0]))
        decoded = batch.png((*key, "decoded"), lambda: shown.latent.decoded.numpy())
        noise_mask = None
        if preparation.noise_mask is not None:
            mask = preparation.noise_mask[0, 0].float().cpu()
            under = _base_for(preparation, editor.pixels[0], tuple(mask.shape))
            noise_mask = batch.png((*key, "soft mask"), lambda: soft_overlay(to_uint8(under), mask.numpy()))
        cells = None
        if shown.view is not None:
            encoded, ratio = preparation.encoded[0].cpu(), encoded_ratio(shown)
            size = tuple(encoded.shape[:2])
            base = batch.jpeg((*key, "encoded"), lambda: to_uint8(encoded))
            files = [
                (
                    stage,  # the color_map's keys; the numbers line gives each stage's step and threshold
                    batch.mask(
                        (*key, shown.denoise, stage, "first reached"),
                        lambda r=r: _cells(r, ratio, size),
                        STAGE_COLOURS[stage],
                    ),
                )  # fmt: skip
                for stage, r in first_reached(shown.view).items()
            ]
            cells = Overlay(base, files)
        files = self.files(editor, vae_label, shown)
        batch.wait()
        return neutralised, noise_mask, decoded, cells, numbers_line(shown), files

    def files(self, editor: EditorInput, vae_label: str, shown: Shown) -> list[Path]:
        """The downloads, then the export."""
        key = _files_key(editor, vae_label, shown.preparation)
        return downloads(self.inspector.files.folder, key, shown) + self.export(editor, vae_label, shown.preparation)

    def export(self, editor: EditorInput, vae_label: str, preparation: Preparation) -> list[Path]:
        """The image with the mask in its alpha, the ComfyUI workflow (canvas and API) where the method's graph
        needs no model but the VAE (the two nodes', SetLatentNoiseMask's), and the Python snippet."""
        folder = self.inspector.files.folder / "downloads" / "export"
        method, settings = preparation.method, preparation.settings
        amount = settings[ENCODERS[method][2].name] if method in ENCODERS else settings  # a seed takes its amount
        return write_export(
            folder, editor.rgb[0].numpy(), rounded_mask(editor).numpy(), method, amount,
            vae_label, self.inspector.registry.sources[vae_label],
        )  # fmt: skip

    def show(self, editor_state, vae_label, method, settings_json, denoise, progress=gr.Progress()):
        """The page's handler: the column's panels for the edit in the session's State."""
        if editor_state is None:
            return None, None, None, None, "", None
        return self._show(editor_state, vae_label, method, settings_json, denoise, progress)

    def show_if_open(self, is_open, editor_state, vae_label, method, settings_json, denoise, progress=gr.Progress()):
        """show(), where the column is open: a new edit or VAE costs no encode while it is closed."""
        if not is_open:
            return (gr.skip(),) * len(self.outputs)
        return self.show(editor_state, vae_label, method, settings_json, denoise, progress)

    def _show(self, editor_state, vae_label, method, settings_json, denoise, progress):
        progress(0.2, desc=f"{method}…")
        shown = self.compute(editor_state, vae_label, method, settings_json, denoise)
        return tuple(as_sent(value) for value in self.draw(editor_state, vae_label, shown))

    def prepare_api(self, image_editor_value, vae, method, settings_json, denoise, progress=gr.Progress()):
        """/prepare: any method by name on an image-editor value (as /compare takes it), the same outputs."""
        try:
            editor = from_editor(image_editor_value, self.inspector.max_side)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        return self.show(editor, vae, method, settings_json, denoise, progress)

    def compare_api(self, image, vae, grow_mask_by, mask_offset, backend="comfyui", methods="", progress=gr.Progress()):
        """/compare: the two nodes' outputs (Inspector.compare), then, for each method named in `methods`
        (see parse_methods), its numbers as JSON and its files (.latent, noise mask, pixels, export)."""
        requested = parse_methods(methods)  # a bad request fails before any work
        try:
            editor = from_editor(image, self.inspector.max_side)
        except ValueError as error:
            raise gr.Error(str(error)) from error
        pair = self.inspector.compare_edit(editor, vae, grow_mask_by, mask_offset, backend, progress)
        numbers, files = [], []
        for method, settings, denoise in requested:
            progress(0.9, desc=f"{method}…")
            shown = self.compute(editor, vae, method, settings, denoise)
            numbers.append(method_numbers(shown))
            files += [as_sent(path) for path in self.files(editor, vae, shown)]
        return (*pair, numbers, files or None)

    def wire(self, state, vae, editor=None) -> None:
        """Events: a method change fills the settings box with its defaults and runs; Run, the settings box
        losing focus, denoise released, a new edit or VAE run. With the page's `editor`, /prepare too."""
        run = dict(trigger_mode="always_last", concurrency_id="encode", postprocess=False, show_progress="minimal")
        inputs = [state, vae, self.method, self.settings, self.denoise]
        self.method.change(
            lambda m: (default_settings(m), settings_help(m)), self.method, [self.settings, self.help],
            api_visibility="private", queue=False,
        ).then(self.show, inputs, self.outputs, api_visibility="private", **run)  # fmt: skip
        gr.on(
            [self.run.click, self.settings.blur, self.denoise.release, self.accordion.expand],
            self.show, inputs, self.outputs, api_name="third_column", **run,
        )  # fmt: skip
        is_open = gr.State(False)
        self.accordion.expand(lambda: True, None, is_open, queue=False, api_visibility="private")
        self.accordion.collapse(lambda: False, None, is_open, queue=False, api_visibility="private")
        gr.on(
            [state.change, vae.change], self.show_if_open, [is_open, *inputs], self.outputs,
            api_visibility="private", **run,
        )  # fmt: skip
        if editor is not None:
            hidden = gr.Button(visible=False, elem_id="third-prepare")
            hidden.click(
                self.prepare_api, [editor, vae, self.method, self.settings, self.denoise], self.outputs,
                api_name="prepare", concurrency_id="encode", postprocess=False,
            )  # fmt: skip


def downloads(folder: Path, key: tuple, shown: Shown) -> list[Path]:
    """The method's .latent (Load Latent reads it), its noise mask as an 8-bit grey PNG (soft stays soft)
    and its pixels as filled or greyed, in a folder named by their content: a repeat writes nothing."""
    preparation = shown.preparation
    folder = folder / "downloads" / digest(*key)
    folder.mkdir(parents=True, exist_ok=True)
    stem = preparation.method
    files = [folder / f"{stem}.latent", folder / f"{stem}_pixels.png"]
    write_once(files[0], lambda path: save_latent(shown.latent.latents, path))
    write_once(files[1], lambda path: save_png(to_uint8(preparation.neutralised[0]), path))
    if preparation.noise_mask is not None:
        files.insert(1, folder / f"{stem}_noise_mask.png")
        write_once(files[1], lambda path: save_png(to_uint8(preparation.noise_mask[0, 0].float()), path))
    return files


def _files_key(editor: EditorInput, vae_label: str, preparation: Preparation) -> tuple:
    """Names a method's files: the edit, the VAE, the method and its settings."""
    return editor.content_key, vae_label, preparation.method, json.dumps(preparation.settings, sort_keys=True)


def third_column(inspector) -> ThirdColumn:
    """The column inside an open gr.Blocks (an accordion); call .wire(state, vae, editor) after."""
    with gr.Accordion("A third column: another preparation", open=False) as accordion:
        column = ThirdColumn(inspector)
    column.accordion = accordion
    return column


__all__ = ["ThirdColumn", "default_settings", "parse_methods", "parse_settings", "settings_help", "third_column"]
