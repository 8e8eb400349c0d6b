"""The page says only what is so and holds still: no "encoding" note while nothing is sent, the panels do not
move when the advice changes, a phone keeps a slider and the panel it drives on screen together, and the
empty page shows what to do first."""

import pytest

from tests.browser.test_browser import load_example, open_page, set_slider

pytestmark = pytest.mark.browser


def panel_tops(tab) -> list[float]:
    return tab.evaluate(
        "[...document.querySelectorAll('#live [data-column] canvas, #live .difference canvas')]"
        ".map((c) => c.getBoundingClientRect().top + window.scrollY)"
    )


def test_no_encoding_note_while_the_mouse_holds_the_slider(page):
    load_example(page, 0)
    page.wait_for_function(
        "window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key",
        timeout=180_000,
    )
    track = page.locator("#right-amount input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    x, y = box["x"] + box["width"] * (6 + 128) / 256, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x - 8 * step, y)
        page.wait_for_timeout(60)
        note = page.locator("[data-column=right] .decoded .note").inner_text()
        assert "encoding" not in note and "when you let go" in note, note
    page.mouse.up()
    page.wait_for_function(
        "document.querySelector('[data-column=right] .decoded .note').textContent.includes('encoding for')"
        " || window.inpaintLive.decoded.right.amount === window.inpaintLive.columns.right.amount"
    )


def test_the_panels_hold_still_while_the_advice_changes(page):
    load_example(page, 3)
    tops, advice = panel_tops(page), set()
    for amount in (0, 2, 9, 40, 64, 6):  # even amounts bring a warning, others take it away
        set_slider(page, "left-amount", amount)
        page.wait_for_function(
            f"window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key "
            f"&& document.querySelector('#numbers-table').innerText.includes('grow_mask_by {amount}')",
            timeout=180_000,
        )
        advice.add(page.locator("#advice").inner_text())
        assert all(abs(a - b) <= 2 for a, b in zip(panel_tops(page), tops, strict=True)), amount
    assert len(advice) > 1  # the advice did change


def test_the_empty_page_says_what_to_do_first(browser, app_url):
    for width, height in ((1440, 900), (390, 844)):
        tab = open_page(browser, app_url, width, height)
        try:
            hint = tab.locator("#editor .hint")
            assert hint.is_visible() and "Upload an image" in hint.inner_text()
            assert hint.bounding_box()["y"] < height  # where the eye lands, not below the fold
            assert not tab.locator("#live [data-column] img").first.is_visible()  # no broken-image frames
        finally:
            tab.close()


def test_a_phone_keeps_the_slider_beside_its_panel(browser, app_url):
    tab = open_page(browser, app_url, 390, 844)
    try:
        load_example(tab, 0)
        for column in ("left", "right"):
            tab.locator(f"[data-column={column}] canvas").scroll_into_view_if_needed()
            tab.wait_for_timeout(300)
            slider = tab.locator(f"#{column}-amount input[type=range]").bounding_box()
            canvas = tab.locator(f"[data-column={column}] canvas").bounding_box()
            for box in (slider, canvas):
                assert box["y"] + box["height"] > 0 and box["y"] < 844, (column, box)
            assert slider["y"] + slider["height"] <= canvas["y"] + canvas["height"] / 2  # the panel not hidden
    finally:
        tab.close()


def test_a_bad_setting_stays_marked_until_fixed(page):
    from tests.browser.test_browser import pick

    load_example(page, 2)
    pick(page, "right", "Acly: Expand Mask, Fill Masked Area")
    page.wait_for_function("window.inpaintLive.decoded && window.inpaintLive.decoded.right.override", timeout=180_000)
    box = page.locator("#right-settings textarea")
    box.fill('{"fill": "magic"}')
    box.blur()
    note = page.locator("#right-settings-note")
    page.wait_for_function("document.querySelector('#right-settings-note').innerText.includes('fill')")
    page.wait_for_timeout(11_000)  # longer than a toast lives: the sentence is still there
    assert "fill" in note.inner_text() and "magic" in note.inner_text()
    assert "last valid settings" in page.locator("[data-column=right] .invalid-note").inner_text()
    box.fill('{"fill": "neutral"}')
    box.blur()
    page.wait_for_function("document.querySelector('#right-settings-note').innerText.trim() === ''", timeout=180_000)
    page.wait_for_function("document.querySelector('[data-column=right] .invalid-note').textContent === ''")
    pick(page, "right", "WAS VAE Encode for Inpaint · live")
