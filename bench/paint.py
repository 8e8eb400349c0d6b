"""From a brush stroke to both live mask panels painted, in headless Chromium on the real page.

    python -m bench.paint --size 1024 --size 2048      # the CPU, TAEF2 (Debian's chromium)

For each size: the cat resized to size² with its mask is loaded as the page's one example, then --strokes
mouse strokes of --moves moves each are painted over it. For each move: the time from the pointer event's
creation to the end of the frame in which both columns' masks and the difference panel show it (the painter's
own record). Per stroke: the server calls made before it ends (expected 0), the bytes of the mask PNG sent when
it ends, and the uploads of the photo after its first (expected 0).
"""

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.live_slider import serve
from bench.slider import TAEF2
from tests.browser.test_browser import CHROMIUM, FLAGS, load_example, open_page, server_calls
from tests.browser.test_painting import on_photo
from tests.conftest import fresh_folder


def paint_strokes(tab, strokes: int, moves: int) -> dict:
    """Mouse strokes across the photo; what each cost the page and the network."""
    tab.evaluate("window.inpaintPainter.latencyMs.length = 0")
    before, sent, uploads = [], [], []
    for k in range(strokes):
        calls = server_calls(tab)
        y = 0.1 + 0.8 * k / max(1, strokes - 1)
        points = on_photo(tab, [(0.05 + 0.9 * i / moves, y) for i in range(moves + 1)])
        tab.mouse.move(*points[0])
        tab.mouse.down()
        for point in points[1:]:
            tab.mouse.move(*point)
            tab.wait_for_timeout(16)
        before.append(len(calls))
        tab.mouse.up()
        tab.wait_for_timeout(300)
        sent.append(tab.evaluate("window.inpaintPainter.sent"))
        uploads.append(sum("/upload" in url for url in calls))
    return {"latency": tab.evaluate("window.inpaintPainter.latencyMs"), "paint": tab.evaluate("window.inpaintLive.paintMs"),
            "calls before the end": before, "mask PNG bytes": sent, "photo uploads": uploads}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, action="append")
    parser.add_argument("--strokes", type=int, default=5)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--vae", default=str(TAEF2))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    for size in args.size or [1024]:
        with fresh_folder() as images, tempfile.TemporaryDirectory() as assets, sync_playwright() as playwright:
            page, url = serve(size, args.vae, images, Path(assets))
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            tab = open_page(browser, url)
            load_example(tab, 0)
            tab.wait_for_function("window.inpaintLive.columns && window.inpaintLive.columns.right", timeout=300_000)
            record = paint_strokes(tab, args.strokes, args.moves)
            browser.close()
            page.close()
        print(f"{size}², {args.strokes} strokes of {args.moves} moves, stroke move -> both mask panels painted (ms):")
        for name in ("latency", "paint"):
            times = sorted(record[name])
            p90 = times[int(0.9 * (len(times) - 1))]
            print(
                f"  {name:8} median {statistics.median(times):6.1f}  p90 {p90:6.1f}  max {max(times):6.1f}  (n={len(times)})"
            )
        for name in ("calls before the end", "mask PNG bytes", "photo uploads"):
            print(f"  {name}: {record[name]}")


if __name__ == "__main__":
    main()
