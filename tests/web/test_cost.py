"""A large image on a CPU is told what it costs, and who goes first, before its work starts."""

import re
import threading
import time

import pytest
import torch

from inpaint_core.vaes.registry import VAERegistry
from tests.web.test_app import coffee
from web.api import Api
from web.cost import Throughput, cost_sentence
from web.inspector import Inspector
from web.large_work import LargeWork

CPU = torch.device("cpu")


class Said:
    """A stand-in for gr.Progress that keeps what it was told, in order; falsy, as a gr.Progress is."""

    def __init__(self):
        self.descs: list[str] = []

    def __len__(self) -> int:
        return 0

    def __call__(self, *args, desc=None, **kwargs):
        if desc:
            self.descs.append(desc)


@pytest.fixture
def inspector(tmp_path):
    inspector = Inspector(VAERegistry(["approx"], CPU), 4096, tmp_path)
    inspector.large_work = LargeWork(large_pixels=100 * 100)  # the 600×400 coffee is large here
    inspector.throughput = Throughput(default=1000.0)  # seconds per megapixel before anything is timed
    return inspector


def test_the_time_comes_from_this_servers_encodes_after_the_first():
    throughput = Throughput(default=10.0)
    assert throughput.seconds("taef2", (1000, 1000), encodes=2) == 20.0
    throughput.record("taef2", (100, 100), 5.0)  # too small to time
    assert throughput.seconds("taef2", (1000, 1000)) == 10.0
    throughput.record("taef2", (2000, 1000), 4.0)
    assert throughput.seconds("taef2", (4096, 4096)) == pytest.approx(2.0 * 4096 * 4096 / 1e6)
    assert throughput.seconds("other", (1000, 1000)) == 10.0
    assert cost_sentence((4096, 4096), "TAEF2", 83.4) == "4096×4096 with TAEF2 on this CPU takes about 83 s."


def test_a_large_image_is_told_its_cost_before_it_is_encoded(inspector):
    said, label = Said(), inspector.registry.labels[0]
    name = inspector.registry.get(label).display_name
    Api(inspector).compare(coffee(), label, 6, -4, progress=said)
    sentence = f"600×400 with {name} on this CPU takes about 480 s."  # 0.24 MP, two encodes at 1000 s a MP
    assert sentence in said.descs and said.descs.index(sentence) < said.descs.index("Encoding and decoding…")
    assert inspector.throughput.rates[label] < 1000.0  # the encodes were timed: the next estimate is this server's
    again = Said()
    Api(inspector).compare(coffee(), label, 7, -3, progress=again)
    seconds = inspector.throughput.seconds(label, (400, 600), 2)
    assert cost_sentence((400, 600), name, seconds) in again.descs


def test_a_second_large_image_hears_it_goes_second_and_about_how_long(inspector):
    said, label = Said(), inspector.registry.labels[0]
    done = threading.Event()
    with inspector.large_work.hold((400, 600), CPU, seconds=90):  # another large image is being worked on
        worker = threading.Thread(target=lambda: (Api(inspector).prepare(coffee(), label, "comfy", "{}", 1.0, said),
                                                  done.set()))  # fmt: skip
        worker.start()
        deadline = time.monotonic() + 10
        while not said.descs[1:] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not done.is_set()
        waiting = said.descs[-1]
        assert waiting.startswith("600×400 with ") and "takes about 240 s; another large image goes first" in waiting
        assert re.search(r"\(about (89|90) s left\), then yours\.$", waiting)
    worker.join(30)
    assert done.is_set()
