"""The page's parts, each built inside an open gr.Blocks and returned as components by name (web.events names
the handlers' inputs and outputs alike; a column's parts are `left_…` and `right_…`). No handlers here: app.py
wires them."""

import gradio as gr

from inpaint_core.analysis.samplers import BACKEND_TITLES, BACKENDS
from inpaint_core.preparations import METHODS

from .advice import advice_panel
from .editor_input import ImageEditorInput
from .examples import thumbnails
from .inspector import Inspector
from .live import live_panels
from .methods.panels import STAGE_COLOURS
from .methods.pickers import NODE_CELLS, PLACES, Picker, node_slider
from .methods.third_column import DENOISE_SLIDER, third_column
from .numbers import NUMBERS_CSS
from .painter import MAX_FILE_MB, painter_component
from .panels import CELL_COLOURS, DIFF_COLOURS, MASK_COLOURS, SIDE_COLOURS


def theme() -> gr.themes.Base:
    """Gradio's default theme, its fonts in weights 400 and 700. The semibold files Gradio bundles are subsets
    (Source Sans Pro's 55 glyphs, no W or a; IBM Plex Mono's 75): a semibold "WAS" drew its A from the subset
    and the rest from other faces, so bold text asks for the bold files, which hold every glyph."""
    return gr.themes.Default(
        font=[gr.themes.GoogleFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.GoogleFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"],
    )


def detail_tab(place: str, method: str, title: str) -> dict:
    """One column's server-drawn panels: what the VAE encodes, its masks, its latent cells, the sampler's view;
    keyed `<place>_<panel>` as web.events names them."""
    with gr.Tab(title) as tab:
        with gr.Row():
            pixels = gr.Image(
                label="Neutralised pixels (what the VAE encodes)", type="filepath", elem_id=f"{method}-pixels"
            )
            mask = gr.AnnotatedImage(
                label="Noise mask and grey area", format="jpeg", color_map=MASK_COLOURS, elem_id=f"{method}-mask"
            )
            decoded = gr.Image(label="Decoded latent", type="filepath", elem_id=f"{method}-decoded")
        with gr.Row():
            cells = gr.AnnotatedImage(
                label=NODE_CELLS,
                format="jpeg", color_map=CELL_COLOURS | STAGE_COLOURS, elem_id=f"{method}-cells",
            )  # fmt: skip
            sampler = gr.Image(
                label="The sampler's view: the noise mask resized to the latent",
                type="filepath",
                elem_id=f"{method}-sampler",
            )
            files = gr.File(
                label="Downloads. The .latent holds no noise mask (ComfyUI's format has none): Load Latent, then Set "
                "Latent Noise Mask with the noise-mask PNG; or open the -workflow.json, which does it all",
                file_count="multiple", elem_id=f"{method}-files",
            )  # fmt: skip
    panels = {"pixels": pixels, "mask": mask, "decoded": decoded, "cells": cells, "sampler": sampler,
              "files": files, "tab": tab}  # fmt: skip
    return {f"{place}_{name}": component for name, component in panels.items()}


def editor_column(inspector: Inspector, note: str) -> dict:
    """The editor, the examples, the VAE, sampler and column pickers."""
    painter = painter_component(inspector.max_side, MAX_FILE_MB)
    editor = ImageEditorInput(  # /compare's and /prepare's image (web.api): an image-editor value
        type="pil", image_mode=None, format="png", visible=False, elem_id="editor-api",
    )  # fmt: skip
    editor.max_side = inspector.max_side
    examples = gr.Dataset(
        components=[gr.Image(visible=False)], samples=thumbnails(inspector.files.folder / "examples"),
        type="index", label="Examples (with masks)", elem_id="examples",
    )  # fmt: skip
    with gr.Group():
        with gr.Row():
            vae = gr.Dropdown(inspector.registry.labels, value=inspector.registry.labels[0], label="VAE")
            backend = gr.Dropdown(
                [(BACKEND_TITLES[key], key) for key in BACKENDS], value="comfyui",
                label="Sampler that reads the noise mask", elem_id="backend",
            )  # fmt: skip
        with gr.Row():
            pickers = {place: Picker(place) for place in PLACES}
    gr.Markdown(note, elem_classes="vae-note")
    return {
        "painter": painter,
        "editor": editor,
        "examples": examples,
        "vae": vae,
        "backend": backend,
        "pickers": pickers,
    }


def method_columns(inspector: Inspector, pickers: dict) -> dict:
    """Each column's slider (or settings box), the advice, and the live panels."""
    ui = {}
    with gr.Row(elem_id="sliders"):
        for place in PLACES:
            with gr.Column(min_width=200):
                ui[f"{place}_amount"] = node_slider(place)
                ui[f"{place}_settings"] = pickers[place].settings_box()
                ui[f"{place}_settings_note"] = gr.HTML("", elem_id=f"{place}-settings-note", padding=False)
                ui[f"{place}_method"] = pickers[place].method
    ui["live"] = live_panels()
    ui["advice"] = advice_panel()  # below the panels: its changing length moves nothing above it
    return ui


def details(inspector: Inspector) -> dict:
    """The wipe, the numbers table, and the accordion of each column's server-drawn panels and files."""
    ui = {}
    with gr.Row(equal_height=False):
        ui["wipe"] = gr.ImageSlider(
            label="Decoded: left column ◀ ▶ right column", type="filepath", elem_id="wipe", max_height=420,
            min_width=320,
        )  # fmt: skip
        ui["numbers"] = gr.HTML(elem_id="numbers-table", css_template=NUMBERS_CSS, min_width=320)
    with gr.Accordion(
        "Details: each method's panels as the server draws them, the numbers as JSON, downloads", open=False
    ):
        ui["cells_denoise"] = gr.Slider(
            *DENOISE_SLIDER, value=1.0, step=0.01, elem_id="cells-denoise",
            label="denoise for the cells DifferentialDiffusion repaints, in a column holding another method",
        )  # fmt: skip
        with gr.Tabs(overflow_behavior="wrap", elem_id="details-tabs"):  # every tab in sight, a phone too (no "⋯")
            for place, slot in PLACES.items():
                ui |= detail_tab(place, slot, METHODS[slot].title)
            with gr.Tab("Numbers"):
                ui["difference"] = gr.AnnotatedImage(
                    label="Where the noise masks differ", format="jpeg", color_map=DIFF_COLOURS | SIDE_COLOURS,
                    elem_id="difference",
                )  # fmt: skip
                ui["table"] = gr.JSON(label="Numbers (as /compare returns them)", elem_id="numbers", open=True)
            with gr.Tab("Python"):
                for place, slot in PLACES.items():
                    ui[f"{place}_python"] = gr.Code(
                        label=f"{METHODS[slot].title}: the same preparation in Python", language="python",
                        elem_id=f"{slot}-python",
                    )  # fmt: skip
        ui["downloads"] = gr.Button("Make each column's downloads", variant="primary")
    ui["third"] = third_column(inspector)
    return ui


def api_parts() -> dict:
    """Hidden components for the API (web.api): its buttons and /compare's outputs for other methods."""
    return {
        "compare": gr.Button(visible=False, elem_id="compare-api"),
        "prepare": gr.Button(visible=False, elem_id="third-prepare"),
        "methods": gr.Textbox("", visible=False),
        "methods_numbers": gr.JSON(visible=False),
        "methods_files": gr.File(file_count="multiple", visible=False),
    }
