"""The page's file folder kept within a size: oldest files first, empty folders removed.

Gradio's `delete_cache` removes files by age but leaves their folders; downloads live in folders named by
content, so this also removes the folders it empties. Run at most once per `every_s` from the handlers.
"""

import os
import threading
import time
from pathlib import Path


class Pruner:
    """Keeps `folder` under `max_bytes` (oldest files go first) and free of empty folders."""

    def __init__(self, folder: Path, max_bytes: int, every_s: float = 60.0):
        self.folder, self.max_bytes, self.every_s = Path(folder), max_bytes, every_s
        self._last = 0.0
        self._lock = threading.Lock()

    def maybe(self) -> None:
        """prune(), unless it ran less than `every_s` ago or is running now."""
        if time.monotonic() - self._last < self.every_s or not self._lock.acquire(blocking=False):
            return
        try:
            self._last = time.monotonic()
            self.prune()
        finally:
            self._lock.release()

    def prune(self) -> int:
        """Remove the oldest files until the folder holds at most max_bytes, then empty folders; bytes freed."""
        files = []
        for root, _, names in os.walk(self.folder):
            for name in names:
                try:
                    stat = os.stat(os.path.join(root, name))
                except FileNotFoundError:  # removed meanwhile (by Gradio, or another session)
                    continue
                files.append((stat.st_mtime, stat.st_size, os.path.join(root, name)))
        total, freed = sum(size for _, size, _ in files), 0
        for _, size, path in sorted(files):
            if total - freed <= self.max_bytes:
                break
            Path(path).unlink(missing_ok=True)
            freed += size
        for root, _, _ in os.walk(self.folder, topdown=False):  # deepest first: a parent sees its children gone
            if Path(root) != self.folder:
                try:
                    os.rmdir(root)  # only an empty folder goes
                except OSError:  # not empty, or removed meanwhile
                    pass
        return freed
