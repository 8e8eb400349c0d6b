"""The page in headless Chromium: examples in place, masks that follow the sliders with no server call,
decoded latents on release, one screen at 1440×900 and on a phone, and the browser's mask maths equal
to inpaint_core's bit for bit."""

import base64
import shutil
import time

import numpy as np
import pytest
import torch
from PIL import Image

from inpaint_core.masks import grow_mask, offset_mask
from tests.conftest import ASSETS, ROOT
from web.examples import EXAMPLES, mask_file

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader",
]  # fmt: skip
ARTIFACTS = ROOT / "artifacts"
GROW_AMOUNTS = [0, 1, 2, 5, 6, 7, 33, 64]
OFFSET_AMOUNTS = [-128, -17, -1, 0, 1, 17, 128]

pytestmark = pytest.mark.browser


def open_page(browser, url, width=1440, height=900):
    tab = browser.new_page(viewport={"width": width, "height": height})
    tab.errors = []  # uncaught script errors, which no test expects
    tab.on("pageerror", lambda error: tab.errors.append(f"{error}: {error.stack}"))
    tab.goto(url)
    tab.wait_for_selector("#editor input[type=file]", state="attached")
    tab.wait_for_function("window.inpaintLiveMasks !== undefined && window.inpaintLive !== undefined")
    tab.wait_for_timeout(500)  # the editor's canvas starts after its input appears
    return tab


def server_calls(tab) -> list[str]:
    """Start recording the requests that run server code (queue joins); the list fills as they happen."""
    calls = []

    def record(request):
        if "queue/join" in request.url:
            calls.append(request.url)

    tab.on("request", record)
    return calls


def edit_key(tab) -> str | None:
    return tab.evaluate("window.inpaintLive.edit && window.inpaintLive.edit.key")


def load_example(tab, index: int) -> None:
    """Click an example and wait until its edit has arrived and the page has gone quiet: the editor reports
    an example in two changes (the second reads the same edit), so a test must not start between them."""
    before, calls = edit_key(tab), server_calls(tab)
    tab.locator("#examples .gallery-item").nth(index).click()
    tab.wait_for_function("(key) => window.inpaintLive.edit && window.inpaintLive.edit.key !== key", arg=before,
                          timeout=120_000)  # fmt: skip
    count, since = len(calls), time.monotonic()
    while time.monotonic() - since < 1.5:  # no new server call for 1.5 s
        tab.wait_for_timeout(100)
        if len(calls) != count:
            count, since = len(calls), time.monotonic()


def editor_layer(tab) -> np.ndarray:
    """bool (H, W): the mask the painter holds (what it sends when a stroke ends)."""
    width, height, bits = tab.evaluate(
        "(() => { const p = window.inpaintPainter; return [p.width, p.height, Array.from(p.mask).join('')]; })()"
    )
    return (np.frombuffer(bits.encode(), np.uint8) == ord("1")).reshape(height, width)


def panel_pixels(tab, selector: str) -> str:
    """A digest of a live canvas's pixels."""
    return tab.evaluate(
        """(selector) => {
        const canvas = document.querySelector(selector);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let hash = 0;
        for (let i = 0; i < data.length; i += 1) hash = (hash * 31 + data[i]) | 0;
        return `${canvas.width}x${canvas.height}:${hash}`;
    }""",
        selector,
    )


def paint_stroke(tab, canvas, points):
    box = canvas.bounding_box()
    tab.mouse.move(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])
    tab.mouse.down()
    for fx, fy in points[1:]:
        tab.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=2)
        tab.wait_for_timeout(20)
    tab.mouse.up()


def test_each_example_mask_lies_where_the_server_reads_it(page):
    for index, name in enumerate(EXAMPLES):
        load_example(page, index)
        expected = np.asarray(Image.open(mask_file(name)).convert("RGBA"))[..., 3] > 0
        layer = editor_layer(page)
        assert layer.shape == expected.shape, name
        assert np.mean(layer != expected) < 0.002, f"{name}: the editor's layer is not the example's mask"
    thumbnails = page.locator("#examples .gallery-item img")
    assert all("with_mask" in (thumbnails.nth(i).get_attribute("src") or "") for i in range(len(EXAMPLES)))


def test_a_stroke_after_an_example_adds_to_its_mask(page):
    load_example(page, 0)
    expected = np.asarray(Image.open(mask_file(EXAMPLES[0])).convert("RGBA"))[..., 3] > 0
    page.get_by_role("button", name="Brush").first.click()
    canvas = page.locator("#editor canvas").first
    before = edit_key(page)
    paint_stroke(page, canvas, [(0.75 + 0.01 * i, 0.75 + 0.01 * i) for i in range(10)])
    page.wait_for_function("(key) => window.inpaintLive.edit && window.inpaintLive.edit.key !== key", arg=before)
    layer = editor_layer(page)
    assert layer[expected].mean() > 0.998  # the example's mask stayed where it was
    assert layer[~expected].sum() > 50  # and the stroke was added
    assert (
        layer[: layer.shape[0] // 2, : layer.shape[1] // 2][
            ~expected[: layer.shape[0] // 2, : layer.shape[1] // 2]
        ].sum()
        == 0
    )


def wait_for_calls(tab, calls: list, timeout_s: float = 120) -> None:
    """Until `calls` (server_calls) holds one, or `timeout_s` passes."""
    since = time.monotonic()
    while not calls and time.monotonic() - since < timeout_s:
        tab.wait_for_timeout(100)


def drag(tab, slider_id: str, steps: int, pixels_per_step: float, panel: str):
    """Drag a slider's thumb by steps; after each step the panel's pixels must have changed with no server
    call. Returns the server calls made after the release."""
    calls = server_calls(tab)
    track = tab.locator(f"#{slider_id} input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    value = float(track.input_value())
    low, high = float(track.get_attribute("min")), float(track.get_attribute("max"))
    x = box["x"] + box["width"] * (value - low) / (high - low)
    y = box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    seen = [panel_pixels(tab, panel)]
    for step in range(1, steps + 1):
        tab.mouse.move(x + step * pixels_per_step, y)
        tab.wait_for_timeout(30)
        seen.append(panel_pixels(tab, panel))
        assert seen[-1] != seen[-2], f"{slider_id}: the panel did not change at step {step}"
    assert calls == [], f"{slider_id}: the page called the server while dragging: {calls}"
    tab.mouse.up()
    return calls


def test_masks_follow_each_drag_step_without_the_server_and_latents_follow_the_release(page):
    load_example(page, 0)
    page.wait_for_function(
        "window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key",
        timeout=120_000,  # a latent on a loaded 2-core CPU
    )
    comfy_url = page.evaluate("window.inpaintLive.decoded.left.url")
    calls = drag(page, "left-amount", 10, 12.0, "[data-column=left] canvas")
    wait_for_calls(page, calls)  # sent at once, or once an earlier release's work is done (Gradio's always_last)
    grow = int(page.locator("#left-amount input[type=range]").input_value())
    assert grow > 6 and page.evaluate("window.inpaintLive.columns.left.amount") == grow
    assert len(calls) == 1  # the release: ComfyUI's latent does not depend on grow_mask_by, so nothing re-encodes
    page.wait_for_timeout(1500)
    assert page.evaluate("window.inpaintLive.decoded.left.url") == comfy_url

    calls = drag(page, "right-amount", 10, -5.0, "[data-column=right] canvas")
    offset = int(page.locator("#right-amount input[type=range]").input_value())
    assert offset < 6 and page.evaluate("window.inpaintLive.columns.right.amount") == offset
    note = page.locator("[data-column=right] .decoded .note")
    assert (
        "encoding for mask_offset" in note.inner_text()
        or page.evaluate("window.inpaintLive.decoded.right.amount") == offset
    )
    page.wait_for_function(f"window.inpaintLive.decoded.right.amount === {offset}", timeout=120_000)
    assert len(calls) == 1
    assert "stale" not in (page.locator("[data-column=right] .decoded").get_attribute("class") or "")
    assert "ms" in note.inner_text()
    assert f"mask_offset {offset}" in page.locator("#numbers-table").inner_text()


def test_one_screen_at_1440_by_900(page):
    load_example(page, 1)
    page.wait_for_function(
        "window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key",
        timeout=120_000,  # a latent on a loaded 2-core CPU
    )
    page.evaluate("window.scrollTo(0, 0)")
    needed = ["#editor canvas", "#left-amount input[type=range]", "#right-amount input[type=range]"]
    needed += [f"[data-column={m}] {part}" for m in ("left", "right") for part in ("canvas", ".decoded img")]
    for selector in needed:
        box = page.locator(selector).first.bounding_box()
        assert box and box["height"] > 40 or "range" in selector, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, f"{selector} is off the first screen: {box}"
    comfy, was = (page.locator(f"[data-column={m}] canvas").bounding_box() for m in ("left", "right"))
    assert abs(comfy["y"] - was["y"]) < 2 and comfy["x"] < was["x"]  # side by side, as columns
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page_1440x900.png"))
    page.screenshot(path=str(ARTIFACTS / "page_1440x900_full.png"), full_page=True)


def test_a_phone_gets_one_column(browser, app_url):
    tab = open_page(browser, app_url, 390, 844)
    try:
        load_example(tab, 0)
        editor = tab.locator("#editor").bounding_box()
        assert editor["height"] <= 844
        boxes = {
            f"{m}-{p}": tab.locator(f"[data-column={m}] {s}").bounding_box()
            for m in ("left", "right")
            for p, s in (("mask", "canvas"), ("decoded", ".decoded img"))
        }
        assert (
            boxes["left-mask"]["y"]
            < boxes["left-decoded"]["y"]
            < boxes["right-mask"]["y"]
            < boxes["right-decoded"]["y"]
        )
        assert all(box["x"] + box["width"] <= 390 for box in boxes.values())
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "page_390x844.png"))
        tab.screenshot(path=str(ARTIFACTS / "page_390x844_full.png"), full_page=True)
    finally:
        tab.close()


def test_uploading_and_painting_shows_the_mask(page, tmp_path):
    photo = tmp_path / "photo.png"
    Image.open(ASSETS / "coffee.png").resize((500, 350)).save(photo)  # a size no example has
    page.locator("#editor input[type=file]").first.set_input_files(str(photo))
    page.wait_for_function("window.inpaintLive.edit && window.inpaintLive.edit.width === 500", timeout=60_000)
    page.get_by_role("button", name="Brush").first.click()
    paint_stroke(page, page.locator("#editor canvas").first, [(0.35 + 0.02 * i, 0.45 + 0.01 * i) for i in range(12)])
    painted = "window.inpaintLive.columns.left.mask.reduce((a, b) => a + b, 0) > 100"
    page.wait_for_function(painted, timeout=60_000)  # the stroke reached the server and came back as the mask


def random_masks(seed: int = 0) -> list[np.ndarray]:
    """Odd sizes, borders, single pixels, full and empty, sparse and dense."""
    rng = np.random.default_rng(seed)
    masks = [np.zeros((7, 5), bool), np.ones((9, 13), bool), np.zeros((1, 1), bool), np.ones((1, 1), bool)]
    single = np.zeros((31, 17), bool)
    single[0, 16] = single[30, 0] = single[15, 8] = True
    masks.append(single)
    for height, width, density in [(33, 47, 0.02), (40, 21, 0.3), (64, 65, 0.9), (19, 140, 0.05), (300, 263, 0.0005)]:
        masks.append(rng.random((height, width)) < density)
    border = np.zeros((50, 70), bool)
    border[:, :3] = border[-2:, :] = True
    border[20:30, 30:45] = True
    masks.append(border)
    for y, x in [
        (180, 200),
        (4, 395),
    ]:  # levels computed only near the mask: the box inside the image, or at its corner
        blob = np.zeros((360, 400), bool)
        blob[y : y + 5, x - 7 : x] = True
        blob[y + 9, x - 2] = True
        masks.append(blob)
    return masks


def test_browser_mask_maths_equal_the_core_bit_for_bit(page):
    masks = random_masks()
    encoded = [[m.shape[1], m.shape[0], base64.b64encode(np.packbits(m.reshape(-1)).tobytes()).decode()] for m in masks]
    results = page.evaluate(
        """([masks, grows, offsets]) => masks.map(([w, h, bits]) => {
        const M = window.inpaintLiveMasks, mask = M.unpackBits(bits, w * h);
        const pack = (out) => Array.from(out).join('');
        return [grows.map((k) => pack(M.growMask(mask, w, h, k))), offsets.map((n) => pack(M.offsetMask(mask, w, h, n)))];
    })""",
        [encoded, GROW_AMOUNTS, OFFSET_AMOUNTS],
    )
    for mask, (grown, offset) in zip(masks, results, strict=True):
        tensor = torch.from_numpy(mask).float()[None]
        for amount, bits in zip(GROW_AMOUNTS, grown, strict=True):
            expected = "".join(map(str, grow_mask(tensor, amount)[0].int().reshape(-1).tolist()))
            assert bits == expected, f"grow_mask_by={amount} on a {mask.shape} mask"
        for amount, bits in zip(OFFSET_AMOUNTS, offset, strict=True):
            expected = "".join(map(str, offset_mask(tensor, amount)[0].int().reshape(-1).tolist()))
            assert bits == expected, f"mask_offset={amount} on a {mask.shape} mask"


def test_browser_mask_bounds_equal_numpys(page):
    """The masked pixels' bounding box, read four pixels at a time where aligned: any offset into a buffer."""
    masks = random_masks(4)
    encoded = [[m.shape[1], m.shape[0], base64.b64encode(np.packbits(m.reshape(-1)).tobytes()).decode()] for m in masks]
    found = page.evaluate(
        """(masks) => masks.map(([w, h, bits]) => [0, 1, 2, 3].map((offset) => {
        const M = window.inpaintLiveMasks, buffer = new Uint8Array(w * h + 8);
        buffer[offset + w * h] = 1; // just past the mask: never read
        if (offset) buffer[offset - 1] = 1;
        const mask = buffer.subarray(offset, offset + w * h);
        mask.set(M.unpackBits(bits, w * h));
        return M.maskBounds(mask, w, h);
    }))""",
        encoded,
    )
    for mask, by_offset in zip(masks, found, strict=True):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        expected = [int(cols[0]), int(rows[0]), int(cols[-1]), int(rows[-1])] if mask.any() else None
        assert by_offset == [expected] * 4, f"a {mask.shape} mask"


EXPAND_AMOUNTS = [-128, -40, -9, -2, -1, 0, 1, 2, 9, 40, 128]


def test_browser_grow_mask_node_equals_the_core_bit_for_bit(page):
    """GrowMask (signed expand, a cross or a square repeated) on 0/1 masks: the browser's levels against
    inpaint_core's O(H·W) grey morphology, which tests/test_preparations_mask_nodes holds to the node."""
    from inpaint_core.preparations import grow_mask as grow_mask_node

    masks = random_masks(1)
    encoded = [[m.shape[1], m.shape[0], base64.b64encode(np.packbits(m.reshape(-1)).tobytes()).decode()] for m in masks]
    results = page.evaluate(
        """([masks, amounts]) => masks.map(([w, h, bits]) => {
        const M = window.inpaintLiveMasks, mask = M.unpackBits(bits, w * h);
        const pack = (out) => Array.from(out).join('');
        return [true, false].map((tapered) => amounts.map((n) => pack(M.growMaskNode(mask, w, h, n, tapered))));
    })""",
        [encoded, EXPAND_AMOUNTS],
    )
    for mask, by_corners in zip(masks, results, strict=True):
        tensor = torch.from_numpy(mask).float()[None]
        for tapered, grown in zip((True, False), by_corners, strict=True):
            for amount, bits in zip(EXPAND_AMOUNTS, grown, strict=True):
                expected = grow_mask_node(tensor, amount, tapered)[0].int().reshape(-1).tolist()
                assert bits == "".join(map(str, expected)), f"expand={amount} tapered={tapered} on {mask.shape}"


def test_a_step_updates_only_what_changes_and_equals_a_fresh_draw(page):
    """The incremental redraw (pixels whose level lies between the old and new amount) equals drawing anew."""
    load_example(page, 2)
    for method, amounts in (("left", [6, 40, 3, 64, 0, 7]), ("right", [6, -30, 128, -128, 0, 17])):
        for amount in amounts:
            page.evaluate(f"window.inpaintLive.setAmount('{method}', {amount})")
        stepped = panel_pixels(page, f"[data-column={method}] canvas")
        noise = page.evaluate(f"Array.from(window.inpaintLive.columns.{method}.noise).join('')")
        state = page.evaluate(f"(() => {{ const s = window.inpaintLive.columns.{method}; return [s.w, s.h]; }})()")
        mask = page.evaluate(f"Array.from(window.inpaintLive.columns.{method}.mask).join('')")
        tensor = torch.tensor([int(c) for c in mask], dtype=torch.float32).reshape(1, state[1], state[0])
        core = grow_mask(tensor, amounts[-1]) if method == "left" else offset_mask(tensor, amounts[-1])
        assert noise == "".join(map(str, core[0].int().reshape(-1).tolist()))
        page.evaluate(f"window.inpaintLive.redraw('{method}')")  # every pixel drawn anew
        assert panel_pixels(page, f"[data-column={method}] canvas") == stepped


def test_uploads_the_server_refuses_are_said_at_once(page, tmp_path):
    load_example(page, 0)
    camera, notes = tmp_path / "camera.jpg", tmp_path / "notes.txt"
    Image.new("RGB", (6000, 4000), "grey").save(camera, quality=50)
    notes.write_text("not an image")
    message = page.locator("#editor .message")
    for file, said in (
        (camera, "The image is 6000×4000; this server accepts up to 4096 px"),
        (notes, "notes.txt is not an image"),
    ):
        started = time.monotonic()
        page.locator("#editor input[type=file]").first.set_input_files(str(file))
        page.wait_for_function(
            f"document.querySelector('#editor .message').textContent.includes({said!r})", timeout=10_000
        )
        assert time.monotonic() - started < 2.0
        assert "The page keeps the image before it" in message.inner_text()
        assert page.evaluate("window.inpaintLive.edit.width") == 451  # the editor and the panels kept the cat
        assert editor_layer(page).shape == (300, 451)
    load_example(page, 1)  # a good edit clears the message
    page.wait_for_function("document.querySelector('#editor .message').textContent === ''")


def set_slider(tab, slider: str, value: int) -> None:
    """As a person leaves a slider at `value`: the input, then the release."""
    tab.evaluate(
        """([slider, value]) => { const input = document.querySelector(`#${slider} input[type=range]`);
        input.value = String(value); input.dispatchEvent(new Event('input', {bubbles: true}));
        input.dispatchEvent(new PointerEvent('pointerup', {bubbles: true})); }""",
        [slider, value],
    )


def test_the_recommendation_button_sets_its_slider(page):
    load_example(page, 0)
    set_slider(page, "left-amount", 0)
    button = page.locator("#advice button[data-slider=left-amount]")
    button.wait_for(timeout=120_000)
    amount = int(button.get_attribute("data-amount"))
    assert amount > 0 and "ComfyUI:" in page.locator("#advice").inner_text()
    button.click()
    page.wait_for_function(f"window.inpaintLive.columns.left.amount === {amount}")
    assert int(page.locator("#left-amount input[type=range]").input_value()) == amount
    page.wait_for_function(  # the release went to the server: the advice now has nothing to set for ComfyUI
        "!document.querySelector('#advice button[data-slider=left-amount]')", timeout=120_000
    )


def test_a_third_column_runs_another_preparation_when_opened(page):
    load_example(page, 2)
    page.get_by_text("A third column: another preparation").click()
    for panel in ("third-pixels", "third-mask", "third-decoded", "third-cells"):
        page.wait_for_selector(f"#{panel} img", timeout=120_000)
    numbers = page.locator("#third-numbers").inner_text()
    assert "noise mask mean" in numbers and "drift outside the mask" in numbers
    page.wait_for_selector("#third-downloads a", timeout=120_000)
    names = [link.get_attribute("download") for link in page.locator("#third-downloads a").all()]
    assert any(n.endswith(".latent") for n in names) and any(n.endswith("-api.json") for n in names), names
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#third-decoded").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "page_third_column.png"))


def pick(tab, side: str, option: str) -> None:
    tab.locator(f"#{side}-method input").click()
    tab.get_by_role("option", name=option).first.click()


def served_noise(tab, method: str) -> tuple[list[int], np.ndarray]:
    box, bits = tab.evaluate(
        f"(() => {{ const s = window.inpaintLive.served.{method}; return [s.box, Array.from(s.noise).join('')]; }})()"
    )
    return box, np.frombuffer(bits.encode(), np.uint8).reshape(box[2], box[3]) == ord("1")


def test_a_column_can_hold_another_method_and_go_back_to_its_node(page):
    """Left column: SetLatentNoiseMask in place of ComfyUI's node; its server-drawn mask shows in the column and
    its mask above 0 (as the core makes it) in the difference; the settings box replaces the slider; picking the
    node again brings back the live canvas and the slider."""
    from inpaint_core.preparations import run_method

    load_example(page, 0)
    page.wait_for_function("window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key",
                           timeout=120_000)  # fmt: skip
    before, amount = panel_pixels(page, ".difference canvas"), page.evaluate("window.inpaintLive.columns.left.amount")
    pick(page, "left", "VAE Encode + Set Latent Noise Mask")
    page.wait_for_function("document.querySelector('[data-column=left]').classList.contains('server')")
    settings = page.locator("#left-settings textarea")
    settings.wait_for()
    page.wait_for_function("document.querySelector('#left-amount').innerText.includes('expand')")  # its slider
    set_slider(page, "left-amount", 10)
    settings.fill('{"tapered_corners": true, "feather": 12}')
    settings.press("Enter")
    page.wait_for_function(
        "(() => { const s = window.inpaintLive.served.left; return s && s.method === 'set_latent_noise_mask' && "
        "document.querySelector('[data-column=left] .server-mask').complete; })()", timeout=120_000,
    )  # fmt: skip
    mask = torch.from_numpy(read_layer_mask("chelsea.png"))
    image = torch.from_numpy(np.asarray(Image.open(ASSETS / "chelsea.png").convert("RGB")).copy()).float()[None] / 255
    expected = run_method("set_latent_noise_mask", image, mask[None].float(), {"expand": 10, "feather": 12})
    page.wait_for_function("window.inpaintLive.served.left.live === null", timeout=120_000)  # feathered: soft
    page.wait_for_function(
        f"window.inpaintLive.served.left.noise.reduce((a, b) => a + b, 0) === {int((expected.noise_mask > 0).sum())}",
        timeout=120_000,
    )
    box, noise = served_noise(page, "left")
    assert box == [0, 0, *mask.shape] and np.array_equal(noise, expected.noise_mask[0, 0].numpy() > 0)
    assert page.locator("[data-column=left] .server-mask").is_visible()
    assert not page.locator("[data-column=left] canvas").is_visible()
    assert "VAE Encode + Set Latent Noise Mask" in page.locator("[data-column=left] h3").inner_text()
    assert "only VAE Encode + Set Latent Noise Mask" in page.locator("#live .difference").inner_text()
    assert panel_pixels(page, ".difference canvas") != before
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "page_left_column_other_method.png"))
    drawn = page.evaluate("window.inpaintLive.served.left.image")
    settings.fill('{"feather": 12,')  # not JSON: said by name, and the column keeps what it showed
    settings.press("Enter")
    page.wait_for_function(  # the sentence under the box, the column marked: no toast to miss
        "document.querySelector('#left-settings-note').innerText.includes('settings must be a JSON object') && "
        "document.querySelector('[data-column=left] .invalid-note').textContent.includes('last valid settings')",
        timeout=120_000,
    )
    assert page.evaluate("window.inpaintLive.served.left.image") == drawn
    assert page.locator("[data-column=left] .server-mask").is_visible()
    settings.fill('{"tapered_corners": true, "feather": 12}')
    pick(page, "left", "VAE Encode (for Inpainting), ComfyUI · live")
    page.wait_for_function("!document.querySelector('[data-column=left]').classList.contains('server')")
    page.wait_for_function("document.querySelector('#left-amount').innerText.includes('grow_mask_by')")
    assert page.locator("[data-column=left] canvas").is_visible()
    assert "grow_mask_by = " in page.locator("[data-column=left] h3").inner_text()
    set_slider(page, "left-amount", amount)  # the slider came back at the node's default
    assert panel_pixels(page, ".difference canvas") == before
    assert page.errors == []


def read_layer_mask(name: str) -> np.ndarray:
    """bool (H, W): an example's mask layer as the editor posts it (alpha > 0)."""
    return np.asarray(Image.open(mask_file(name)).convert("RGBA"))[..., 3] > 0


def test_growmask_in_a_column_follows_its_slider_without_the_server(page):
    """Right column: SetLatentNoiseMask with GrowMask (no feather). Once the server has drawn it, the column's
    slider is expand: each step redraws in the browser, equal to the core's GrowMask, and the release encodes.
    Then ComfyUI's node in that column: its slider is a second grow_mask_by, drawn live as in its own column."""
    from inpaint_core.preparations import grow_mask as grow_mask_node

    load_example(page, 3)
    pick(page, "right", "VAE Encode + Set Latent Noise Mask")
    page.wait_for_function("window.inpaintLive.columns.right && window.inpaintLive.columns.right.kind === 'grow'",
                           timeout=120_000)  # fmt: skip
    assert page.locator("#right-settings textarea").is_visible()
    calls = server_calls(page)
    for amount in (-9, 17, -30):
        page.evaluate(
            """(value) => { const input = document.querySelector('#right-amount input[type=range]');
            input.value = String(value); input.dispatchEvent(new Event('input', {bubbles: true})); }""",
            amount,
        )
        state = page.evaluate("(() => { const s = window.inpaintLive.columns.right; return [s.amount, s.w, s.h, "
                              "Array.from(s.noise).join('')]; })()")  # fmt: skip
        assert state[0] == amount
        mask = torch.from_numpy(read_layer_mask("rocket.jpg")).float()[None]
        expected = grow_mask_node(mask, amount, True)[0].int().reshape(-1).tolist()
        assert (state[2], state[1]) == tuple(mask.shape[1:]) and state[3] == "".join(map(str, expected))
    assert calls == []  # every step drawn here
    assert "expand = -30" in page.locator("[data-column=right] h3").inner_text()
    page.evaluate("document.querySelector('#right-amount input[type=range]').dispatchEvent("
                  "new PointerEvent('pointerup', {bubbles: true}))")  # fmt: skip
    page.wait_for_function("window.inpaintLive.decoded.right && window.inpaintLive.decoded.right.amount === -30",
                           timeout=120_000)  # fmt: skip
    pick(page, "right", "VAE Encode (for Inpainting), ComfyUI (a second setting)")  # the other node, live there too
    page.wait_for_function("window.inpaintLive.columns.right && window.inpaintLive.columns.right.node === 'comfy'",
                           timeout=120_000)  # fmt: skip
    set_slider(page, "right-amount", 13)  # the right slider is now the second grow_mask_by
    right, left = (
        page.evaluate(f"Array.from(window.inpaintLive.columns.{m}.noise).join('')") for m in ("right", "left")
    )
    crop = page.evaluate("window.inpaintLive.edit.crops.comfy")
    painted = torch.from_numpy(read_layer_mask("rocket.jpg")).float()[None]
    cropped = painted[:, crop[0] : crop[0] + crop[2], crop[1] : crop[1] + crop[3]]
    for noise, amount in ((right, 13), (left, page.evaluate("window.inpaintLive.columns.left.amount"))):
        assert noise == "".join(map(str, grow_mask(cropped, amount)[0].int().reshape(-1).tolist()))
    assert "grow_mask_by = 13" in page.locator("[data-column=right] h3").inner_text()
    pick(page, "right", "WAS VAE Encode for Inpaint · live")
    page.wait_for_function("window.inpaintLive.columns.right && window.inpaintLive.columns.right.kind === 'node'")
    assert page.errors == []


def test_browser_mask_digest_equals_the_servers(page):
    """The live panels know which of the painter's masks an edit is by this digest (web/live.py)."""
    from web.live import mask_digest

    large = np.random.default_rng(3).random((1024, 1024)) < 0.5
    flipped = large.copy()
    flipped[1023, 1023] = not flipped[1023, 1023]
    masks = random_masks(2) + [large, flipped]
    encoded = [[m.size, base64.b64encode(np.packbits(m.reshape(-1)).tobytes()).decode()] for m in masks]
    digests = page.evaluate(
        "(masks) => masks.map(([n, bits]) => window.inpaintLiveMasks.maskDigest("
        "window.inpaintLiveMasks.unpackBits(bits, n)))",
        encoded,
    )
    assert digests == [mask_digest(m) for m in masks]
    assert digests[-1] != digests[-2]  # one pixel apart (the payload gives the size besides)
