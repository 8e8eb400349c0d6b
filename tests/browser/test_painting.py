"""Painting in the browser: strokes (mouse and touch), undo, the eraser and a mask file reach both live panels
with no server call, equal to inpaint_core's masks; when a stroke ends only the mask travels, and the server's
mask and latents follow it."""

import numpy as np
import pytest
import torch
from PIL import Image

from inpaint_core.masks import grow_mask, offset_mask
from tests.browser.test_browser import (
    editor_layer,
    load_example,
    server_calls,
)
from web.examples import EXAMPLES, mask_file

pytestmark = pytest.mark.browser


def on_photo(tab, points) -> list[tuple[float, float]]:
    """Page coordinates of points given as fractions of the photo, as the painter's canvas shows it (contained
    in its box)."""
    box = tab.locator("#editor canvas.mask").bounding_box()
    width, height = tab.evaluate("[window.inpaintPainter.width, window.inpaintPainter.height]")
    scale = min(box["width"] / width, box["height"] / height)
    left, top = box["x"] + (box["width"] - width * scale) / 2, box["y"] + (box["height"] - height * scale) / 2
    return [(left + fx * width * scale, top + fy * height * scale) for fx, fy in points]


def stroke(tab, points, calls) -> None:
    """A mouse stroke over the photo (fractions of it); no server call before it ends."""
    (x, y), *rest = on_photo(tab, points)
    tab.mouse.move(x, y)
    tab.mouse.down()
    for x, y in rest:
        tab.mouse.move(x, y, steps=3)
        tab.wait_for_timeout(20)
    assert calls == [], f"the page called the server during a stroke: {calls}"
    tab.mouse.up()


def live_equals_core(tab, mask: np.ndarray) -> None:
    """Each column's live noise mask at a few amounts equals the core's on the painter's mask, in its crop."""
    for column, amounts, rule in (("left", [0, 7, 64], grow_mask), ("right", [-20, 0, 9], offset_mask)):
        for amount in amounts:
            tab.evaluate(f"window.inpaintLive.setAmount('{column}', {amount})")
            top, left, height, width, noise = tab.evaluate(
                f"""(() => {{ const s = window.inpaintLive.columns.{column};
                return [s.top, s.left, s.h, s.w, Array.from(s.noise).join('')]; }})()"""
            )
            crop = torch.from_numpy(mask[top : top + height, left : left + width].astype(np.float32))[None]
            expected = rule(crop, amount)[0].int().reshape(-1).tolist()
            assert noise == "".join(map(str, expected)), f"{column} at {amount}"


def server_follows(tab, mask: np.ndarray) -> None:
    """The server read this mask (the panels took its key) and its latents arrived for it."""
    tab.wait_for_function(
        "!String(window.inpaintLive.edit.key).startsWith('painted:') && window.inpaintLive.decoded "
        "&& window.inpaintLive.decoded.key === window.inpaintLive.edit.key",
        timeout=180_000,
    )
    served = tab.evaluate("Array.from(window.inpaintLive.edit.mask).join('')")
    assert served == "".join(map(str, mask.astype(int).reshape(-1).tolist()))


def test_strokes_undo_eraser_and_a_mask_file(page, tmp_path):
    load_example(page, 1)
    example = np.asarray(Image.open(mask_file(EXAMPLES[1])).convert("RGBA"))[..., 3] > 0
    assert np.array_equal(editor_layer(page), example)
    for column in ("left", "right"):  # the sliders where the checks below leave them
        page.evaluate(f"window.inpaintLive.setAmount('{column}', 6)")

    calls = server_calls(page)
    stroke(page, [(0.08 + 0.02 * i, 0.9) for i in range(8)], calls)
    painted = editor_layer(page)
    assert painted.sum() > example.sum() and painted[example].all()
    live_equals_core(page, painted)
    server_follows(page, painted)
    sent = page.evaluate("window.inpaintPainter.sent")
    assert 0 < sent < 20_000  # a PNG of the mask, not the photo

    page.locator("#editor button.undo").click()
    assert np.array_equal(editor_layer(page), example)
    live_equals_core(page, example)
    server_follows(page, example)

    page.locator("#editor button.eraser").click()
    calls = server_calls(page)
    rows, cols = np.nonzero(example)
    middle = (rows.mean() / example.shape[0], cols.mean() / example.shape[1])
    stroke(page, [(middle[1] - 0.1 + 0.02 * i, middle[0]) for i in range(11)], calls)
    erased = editor_layer(page)
    assert erased.sum() < example.sum() and not (erased & ~example).any()
    live_equals_core(page, erased)
    server_follows(page, erased)
    page.locator("#editor button.brush").click()

    square = np.zeros(example.shape, dtype=bool)
    square[100:220, 150:300] = True
    file = tmp_path / "mask.png"
    Image.fromarray(square.astype(np.uint8) * 255).save(file)  # white on black, no transparency
    page.locator("#editor input.mask-file").set_input_files(str(file))
    page.wait_for_function("window.inpaintPainter.mask.reduce((a, b) => a + b, 0) === 120 * 150")
    assert np.array_equal(editor_layer(page), square)
    live_equals_core(page, square)
    server_follows(page, square)
    assert page.errors == []


def test_what_one_stroke_sets_off_waits_while_the_next_is_painted(page):
    """A stroke begun at once after another, and held for seconds: the first's server events (its mask, the
    edit payload, the settle, held or not) wait until it ends; then the server follows the second."""
    load_example(page, 0)
    first = on_photo(page, [(0.1 + 0.05 * i, 0.15) for i in range(6)])
    second = on_photo(page, [(0.1 + 0.05 * i, 0.85) for i in range(30)])
    page.mouse.move(*first[0])
    page.mouse.down()
    for x, y in first[1:]:
        page.mouse.move(x, y, steps=2)
    page.mouse.up()
    page.mouse.move(*second[0])
    page.mouse.down()  # the first stroke's events are all still ahead
    calls = server_calls(page)
    for x, y in second[1:]:
        page.mouse.move(x, y, steps=2)
        page.wait_for_timeout(100)  # three seconds of painting: time enough for any of them to leave
    assert calls == [], f"requests left while the second stroke was painted: {calls}"
    page.mouse.up()
    page.wait_for_timeout(200)
    assert calls, "nothing was sent when the stroke ended"
    server_follows(page, editor_layer(page))
    assert page.errors == []


def test_touch_strokes_on_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    try:
        tab.goto(app_url)
        tab.wait_for_function("window.inpaintLive !== undefined && window.inpaintPainter !== undefined")
        load_example(tab, 0)
        before = editor_layer(tab)
        calls = server_calls(tab)
        tab.locator("#editor canvas.mask").scroll_into_view_if_needed()
        cdp = context.new_cdp_session(tab)
        points = on_photo(tab, [(0.1 + 0.03 * i, 0.9) for i in range(8)])
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]}
        )
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            tab.wait_for_timeout(30)
        assert calls == []
        touched = editor_layer(tab)
        assert touched.sum() > before.sum()  # painted while the finger moved, before it lifted
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        live_equals_core(tab, touched)
        server_follows(tab, touched)
        assert tab.errors == []
    finally:
        context.close()


def photo_of(tmp_path, size=(400, 300)):
    """An uploaded photo of a size no example has, shown by the painter and the live panels."""
    from tests.conftest import ASSETS

    photo = tmp_path / "photo.png"
    Image.open(ASSETS / "coffee.png").convert("RGB").resize(size).save(photo)
    return photo


def test_redo_invert_brush_keys_zoom_opacity_and_a_loadimage_mask(page, tmp_path):
    page.locator("#editor input.photo-file").set_input_files(str(photo_of(tmp_path)))
    page.wait_for_function("window.inpaintLive.edit && window.inpaintLive.edit.width === 400", timeout=60_000)
    calls = server_calls(page)
    stroke(page, [(0.2 + 0.03 * i, 0.3) for i in range(8)], calls)
    painted = editor_layer(page)
    assert painted.sum() > 0
    page.keyboard.press("Control+z")
    assert editor_layer(page).sum() == 0
    page.keyboard.press("Control+Shift+z")
    assert np.array_equal(editor_layer(page), painted)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    assert np.array_equal(editor_layer(page), painted)

    page.locator("#editor button.invert").click()
    assert np.array_equal(editor_layer(page), ~painted)
    live_equals_core(page, ~painted)
    server_follows(page, ~painted)
    page.keyboard.press("i")
    assert np.array_equal(editor_layer(page), painted)

    size = lambda: int(page.locator("#editor .brush-size").input_value())  # noqa: E731
    before = size()
    page.keyboard.press("]")
    assert size() > before
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert size() < before

    page.locator("#editor .mask-opacity").fill("30")
    assert page.evaluate("getComputedStyle(document.querySelector('#editor canvas.mask')).opacity") == "0.3"

    page.locator("#editor button.clear").click()
    fit = page.locator("#editor canvas.mask").bounding_box()
    for _ in range(3):  # 1.5³ times, about the stage's centre
        page.locator("#editor button.zoom-in").click()
    zoomed = page.locator("#editor canvas.mask").bounding_box()
    assert zoomed["width"] == pytest.approx(fit["width"] * 3.375, rel=1e-3)
    box = page.locator("#editor .stage").bounding_box()
    x, y = box["x"] + box["width"] / 2 + 90, box["y"] + box["height"] / 2 - 40  # off the centre
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 3, y, steps=2)
    page.mouse.up()
    scale = min(zoomed["width"] / 400, zoomed["height"] / 300)  # the photo contained in the zoomed canvas
    shown_x = (x - zoomed["x"] - (zoomed["width"] - 400 * scale) / 2) / scale
    shown_y = (y - zoomed["y"] - (zoomed["height"] - 300 * scale) / 2) / scale
    rows, cols = np.nonzero(editor_layer(page))
    assert abs(rows.mean() - shown_y) < 2 and abs(cols.mean() - shown_x) < 2  # painted where the pointer shows
    assert abs(shown_x - 200) > 15  # off the centre: a wrong zoom origin would move it
    page.locator("#editor button.zoom-fit").click()

    rgba = np.full((300, 400, 4), 255, np.uint8)
    rgba[50:120, 60:200, 3] = 0  # ComfyUI's LoadImage: mask = 1 - alpha, so the transparent box is the mask
    rgba[120:130, 60:200, 3] = 127  # rounds to 1 too
    file = tmp_path / "comfy-mask.png"
    Image.fromarray(rgba).save(file)
    page.locator("#editor input.mask-file").set_input_files(str(file))
    expected = np.zeros((300, 400), bool)
    expected[50:130, 60:200] = True
    page.wait_for_function(f"window.inpaintPainter.mask.reduce((a, b) => a + b, 0) === {expected.sum()}")
    assert np.array_equal(editor_layer(page), expected)
    live_equals_core(page, expected)
    server_follows(page, expected)
    assert page.errors == []


def test_an_offset_that_erodes_every_painted_pixel_is_said_at_once(page):
    """Dragging WAS's slider past the deepest painted pixel empties its noise mask: the column says so in the same
    step, naming the first offset that keeps some (the core's offset_mask: empty one below it, not at it)."""
    load_example(page, 2)
    page.evaluate("window.inpaintLive.setAmount('right', 0)")
    note = page.locator("#live [data-column=right] .eroded-note")
    assert note.inner_text() == ""
    page.evaluate("window.inpaintLive.setAmount('right', -128)")
    said = note.inner_text()
    assert said.startswith("mask_offset = -128 erodes every painted pixel"), said
    first = int(said.rsplit("mask_offset = ", 1)[1].split()[0])
    top, left, height, width = page.evaluate(
        "(() => { const s = window.inpaintLive.columns.right; return [s.top, s.left, s.h, s.w]; })()"
    )
    crop = torch.from_numpy(editor_layer(page)[top : top + height, left : left + width].astype(np.float32))[None]
    assert offset_mask(crop, first).any() and not offset_mask(crop, first - 1).any()
    page.evaluate(f"window.inpaintLive.setAmount('right', {first})")
    assert note.inner_text() == ""
    assert page.errors == []


def test_a_cleared_mask_travels_as_nothing_and_the_server_follows(page):
    """Clear: no PNG is made for an empty mask (the value's mask is ""), and the server reads it as empty."""
    load_example(page, 3)
    page.locator("#editor button.clear").click()
    page.wait_for_function("window.inpaintPainter.mask.indexOf(1) < 0")
    server_follows(page, editor_layer(page))
    assert page.evaluate("window.inpaintPainter.sent") == 0
    assert not editor_layer(page).any()
    assert page.errors == []
