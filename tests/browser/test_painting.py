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
