"""The image editor as an input that reads what it is sent before anything decodes it.

Gradio's own preprocessing opens every upload with Pillow; an image too large, or a file that is no
image, then fails with Pillow's words (or Gradio's) long after the upload. Here each file's header is
read first (no pixels decoded), so such uploads are refused at once with one sentence naming the input
and what is accepted.
"""

from io import BytesIO

import gradio as gr
from gradio.data_classes import FileData
from PIL import Image, UnidentifiedImageError

from inpaint_core.editor import MAX_SIDE

READABLE = "PNG, JPEG, WebP, GIF, BMP or TIFF"


def image_size(file: FileData | bytes, what: str, max_side: int) -> tuple[int, int]:
    """(width, height) from the file's header; ValueError in one sentence where it is no image or too large."""
    source = file.path if isinstance(file, FileData) else BytesIO(bytes(file))
    try:
        with Image.open(source) as image:  # reads the header: no pixel is decoded
            width, height = image.size
    except Image.DecompressionBombError:
        raise ValueError(
            f"the {what} has far more pixels than this server accepts ({max_side} px a side at most)"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError):
        name = f" ({file.orig_name})" if isinstance(file, FileData) and file.orig_name else ""
        raise ValueError(f"the {what}{name} is not an image this server can read: upload a {READABLE} file") from None
    if max(width, height) > max_side:
        raise ValueError(f"the {what} is {width}×{height}; this server accepts up to {max_side} px on the longest side")
    return width, height


def _files(editor, payload) -> list[tuple[str, FileData | bytes]]:
    """What the payload carries: files from an API caller, or the blobs the browser posted."""
    data = editor.blob_storage.get(payload.id) if payload.id is not None else payload
    if data is None:
        return []
    named = [("image", data.background), ("composite image", data.composite)]
    named += [(f"mask layer {i + 1}", layer) for i, layer in enumerate(data.layers or [])]
    return [(what, file) for what, file in named if file is not None]


class ImageEditorInput(gr.ImageEditor):
    """gr.ImageEditor that refuses, with the app's own sentence, uploads too large or not images.

    Its constructor is gr.ImageEditor's (Gradio reads the page's settings off that signature); set
    `max_side` on the instance for a limit other than the default."""

    max_side: int = MAX_SIDE
    is_template = True  # the browser draws it as Gradio's own ImageEditor

    def preprocess(self, payload):
        if payload is None:
            return None
        try:
            for what, file in _files(self, payload):
                image_size(file, what, self.max_side)
            return super().preprocess(payload)
        except ValueError as error:
            raise gr.Error(str(error)) from None
        except OSError as error:  # a header that reads but pixels that do not: truncated or damaged
            raise gr.Error(f"the image could not be decoded ({error}): upload a whole {READABLE} file") from None
