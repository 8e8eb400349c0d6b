"""The page says only what is so and holds still, at 1440×900 and on a phone (390×844): no "encoding" note
while nothing is sent, the panels do not move when the warnings change, a slider and the panel it drives on
screen together, the advice of the amount the slider holds, a refused setting marked until fixed, download
names distinct and whole, every detail tab in sight, and the empty page showing what to do first.

Each size has one tab for the module (`tab`); a test loads an example other than the one before it (loading
the same example twice never changes the edit, so `load_example` would wait for ever)."""

import pytest

from tests.browser.test_browser import drag, load_example, open_page, pick, set_slider

pytestmark = pytest.mark.browser

SIZES = {"1440x900": (1440, 900), "390x844": (390, 844)}
DECODED = "window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key"


@pytest.fixture(scope="module", params=list(SIZES.values()), ids=list(SIZES))
def tab(request, browser, app_url):
    tab = open_page(browser, app_url, *request.param)
    tab.size = request.param
    yield tab
    tab.close()


def settled(tab, grow: int, offset: int) -> None:
    """Until the server's latents, numbers and advice for these amounts have arrived."""
    tab.wait_for_function(
        f"{DECODED} && window.inpaintLive.decoded.left.amount === {grow} && window.inpaintLive.decoded.right.amount "
        f"=== {offset} && document.querySelector('#numbers-table').innerText.includes('grow_mask_by {grow}') && "
        f"document.querySelector('#numbers-table').innerText.includes('mask_offset {offset}')",
        timeout=180_000,
    )
    tab.wait_for_function("document.querySelector('#advice').style.opacity === ''")  # no longer dimmed


def on_screen(tab, selector: str) -> dict:
    box = tab.locator(selector).first.bounding_box()
    width, height = tab.size
    assert box and box["y"] >= -1 and box["y"] + box["height"] <= height + 1, (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)
    return box


def panel_tops(tab) -> list[float]:
    return tab.evaluate(
        "[...document.querySelectorAll('#live [data-column] canvas, #live .difference canvas')]"
        ".map((c) => c.getBoundingClientRect().top + window.scrollY)"
    )


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_the_empty_page_says_what_to_do_first(browser, app_url, size):
    page = open_page(browser, app_url, *size)
    try:
        hint = page.locator("#editor .hint")
        assert hint.is_visible() and "Upload an image" in hint.inner_text()
        assert hint.bounding_box()["y"] < size[1]  # where the eye lands, not below the fold
        assert not page.locator("#live [data-column] img").first.is_visible()  # no broken-image frames
    finally:
        page.close()


def test_no_encoding_note_while_the_mouse_holds_the_slider(tab):
    load_example(tab, 0)
    tab.wait_for_function(DECODED, timeout=180_000)
    track = tab.locator("#right-amount input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    x, y = box["x"] + box["width"] * (6 + 128) / 256, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    for step in range(1, 6):
        tab.mouse.move(x - box["width"] / 48 * step, y)
        tab.wait_for_timeout(60)
        note = tab.locator("[data-column=right] .decoded .note").inner_text()
        assert "encoding" not in note and "when you let go" in note, note
    tab.mouse.up()
    tab.wait_for_function(
        "document.querySelector('[data-column=right] .decoded .note').textContent.includes('encoding for')"
        " || window.inpaintLive.decoded.right.amount === window.inpaintLive.columns.right.amount"
    )
    offset = int(track.input_value())
    assert offset < 6
    settled(tab, 6, offset)
    set_slider(tab, "right-amount", 6)
    settled(tab, 6, 6)


def test_the_panels_hold_still_while_the_warnings_change(tab):
    load_example(tab, 3)
    tab.wait_for_function(DECODED, timeout=180_000)
    tops, warnings = panel_tops(tab), set()
    for amount in (0, 2, 9, 40, 64, 6):  # even amounts bring a warning, others take it away
        set_slider(tab, "left-amount", amount)
        settled(tab, amount, 6)
        warnings.add(tab.locator("#advice .warnings").inner_text())
        moved = [round(a - b, 1) for a, b in zip(panel_tops(tab), tops, strict=True)]
        assert all(abs(m) <= 2 for m in moved), (amount, moved)
    assert len(warnings) > 1  # the warnings did change


def test_the_slider_and_its_panel_share_the_screen(tab):
    """Scrolled to a column's panel, its slider is in the same viewport above it; and it stays there while the
    slider is dragged (on a phone the sliders stick to the top)."""
    load_example(tab, 1)
    for column in ("left", "right"):
        tab.locator(f"[data-column={column}] canvas").scroll_into_view_if_needed()
        tab.wait_for_timeout(300)
        slider = on_screen(tab, f"#{column}-amount input[type=range]")
        canvas = on_screen(tab, f"[data-column={column}] canvas")
        assert slider["y"] + slider["height"] <= canvas["y"] + canvas["height"] / 2  # the panel not hidden
    drag(tab, "right-amount", 6, -tab.size[0] / 200, "[data-column=right] canvas")
    on_screen(tab, "#right-amount input[type=range]")
    on_screen(tab, "[data-column=right] canvas")
    offset = int(tab.locator("#right-amount input[type=range]").input_value())
    settled(tab, 6, offset)
    set_slider(tab, "right-amount", 6)
    settled(tab, 6, 6)


def test_a_bad_setting_stays_marked_until_fixed(tab):
    load_example(tab, 2)
    pick(tab, "right", "Acly: Expand Mask, Fill Masked Area")
    tab.wait_for_function("window.inpaintLive.decoded && window.inpaintLive.decoded.right.override", timeout=180_000)
    box = tab.locator("#right-settings textarea")
    box.fill('{"fill": "magic"}')
    box.blur()
    note = tab.locator("#right-settings-note")
    tab.wait_for_function("document.querySelector('#right-settings-note').innerText.includes('fill')")
    tab.wait_for_timeout(11_000)  # longer than a toast lives: the sentence is still there
    assert "fill" in note.inner_text() and "magic" in note.inner_text()
    box.scroll_into_view_if_needed()
    said, given = on_screen(tab, "#right-settings-note"), box.bounding_box()
    assert 0 <= said["y"] - (given["y"] + given["height"]) < 40  # right under the box, on screen with it
    assert "last valid settings" in tab.locator("[data-column=right] .invalid-note").inner_text()
    box.fill('{"fill": "neutral"}')
    box.blur()
    tab.wait_for_function("document.querySelector('#right-settings-note').innerText.trim() === ''", timeout=180_000)
    tab.wait_for_function("document.querySelector('[data-column=right] .invalid-note').textContent === ''")
    pick(tab, "right", "WAS VAE Encode for Inpaint · live")
    tab.wait_for_function("window.inpaintLive.columns.right && window.inpaintLive.columns.right.kind === 'node'")


def test_the_advice_speaks_of_the_amounts_the_sliders_hold(tab):
    """An even grow is named while it is set; the recommended grow, once its button set it, is no longer asked
    for; an offset that erodes the rocket's mask away is named with the reason, and forgotten once changed."""
    load_example(tab, 3)
    advice = tab.locator("#advice")
    set_slider(tab, "left-amount", 4)
    dimmed = tab.evaluate("document.querySelector('#advice').style.opacity")
    assert dimmed == "0.45" or "grow_mask_by 4" in tab.locator("#numbers-table").inner_text()  # never stale, undimmed
    settled(tab, 4, 6)
    assert "grow_mask_by=4 is even" in advice.inner_text()
    button = tab.locator("#advice button[data-slider=left-amount]")
    grow = int(button.get_attribute("data-amount"))
    button.click()
    settled(tab, grow, 6)
    said = advice.inner_text()
    assert f"grow_mask_by = {grow}, as recommended" in said and "Set grow_mask_by" not in said
    assert "grow_mask_by=4" not in said and button.count() == 0
    set_slider(tab, "right-amount", -128)
    settled(tab, grow, -128)
    said = advice.inner_text()
    assert "mask_offset=-128 erodes the mask to nothing: every painted pixel lies within 128 px of an unpainted" in said
    assert "At mask_offset=-128 WAS erodes away every painted pixel" in said and "none lies deeper than" in said
    set_slider(tab, "right-amount", 6)
    settled(tab, grow, 6)
    assert "mask_offset=-128" not in advice.inner_text() and "erodes" not in advice.inner_text()
    set_slider(tab, "left-amount", 6)
    settled(tab, 6, 6)


def open_details(tab) -> None:
    if not tab.get_by_role("button", name="Make each column's downloads").is_visible():
        tab.get_by_text("Details: each method").click()
    tab.get_by_role("button", name="Make each column's downloads").wait_for()


def test_download_names_are_distinct_and_whole(tab):
    load_example(tab, 1)
    tab.wait_for_function(DECODED, timeout=180_000)
    open_details(tab)
    tab.get_by_role("button", name="Make each column's downloads").click()
    per_column, columns = [], (("comfy", "ComfyUI"), ("was", "WAS"))
    for place, title in columns:
        tab.get_by_role("tab", name=title, exact=True).click()
        tab.wait_for_selector(f"#{place}-files a[download]", timeout=180_000)
        per_column.append([link.get_attribute("download") for link in tab.locator(f"#{place}-files a[download]").all()])
    for names in per_column:
        assert len(names) > 4 and len(set(names)) == len(names), names
    shared = set(per_column[0]) & set(per_column[1])
    assert len(shared) == 1 and shared.pop().startswith("image-")  # only the input image, the same file in both
    names = per_column[0] + per_column[1]
    for place, title in columns:
        tab.get_by_role("tab", name=title, exact=True).click()
        for i, row in enumerate(tab.locator(f"#{place}-files tr.file").all()):
            row.scroll_into_view_if_needed()
            shown = row.evaluate(
                """(row) => { const cell = row.querySelector('td.filename'), parts = cell.querySelectorAll('span');
                const boxes = [...parts].map((p) => p.getBoundingClientRect()), box = cell.getBoundingClientRect();
                const height = Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top));
                return [[...parts].map((p) => p.textContent).join(''), cell.scrollWidth <= cell.clientWidth,
                        boxes.every((b) => b.left >= box.left - 0.5 && b.right <= box.right + 0.5),
                        Math.round(height / parseFloat(getComputedStyle(parts[0]).lineHeight))]; }"""
            )
            text, fits, inside, lines = shown
            assert text in names and fits and inside, shown  # the whole name, nothing cut or hidden
            assert lines <= 2, shown  # readable: not a column of syllables
            on_screen(tab, f"#{place}-files tr.file >> nth={i}")
    tab.get_by_role("tab", name="ComfyUI", exact=True).click()


def test_every_detail_tab_is_in_sight(tab):
    open_details(tab)
    tabs = tab.locator("#details-tabs [role=tab]")
    labels = [tabs.nth(i).inner_text() for i in range(tabs.count())]
    assert labels == ["ComfyUI", "WAS", "Numbers", "Python"]
    tab.locator("#details-tabs [role=tablist]").scroll_into_view_if_needed()
    for i in range(tabs.count()):
        assert tabs.nth(i).is_visible()
        on_screen(tab, f"#details-tabs [role=tab] >> nth={i}")
    assert not tab.get_by_role("button", name="More tabs").is_visible()  # nothing folded under "⋯"


def test_bold_text_draws_every_letter_from_one_bold_face(tab):
    """Gradio bundles its semibold faces as subsets (Source Sans Pro's holds 55 glyphs, no W or a): bold text
    in them drew "WAS" from two faces, its A small. Each bold run now comes from one full bold face."""
    if not tab.evaluate("window.inpaintLive.edit"):
        load_example(tab, 3)
    tab.wait_for_function(f"{DECODED} && document.querySelector('#numbers-table th')", timeout=180_000)
    cdp = tab.context.new_cdp_session(tab)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for selector in ("#live [data-column=right] h3", "#numbers-table thead th:last-child", "#live .difference h3"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        assert fonts, selector
        for font in fonts:
            assert font["isCustomFont"] and "SemiBold" not in font["postScriptName"], (selector, fonts)
    cdp.detach()
