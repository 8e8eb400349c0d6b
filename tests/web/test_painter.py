"""The painter's value read on the server: an uploaded photo (decoded once) and a mask PNG at its size, or a
refusal in one sentence."""

import base64
from io import BytesIO
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio.utils import get_upload_folder
from PIL import Image

from inpaint_core.editor import from_editor
from tests.conftest import ASSETS
from web.painter import Painter


def png_url(mask: np.ndarray) -> str:
    buffer = BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def uploaded(tmp_path):
    folder = Path(get_upload_folder()) / "painter-test"
    folder.mkdir(parents=True, exist_ok=True)
    photo = folder / "coffee.png"
    Image.open(ASSETS / "coffee.png").save(photo)
    yield photo
    photo.unlink(missing_ok=True)


def test_a_photo_and_its_mask_read_as_the_editor_reads_them(uploaded, tmp_path):
    painter = Painter(tmp_path)
    mask = np.zeros((400, 600), dtype=bool)
    mask[100:200, 250:400] = True
    edit = painter.read({"image": str(uploaded), "mask": png_url(mask)})
    assert np.array_equal(edit.painted[0].numpy(), mask)
    layer = np.zeros((400, 600, 4), dtype=np.uint8)
    layer[mask, 3] = 255
    same = from_editor({"background": Image.open(uploaded), "layers": [layer]})
    assert edit.content_key == same.content_key  # the same edit as the image editor's, by content
    again = painter.read({"image": str(uploaded), "mask": ""})
    assert again.rgb is edit.rgb and not again.painted.any()  # the photo decoded once, shared by every stroke


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ({"image": "app.py", "mask": ""}, "must be a file uploaded to this page"),
        ({"image": "/etc/passwd", "mask": ""}, "must be a file uploaded to this page"),
        ({"image": "UPLOADED", "mask": "data:image/png;base64,!!"}, "the mask must be a PNG"),
        (
            {"image": "UPLOADED", "mask": png_url(np.ones((10, 10), dtype=bool))},
            "the mask is 10×10; the image is 600×400",
        ),
        ({"image": "UPLOADED", "mask": 5}, "the mask must be a PNG"),
        ([1, 2], "must be an object"),
    ],
)
def test_bad_values_are_refused_in_one_sentence(uploaded, tmp_path, value, said):
    if isinstance(value, dict) and value["image"] == "UPLOADED":
        value = value | {"image": str(uploaded)}
    with pytest.raises(gr.Error, match=said) as refused:
        Painter(tmp_path).read(value)
    assert len(refused.value.message) < 200 and "\n" not in refused.value.message


def test_an_upload_removed_since_says_so(uploaded, tmp_path):
    gone = uploaded.with_name("gone.png")
    with pytest.raises(gr.Error, match="no longer on the server"):
        Painter(tmp_path).read({"image": str(gone), "mask": ""})


def test_a_large_image_keeps_its_own_photo_and_drops_the_others(uploaded, tmp_path):
    """Before a large image on a CPU the painter's other photos go (make_room_for), its own stays."""
    import torch

    from inpaint_core.vaes.registry import VAERegistry
    from tests.web.events import nothing
    from web.inspector import Inspector
    from web.large_work import LargeWork

    inspector = Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    other = uploaded.with_name("other.png")
    Image.open(ASSETS / "coffee.png").transpose(Image.FLIP_LEFT_RIGHT).save(other)
    inspector.read_editor({"image": str(other), "mask": ""})
    mask = np.zeros((400, 600), dtype=bool)
    mask[100:200, 250:400] = True
    edit = inspector.read_editor({"image": str(uploaded), "mask": png_url(mask)})
    inspector.large_work = LargeWork(large_pixels=1)  # every image is large: room is made first
    inspector.run(edit, inspector.registry.labels[0], 6, 6, nothing)
    kept = [inspector.painter.photos.peek(key).key for key, _ in inspector.painter.photos.sizes()]
    assert kept == [edit.image_key]
    other.unlink()
