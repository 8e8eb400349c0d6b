"""A third column: any other preparation (inpaint_core.preparations.METHODS) with its own settings, beside the
two seed methods. It shows the pixels the method fills, greys or blurs, its noise mask drawn as soft as it is,
the decoded latent, and the latent cells DifferentialDiffusion lets the sampler repaint at the start, middle and
end of a run for a chosen denoise (inpaint_core.preparations.differential, ComfyUI 0.8.0).

Settings are a JSON object (missing names at their defaults), checked by the method's declared settings; a bad
one raises gr.Error naming the setting and its range. The maths is inpaint_core's; this module draws and wires.
"""

import gradio as gr

from inpaint_core.preparations import METHODS

from ..painter import AFTER_STROKE
from ..panels import as_sent
from . import columns
from .panels import STAGE_COLOURS
from .settings import OTHERS, SEEDS, default_settings, settings_help

CHOICES = OTHERS + [(f"{METHODS[name].label} (a second setting)", name) for name in SEEDS]
DEFAULT_METHOD = "set_latent_noise_mask"
DENOISE_SLIDER = (0.05, 1.0)


class ThirdColumn:
    """The column's components, its handler (show) and the wiring. Its events read the session's edit (a
    State), so they are the page's own, not the API's: /prepare (web.api) gives the same outputs."""

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
        shown = self.inspector.prepare_any(editor_state, vae_label, method, settings_json, denoise, progress)
        return tuple(as_sent(v) for v in columns.method_outputs(self.inspector, editor_state, vae_label, shown))

    def wire(self, state, vae) -> None:
        """Events: a method change fills the settings box with its defaults and runs; Run, the settings box
        losing focus, denoise released, a new edit or VAE run."""
        run = dict(trigger_mode="always_last", concurrency_id="encode", postprocess=False, show_progress="minimal",
                   js=AFTER_STROKE)  # fmt: skip
        inputs = [state, vae, self.method, self.settings, self.denoise]
        self.method.change(
            lambda m: (default_settings(m), settings_help(m)), self.method, [self.settings, self.help],
            api_visibility="private", queue=False,
        ).then(self.show, inputs, self.outputs, api_visibility="private", **run)  # fmt: skip
        gr.on(
            [self.run.click, self.settings.blur, self.denoise.release, self.accordion.expand],
            self.show, inputs, self.outputs, api_visibility="private", **run,
        )  # fmt: skip
        is_open = gr.State(False)
        self.accordion.expand(lambda: True, None, is_open, queue=False, api_visibility="private")
        self.accordion.collapse(lambda: False, None, is_open, queue=False, api_visibility="private")
        gr.on(
            [state.change, vae.change], self.show_if_open, [is_open, *inputs], self.outputs,
            api_visibility="private", **run,
        )  # fmt: skip


def third_column(inspector) -> ThirdColumn:
    """The column inside an open gr.Blocks (an accordion); call .wire(state, vae) after."""
    with gr.Accordion("A third column: another preparation", open=False) as accordion:
        column = ThirdColumn(inspector)
    column.accordion = accordion
    return column


__all__ = ["CHOICES", "ThirdColumn", "third_column"]
