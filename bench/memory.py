"""The server's memory under painting, posting, many sessions and large images: `python app.py` in its own process.

    python -m bench.memory                        # all cases, built-in approximate VAE
    python -m bench.memory --without-guards       # the same with web.guards' install_guards a no-op
    python -m bench.memory --cases painting,posting --strokes 200
Cases (each against the same server, one after the other):
  painting   one browser session: 200 strokes at 512², each posting background, composite and layer PNGs to
             the editor's accept_blobs under a new id; the editor's change event (one pending at a time, the
             latest images uploaded as files, as Chromium sends them) and its follow-ups; then the session
             ends (its heartbeat closes)
  posting    3 sessions × 40 posts of 5 MB under new ids, then 120 posts of 5 MB each from a new session
  sessions   8 sessions each paint one stroke at 2048² and run the change event; then all end
  large      /compare through gradio_client with a 2048² and a 4096² black image and one mask layer
  together   two /compare calls at 4096² at once, each with a mask of its own (not in the default cases)
Memory is the server's VmRSS and VmHWM from /proc/PID/status (the peak reset before each case through
/proc/PID/clear_refs); the folder is Gradio's cache (GRADIO_TEMP_DIR, fresh for the run). The server is
killed if it passes --rss-limit-mb.
"""

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
from gradio_client import Client, handle_file
from PIL import Image

from bench.load import free_port

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
API = "gradio_api"
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


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


def folder_size(folder: Path) -> tuple[float, int]:
    """(MB, files) under a folder."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20, len(files)


class Server:
    """`python app.py` on loopback with a fresh Gradio cache; killed if its memory passes a limit."""

    def __init__(self, vaes: list[str], guards: bool, rss_limit_mb: float):
        self.port, self.cache = free_port(), Path(tempfile.mkdtemp(prefix="memory-bench-"))
        flags = [a for vae in vaes for a in ("--vae", vae)] + ["--device", "cpu", "--port", str(self.port)]
        command = [sys.executable, "app.py", *flags] if guards else [sys.executable, "-c", WITHOUT_GUARDS, *flags]
        env = os.environ | {"GRADIO_TEMP_DIR": str(self.cache), "GRADIO_ANALYTICS_ENABLED": "False"}
        self.log = Path(tempfile.mkstemp(prefix="memory-bench-", suffix=".log")[1])
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.url, self.killed_at = f"http://127.0.0.1:{self.port}/", None
        self._wait_until_up()
        threading.Thread(target=self._watch, args=(rss_limit_mb,), daemon=True).start()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}") from None
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("the server did not answer within 180 s")

    def _watch(self, limit_mb: float) -> None:
        while self.process.poll() is None:
            try:
                rss = memory_mb(self.process.pid)[0]
            except (OSError, KeyError):  # it is exiting
                return
            if rss > limit_mb:
                self.killed_at = rss
                self.process.kill()
                return
            time.sleep(0.05)

    def memory(self) -> tuple[float, float]:
        return memory_mb(self.process.pid)

    def stop(self, keep_log: bool = False) -> None:
        """Stop the server and remove its cache folder (and its output, unless asked to keep it)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.cache, ignore_errors=True)
        if not keep_log:
            self.log.unlink(missing_ok=True)


class Page:
    """What a browser reads from /config: the editor, its change event, the events that follow a change of
    that event's outputs (a State's listeners), and every component's value."""

    def __init__(self, url: str):
        config = httpx.get(url + "config", timeout=30).json()
        self.url = url
        components = {c["id"]: c for c in config["components"]}
        editors = [i for i, c in components.items() if c["type"] == "imageeditor"]
        if not editors:
            raise RuntimeError("the page has no ImageEditor")
        self.editor = editors[0]
        events = [d for d in config["dependencies"] if d["backend_fn"] and d["queue"] is not False]
        changes = [d for d in events if [self.editor, "change"] in d["targets"]]
        self.change = changes[0] if changes else None
        outputs = set(self.change["outputs"]) if self.change else set()
        self.follow_ups = [d for d in events if any(t[0] in outputs and t[1] == "change" for t in d["targets"])]
        self.values = {i: c.get("props", {}).get("value") for i, c in components.items()}
        self.states = {i for i, c in components.items() if c["type"] == "state"}
        self.server_alive = lambda: True

    def post(self, session: str, blob_id: str, part: str, data: bytes, index: str = "null") -> None:
        fields = {"id": blob_id, "type": part, "index": index, "component_id": str(self.editor)}
        fields |= {"fn_name": "accept_blobs", "session_hash": session}
        response = httpx.post(
            f"{self.url}{API}/component_server", data=fields, files={"file": (f"{part}.png", data)}, timeout=60
        )
        response.raise_for_status()

    def stroke(self, session: str, background: bytes, composite: bytes, layer: bytes) -> str:
        """One stroke as the editor posts it: three parts under a new id (which the page's events seldom read)."""
        blob_id = uuid.uuid4().hex[:11]
        for part, data, index in (("background", background, "null"), ("composite", composite, "null")):
            self.post(session, blob_id, part, data, index)
        self.post(session, blob_id, "layer", layer, "0")
        return blob_id

    def uploaded(self, background: bytes, composite: bytes, layer: bytes) -> dict:
        """The editor's value as the browser sends it with an event: its images uploaded, as files."""
        files = [("files", (f"{name}.png", data, "image/png")) for name, data in
                 (("background", background), ("composite", composite), ("layer_0", layer))]  # fmt: skip
        response = httpx.post(f"{self.url}{API}/upload", files=files, timeout=60)
        response.raise_for_status()
        background_file, composite_file, layer_file = (
            {"path": path, "meta": {"_type": "gradio.FileData"}} for path in response.json()
        )
        return {"background": background_file, "layers": [layer_file], "composite": composite_file, "id": None}

    def inputs(self, event: dict, editor_value: dict | None) -> list:
        """An event's input values as the browser sends them: the editor's value, States as null."""
        values = self.values | {i: None for i in self.states} | {self.editor: editor_value}
        return [values.get(i) for i in event["inputs"]]


class Session:
    """A browser tab: its heartbeat, one result stream while events are pending, at most one pending event
    per listener (as trigger modes once and always_last keep it)."""

    def __init__(self, page: Page):
        self.page, self.hash = page, uuid.uuid4().hex[:11]
        self.pending: dict[str, int] = {}  # event id -> listener
        self.early: dict[str, bool] = {}  # event id -> succeeded, for results read before the join's answer
        self.outcomes = Counter()  # (listener, succeeded)
        self.lock, self.open, self.notes = threading.Lock(), True, []
        address = urlparse(page.url)
        self.heartbeat = socket.create_connection((address.hostname, address.port))
        self.heartbeat.sendall(f"GET /{API}/heartbeat/{self.hash} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
        received = b""
        while b"ALIVE" not in received:
            received += self.heartbeat.recv(4096)
        self.listener = threading.Thread(target=self._listen, daemon=True)
        self.listener.start()

    def busy(self, event: dict) -> bool:
        with self.lock:
            return event["id"] in self.pending.values()

    def completed(self, event: dict) -> int:
        return self.outcomes[event["id"], True] + self.outcomes[event["id"], False]

    def join(self, event: dict, data: list) -> bool:
        body = {
            "data": data,
            "fn_index": event["id"],
            "session_hash": self.hash,
            "event_data": None,
            "trigger_id": None,
        }
        response = httpx.post(f"{self.page.url}{API}/queue/join", json=body, timeout=60)
        if response.status_code != 200:
            self.outcomes[event["id"], False] += 1
            return False
        event_id = response.json()["event_id"]
        with self.lock:
            if event_id in self.early:  # its result came before this answer
                self.outcomes[event["id"], self.early.pop(event_id)] += 1
            else:
                self.pending[event_id] = event["id"]
        return True

    def end(self) -> None:
        """Close the tab: the heartbeat goes, the session ends."""
        self.open = False
        self.heartbeat.close()

    def _listen(self) -> None:
        url = f"{self.page.url}{API}/queue/data"
        while self.open:
            if not self.pending:
                time.sleep(0.01)
                continue
            try:
                with httpx.stream("GET", url, params={"session_hash": self.hash}, timeout=600) as response:
                    for line in response.iter_lines():
                        if self._take(json.loads(line[6:]) if line.startswith("data: ") else {}):
                            break
            except httpx.HTTPError as error:  # what the page would show as a lost connection
                self.notes.append(f"stream: {error}"[:120])
                with self.lock:
                    lost, self.pending = list(self.pending.values()), {}
                for event in lost:
                    self.outcomes[event, False] += 1

    def _take(self, message: dict) -> bool:
        """Count a completed event; True at the end of the stream."""
        if message.get("msg") == "process_completed":
            event_id, succeeded = message.get("event_id"), bool(message.get("success"))
            with self.lock:
                if event_id in self.pending:
                    self.outcomes[self.pending.pop(event_id), succeeded] += 1
                else:
                    self.early[event_id] = succeeded
        elif message.get("msg") == "unexpected_error":
            self.notes.append(f"unexpected_error: {message.get('message')}"[:120])
        return message.get("msg") == "close_stream"


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def photo(side: int) -> np.ndarray:
    return np.asarray(Image.open(ASSETS / "chelsea.png").convert("RGBA").resize((side, side)))


def stroke_layers(side: int, count: int) -> list[np.ndarray]:
    """A brush stroke growing across the image, as RGBA layers."""
    layer, layers = np.zeros((side, side, 4), np.uint8), []
    for k in range(count):
        x, y = (side // 8 + k * 3) % (side - side // 16), side // 2 + int(side / 6 * np.sin(k / 9))
        layer[y : y + side // 32, x : x + side // 32] = (255, 60, 120, 255)
        layers.append(layer.copy())
    return layers


def paint(session: Session, strokes: list[tuple[bytes, bytes, bytes]], pause_s: float = 0.03) -> None:
    """What a browser does as one paints (read from Gradio 6.31's ImageEditor script and seen in Chromium):
    each stroke posts its background, composite and layer to accept_blobs under a new id; the editor's
    change event, one pending at a time, sends the latest images uploaded as files (not the id); the events
    that follow a change of its outputs run again after each change event completes."""
    page, change, follow_ups = session.page, session.page.change, session.page.follow_ups
    latest, value, stroke_due, follow_ups_due, changes_seen = None, None, False, [False] * len(follow_ups), 0
    remaining, deadline = list(strokes), time.monotonic() + 600
    while remaining or stroke_due or any(follow_ups_due) or session.pending:
        if time.monotonic() > deadline or not page.server_alive():
            raise RuntimeError(f"the server exited, or events are still pending after 600 s: {session.pending}")
        if remaining:
            latest = remaining.pop(0)
            page.stroke(session.hash, *latest)
            stroke_due = change is not None
        if stroke_due and not session.busy(change):
            value = page.uploaded(*latest)
            session.join(change, page.inputs(change, value))
            stroke_due = False
        if change and session.completed(change) > changes_seen:
            changes_seen, follow_ups_due = session.completed(change), [True] * len(follow_ups)
        for n, event in enumerate(follow_ups):
            if follow_ups_due[n] and not session.busy(event):
                session.join(event, page.inputs(event, value))
                follow_ups_due[n] = False
        time.sleep(pause_s)


def painting(server: Server, page: Page, strokes: int, side: int) -> dict:
    """One session paints `strokes` strokes at side², then ends."""
    background = photo(side)
    background_png, session = png(background), Session(page)
    parts = [
        (background_png, png(np.where(s[..., 3:] > 0, s, background)), png(s)) for s in stroke_layers(side, strokes)
    ]
    paint(session, parts)
    while_open = server.memory()[0]
    session.end()
    ran = sum(n for (_, ok), n in session.outcomes.items() if ok)
    failed = sum(n for (_, ok), n in session.outcomes.items() if not ok)
    return {"while open": while_open, "events ok/failed": f"{ran}/{failed}"} | dict(enumerate(session.notes[:3]))


def posting(server: Server, page: Page, sessions: int = 3, posts: int = 40, mb: int = 5, fresh: int = 120) -> dict:
    """Posts of `mb` MB under new ids that no event reads: from a few sessions, then each from a new one."""
    blob = os.urandom(mb << 20)
    for _ in range(sessions):
        session = uuid.uuid4().hex[:11]
        for _ in range(posts):
            page.post(session, uuid.uuid4().hex[:11], "background", blob)
    few = server.memory()[0]
    for _ in range(fresh):
        page.post(uuid.uuid4().hex[:11], uuid.uuid4().hex[:11], "background", blob)
    return {f"after {sessions}×{posts}": few}


def sessions_state(server: Server, page: Page, count: int = 8, side: int = 2048) -> dict:
    """`count` sessions each paint one stroke at side² (its change event and follow-ups run); then all end."""
    background = photo(side)
    layer = stroke_layers(side, 40)[-1]
    parts = png(background), png(np.where(layer[..., 3:] > 0, layer, background)), png(layer)
    sessions = [Session(page) for _ in range(count)]
    for session in sessions:
        paint(session, [parts])
    while_open = server.memory()[0]
    for session in sessions:
        session.end()
    return {"while open": while_open}


def large(page: Page, side: int, at: int = 4) -> dict:
    """One /compare of a black side² image with a square painted from side/`at`, through gradio_client (the
    page's first VAE); another `at` is another mask, so nothing comes from the caches."""
    layer = np.zeros((side, side, 4), np.uint8)
    layer[side // at : side // at + side // 4, side // at : side // at + side // 4] = 255
    with tempfile.TemporaryDirectory() as folder:
        background, mask = Path(folder) / "black.png", Path(folder) / "layer.png"
        Image.new("RGB", (side, side)).save(background)
        Image.fromarray(layer).save(mask)
        image = {"background": handle_file(str(background)), "layers": [handle_file(str(mask))], "composite": None}
        start = time.perf_counter()
        try:
            Client(page.url, verbose=False, download_files=False).predict(
                image=image, grow_mask_by=6, mask_offset=-4, api_name="/compare"
            )
            outcome = f"{time.perf_counter() - start:.1f} s"
        except Exception as error:  # noqa: BLE001 - a refusal or a crash is the figure
            outcome = f"failed after {time.perf_counter() - start:.1f} s: {str(error)[:80]}"
    return {"outcome": outcome}


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
    background = photo(side)
    session = Session(page)
    paint(session, [(png(background), png(layer), png(layer)) for layer in stroke_layers(side, strokes)])
    session.end()
    large(page, 256)


def measure(server: Server, name: str, case, settle_s: float) -> dict:
    """Memory before, at peak and `settle_s` after a case; the cache folder's size after."""
    before = server.memory()[0]
    reset_peak(server.process.pid)
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
    server = Server(vaes, not args.without_guards, args.rss_limit_mb)
    try:
        page = Page(server.url)
        page.server_alive = lambda: server.process.poll() is None
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
