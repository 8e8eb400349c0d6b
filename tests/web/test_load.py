"""A small load run: concurrent gradio_client sessions against `python app.py` in its own process, none failing,
its memory bounded. (bench/load.py runs the same at scale and times it.)"""

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from inpaint_core.vaes.registry import label_of
from tests.conftest import ASSETS, ROOT

SESSIONS, CHANGES, SIZE = 4, 3, 256
APPROX = label_of("approx")  # the page's label for the built-in approximate VAE


def resident_mb(pid: int) -> float:
    """A process's resident memory, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server():
    """`python app.py` on loopback with the approximate VAE, as users start it; (its process, its URL) once it answers."""
    port = free_port()
    command = [sys.executable, str(ROOT / "app.py"), "--vae", "approx", "--device", "cpu", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert process.poll() is None, f"the server exited with {process.returncode}"
                assert time.monotonic() < deadline, "the server did not answer within 120 s"
                time.sleep(0.5)
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=30)


def session_files(folder: Path, size: int = SIZE, sessions: int = SESSIONS) -> tuple[Path, list[Path]]:
    """The cat at size², and a mask layer per session, each its own (no two share a cached latent)."""
    background = folder / "image.png"
    Image.open(ASSETS / "chelsea.png").convert("RGB").resize((size, size)).save(background)
    masks = []
    for i in range(sessions):
        layer = np.zeros((size, size, 4), np.uint8)
        top = size // 4 + 3 * i
        layer[top : top + size // 3, size // 4 : size // 2, 3] = 255
        masks.append(folder / f"mask{i}.png")
        Image.fromarray(layer).save(masks[-1])
    return background, masks


def editor_value(background: Path, mask: Path | None = None) -> dict:
    """The image-editor value a client sends: the image, and its mask layer where there is one."""
    layers = [handle_file(str(mask))] if mask else []
    return {"background": handle_file(str(background)), "layers": layers, "composite": None}


def warm_up(url: str, background: Path, vae: str) -> None:
    """One /compare with no mask, so the VAE is loaded before anything is timed or measured."""
    Client(url, verbose=False, download_files=False).predict(
        image=editor_value(background), vae=vae, grow_mask_by=6, mask_offset=6, api_name="/compare"
    )


def test_concurrent_sessions_all_succeed_and_memory_stays_bounded(server, tmp_path):
    process, url = server
    background, masks = session_files(tmp_path)
    warm_up(url, background, APPROX)
    before = resident_mb(process.pid)
    answered, failures = [], []

    def session(index):
        client = Client(url, verbose=False, download_files=False)
        value = editor_value(background, masks[index])
        for change in range(CHANGES):  # alternately grow_mask_by (a cached latent) and mask_offset (a new WAS latent)
            grow, offset = (6 + change, 6) if change % 2 == 0 else (6, 6 - change)
            try:
                client.predict(image=value, vae=APPROX, grow_mask_by=grow, mask_offset=offset, api_name="/compare")
                answered.append(change)
            except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                failures.append(f"session {index}, change {change}: {error}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resident_mb(process.pid)

    assert not failures, failures[:5]
    assert len(answered) == SESSIONS * CHANGES == 12
    assert after - before < 500
