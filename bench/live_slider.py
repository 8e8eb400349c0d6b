"""From a slider step to the mask panel painted, in headless Chromium on the real page, while the server encodes.

    python -m bench.live_slider --size 1024 --size 2048       # the CPU, TAEF2 (Debian's chromium)
    python -m bench.live_slider --size 1024 --third            # with the third column open (three columns)
    python -m bench.live_slider --size 1024 --right set_latent_noise_mask   # GrowMask live in the right column

For each size: the cat resized to size² with its mask is loaded as the page's one example; a mask_offset
release starts an encode on the server; meanwhile each slider is dragged --steps moves, and for each step of a real mouse drag, the time
from the input event's creation to the animation frame that shows the method's panel with changed pixels. Then a real 10-step
mouse drag of each slider counts the server calls made before and after the release. With --right METHOD
the right column holds METHOD (GrowMask's expand on its slider, drawn live); its release encodes nothing
where the method encodes the pixels as given (SetLatentNoiseMask), so its steps run with the server idle.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

import app
import web.examples
from bench.slider import TAEF2
from tests.browser.test_browser import CHROMIUM, FLAGS, drag, open_page, pick, server_calls
from tests.conftest import fresh_folder
from web.methods.pickers import choices

RECORD = """([slider, selector]) => {
    // After the page's own listener has drawn: from the input event's creation (when the browser got the
    // pointer move) to the animation frame that shows the panel's changed pixels.
    const canvas = document.querySelector(selector), context = canvas.getContext('2d');
    const digest = () => {
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        let hash = 0;
        for (let i = 0; i < data.length; i += 4) hash = (hash * 31 + data[i] + 3 * data[i + 1] + 7 * data[i + 2]) | 0;
        return hash;
    };
    const record = { times: [], unchanged: 0, before: digest() };
    window.benchRecord = record;
    document.addEventListener('input', (event) => {
        if (!event.target.closest(`#${slider}`)) return;
        const created = event.timeStamp;
        requestAnimationFrame(() => {
            const painted = performance.now(), now = digest();
            if (now !== record.before) { record.times.push(painted - created); record.before = now; }
            else record.unchanged += 1;
        });
    }, true);
}"""


def drag_and_record(tab, slider: str, selector: str, steps: int, pixels: float) -> dict:
    """A real mouse drag of `steps` moves (right, then back left), each recorded by RECORD."""
    tab.evaluate(RECORD, [slider, selector])
    tab.evaluate("window.inpaintLive.drawMs.length = 0")
    track = tab.locator(f"#{slider} input[type=range]")
    box = track.bounding_box()
    value, low, high = (float(v) for v in (track.input_value(), track.get_attribute("min"), track.get_attribute("max")))
    x, y = box["x"] + box["width"] * (value - low) / (high - low), box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    for step in range(steps):
        x += pixels if step < steps // 2 else -pixels
        tab.mouse.move(x, y)
        tab.wait_for_timeout(60)
    tab.mouse.up()
    tab.wait_for_timeout(200)
    return tab.evaluate(
        "({times: window.benchRecord.times, unchanged: window.benchRecord.unchanged, draw: window.inpaintLive.drawMs})"
    )


ASSETS = web.examples.ASSETS  # the app's own, before example_of_size points the examples elsewhere


def example_of_size(size: int, folder: Path) -> None:
    """Make the page's one example the cat at size², its mask resized alike."""
    Image.open(ASSETS / "chelsea.png").convert("RGB").resize((size, size)).save(folder / "big.png")
    mask = Image.open(ASSETS / "chelsea_mask.png").resize((size, size), Image.NEAREST)
    mask.save(folder / "big_mask.png")
    web.examples.ASSETS, web.examples.EXAMPLES = folder, ["big.png"]


def serve(size: int, vae: str, images: Path, assets: Path):
    example_of_size(size, assets)
    args = app.parse_settings(["--vae", vae, "--device", "cpu"])
    sources, note = app.choose_sources(args)
    inspector = app.Inspector(app.VAERegistry(sources, torch.device("cpu")), 4096, images)
    app.limit_decoding(4096)
    page = app.build_page(inspector, note)
    page.queue(max_size=64, default_concurrency_limit=2)
    _, url, _ = page.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, allowed_paths=[str(assets)])
    return page, url


def measure(browser, url: str, steps: int, third: bool = False, right: str = "") -> dict:
    tab = open_page(browser, url)
    if third:  # open before the example loads: the third column then runs its method on the edit too
        tab.get_by_text("A third column: another preparation").click()
    if right:
        label = next(label for label, name in choices("right") if name == right)
        pick(tab, "right", label)
    tab.locator("#examples .gallery-item").first.click()
    if right:
        tab.wait_for_function("window.inpaintLive.columns.right && window.inpaintLive.columns.right.kind === 'grow'",
                              timeout=600_000)  # fmt: skip
    tab.wait_for_function("window.inpaintLive.columns && window.inpaintLive.columns.right", timeout=300_000)
    tab.wait_for_function(
        "window.inpaintLive.decoded && window.inpaintLive.decoded.key === window.inpaintLive.edit.key", timeout=600_000
    )
    if third:
        tab.wait_for_selector("#third-decoded img", timeout=600_000)
        tab.evaluate("window.scrollTo(0, 0)")  # opening the column scrolled to it: the sliders back in view
    # a release at a new offset: the server encodes WAS's latent while the steps below run
    tab.evaluate("""() => { const input = document.querySelector('#right-amount input[type=range]');
        input.value = '9'; input.dispatchEvent(new Event('input', {bubbles: true}));
        input.dispatchEvent(new PointerEvent('pointerup', {bubbles: true})); }""")
    encoding_since = time.perf_counter()
    results = {}
    for slider, column, pixels in (("grow_mask_by", "left", 6.0), ("mask_offset", "right", -3.0)):
        record = drag_and_record(tab, f"{column}-amount", f"[data-column={column}] canvas", steps, pixels)
        results[slider] = record["times"]
        results[f"{slider}: the page's own redraw"] = record["draw"]
        results[f"{slider}: steps that changed no pixel"] = record["unchanged"]
    busy = tab.evaluate("window.inpaintLive.decoded.right.amount") != 9
    results["server still encoding at the end"] = busy
    results["steps took (s)"] = time.perf_counter() - encoding_since
    tab.wait_for_function("window.inpaintLive.decoded.right.amount === 9", timeout=600_000)
    for slider, column, pixels in (("grow_mask_by", "left", 10.0), ("mask_offset", "right", -3.0)):
        idle = "window.inpaintLive.decoded.right.amount === window.inpaintLive.columns.right.amount"
        tab.wait_for_function(idle, timeout=600_000)  # nothing in flight: a release is then answered at once
        calls = server_calls(tab)
        drag(tab, f"{column}-amount", 10, pixels, f"[data-column={column}] canvas")  # asserts no call during the drag
        tab.wait_for_timeout(3000)
        results[f"{slider} drag: server calls before / after release"] = (0, len(calls))
    tab.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, action="append")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--vae", default=str(TAEF2))
    parser.add_argument("--third", action="store_true", help="open the third column (its default method) first")
    parser.add_argument("--right", default="", help="a method for the right column, e.g. set_latent_noise_mask")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for size in args.size or [1024, 2048]:
            with fresh_folder() as images, tempfile.TemporaryDirectory() as assets:
                page, url = serve(size, args.vae, images, Path(assets))
                try:
                    results = measure(browser, url, args.steps, args.third, args.right)
                finally:
                    page.close()
            columns = ("three columns" if args.third else "two columns") + (
                f", right: {args.right}" if args.right else ""
            )
            print(f"{size}², {columns}, {args.steps} steps per slider, slider step -> mask panel painted (ms):")
            for name, value in results.items():
                if isinstance(value, list):
                    over = sum(v > 33 for v in value)
                    tail = statistics.quantiles(value, n=10)[-1]
                    print(
                        f"  {name:<36} median {statistics.median(value):6.1f}  p90 {tail:6.1f}  max {max(value):6.1f}"
                        f"  (> 33 ms: {over} of {len(value)})"
                    )
                else:
                    print(f"  {name}: {value}")
        browser.close()


if __name__ == "__main__":
    main()
