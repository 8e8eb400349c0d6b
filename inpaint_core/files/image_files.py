"""Preview images as files named by what they show: each written once, side by side in threads.

A front end names a file by a key (any repr-able value that identifies the content); the file is
written only if it does not exist yet, so an unchanged panel costs one stat and keeps its URL (and
the browser's cached copy). Files are written under a temporary name and renamed into place, so a
reader never sees half a file, and two sessions writing the same key do no harm.
"""

import hashlib
import os
import uuid
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor


class ImageFiles:
    """A folder of content-named images and the threads that write them (zlib and libjpeg let go of the GIL)."""

    def __init__(self, folder: Path, workers: int = min(8, os.cpu_count() or 1)):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="image-files")

    def batch(self) -> "Batch":
        """The files of one response: named at once, written side by side, awaited by Batch.wait()."""
        return Batch(self)

    def path(self, key: Hashable, suffix: str) -> Path:
        return self.folder / f"{hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()}.{suffix}"

    def write(self, path: Path, make: Callable[[], Image.Image], options: dict) -> Future:
        """Save make() at `path` in a worker thread, under a temporary name first."""
        return self._pool.submit(_write, path, make, options)


class Batch:
    def __init__(self, files: ImageFiles):
        self._files = files
        self._writes: dict[Path, Future] = {}

    def jpeg(self, key: Hashable, make: Callable[[], np.ndarray]) -> Path:
        """make() -> (H, W, 3) uint8, saved as a JPEG (quality 92)."""
        return self._file(key, "jpg", lambda: Image.fromarray(make()), {"format": "jpeg", "quality": 92})

    def png(self, key: Hashable, make: Callable[[], np.ndarray]) -> Path:
        """make() -> uint8 image, saved losslessly."""
        return self._file(key, "png", lambda: Image.fromarray(make()), {"format": "png", "compress_level": 1})

    def mask(self, key: Hashable, make: Callable[[], np.ndarray], colour: str) -> Path:
        """make() -> (H, W) 0/1, saved as a two-colour PNG, transparent where 0 (lossless, and about ten
        times faster to write at 1024² than an RGBA PNG)."""
        options = {"format": "png", "transparency": 0, "compress_level": 1}
        return self._file(key, "png", lambda: palette_image(make(), colour), options)

    def wait(self) -> None:
        """Block until every file named so far is written; a failed write raises here."""
        for write in self._writes.values():
            write.result()
        self._writes.clear()

    def _file(self, key: Hashable, suffix: str, make: Callable[[], Image.Image], options: dict) -> Path:
        path = self._files.path(key, suffix)
        if path not in self._writes and not path.exists():
            self._writes[path] = self._files.write(path, make, options)
        return path


def palette_image(mask: np.ndarray, colour: str) -> Image.Image:
    """A 0/1 mask as a palette image: index 0 black (to be transparent), index 1 the colour."""
    image = Image.fromarray(np.asarray(mask, dtype=np.uint8)).convert("P")
    image.putpalette([0, 0, 0, *ImageColor.getrgb(colour)])
    return image


def _write(path: Path, make: Callable[[], Image.Image], options: dict) -> None:
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        make().save(staging, **options)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def write_once(path: Path, write: Callable[[Path], object]) -> None:
    """write(path) unless a file of that name (named by its content) is there; under a temporary name first,
    so no reader sees half a file."""
    if path.exists():
        return
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        write(staging)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
