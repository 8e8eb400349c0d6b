"""The page's API, for gradio_client and plain HTTP callers: `/compare` and `/prepare`.

Both take the image as an image-editor value ({"background": file, "layers": [file, ...], "composite": None};
the mask is the layers' alpha) and a VAE by its label on the page. Files come back named by their content.
The page's own events are private; these two are the documented ones (README.md, docs/api.md).
"""

import gradio as gr

from inpaint_core.editor import EditorInput, from_editor

from . import panels
from .inspector import Inspector
from .methods import columns
from .methods import panels as method_panels
from .methods.numbers import method_numbers
from .methods.settings import parse_methods
from .panels import as_sent


class Api:
    """The API's handlers, around the page's Inspector (its VAEs, caches and files)."""

    def __init__(self, inspector: Inspector):
        self.inspector = inspector

    def compare(self, image, vae, grow_mask_by, mask_offset, backend="comfyui", methods="", progress=gr.Progress()):
        """/compare: both nodes on the image and its mask.

        Returns six panels (ComfyUI, then WAS: neutralised pixels, noise mask and grey, decoded latent), where the
        two noise masks differ, the numbers as JSON (for `backend`'s sampler: "comfyui", "diffusers" or
        "fooocus"), then each node's downloads (.latent, noise mask PNG, neutralised PNG, the image with the mask
        in its alpha, the workflow in ComfyUI's canvas and API formats, a Python snippet). `methods` (JSON: a
        list of {"method", "settings", "denoise"}, at most four) adds, for each, its numbers and its files."""
        requested = parse_methods(methods)  # a bad request fails before any work
        editor = self.read(image)
        numbers, files = [], []
        with self.inspector.large_request(editor, vae, progress, encodes=2 + len(requested)):
            pair = self.compare_nodes(editor, vae, grow_mask_by, mask_offset, backend, progress)
            for method, settings, denoise in requested:
                progress(0.9, desc=f"{method}…")
                shown = self.inspector.prepare_any(editor, vae, method, settings, denoise, progress)
                numbers.append(method_numbers(shown))
                files += [as_sent(path) for path in columns.method_files(self.inspector, editor, vae, shown)]
        return (*pair, numbers, files or None)

    def prepare(self, image, vae, method, settings, denoise=1.0, progress=gr.Progress()):
        """/prepare: any preparation by name (inpaint_core.preparations.METHODS) with its settings as JSON
        (missing ones at their defaults) on the image and its mask.

        Returns the pixels as the method fills, greys or blurs them, its noise mask (soft drawn soft), the decoded
        latent, the cells DifferentialDiffusion repaints at `denoise` by stage, a line of numbers, and the
        downloads (.latent, noise mask, pixels, the image with the mask in its alpha, the workflow where the
        graph needs no other model, Python)."""
        editor = self.read(image)
        progress(0.2, desc=f"{method}…")
        with self.inspector.large_request(editor, vae, progress, encodes=1):
            shown = self.inspector.prepare_any(editor, vae, method, settings, denoise, progress)
            outputs = columns.method_outputs(self.inspector, editor, vae, shown)
        return tuple(as_sent(value) for value in outputs)

    def read(self, image) -> EditorInput:
        """The image-editor value as an edit, or gr.Error saying what is wrong with it."""
        try:
            return from_editor(image, self.inspector.max_side)
        except ValueError as error:
            raise gr.Error(str(error)) from error

    def compare_nodes(self, editor: EditorInput, vae, grow_mask_by, mask_offset, backend, progress) -> tuple:
        """/compare's first twelve outputs, for an edit already read."""
        inspector = self.inspector
        comparison = inspector.run(editor, vae, grow_mask_by, mask_offset, progress)
        report = inspector.report(comparison, backend)
        inspector.pruner.maybe()
        batch, folder, source = inspector.batch(editor, vae), inspector.files.folder, inspector.registry.sources[vae]
        six = [(panels.neutralised(batch, r), panels.overlay(batch, comparison, r), panels.decoded(batch, r))
               for r in comparison.methods]  # fmt: skip
        frames = [(method_panels.noise_in_frame(r.preparation, editor.size), (r.cache_key, r.amount))
                  for r in comparison.methods]  # fmt: skip
        difference = panels.difference(batch, comparison.image, comparison.comfy.cache_key[0], frames, True)
        files = [columns.files(folder, editor, vae, source, r, native=True) for r in comparison.methods]
        if note := columns.tiled_latents_note(inspector.registry.get(vae), editor):
            report["warnings"].append(note)  # the files' caveat, beside the numbers' own
        batch.wait()
        values = (*six[0], *six[1], difference, report, *files)
        return tuple(as_sent(value) for value in values)
