"""One large image at a time on a CPU; small images and GPUs never wait."""

import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from web.large_work import LargeWork

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


class Overlap:
    """A block entered from several threads: `most` is how many were inside it at once."""

    def __init__(self):
        self.inside, self.most, self.lock = 0, 0, threading.Lock()

    def __enter__(self):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)

    def __exit__(self, *_):
        with self.lock:
            self.inside -= 1


def run_together(gate: LargeWork, sizes, device) -> tuple[int, list[str]]:
    """Each size in its own thread, holding the gate for 0.2 s: the most inside at once, and who waited."""
    overlap, waited = Overlap(), []

    def work(name, size):
        with gate.hold(size, device, waiting=lambda: waited.append(name)), overlap:
            time.sleep(0.2)

    threads = [threading.Thread(target=work, args=(f"t{i}", size)) for i, size in enumerate(sizes)]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    return overlap.most, waited


def test_large_images_on_a_cpu_pass_one_at_a_time_and_the_others_are_told_they_wait():
    gate = LargeWork(large_pixels=100)
    most, waited = run_together(gate, [(11, 10), (10, 11), (20, 20)], CPU)
    assert most == 1 and waited == ["t1", "t2"]


def test_small_images_and_gpus_never_wait():
    gate = LargeWork(large_pixels=100)
    assert run_together(gate, [(10, 10), (5, 20), (1, 100)], CPU) == (3, [])
    assert run_together(gate, [(100, 100), (100, 100)], CUDA) == (2, [])


def test_an_error_inside_lets_the_next_one_in():
    gate = LargeWork(large_pixels=1)
    try:
        with gate.hold((2, 2), CPU):
            raise ValueError("bad")
    except ValueError:
        pass
    assert run_together(gate, [(2, 2)], CPU) == (1, [])


def test_a_large_image_on_a_cpu_first_drops_other_edits_preparations_and_large_latents(tmp_path, monkeypatch):
    import web.inspector
    from inpaint_core.vaes.registry import VAERegistry
    from tests.web.events import nothing
    from tests.web.test_app import coffee
    from web.inspector import Inspector

    inspector = Inspector(VAERegistry(["approx"], CPU), 4096, tmp_path)
    label = inspector.registry.labels[0]
    first = inspector.read_editor(coffee())
    inspector.run(first, label, 6, -4, nothing)
    flipped = coffee()
    flipped["background"] = flipped["background"].transpose(0)  # another image, the same size
    second = inspector.read_editor(flipped)

    def keys(cache):
        return [key for key, _ in cache.sizes()]

    inspector.large_work = LargeWork(large_pixels=10**9)  # small: the first edit's preparations stay
    inspector.run(second, label, 6, -4, nothing)
    assert any(first.content_key in repr(k) for k in keys(inspector.prepared))
    inspector.large_work = LargeWork(large_pixels=1)  # large: other edits' preparations and tensors go
    inspector.run(second, label, 7, -3, nothing)
    assert keys(inspector.prepared) and all(second.content_key in repr(k) for k in keys(inspector.prepared))
    assert all(second.content_key in repr(k) for k in keys(inspector.on_device))
    assert any(first.content_key in repr(k) for k in keys(inspector.latents))  # small latents are kept
    monkeypatch.setattr(web.inspector, "KEPT_LATENT_BYTES", 0)  # every latent is large: other edits' go too
    inspector.run(second, label, 8, -2, nothing)
    assert not any(first.content_key in repr(k) for k in keys(inspector.latents))
    assert any(second.content_key in repr(k) for k in keys(inspector.latents))


def test_other_edits_small_latents_stay_only_up_to_a_total_the_newest_first(tmp_path, monkeypatch):
    """Latents under KEPT_LATENT_BYTES each stay, newest first, while together under KEPT_LATENTS_BYTES."""
    import web.inspector
    from inpaint_core.vaes.registry import VAERegistry
    from web.inspector import Inspector

    inspector = Inspector(VAERegistry(["approx"], CPU), 4096, tmp_path)
    for name, size in (("old", 40), ("middle", 40), ("huge", 500), ("new", 40)):  # oldest first
        inspector.latents.get_or_make((("edit-" + name, "vae"), "comfy"), lambda s=size: SimpleNamespace(nbytes=s))
    monkeypatch.setattr(web.inspector, "KEPT_LATENT_BYTES", 100)
    monkeypatch.setattr(web.inspector, "KEPT_LATENTS_BYTES", 90)
    inspector.make_room_for("edit-this")
    assert [key[0][0] for key, _ in inspector.latents.sizes()] == ["edit-middle", "edit-new"]


def test_a_request_inside_the_gate_enters_again_and_others_wait_until_it_leaves():
    gate, order = LargeWork(large_pixels=1), []

    def other():
        with gate.hold((2, 2), CPU, waiting=lambda: order.append("other waits")):
            order.append("other in")

    with gate.hold((2, 2), CPU):  # a request around all its work
        with gate.hold((2, 2), CPU, waiting=lambda: order.append("inner waits")):  # one of its steps: no wait
            order.append("inner")
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.2)
        order.append("request out")
    thread.join(5)
    assert order == ["inner", "other waits", "request out", "other in"]


def test_a_large_images_files_are_written_one_at_a_time(tmp_path):
    import numpy as np

    from inpaint_core.files.image_files import ImageFiles
    from web.large_work import OneAtATime

    files, overlap = ImageFiles(tmp_path, workers=4), Overlap()

    def make():
        with overlap:
            time.sleep(0.05)
        return np.zeros((8, 8, 3), np.uint8)

    side_by_side = files.batch()
    for n in range(4):
        side_by_side.jpeg(("side by side", n), make)
    side_by_side.wait()
    assert overlap.most > 1  # a plain batch writes its files side by side
    overlap.most, one = 0, OneAtATime(files)
    written = [one.jpeg(("one", n), make) for n in range(3)] + [one.mask(("mask",), lambda: np.eye(8), "#ff0000")]
    assert all(path.is_file() for path in written) and overlap.most == 1


def test_a_second_large_compare_waits_until_the_first_has_written_its_files(tmp_path):
    from inpaint_core.vaes.registry import VAERegistry
    from tests.web.events import nothing
    from tests.web.test_app import coffee
    from web.api import Api
    from web.inspector import Inspector

    inspector = Inspector(VAERegistry(["approx"], CPU), 4096, tmp_path)
    inspector.large_work = LargeWork(large_pixels=1)  # every image is large
    api, label, spans = Api(inspector), inspector.registry.labels[0], []
    compare_nodes = api.compare_nodes

    def timed(*args):  # the encodes, then every panel and download written
        start = time.monotonic()
        out = compare_nodes(*args)
        spans.append((start, time.monotonic()))
        return out

    api.compare_nodes = timed
    threads = [threading.Thread(target=api.compare, args=(coffee(), label, 6 + n, -4, "comfyui", "", nothing))
               for n in range(2)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    (first_start, first_end), (second_start, _) = sorted(spans)
    assert len(spans) == 2 and second_start >= first_end


def test_a_large_image_after_painting_drops_the_other_photos_and_keeps_its_own(tmp_path):
    from gradio.utils import get_upload_folder
    from PIL import Image

    from inpaint_core.vaes.registry import VAERegistry
    from tests.conftest import ASSETS
    from tests.web.events import nothing
    from web.inspector import Inspector

    folder = Path(get_upload_folder()) / f"large-work-test-{tmp_path.name}"
    folder.mkdir(parents=True, exist_ok=True)
    inspector = Inspector(VAERegistry(["approx"], CPU), 4096, tmp_path)
    edits = []
    for name in ("coffee", "chelsea"):  # two photos painted on the page
        Image.open(ASSETS / f"{name}.png").save(folder / f"{name}.png")
        edits.append(inspector.read_editor({"image": str(folder / f"{name}.png"), "mask": ""}))
    inspector.large_work = LargeWork(large_pixels=1)  # every image is large
    try:
        inspector.run(edits[1], inspector.registry.labels[0], 6, -4, nothing)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    kept = [inspector.painter.photos.peek(key) for key, _ in inspector.painter.photos.sizes()]
    assert [photo.key for photo in kept] == [edits[1].image_key]
