"""A 4096² photo as a user has it, on the real page in headless Chromium: picked, painted, compared.

    python -m bench.large_photo                       # a 3.5 MB JPEG and a 35 MB PNG, the approximate VAE
    python -m bench.large_photo --vae assets/taef2    # TAEF2 (minutes a compare on a 2-core CPU)
    python -m bench.large_photo --profile             # and where the page's main thread spends the time

Each photo (the rocket example resized to --size², with grain so the files are the size of a camera's) is
picked through the painter's file input. Reported: the uploads (the file as it is, once), the time
until both live panels show it (and their own part of it: the server's JPEG of the photo fetched and decoded,
then both columns and the difference drawn; with --profile, the functions the page's main thread spent that
time in), two strokes' move → both panels painted, the bytes each stroke sends, the
time until both decoded previews are of the painted mask, and each distinct line the page showed meanwhile
(its progress, sampled every 250 ms).
"""

import argparse
import re
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tests.browser.test_browser import CHROMIUM, FLAGS, open_page, server_calls
from tests.browser.test_painting import on_photo
from tests.conftest import fresh_folder

ASSETS = Path(__file__).resolve().parents[1] / "assets"
LINES = """() => [
  document.querySelector('#editor .message')?.textContent,
  ...[...document.querySelectorAll('#live .decoded .note')].map((n) => n.textContent),
  ...[...document.querySelectorAll('.progress-text, .eta-bar + *, .meta-text, .meta-text-center')].map((n) => n.textContent),
].filter((t) => t && t.trim())"""


def photos(size: int, folder: Path) -> list[Path]:
    """A JPEG of about 3.5 MB and a PNG of about 35 MB, size² each."""
    base = np.asarray(Image.open(ASSETS / "rocket.jpg").convert("RGB").resize((size, size), Image.BICUBIC), np.int16)
    grain = np.random.default_rng(0).normal(0, 1, base.shape)
    jpeg, png = folder / f"photo-{size}.jpg", folder / f"photo-{size}.png"
    Image.fromarray(np.clip(base + 4 * grain, 0, 255).astype(np.uint8)).save(jpeg, quality=93)
    Image.fromarray(np.clip(base + 8 * grain, 0, 255).astype(np.uint8)).save(png, compress_level=6)
    return [jpeg, png]


def watch(tab, until: str, timeout_s: float, seen: list, every_ms: int = 250) -> float:
    """Seconds until the page's `until` holds (asked every `every_ms`), noting each new line it shows meanwhile."""
    start = time.monotonic()
    while not tab.evaluate(until):
        for line in tab.evaluate(LINES):
            if re.sub(r"[0-9.]+", "#", line) not in (re.sub(r"[0-9.]+", "#", s) for _, s in seen):
                seen.append((time.monotonic() - start, line))
        if time.monotonic() - start > timeout_s:
            raise TimeoutError(f"not within {timeout_s} s: {until}")
        tab.wait_for_timeout(every_ms)
    return time.monotonic() - start


TIMELINE = """(since) => performance.getEntriesByType('resource')
  .filter((e) => e.startTime >= since && /upload|file=|queue/.test(e.name))
  .map((e) => [Math.round(e.startTime - since), Math.round(e.responseEnd - since), e.name.replace(/.*\\//, '').slice(0, 40),
    e.decodedBodySize])"""


def profile_lines(profile: dict, top: int = 12) -> list[str]:
    """The functions the page's main thread spent most time in (a CDP CPU profile), self and with callees."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    own = dict.fromkeys(nodes, 0.0)
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        own[node_id] += delta / 1e3
    parent = {child: node["id"] for node in profile["nodes"] for child in node.get("children", [])}
    by_name, total = {}, {}
    for node_id, node in nodes.items():
        frame = node["callFrame"]
        name = f"{frame['functionName'] or '(anonymous)'}:{frame['lineNumber'] + 1}"
        by_name[name] = by_name.get(name, 0.0) + own[node_id]
        seen, up = set(), node_id  # time counts once per function on the stack (recursion)
        while up is not None:
            frame = nodes[up]["callFrame"]
            key = f"{frame['functionName'] or '(anonymous)'}:{frame['lineNumber'] + 1}"
            if key not in seen:
                total[key] = total.get(key, 0.0) + own[node_id]
                seen.add(key)
            up = parent.get(up)
    rows = sorted(by_name.items(), key=lambda kv: -kv[1])[:top]
    lines = [f"    self {ms:7.0f} ms  total {total[name]:7.0f} ms  {name}" for name, ms in rows]
    rows = [kv for kv in sorted(total.items(), key=lambda kv: -kv[1]) if kv[0] not in dict(rows)][:top]
    return lines + [f"    self {by_name[name]:7.0f} ms  total {ms:7.0f} ms  {name}" for name, ms in rows]


def try_photo(tab, photo: Path, timeout_s: float, profile: bool = False) -> dict:
    uploads, seen = [], []
    tab.on("requestfinished", lambda r: uploads.append(r.url) if "/upload" in r.url else None)
    if profile:
        cdp = tab.context.new_cdp_session(tab)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        cdp.send("Profiler.start")
    since = tab.evaluate("performance.now()")
    tab.locator("#editor input.photo-file").set_input_files(str(photo))
    tab.wait_for_function("window.inpaintPainter.width > 0")
    painted_at = tab.evaluate("performance.now()") - since
    shown = watch(
        tab,
        "window.inpaintLive.edit?.width === window.inpaintPainter.width && !!window.inpaintLive.columns?.right",
        timeout_s,
        seen,
        every_ms=50,
    )
    profiled = profile_lines(cdp.send("Profiler.stop")["profile"]) if profile else []
    set_up = tab.evaluate("window.inpaintLive.setUpMs")
    tab.evaluate("window.inpaintPainter.latencyMs.length = 0")
    calls, sent = server_calls(tab), []
    for y in (0.45, 0.55):
        (x, y0), *rest = on_photo(tab, [(0.3 + 0.4 * i / 30, y) for i in range(31)])
        tab.mouse.move(x, y0)
        tab.mouse.down()
        for point in rest:
            tab.mouse.move(*point)
            tab.wait_for_timeout(16)
        tab.mouse.up()
        tab.wait_for_timeout(500)
        sent.append(tab.evaluate("window.inpaintPainter.sent"))
    latency = tab.evaluate("window.inpaintPainter.latencyMs")
    compared = watch(tab, "window.inpaintLive.decoded?.key === window.inpaintLive.edit?.key && "
                     "!String(window.inpaintLive.edit?.key).startsWith('painted:')", timeout_s, seen)  # fmt: skip
    timeline = tab.evaluate(TIMELINE, since)
    return {"uploads": uploads, "shown": shown, "painter": painted_at / 1e3, "timeline": timeline, "latency": latency, "sent": sent, "compared": compared,
            "uploads after": sum("/upload" in c for c in calls), "seen": seen, "profile": profiled,
            "set up": set_up}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--vae", default="approx")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--profile", action="store_true", help="where the page's main thread spends the time "
                        "from the pick to both live panels (a CDP CPU profile)")  # fmt: skip
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    import app

    with fresh_folder() as images, fresh_folder() as folder, sync_playwright() as playwright:
        files = photos(args.size, folder)
        argv = ["--vae", args.vae, "--device", "cpu", "--max-side", str(args.size)]
        settings = app.parse_settings(argv)
        sources, note = app.choose_sources(settings)
        import torch

        inspector = app.Inspector(app.VAERegistry(sources, torch.device("cpu")), args.size, images)
        app.limit_decoding(args.size)
        page = app.build_page(inspector, note)
        page.queue(max_size=64, default_concurrency_limit=2)
        _, url, _ = page.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True,
                                max_file_size=f"{app.MAX_FILE_MB}mb")  # fmt: skip
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for photo in files:
            tab = open_page(browser, url)
            got = try_photo(tab, photo, args.timeout, args.profile)
            tab.close()
            lat = sorted(got["latency"])
            print(f"{photo.name}: {photo.stat().st_size / 1e6:.1f} MB, {args.vae}")
            print(f"  uploads of the photo: {len(got['uploads'])}, then {got['uploads after']} during the strokes")
            print(f"  the painter shows it after {got['painter']:.1f} s; both live panels after {got['shown']:.1f} s")
            print(f"  the live panels' own part: the server's photo fetched and decoded {got['set up']['photo']:.0f} ms, "
                  f"both columns and the difference set up {got['set up']['panels']:.0f} ms")  # fmt: skip
            if got["profile"]:
                print("  main thread from the pick to both live panels (function:line, from a CPU profile):")
                print("\n".join(got["profile"]))
            for start, end, name, size in got["timeline"]:
                print(f"    {start / 1e3:6.1f} → {end / 1e3:6.1f} s  {name}  ({size / 1e6:.2f} MB)")
            print(f"  stroke move -> both panels painted: median {statistics.median(lat):.0f} ms, max {max(lat):.0f} ms "
                  f"(n={len(lat)}); mask PNG a stroke {got['sent']} bytes")  # fmt: skip
            print(f"  both decoded previews of the painted mask {got['compared']:.1f} s after the last stroke")
            for at, line in got["seen"]:
                print(f"    {at:6.1f} s  {line}")
        browser.close()
        page.close()


if __name__ == "__main__":
    main()
