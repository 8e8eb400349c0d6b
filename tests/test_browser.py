"""The page in headless Chromium: upload, paint a stroke, see six panels, move a slider, see masks change."""

import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import ASSETS, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--enable-unsafe-swiftshader",
]  # fmt: skip
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(app_url):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is expected at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1800})
        tab.goto(app_url)
        tab.wait_for_selector("#editor input[type=file]", state="attached")
        tab.wait_for_timeout(1000)  # the editor's canvas starts after its input appears
        yield tab
        browser.close()


PANELS = [f"{method}-{kind}" for method in ("comfy", "was") for kind in ("pixels", "mask", "decoded")]


def panel_sources(page) -> dict[str, list[str]]:
    """The served images (src) each panel shows, by panel id; the difference panel too."""
    return {
        panel: page.eval_on_selector_all(f"#{panel} img", "els => els.map(e => e.src).filter(s => s.includes('file='))")
        for panel in [*PANELS, "difference"]
    }


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def settled(page, quiet_seconds=3.0):
    """A condition: the panels' sources, once they have not changed for `quiet_seconds`."""
    last = {"sources": None, "since": time.monotonic()}

    def check():
        sources = panel_sources(page)
        if sources != last["sources"]:
            last.update(sources=sources, since=time.monotonic())
        return sources if time.monotonic() - last["since"] >= quiet_seconds else None

    return check


def paint_stroke(page, canvas, points):
    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1]
    page.mouse.move(x0, y0)
    page.mouse.down()
    for fx, fy in points[1:]:
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy, steps=2)
        page.wait_for_timeout(20)
    page.mouse.up()


def test_paint_compare_and_slide(page):
    page.locator("#editor input[type=file]").first.set_input_files(str(ASSETS / "chelsea.png"))
    page.wait_for_function("document.querySelector('#editor canvas') !== null")
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Brush").first.click()
    canvas = page.locator("#editor canvas").first
    stroke = [(0.35 + 0.02 * i, 0.45 + 0.01 * i) for i in range(12)]
    paint_stroke(page, canvas, stroke)

    def six_panels_and_masks():
        sources = panel_sources(page)
        drawn = {"comfy-mask": 3, "was-mask": 2, "difference": 4}  # the image and its masks (WAS: grey = noise)
        masks_drawn = all(len(sources[panel]) == count for panel, count in drawn.items())
        return sources if masks_drawn and all(sources[p] for p in PANELS) else None

    wait_for(six_panels_and_masks, timeout=120, what="six panels with their masks")
    before = wait_for(settled(page), timeout=120, what="the panels to settle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_panels.png"), full_page=True)

    slider = page.locator("#grow_mask_by input[type=number]")
    slider.fill("40")
    slider.press("Enter")
    after = wait_for(
        lambda: (s := panel_sources(page))["comfy-mask"] != before["comfy-mask"] and s, what="the mask panel to change"
    )
    assert after["difference"] != before["difference"]
    assert after["was-mask"] == before["was-mask"]  # grow_mask_by is ComfyUI's alone
    page.screenshot(path=str(ARTIFACTS / "browser_after_slider.png"), full_page=True)
    wait_for(lambda: '"grow_mask_by"\n:\n40' in page.locator("#numbers").inner_text(), what="the numbers for 40")
    page.wait_for_timeout(5000)  # let any slower event land: it must not bring back the old value
    assert '"grow_mask_by"\n:\n40' in page.locator("#numbers").inner_text()
