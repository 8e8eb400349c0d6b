"""The live panels' own part of showing a new photo, in headless Chromium with no server: from the edit's arrival
to both columns and the difference drawn, the script as it is beside an earlier commit's.

    python -m bench.live_setup                        # 4096², the working tree's scripts
    python -m bench.live_setup --before HEAD~3        # and those of an earlier commit, on the same photos

The page is web/live_panels.html with web/live_masks.js and web/live_panels.js run as Gradio runs them (a
js_on_load given `element`, `props` and `watch`); a stand-in painter holds the mask. Each case hands the panels an
edit payload as web/live.py makes it (the photo a JPEG as the server writes it, the crops for an 8× VAE, the
mask's digest) and times, median of --repeats after a warm-up: the edit's arrival to both panels set up
(polled every 2 ms; `live.setUpMs` splits it: the photo fetched and decoded, then the columns and the
difference), then the first slider step.
Cases: a fresh photo (an empty mask) and a painted one (an ellipse over a sixth of the photo).
"""

import argparse
import base64
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from inpaint_core.preparations import METHODS, SEEDS
from inpaint_core.prepare import crop_box
from tests.browser.test_browser import CHROMIUM, FLAGS
from web.live import mask_digest, node_table
from web.methods.pickers import PLACES

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
ORIGIN = "http://live.test"
HARNESS = """<!doctype html><html><head><meta charset="utf-8"><style>#live { width: 1400px; } CSS</style></head>
<body><div id="live">TEMPLATE</div></body></html>"""
START = """([script, nodes, places]) => {
  const element = document.querySelector('#live'), props = { value: null, nodes, places }, watchers = [];
  window.benchPanels = { props, fire: () => watchers.forEach((f) => f()) };
  window.inpaintPainter = { mask: null, width: 0, height: 0 };
  Function('element', 'trigger', 'props', 'server', 'upload', 'watch', script)(
    element, () => {}, props, {}, async () => { throw new Error('no upload here'); }, (name, f) => watchers.push(f));
}"""
SHOW = """async ([value, bits]) => {
  const painter = window.inpaintPainter, n = value.width * value.height;
  painter.mask = window.inpaintLiveMasks.unpackBits(bits, n);
  painter.width = value.width; painter.height = value.height;
  const started = performance.now();
  window.benchPanels.props.value = value;
  window.benchPanels.fire();
  while (window.inpaintLive.edit?.key !== value.key) await new Promise((r) => setTimeout(r, 2));
  const shown = performance.now() - started;
  await new Promise((r) => setTimeout(r, 0));
  const step = performance.now();
  window.inpaintLive.setAmount('right', 17);
  return { shown, step: performance.now() - step, photo: NaN, panels: NaN, ...window.inpaintLive.setUpMs };
}"""


def scripts(rev: str | None) -> tuple[str, str, str]:
    """(the panels' script as Gradio gets it, its HTML template, its CSS) at a commit, or as they are."""
    read = (lambda name: (WEB / name).read_text()) if rev is None else (
        lambda name: subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:web/{name}"], check=True,
                                    capture_output=True, text=True).stdout)  # fmt: skip
    return read("live_masks.js") + "\n" + read("live_panels.js"), read("live_panels.html"), read("live_panels.css")


def photo(size: int, folder: Path) -> Path:
    """The rocket example at size², with grain, as the server writes a photo for the panels (JPEG, quality 92)."""
    base = np.asarray(Image.open(ROOT / "assets" / "rocket.jpg").convert("RGB").resize((size, size), Image.BICUBIC))
    grain = np.random.default_rng(0).normal(0, 4, base.shape)
    path = folder / "photo.jpg"
    Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8)).save(path, quality=92)
    return path


def masks(size: int) -> dict[str, np.ndarray]:
    y, x = np.mgrid[:size, :size] / size
    return {"fresh photo": np.zeros((size, size), bool),
            "painted": ((x - 0.45) / 0.3) ** 2 + ((y - 0.55) / 0.18) ** 2 < 1}  # fmt: skip


def payload(mask: np.ndarray, key: str, ratio: int = 8) -> dict:
    """An edit payload as web/live.py's edit_payload makes it."""
    height, width = mask.shape
    crops = {name: list(crop_box(height, width, METHODS[name].crop_multiple or ratio)) for name in SEEDS}
    return {"kind": "edit", "key": key, "ratio": ratio, "width": width, "height": height,
            "image": f"photo.jpg?{key}", "digest": mask_digest(mask), "crops": crops}  # fmt: skip


def run(browser, rev: str | None, jpeg: Path, size: int, repeats: int) -> dict[str, list[dict]]:
    script, template, css = scripts(rev)
    page = HARNESS.replace("CSS", css).replace("TEMPLATE", template)
    tab = browser.new_page(viewport={"width": 1440, "height": 900})
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.route(f"{ORIGIN}/", lambda route: route.fulfill(body=page, content_type="text/html"))
    tab.route(f"{ORIGIN}/photo.jpg*", lambda route: route.fulfill(path=str(jpeg), content_type="image/jpeg"))
    tab.goto(f"{ORIGIN}/")
    tab.evaluate(START, [script, node_table(), PLACES])
    found = {}
    for case, mask in masks(size).items():
        bits = base64.b64encode(np.packbits(mask.reshape(-1)).tobytes()).decode()
        runs = [tab.evaluate(SHOW, [payload(mask, f"{case}-{k}"), bits]) for k in range(repeats + 1)][1:]
        found[case] = runs
    tab.close()
    assert not errors, errors
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", help="a commit whose scripts to time beside the working tree's")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        jpeg = photo(args.size, Path(folder))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for rev in ([args.before] if args.before else []) + [None]:
            found = run(browser, rev, jpeg, args.size, args.repeats)
            for case, runs in found.items():
                med = {k: statistics.median(r[k] for r in runs) for k in ("shown", "photo", "panels", "step")}
                split = (
                    "" if med["photo"] != med["photo"] else f"photo {med['photo']:.0f} + panels {med['panels']:.0f}; "
                )
                print(f"{rev or 'working tree'}, {args.size}², {case}: both panels {med['shown']:.0f} ms after the edit "
                      f"({split}range {min(r['shown'] for r in runs):.0f}–{max(r['shown'] for r in runs):.0f}); "
                      f"first step {med['step']:.0f} ms (median of {len(runs)})")  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
