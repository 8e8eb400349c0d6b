"""The server's memory under painting, posting, many sessions and large images: `python app.py` in its own process.

    python -m bench.memory                        # all cases, built-in approximate VAE
    python -m bench.memory --without-guards       # the same with web.guards' install_guards a no-op
    python -m bench.memory --cases painting,posting --strokes 200
    python -m bench.memory --vae assets/taef2 --cases large,together
Cases (each against the same server, one after the other), driven as the page drives the server
(tests/web/served.py):
  painting   one browser session: a 512² photo uploaded once, then 200 strokes, each sending the painter's value
             (the uploaded path and the mask as a PNG data URL) through its change event (one pending at a time,
             the latest value) and the events that follow (live panels, settle, third column); then the session
             ends (its heartbeat closes)
  posting    3 sessions × 40 posts of 5 MB under new ids to the API's hidden image editor's accept_blobs, then
             120 posts of 5 MB each from a new session
  sessions   8 sessions each upload a 2048² photo of their own and paint one stroke; then all end
  large      /compare through gradio_client with a 2048² and a 4096² black image and one mask layer
  together   two /compare calls at 4096² at once, each with a mask of its own (not in the default cases)
Before the cases, a short painting session at --side and a 256² /compare fill what first use loads. Memory is
the server's VmRSS and VmHWM from /proc/PID/status (the peak reset before each case through
/proc/PID/clear_refs); the folder is Gradio's cache (GRADIO_TEMP_DIR, fresh for the run). The server is killed
if it passes --rss-limit-mb.
"""

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from tests.web.served import API, Page, Server, Session, compare, paint, photo, stroke_masks

# Runs app.py with web.guards' install_guards a no-op: what the server holds without them.
WITHOUT_GUARDS = """
import runpy, sys
import web.guards
class Off:
    app_kwargs = {}
web.guards.install_guards = lambda blocks, limits=None: Off()
sys.argv = ["app.py", *sys.argv[1:]]
runpy.run_path("app.py", run_name="__main__")
"""


def folder_size(folder: Path) -> tuple[float, int]:
    """(MB, files) under a folder."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20, len(files)


class Blobs:
    """Posts to the API's hidden image editor's accept_blobs, as a hostile caller might make them."""

    def __init__(self, page: Page):
        self.url, self.editor = page.url, page.editor

    def post(self, session: str, blob_id: str, part: str, data: bytes, index: str = "null") -> None:
        fields = {"id": blob_id, "type": part, "index": index, "component_id": str(self.editor)}
        fields |= {"fn_name": "accept_blobs", "session_hash": session}
        response = httpx.post(
            f"{self.url}{API}/component_server", data=fields, files={"file": (f"{part}.png", data)}, timeout=60
        )
        response.raise_for_status()


def painting(server: Server, page: Page, strokes: int, side: int) -> dict:
    """One session uploads a side² photo and paints `strokes` strokes, then ends."""
    session = Session(page)
    paint(session, photo(side), stroke_masks(side, strokes))
    while_open = server.memory()[0]
    session.end()
    return {"while open": while_open, "events ok/failed": f"{session.succeeded()}/{session.failed()}"} | dict(
        enumerate(session.notes[:3])
    )


def posting(server: Server, page: Page, sessions: int = 3, posts: int = 40, mb: int = 5, fresh: int = 120) -> dict:
    """Posts of `mb` MB under new ids that no event reads: from a few sessions, then each from a new one."""
    blob, blobs = os.urandom(mb << 20), Blobs(page)
    for _ in range(sessions):
        session = uuid.uuid4().hex[:11]
        for _ in range(posts):
            blobs.post(session, uuid.uuid4().hex[:11], "background", blob)
    few = server.memory()[0]
    for _ in range(fresh):
        blobs.post(uuid.uuid4().hex[:11], uuid.uuid4().hex[:11], "background", blob)
    return {f"after {sessions}×{posts}": few}


def sessions_state(server: Server, page: Page, count: int = 8, side: int = 2048) -> dict:
    """`count` sessions each upload a side² photo of their own and paint one stroke (its change event and the
    events that follow run); then all end."""
    sessions, failed = [Session(page) for _ in range(count)], 0
    for n, session in enumerate(sessions):
        paint(session, photo(side, turn=n + 1), stroke_masks(side, 40)[-1:])
        failed += session.failed()
    while_open = server.memory()[0]
    for session in sessions:
        session.end()
    return {"while open": while_open, "events failed": failed} | dict(enumerate(sessions[0].notes[:2]))


def large(page: Page, side: int, at: int = 4) -> dict:
    """One /compare of a black side² image with a square mask (tests/web/served.py's compare)."""
    start = time.perf_counter()
    try:
        return {"outcome": f"{compare(page.url, side, at):.1f} s"}
    except Exception as error:  # noqa: BLE001 - a refusal or a crash is the figure
        return {"outcome": f"failed after {time.perf_counter() - start:.1f} s: {str(error)[:80]}"}


def large_together(page: Page, side: int, callers: int = 2) -> dict:
    """`callers` /compare calls at side² at once, each with its own mask."""
    outcomes: dict[str, str] = {}
    threads = [
        threading.Thread(target=lambda i=i: outcomes.update({f"caller {i + 1}": large(page, side, 5 + i)["outcome"]}))
        for i in range(callers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return dict(sorted(outcomes.items()))


def warm_up(page: Page, side: int, strokes: int = 20) -> None:
    """A short painting session at side² and a small /compare, so 'before' includes what first use loads and the
    page's bounded caches are full (they are shared by all sessions and stay)."""
    session = Session(page)
    paint(session, photo(side), stroke_masks(side, strokes))
    session.end()
    large(page, 256)


def measure(server: Server, name: str, case, settle_s: float) -> dict:
    """Memory before, at peak and `settle_s` after a case; the cache folder's size after."""
    before = server.memory()[0]
    server.reset_peak()
    try:
        extra = case()
    except RuntimeError as error:
        extra = {"error": str(error)[:120]}
    time.sleep(settle_s)
    if server.process.poll() is not None:
        return {"case": name, "before": before, "peak": server.killed_at, "after": float("nan"), "extra": extra}
    after, peak = server.memory()
    megabytes, files = folder_size(server.cache)
    return {"case": name, "before": before, "peak": peak, "after": after, "folder": (megabytes, files), "extra": extra}


def report(row: dict) -> str:
    peak = "killed" if row["peak"] is None else f"{row['peak']:.0f}"
    line = f"  {row['case']:<26} {row['before']:>7.0f} {peak:>7} {row['after']:>7.0f} {row['after'] - row['before']:>+7.0f}"
    if "folder" in row:
        line += f"   {row['folder'][0]:6.1f} MB {row['folder'][1]:5d} files"
    extra = ", ".join(f"{k} {v:.0f} MB" if isinstance(v, float) else f"{k} {v}" for k, v in row["extra"].items())
    return line + (f"   ({extra})" if extra else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vae", action="append", help="VAE sources for app.py (default: approx)")
    parser.add_argument("--without-guards", action="store_true", help="app.py with install_guards a no-op")
    parser.add_argument("--cases", default="painting,posting,sessions,large")
    parser.add_argument("--strokes", type=int, default=200)
    parser.add_argument("--side", type=int, default=512, help="painting's image side")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--large", default="2048,4096", help="image sides for the large case")
    parser.add_argument("--together", type=int, default=4096, help="image side for the together case")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between a case's end and 'after'")
    parser.add_argument("--rss-limit-mb", type=float, default=8000)
    args = parser.parse_args()
    vaes = args.vae or ["approx"]
    cases = {
        "painting": [
            (f"painting {args.strokes}×{args.side}²", lambda: painting(server, page, args.strokes, args.side))
        ],
        "posting": [("posting 5 MB under new ids", lambda: posting(server, page))],
        "sessions": [(f"{args.sessions} sessions at 2048²", lambda: sessions_state(server, page, args.sessions))],
        "large": [
            (f"/compare {side}²", lambda side=side: large(page, side)) for side in map(int, args.large.split(","))
        ],
        "together": [(f"2 × /compare {args.together}² at once", lambda: large_together(page, args.together))],
    }
    flags = [a for vae in vaes for a in ("--vae", vae)] + ["--device", "cpu"]
    command = None if not args.without_guards else [sys.executable, "-c", WITHOUT_GUARDS]
    server = Server(flags, args.rss_limit_mb, command)
    try:
        page = Page(server.url)
        page.server_alive = lambda: server.alive
        warm_up(page, args.side)
        guards = "web.guards' install_guards a no-op" if args.without_guards else "app.py as it is"
        print(f"python app.py --vae {' --vae '.join(vaes)} on the CPU, {guards}; memory in MB (VmRSS, VmHWM)")
        print(f"  {'case':<26} {'before':>7} {'peak':>7} {'after':>7} {'change':>7}   cache folder")
        for key in args.cases.split(","):
            for name, case in cases[key]:
                row = measure(server, name, case, args.settle)
                print(report(row), flush=True)
                if server.process.poll() is not None:
                    killed = (
                        f"was killed at {server.killed_at:.0f} MB (--rss-limit-mb)"
                        if server.killed_at
                        else f"exited with {server.process.returncode}"
                    )
                    print(f"  the server {killed}; its output: {server.log}")
                    return
    finally:
        server.stop(keep_log=server.process.poll() is not None)  # it died: its output says why


if __name__ == "__main__":
    main()
