"""The painter: the photo and its mask held in the browser (painter.js), so a stroke shows at once.

The photo is uploaded once, as the user's file (a JPEG stays a JPEG), and read here once per file; each stroke
is painted on the page and, when it ends, only the mask travels: a PNG at the photo's size in the component's
value. An example's value names its photo and mask files, copied beside the page's other images.
"""

import base64
import binascii
from io import BytesIO
from pathlib import Path

import gradio as gr
import numpy as np
from gradio.utils import get_upload_folder
from PIL import Image

from inpaint_core.cache import LRUCache
from inpaint_core.editor import MAX_SIDE, EditorInput, Photo

from .editor_input import READABLE, image_size

HERE = Path(__file__).parent
MASK_BYTES = 8 << 20  # a mask PNG of a 4096² photo is far smaller: anything larger is not a mask
PHOTO_BYTES = 512 << 20  # photos kept decoded (the newest whatever its size)
MAX_FILE_MB = 100  # an upload's size at most: a 4096² PNG of a photo is about 35 MB
# `js=` for every server event a stroke sets off: its inputs, once no stroke is under way. Gradio runs it again
# before sending an event it held back (trigger_mode="always_last"), so no request leaves during a stroke.
AFTER_STROKE = (
    "(...inputs) => { const go = () => (inputs.length === 1 ? inputs[0] : inputs);"
    " const painter = window.inpaintPainter; return painter?.idle ? painter.idle().then(go) : go(); }"
)


def painter_component(max_side: int, max_file_mb: int) -> gr.HTML:
    """The component; its value is {"image": a server path, "mask": a PNG data URL, a server path or ""}."""
    return gr.HTML(
        None,
        html_template=(HERE / "painter.html").read_text(),
        css_template=(HERE / "painter.css").read_text(),
        js_on_load=(HERE / "painter.js").read_text(),
        elem_id="editor",
        padding=False,
        max_side=max_side,
        max_file_mb=max_file_mb,
    )


def allowed_file(path, examples: Path) -> Path:
    """`path` as a file the painter may name: an upload of this server's, or an example in `examples`."""
    if not isinstance(path, str) or not path or len(path) > 4096:
        raise ValueError("the image must be a file uploaded to this page")
    resolved = Path(path).resolve()
    roots = (Path(get_upload_folder()).resolve(), examples.resolve())
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ValueError("the image must be a file uploaded to this page")
    if not resolved.is_file():
        raise ValueError("the image is no longer on the server (uploads are removed after an hour): upload it again")
    return resolved


def mask_image(mask, size: tuple[int, int], examples: Path) -> np.ndarray:
    """bool (H, W) from the value's mask: a PNG as a data URL or an example's file (painted: alpha > 0, or
    bright where it has no alpha), at the photo's size; all False for ""."""
    if not mask:
        return np.zeros(size, dtype=bool)
    if not isinstance(mask, str):
        raise ValueError("the mask must be a PNG")
    if mask.startswith("data:image/png;base64,"):
        if len(mask) > MASK_BYTES * 4 // 3 + 64:
            raise ValueError("the mask is larger than a mask of this image can be")
        try:
            source = BytesIO(base64.b64decode(mask.partition(",")[2], validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("the mask must be a PNG") from None
    else:
        source = allowed_file(mask, examples)
    try:
        with Image.open(source) as image:
            if image.size != size[::-1]:
                raise ValueError(f"the mask is {image.size[0]}×{image.size[1]}; the image is {size[1]}×{size[0]}")
            if "A" in image.getbands():
                return np.asarray(image.getchannel("A")) > 0
            return np.asarray(image.convert("L")) > 127
    except (OSError, Image.DecompressionBombError):
        raise ValueError("the mask must be a PNG") from None


class Painter:
    """Reads the painter's value into an edit, decoding each photo once."""

    def __init__(self, examples: Path, max_side: int = MAX_SIDE):
        self.examples = examples  # where web.examples.load_example copies the examples
        self.max_side = max_side
        self.photos = LRUCache(4, max_bytes=PHOTO_BYTES, size_of=lambda photo: photo.rgb.nbytes)

    def photo(self, path) -> Photo:
        """The photo at `path`, decoded once per file (named by path, size and time)."""
        file = allowed_file(path, self.examples)
        stat = file.stat()

        def read() -> Photo:
            image_size(gr.FileData(path=str(file)), "image", self.max_side)  # its header first
            with Image.open(file) as image:
                return Photo.of(image, self.max_side)

        return self.photos.get_or_make((str(file), stat.st_size, stat.st_mtime_ns), read)[0]

    def read(self, value) -> EditorInput | None:
        """The photo and its mask as an edit; None before any photo; gr.Error in one sentence."""
        if not value:
            return None
        if not isinstance(value, dict):
            raise gr.Error("the painter's value must be an object with an image and a mask")
        try:
            photo = self.photo(value.get("image"))
            return photo.with_mask(mask_image(value.get("mask"), photo.size, self.examples))
        except OSError:
            raise gr.Error(f"the image could not be decoded: upload a whole {READABLE} file") from None
        except ValueError as error:
            raise gr.Error(str(error)) from None
