"""The live panels: a gr.HTML whose script (live_masks.js, live_panels.js) draws both methods' masks at any
slider position with no server call. The server sends it, once per edit, the rounded mask in the input's
frame and each method's crop; and, when the latents are ready, the decoded previews with what they were
made for."""

import base64
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from inpaint_core.editor import EditorInput
from inpaint_core.preparations import METHODS, SEEDS
from inpaint_core.prepare import crop_box, resize_mask

from .methods.pickers import PLACES

HERE = Path(__file__).parent


def node_table() -> dict[str, dict]:
    """What the browser needs of each seed node for its live mask, from its description: its amount's name
    (the slider's id) and range, its title, what it greys, and whether its latent follows the amount."""
    return {
        name: {"name": m.amount, "range": list(m.amount_setting.slider_range), "title": m.title, "grey": m.greys,
               "follows": m.greys == "noise"}
        for name, m in ((name, METHODS[name]) for name in SEEDS)
    }  # fmt: skip


def live_panels(elem_id: str = "live") -> gr.HTML:
    """The component; its value is a payload from edit_payload or decoded_payload (web/painter.js hands it
    strokes as they are painted). Its <head> carries the page's own few rules (page.css)."""
    script = (HERE / "live_masks.js").read_text() + "\n" + (HERE / "live_panels.js").read_text()
    return gr.HTML(
        None,
        html_template=(HERE / "live_panels.html").read_text(),
        css_template=(HERE / "live_panels.css").read_text(),
        js_on_load=script,
        elem_id=elem_id,
        padding=False,
        head=f"<style>{(HERE / 'page.css').read_text()}</style>",
        nodes=node_table(),
        places=PLACES,
    )


def rounded_mask(editor: EditorInput) -> torch.Tensor:
    """bool (H, W): the painted mask resized to the image and rounded, as both nodes make it before cropping."""
    height, width = editor.size
    return resize_mask(editor.mask[:, None], height, width)[0, 0].round() > 0


def live_key(editor: EditorInput, vae_label: str) -> str:
    """Names an edit with a VAE: the decoded previews say which edit they belong to."""
    return f"{editor.content_key}:{vae_label}"


def file_url(path: Path) -> str:
    """A URL, relative to the page, under which Gradio serves a file of its cache."""
    return f"gradio_api/file={path}"


def edit_payload(editor: EditorInput, key: str, ratio: int, image: Path) -> dict:
    """What the browser needs to draw both methods at any amount: the mask as packed bits, the crops.
    `key` names the edit and the VAE (the decoded previews say which they belong to)."""
    height, width = editor.size
    bits = np.packbits(rounded_mask(editor).numpy().reshape(-1))
    return {
        "kind": "edit",
        "key": key,
        "ratio": ratio,
        "width": width,
        "height": height,
        "image": file_url(image),
        "mask": base64.b64encode(bits.tobytes()).decode("ascii"),
        "crops": {name: list(crop_box(height, width, METHODS[name].crop_multiple or ratio)) for name in SEEDS},
    }


def decoded_payload(key: str, entries: dict[str, dict]) -> dict:
    """The decoded previews by column (its place): each its file's URL, the amount it
    was made for and a note on its timing (web.methods.columns.live_entry)."""
    return {"kind": "decoded", "key": key, **entries}
