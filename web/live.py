"""The live panels: a gr.HTML whose script (live_masks.js, live_panels.js) draws both methods' masks at any
slider position with no server call. The server sends it, once per edit, the rounded mask in the input's
frame and each method's crop; and, when the latents are ready, the decoded previews with what they were
made for."""

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


HASH_PRIMES = (16777619, 1000003)  # live_masks.js maskDigest's


def mask_digest(mask: np.ndarray) -> str:
    """A 0/1 mask's digest, as the browser's maskDigest computes it: per prime p, the bits packed by
    numpy.packbits read as the base-p number sum(byte[i] * p**(n-1-i)) modulo 2**32, in hex."""
    packed = np.packbits(mask.reshape(-1).astype(bool)).astype(np.uint64)
    hashes = []
    for prime in HASH_PRIMES:  # uint64 products and sums wrap modulo 2**64, so their low 32 bits are exact
        powers = np.cumprod(np.full(len(packed), prime, np.uint64))
        powers = np.concatenate([np.ones(1, np.uint64), powers[:-1]])[::-1]
        hashes.append(int((packed * powers).sum(dtype=np.uint64)) & 0xFFFFFFFF)
    return ".".join(f"{h:x}" for h in hashes)


def edit_payload(editor: EditorInput, key: str, ratio: int, image: Path) -> dict:
    """What the browser needs to draw both methods at any amount: the photo, the crops, and the digest of the
    rounded mask. The browser already holds that mask (its painter sent it, or loaded the same example file):
    the digest tells it which of its masks this edit is. `key` names the edit and the VAE (the decoded
    previews say which they belong to)."""
    height, width = editor.size
    return {
        "kind": "edit",
        "key": key,
        "ratio": ratio,
        "width": width,
        "height": height,
        "image": file_url(image),
        "digest": mask_digest(rounded_mask(editor).numpy()),
        "crops": {name: list(crop_box(height, width, METHODS[name].crop_multiple or ratio)) for name in SEEDS},
    }


def decoded_payload(key: str, entries: dict[str, dict]) -> dict:
    """The decoded previews by column (its place): each its file's URL, the amount it
    was made for and a note on its timing (web.methods.columns.live_entry)."""
    return {"kind": "decoded", "key": key, **entries}
