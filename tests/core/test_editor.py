"""Uploads in every form users have become the RGB a viewer shows, or a clear error."""

import io

import numpy as np
import pytest
from PIL import Image

from inpaint_core.editor import from_editor, to_rgb

RGB = (np.arange(12 * 20 * 3).reshape(12, 20, 3) % 251).astype(np.uint8)


def reopened(image: Image.Image, format: str, **options) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    buffer.seek(0)
    return Image.open(buffer)


def test_rgb_rgba_palette_grayscale():
    assert np.array_equal(to_rgb(Image.fromarray(RGB)), RGB)
    rgba = np.dstack([RGB, np.full(RGB.shape[:2], 255, np.uint8)])
    rgba[0, 0, 3] = 0  # transparent: shown over white
    out = to_rgb(Image.fromarray(rgba))
    assert np.array_equal(out[1:], RGB[1:]) and tuple(out[0, 0]) == (255, 255, 255)
    palette = Image.fromarray(RGB).quantize(16)
    assert np.array_equal(to_rgb(palette), np.asarray(palette.convert("RGB")))
    gray = Image.fromarray(RGB[..., 0])
    assert np.array_equal(to_rgb(gray), np.repeat(RGB[..., :1], 3, axis=-1))


def test_cmyk_and_sixteen_bit():
    cmyk = Image.fromarray(RGB).convert("CMYK")
    assert np.abs(to_rgb(cmyk).astype(int) - RGB).max() <= 1
    sixteen = Image.fromarray(RGB[..., 0].astype(np.uint16) * 257)
    assert sixteen.mode == "I;16"
    assert np.array_equal(to_rgb(sixteen)[..., 0], RGB[..., 0])
    png16 = reopened(sixteen, "png")
    assert np.array_equal(to_rgb(png16)[..., 1], RGB[..., 0])


def test_exif_rotation_is_honoured():
    image = Image.fromarray(RGB)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    rotated = to_rgb(reopened(image, "jpeg", exif=exif, quality=100))
    assert rotated.shape == (20, 12, 3)


def test_animated_image_gives_its_first_frame():
    frames = [Image.fromarray(np.full((8, 8, 3), v, np.uint8)) for v in (10, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="gif", save_all=True, append_images=frames[1:])
    buffer.seek(0)
    assert abs(int(to_rgb(Image.open(buffer))[0, 0, 0]) - 10) <= 2


def test_mask_is_the_union_of_painted_layers():
    layer_a, layer_b = np.zeros((12, 20, 4), np.uint8), np.zeros((12, 20, 4), np.uint8)
    layer_a[2:4, 2:4, 3], layer_b[8:10, 8:10, 3] = 255, 1
    value = {"background": Image.fromarray(RGB), "layers": [Image.fromarray(layer_a), layer_b]}
    editor = from_editor(value)
    assert editor.pixels.shape == (1, 12, 20, 3) and editor.mask.sum() == 8
    assert editor == from_editor(value) and hash(editor) == hash(from_editor(value))
    assert editor != from_editor({"background": Image.fromarray(RGB), "layers": [layer_a]})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "no image"),
        ({"background": None, "layers": []}, "no image"),
        ({"background": "not an image"}, "image must be an image, got str"),
        ({"background": Image.fromarray(RGB), "layers": [np.zeros((12, 20))]}, "mask layers must be RGBA"),
        (
            {
                "background": Image.fromarray(RGB),
                "layers": [np.zeros((12, 20, 4), np.uint8), np.zeros((6, 10, 4), np.uint8)],
            },
            r"mask layers must share one size, got \(20, 12\) and \(10, 6\)",
        ),
    ],
)
def test_bad_values(value, message):
    with pytest.raises(ValueError, match=message):
        from_editor(value)


def test_too_large():
    with pytest.raises(ValueError, match="image is 20x12; the longest side may be at most 16 px"):
        from_editor({"background": Image.fromarray(RGB)}, max_side=16)
