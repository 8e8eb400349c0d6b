"""A load test on loopback: concurrent gradio_client sessions against `python app.py`; failures and the server's memory.

    python -m bench.load                          # 16 sessions × 10 changes, 512², built-in approximate VAE
    python -m bench.load --vae ../shared/models/taef2 --sessions 4
Each session paints its own mask, so no two share a cached latent; changes alternate between
grow_mask_by (cached latent) and mask_offset (a new WAS latent).
"""

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from gradio_client import Client

from inpaint_core.vaes.registry import label_of
from tests.web.test_load import editor_value, session_files, warm_up

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"


def resident_mb(pid: int) -> float:
    """A process's resident memory, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(vae_source: str, port: int) -> subprocess.Popen:
    """`python app.py` on loopback, as users start it; returns once it answers."""
    command = [sys.executable, str(ROOT / "app.py"), "--vae", vae_source, "--device", "cpu", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}") from None
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not answer within 120 s")


def run_load(vae_source: str, sessions: int, changes: int, size: int) -> dict:
    """Start the page in its own process, run the sessions, return counts, latencies and its memory before and after."""
    folder = Path(tempfile.mkdtemp())
    port = free_port()
    server = start_server(vae_source, port)
    url = f"http://127.0.0.1:{port}/"
    background, masks = session_files(folder, size, sessions)
    label, latencies, failures = label_of(vae_source), [], []
    try:
        warm_up(url, background, label)
        before = resident_mb(server.pid)

        def session(index):
            client = Client(url, verbose=False, download_files=False)
            value = editor_value(background, masks[index])
            for change in range(changes):
                grow, offset = (6 + change, 6) if change % 2 == 0 else (6, 6 - change)
                start = time.perf_counter()
                try:
                    client.predict(image=value, vae=label, grow_mask_by=grow, mask_offset=offset, api_name="/compare")
                    latencies.append(time.perf_counter() - start)
                except Exception as error:  # noqa: BLE001 - every failure is counted and shown
                    failures.append(f"session {index}, change {change}: {error}")

        threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        after = resident_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "requests": sessions * changes,
        "failed": len(failures),
        "failures": failures[:5],
        "wall_s": wall,
        "median_s": statistics.median(latencies) if latencies else float("nan"),
        "p95_s": sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "rss_before_mb": before,
        "rss_after_mb": after,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vae", default="approx")
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    result = run_load(args.vae, args.sessions, args.changes, args.size)
    print(f"{args.sessions} sessions × {args.changes} changes at {args.size}², VAE {label_of(args.vae)}, CPU")
    print(f"  requests {result['requests']}, failed {result['failed']}, wall {result['wall_s']:.1f} s")
    print(f"  latency median {result['median_s']:.2f} s, p95 {result['p95_s']:.2f} s")
    growth = result["rss_after_mb"] - result["rss_before_mb"]
    print(
        f"  resident memory {result['rss_before_mb']:.0f} MB before, {result['rss_after_mb']:.0f} MB after ({growth:+.0f} MB)"
    )
    for failure in result["failures"]:
        print("  failure:", failure)


if __name__ == "__main__":
    main()
