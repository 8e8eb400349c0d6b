"""`python app.py` in its own process, and what a browser sends it, without a browser: the painter's photo uploaded
once and each stroke's mask in its value, the events a stroke sets off, result streams and heartbeats.

Read from web/painter.js and the page's /config: a photo goes to POST /gradio_api/upload once; when a stroke ends,
the painter's value becomes {"image": <the uploaded path>, "mask": <a PNG data URL at the photo's size>} and its
change event runs (always_last: one pending at a time, the latest value); the events that follow a change of its
output (the session's State: the live panels, settle, the third column) run after it. The server's memory is read
from /proc (Linux): VmRSS, and VmHWM with its peak reset through clear_refs.
"""

import base64
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
from PIL import Image

from tests.conftest import ROOT

API = "gradio_api"


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> bool:
    """VmHWM := VmRSS; False where the kernel does not allow it (VmHWM then stays the process's lifetime peak)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`python app.py` (or `command`'s script) on loopback with a fresh Gradio cache; killed if its memory passes
    `rss_limit_mb` (then `killed_at` holds what it had reached)."""

    def __init__(self, flags: list[str], rss_limit_mb: float = float("inf"), command: list[str] | None = None):
        self.port, self.cache = free_port(), Path(tempfile.mkdtemp(prefix="served-"))
        command = (command or [sys.executable, "app.py"]) + flags + ["--port", str(self.port)]
        env = os.environ | {"GRADIO_TEMP_DIR": str(self.cache), "GRADIO_ANALYTICS_ENABLED": "False"}
        self.log = Path(tempfile.mkstemp(prefix="served-", suffix=".log")[1])
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.url, self.killed_at = f"http://127.0.0.1:{self.port}/", None
        try:
            self._wait_until_up()
        except BaseException:
            self.stop(keep_log=True)
            raise
        threading.Thread(target=self._watch, args=(rss_limit_mb,), daemon=True).start()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log}") from None
                time.sleep(0.5)
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

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def memory(self) -> tuple[float, float]:
        return memory_mb(self.process.pid)

    def reset_peak(self) -> bool:
        return reset_peak(self.process.pid)

    def stop(self, keep_log: bool = False) -> None:
        """Stop the server and remove its cache folder (and its output, unless asked to keep it)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.cache, ignore_errors=True)
        if not keep_log:
            self.log.unlink(missing_ok=True)


class Page:
    """What a browser reads from /config: the painter, its change event, the events that follow a change of that
    event's output (the session's State), every component's value; and the API's hidden image editor."""

    def __init__(self, url: str):
        config = httpx.get(url + "config", timeout=30).json()
        self.url = url
        components = {c["id"]: c for c in config["components"]}
        props = {i: c.get("props", {}) for i, c in components.items()}
        self.painter = next(
            i for i, c in components.items() if c["type"] == "html" and props[i].get("elem_id") == "editor"
        )
        self.editor = next(i for i, c in components.items() if c["type"] == "imageeditor")
        events = [d for d in config["dependencies"] if d["backend_fn"] and d["queue"] is not False]
        self.change = next(d for d in events if [self.painter, "change"] in d["targets"])
        outputs = set(self.change["outputs"])
        self.follow_ups = [d for d in events if any(t[0] in outputs and t[1] == "change" for t in d["targets"])]
        self.values = {i: p.get("value") for i, p in props.items()}
        self.states = {i for i, c in components.items() if c["type"] == "state"}
        self.server_alive = lambda: True

    def upload(self, data: bytes, name: str = "photo.png") -> str:
        """A file as the painter uploads a photo: its path on the server."""
        response = httpx.post(f"{self.url}{API}/upload", files={"files": (name, data)}, timeout=120)
        response.raise_for_status()
        return response.json()[0]

    def inputs(self, event: dict, painter_value: dict | None) -> list:
        """An event's input values as the browser sends them: the painter's value, States as null."""
        values = self.values | {i: None for i in self.states} | {self.painter: painter_value}
        return [values.get(i) for i in event["inputs"]]


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def mask_url(mask: np.ndarray) -> str:
    """A painted mask (bool H, W) as the painter sends it: a PNG data URL, painted pixels opaque."""
    rgba = np.zeros((*mask.shape, 4), np.uint8)
    rgba[mask] = (255, 60, 120, 255)
    return "data:image/png;base64," + base64.b64encode(png(rgba)).decode()


def stroke_masks(side: int, count: int) -> list[np.ndarray]:
    """A brush stroke growing across a side² photo: the mask after each of `count` strokes."""
    mask, masks = np.zeros((side, side), bool), []
    for k in range(count):
        x, y = (side // 8 + k * 3) % (side - side // 16), side // 2 + int(side / 6 * np.sin(k / 9))
        mask[y : y + side // 32, x : x + side // 32] = True
        masks.append(mask.copy())
    return masks


class Session:
    """A browser tab: its heartbeat, one result stream while events are pending, at most one pending event per
    listener (as trigger modes once and always_last keep it)."""

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

    def failed(self) -> int:
        return sum(n for (_, ok), n in self.outcomes.items() if not ok)

    def succeeded(self) -> int:
        return sum(n for (_, ok), n in self.outcomes.items() if ok)

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
            self.notes.append(f"join: {response.status_code} {response.text}"[:160])
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
                with httpx.stream("GET", url, params={"session_hash": self.hash}, timeout=900) as response:
                    for line in response.iter_lines():
                        if self._take(json.loads(line[6:]) if line.startswith("data: ") else {}):
                            break
            except httpx.HTTPError as error:  # what the page would show as a lost connection
                self.notes.append(f"stream: {error}"[:160])
                with self.lock:
                    lost, self.pending = list(self.pending.values()), {}
                for event in lost:
                    self.outcomes[event, False] += 1

    def _take(self, message: dict) -> bool:
        """Count a completed event; True at the end of the stream."""
        if message.get("msg") == "process_completed":
            event_id, succeeded = message.get("event_id"), bool(message.get("success"))
            if not succeeded:
                self.notes.append(f"failed: {json.dumps(message.get('output'))}"[:160])
            with self.lock:
                if event_id in self.pending:
                    self.outcomes[self.pending.pop(event_id), succeeded] += 1
                else:
                    self.early[event_id] = succeeded
        elif message.get("msg") == "unexpected_error":
            self.notes.append(f"unexpected_error: {message.get('message')}"[:160])
        return message.get("msg") == "close_stream"


def paint(session: Session, photo: bytes, masks: list[np.ndarray], pause_s: float = 0.03, limit_s: float = 900) -> None:
    """What the page does as one paints: the photo uploaded once and sent with an empty mask, then each stroke's
    mask in the painter's value; its change event, one pending at a time, sends the latest value; the events
    that follow a change of its output run again after each change event completes. Returns once nothing is
    pending."""
    page, change, follow_ups = session.page, session.page.change, session.page.follow_ups
    image = page.upload(photo)
    values = [{"image": image, "mask": ""}] + [{"image": image, "mask": mask_url(mask)} for mask in masks]
    latest, value, stroke_due, follow_ups_due, changes_seen = None, None, False, [False] * len(follow_ups), 0
    deadline = time.monotonic() + limit_s
    while values or stroke_due or any(follow_ups_due) or session.pending:
        if time.monotonic() > deadline or not page.server_alive():
            raise RuntimeError(f"the server exited, or events are still pending after {limit_s:.0f} s")
        if values:
            latest, stroke_due = values.pop(0), True
        if stroke_due and not session.busy(change):
            value = latest
            session.join(change, page.inputs(change, value))
            stroke_due = False
        if session.completed(change) > changes_seen:
            changes_seen, follow_ups_due = session.completed(change), [True] * len(follow_ups)
        for n, event in enumerate(follow_ups):
            if follow_ups_due[n] and not session.busy(event):
                session.join(event, page.inputs(event, value))
                follow_ups_due[n] = False
        time.sleep(pause_s)


def photo(side: int, turn: int = 0) -> bytes:
    """The cat at side² as a PNG (`turn` rolls it, so each session can have a photo of its own)."""
    image = np.asarray(Image.open(ROOT / "assets" / "chelsea.png").convert("RGB").resize((side, side)))
    return png(np.roll(image, turn * 37, axis=1))


def compare(url: str, side: int, at: int = 4) -> float:
    """One /compare through gradio_client (the page's first VAE) of a black side² image with a side/4 square
    painted from side/`at` (another `at` is another mask, so nothing comes from the caches); its seconds."""
    from gradio_client import Client, handle_file

    mask = np.zeros((side, side, 4), np.uint8)
    mask[side // at : side // at + side // 4, side // at : side // at + side // 4] = 255
    with tempfile.TemporaryDirectory() as folder:
        background, layer = Path(folder) / "black.png", Path(folder) / "layer.png"
        Image.new("RGB", (side, side)).save(background)
        Image.fromarray(mask).save(layer)
        image = {"background": handle_file(str(background)), "layers": [handle_file(str(layer))], "composite": None}
        start = time.perf_counter()
        Client(url, verbose=False, download_files=False).predict(
            image=image, grow_mask_by=6, mask_offset=-4, api_name="/compare"
        )
        return time.perf_counter() - start
