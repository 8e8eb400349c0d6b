"""web.guards on a small served page: the editor's blob store and the queue, through the real HTTP routes."""

import io
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from urllib.parse import urlparse

import gradio as gr
import httpx
import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from web.guards import GuardLimits, install_guards

LIMITS = GuardLimits(
    blob_sets_per_session=2,
    blob_bytes_per_session=1 << 20,
    blob_sets_total=6,
    blob_bytes_total=3 << 20,
    request_bytes=2 << 20,
    waiting_per_session=2,
    waiting_per_event=1,
    listen_grace_s=0.5,
)
calls = Counter()


gate = threading.Event()  # a "hold" request keeps the one worker until the test opens it


def slow(text: str) -> str:
    """Counts its calls, then works for 0.3 s, or until the gate opens for "hold"."""
    calls[text] += 1
    gate.wait(10) if text == "hold" else time.sleep(0.3)
    return text


def read_editor(value) -> str:
    calls["editor"] += 1
    return "image" if value and value.get("background") is not None else "none"


@pytest.fixture(scope="module")
def page():
    with gr.Blocks() as demo:
        editor = gr.ImageEditor(type="numpy", format="png")
        text, out = gr.Textbox(), gr.Textbox()
        editor.change(read_editor, editor, out, api_name="editor", concurrency_id="work")
        for name in ("slow", "slow2", "slow3"):
            text.submit(slow, text, out, api_name=name, concurrency_id="work")
    demo.queue(default_concurrency_limit=1)
    guards = install_guards(demo, LIMITS)
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True, app_kwargs=guards.app_kwargs)
    fns = {dep.api_name: index for index, dep in demo.fns.items()}
    yield {"url": url, "guards": guards, "editor": editor._id, "fns": fns, "queue": demo._queue}
    demo.close()


def new_session() -> str:
    return uuid.uuid4().hex[:12]


def png(side: int = 32, noise: bool = False) -> bytes:
    pixels = np.random.default_rng(side).integers(0, 256, (side, side, 4), np.uint8) if noise else None
    image = Image.fromarray(pixels) if noise else Image.new("RGBA", (side, side), (200, 30, 30, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def post_blob(page, session: str, blob_id: str, part: str, index="null", data: bytes = b"x") -> httpx.Response:
    """One part of a stroke, as the editor posts it."""
    fields = {"id": blob_id, "type": part, "index": index, "component_id": str(page["editor"])}
    fields |= {"fn_name": "accept_blobs", "session_hash": session}
    files = {"file": (f"{part}.png", data, "image/png")}
    return httpx.post(page["url"] + "gradio_api/component_server", data=fields, files=files, timeout=10)


def stroke(page, session: str, data: bytes) -> str:
    blob_id = uuid.uuid4().hex[:10]
    for part, index in (("background", "null"), ("composite", "null"), ("layer", "0")):
        assert post_blob(page, session, blob_id, part, index, data).status_code == 200
    return blob_id


def join(page, session: str, api_name: str, data: list) -> httpx.Response:
    body = {"data": data, "fn_index": page["fns"][api_name], "session_hash": session}
    return httpx.post(page["url"] + "gradio_api/queue/join", json=body | {"event_data": None, "trigger_id": None})


def results(page, session: str, timeout: float = 10) -> list[dict]:
    """The session's stream, read until the server closes it."""
    messages = []
    with httpx.stream(
        "GET", page["url"] + "gradio_api/queue/data", params={"session_hash": session}, timeout=timeout
    ) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                messages.append(json.loads(line[6:]))
                if messages[-1]["msg"] == "close_stream":
                    break
    return [m for m in messages if m["msg"] == "process_completed"]


def open_socket(page, path: str) -> socket.socket:
    """A GET whose connection the caller closes when it likes."""
    address = urlparse(page["url"])
    connection = socket.create_connection((address.hostname, address.port))
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\nAccept: text/event-stream\r\n\r\n".encode())
    return connection


def open_heartbeat(page, session: str) -> socket.socket:
    """The heartbeat a page's tab keeps open while it is there."""
    heartbeat, received = open_socket(page, f"/gradio_api/heartbeat/{session}"), b""
    while b"ALIVE" not in received:
        received += heartbeat.recv(4096)
    return heartbeat


def resident_mb() -> float:
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until(condition, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def worker_held(page):
    """The one worker busy for a caller who listens, until the block ends."""
    session, before = new_session(), calls["hold"]
    gate.clear()
    assert join(page, session, "slow", ["hold"]).status_code == 200
    reader = threading.Thread(target=results, args=(page, session))
    reader.start()
    assert wait_until(lambda: calls["hold"] > before)
    try:
        yield
    finally:
        gate.set()
        reader.join()


@pytest.mark.parametrize("index", ["100000000", "1000000000", "-5", "abc", "8", "1e3", "", "null"])
def test_a_layer_index_beyond_the_page_is_refused_and_keeps_nothing(page, index):
    store, session = page["guards"].store, new_session()
    before = resident_mb()
    response = post_blob(page, session, "probe", "layer", index)
    assert response.status_code == 400, response.text
    assert "index" in response.json()["detail"]
    assert "probe" not in store
    assert resident_mb() - before < 50  # a list of 10^8 entries would take 763 MB


def test_bad_fields_are_refused_and_a_good_post_is_kept(page):
    store, session = page["guards"].store, new_session()
    assert post_blob(page, session, "a" * 65, "background").status_code == 400
    assert post_blob(page, session, "ok1", "mask").status_code == 400
    assert post_blob(page, session, "ok1", "layer", "7").status_code == 200  # max_layers 8: 0..7
    assert store.get("ok1").layers[7] == b"x"
    assert post_blob(page, new_session(), "ok1", "background").status_code == 400  # another session's id


@pytest.mark.parametrize("drop", ["component_id", "session_hash", "fn_name"])
def test_a_post_missing_a_field_is_told_which_fields_it_needs(page, drop):
    fields = {"component_id": str(page["editor"]), "fn_name": "accept_blobs", "session_hash": new_session()}
    fields.pop(drop)
    response = httpx.post(page["url"] + "gradio_api/component_server", data=fields, timeout=10,
                          files={"file": ("a.png", b"x", "image/png")})  # fmt: skip
    assert response.status_code == 400 and drop in response.json()["detail"]
    assert "component_id (a component's integer id), session_hash, fn_name and data" in response.json()["detail"]


@pytest.mark.parametrize("component_id", ["999999", "abc"])
def test_a_post_for_no_component_is_refused_by_name(page, component_id):
    fields = {"component_id": component_id, "fn_name": "accept_blobs", "session_hash": new_session()}
    response = httpx.post(page["url"] + "gradio_api/component_server", data=fields, timeout=10,
                          files={"file": ("a.png", b"x", "image/png")})  # fmt: skip
    assert response.status_code == 400 and "component_id" in response.json()["detail"]
    assert post_blob(page, new_session(), uuid.uuid4().hex[:10], "background").status_code == 200  # it goes on


def test_oversized_posts_are_refused_before_they_are_kept(page):
    session = new_session()
    response = post_blob(page, session, "big", "background", data=b"\0" * (LIMITS.request_bytes + 1))
    assert response.status_code == 413
    head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    chunks = iter([head, *[b"0" * (1 << 20)] * 3, b"\r\n--x--\r\n"])  # no Content-Length: counted as it comes
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    chunked = httpx.post(page["url"] + "gradio_api/component_server", content=chunks, headers=headers)
    assert chunked.status_code == 413
    assert "big" not in page["guards"].store


def test_posts_under_new_ids_stay_within_the_bounds(page):
    store, small, large = page["guards"].store, png(64, noise=True), png(256, noise=True)  # 16 KB, 260 KB
    own = new_session()
    for _ in range(8):
        stroke(page, own, small)
    assert store.sessions()[own] == LIMITS.blob_sets_per_session  # by count
    for _ in range(3):
        stroke(page, own, large)  # two sets of 3 × 260 KB pass 1 MB: the newest alone stays
    assert store.sessions()[own] == 1
    for _ in range(8):  # a caller taking a new session each time
        stroke(page, new_session(), large)
    assert len(store) <= LIMITS.blob_sets_total
    assert store.nbytes <= LIMITS.blob_bytes_total


def test_old_sets_expire(page):
    store = page["guards"].store
    session = new_session()
    stroke(page, session, b"x")
    now = store.clock
    try:
        store.clock = lambda: now() + LIMITS.blob_max_age_s + 1
        assert store.get("anything") is None
        assert store.sessions()[session] == 0
    finally:
        store.clock = now


def test_the_blobs_of_an_ended_session_are_gone(page):
    store, session = page["guards"].store, new_session()
    heartbeat = open_heartbeat(page, session)
    stroke(page, session, png())
    stroke(page, session, png())
    assert store.sessions()[session] == 2
    heartbeat.close()  # the tab is closed
    assert wait_until(lambda: store.sessions()[session] == 0)


def test_an_event_reads_its_stroke_even_after_more_strokes(page):
    """The id a waiting event will read is kept past the per-session limit, then read and dropped."""
    store, session, messages = page["guards"].store, new_session(), []
    with worker_held(page):
        blob_id = stroke(page, session, png())
        value = {"background": None, "layers": [], "composite": None, "id": blob_id}
        assert join(page, session, "editor", [value]).status_code == 200
        listener = threading.Thread(target=lambda: messages.extend(results(page, session)))
        listener.start()
        for _ in range(4):  # strokes while the event waits
            stroke(page, session, png())
        assert blob_id in store
    listener.join()
    (completed,) = messages
    assert completed["output"]["data"] == ["image"]
    assert blob_id not in store


def test_callers_who_have_gone_are_not_run(page):
    never_read, leaving, listening, messages = [new_session() for _ in range(3)], new_session(), new_session(), []
    with worker_held(page):
        for session in never_read:
            assert join(page, session, "slow", [session]).status_code == 200
        assert join(page, leaving, "slow", [leaving]).status_code == 200
        stream = open_socket(page, f"/gradio_api/queue/data?session_hash={leaving}")
        time.sleep(0.2)
        stream.close()
        assert join(page, listening, "slow", [listening]).status_code == 200
        listener = threading.Thread(target=lambda: messages.extend(results(page, listening)))
        listener.start()
        time.sleep(LIMITS.listen_grace_s)  # the callers who never read have had their grace
    listener.join()
    (completed,) = messages
    assert completed["success"] and calls[listening] == 1
    assert all(calls[session] == 0 for session in [*never_read, leaving])
    assert page["guards"].dropped >= 3


def test_a_caller_whose_page_is_open_is_run_before_it_reads(page):
    """A busy browser may open its result stream late; its heartbeat says the tab is there."""
    session = new_session()
    heartbeat = open_heartbeat(page, session)
    with worker_held(page):
        assert join(page, session, "slow", [session]).status_code == 200
        time.sleep(LIMITS.listen_grace_s + 0.2)
    assert wait_until(lambda: calls[session] == 1)
    heartbeat.close()


def test_a_gradio_client_caller_runs(page):
    """gradio_client joins, then opens its stream: the gap is within the grace."""
    client = Client(page["url"], verbose=False)
    key = f"client-{uuid.uuid4().hex[:6]}"
    assert client.predict(key, api_name="/slow") == key
    assert calls[key] == 1


def test_one_session_holds_few_places(page):
    session = new_session()
    with worker_held(page):
        assert join(page, session, "slow", ["a"]).status_code == 200
        again = join(page, session, "slow", ["b"])
        assert again.status_code == 429 and "at most" in again.json()["detail"]
        assert join(page, session, "slow2", ["c"]).status_code == 200
        third = join(page, session, "slow3", ["d"])
        assert third.status_code == 429 and "2 requests waiting" in third.json()["detail"]
        assert join(page, new_session(), "slow3", ["e"]).status_code == 200  # another session is not held back


def test_a_request_cancelled_while_its_caller_is_awaited_frees_its_worker(page):
    """The queue's one worker must come back whatever happens while a caller's stream is awaited."""
    queue = page["queue"]
    assert wait_until(lambda: len(queue) == 0 and not any(queue.active_jobs), timeout=10)  # the worker is free
    gone = new_session()
    event_id = join(page, gone, "slow", [gone]).json()["event_id"]
    time.sleep(0.2)  # its turn has come: the caller's stream is awaited
    body = {"session_hash": gone, "fn_index": page["fns"]["slow"], "event_id": event_id}
    assert httpx.post(page["url"] + "gradio_api/cancel", json=body).status_code == 200
    listening = new_session()
    assert join(page, listening, "slow", [listening]).status_code == 200
    (completed,) = results(page, listening)
    assert completed["success"] and calls[listening] == 1 and calls[gone] == 0
