"""The page's folder stays within its size, oldest first, with no empty folders; identical downloads write nothing new."""

import os

import torch
from PIL import Image

import app
from inpaint_core.vaes.registry import VAERegistry
from tests.conftest import ASSETS
from tests.web.events import nothing
from web.api import Api
from web.prune import Pruner


def test_oldest_files_go_first_and_emptied_folders_with_them(tmp_path):
    sizes = {"a/old.bin": 400, "a/b/older.bin": 300, "new.bin": 500, "c/newest.bin": 200}
    for name, size in sizes.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    times = {"a/b/older.bin": 1, "a/old.bin": 2, "new.bin": 3, "c/newest.bin": 4}
    for name, when in times.items():
        os.utime(tmp_path / name, (when, when))
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    freed = Pruner(tmp_path, max_bytes=750).prune()
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert freed == 700 and left == ["c", "c/newest.bin", "new.bin"]


def test_identical_compare_requests_write_nothing_new(tmp_path):
    inspector = app.Inspector(VAERegistry(["approx"], torch.device("cpu")), 4096, tmp_path)
    value = {"background": Image.open(ASSETS / "coffee.png"), "layers": [Image.open(ASSETS / "coffee_mask.png")]}
    label = inspector.registry.labels[0]
    first = Api(inspector).compare(value, label, 6, 6, progress=nothing)
    files = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    second = Api(inspector).compare(value, label, 6, 6, progress=nothing)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == files
    assert [f.path for f in first[9].root] == [f.path for f in second[9].root]  # WAS's downloads
