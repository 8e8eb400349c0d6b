"""Content-named preview files: written once per key, side by side, readable back exactly."""

import numpy as np
import pytest
from PIL import Image

from inpaint_core.files.image_files import ImageFiles


def test_a_mask_png_reads_back_as_the_mask_and_a_second_batch_writes_nothing(tmp_path):
    files = ImageFiles(tmp_path)
    mask = np.random.default_rng(0).random((37, 53)) > 0.5
    calls = []

    def make():
        calls.append(1)
        return mask

    batch = files.batch()
    first = batch.mask(("m", 1), make, "#ff3c78")
    assert batch.mask(("m", 1), make, "#ff3c78") == first  # the same key in one batch: one write
    batch.wait()
    again = files.batch()
    assert again.mask(("m", 1), make, "#ff3c78") == first
    again.wait()
    assert len(calls) == 1
    image = Image.open(first)
    assert image.mode == "P" and image.info["transparency"] == 0
    assert np.array_equal(np.asarray(image) == 1, mask)
    assert image.getpalette()[3:6] == [255, 60, 120]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging file left


def test_keys_name_distinct_files_and_a_removed_file_is_written_again(tmp_path):
    files = ImageFiles(tmp_path)
    ramp = np.linspace(0, 255, 24 * 16).reshape(16, 24)
    pixels = np.stack([ramp, ramp[::-1], np.full_like(ramp, 90)], axis=-1).astype(np.uint8)
    batch = files.batch()
    jpeg, png = batch.jpeg("a", lambda: pixels), batch.png("b", lambda: pixels)
    batch.wait()
    assert jpeg != png and jpeg.suffix == ".jpg" and png.suffix == ".png"
    assert np.array_equal(np.asarray(Image.open(png)), pixels)
    assert np.abs(np.asarray(Image.open(jpeg)).astype(int) - pixels).mean() < 10  # a lossy copy of a smooth image
    png.unlink()  # as Gradio's delete_cache does to old files
    batch = files.batch()
    assert batch.png("b", lambda: pixels) == png
    batch.wait()
    assert png.exists()


def test_a_failed_write_raises_at_wait_and_leaves_no_file(tmp_path):
    files = ImageFiles(tmp_path)
    batch = files.batch()

    def broken():
        raise RuntimeError("no pixels")

    path = batch.png("broken", broken)
    with pytest.raises(RuntimeError, match="no pixels"):
        batch.wait()
    assert not path.exists() and not list(tmp_path.iterdir())
