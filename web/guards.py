"""Limits on what one caller can make the server hold: the ImageEditor's blobs and places in the queue.

Read from Gradio 6.31's source (gradio/components/image_editor.py, routes.py, queueing.py):

- Each brush stroke on a gr.ImageEditor (here the API's; the page paints with its own painter) posts the
  editor's background, composite and layers to `ImageEditor.accept_blobs`
  (`/gradio_api/component_server`) under a new random id; the change event then sends only that id, and
  `preprocess` pops it. One dict for all sessions holds the ids no event reads (strokes made while an
  `always_last` event was pending, posts by API callers) for the life of the process, and a layer's
  `index` field sizes a list. Here each editor's `blob_storage` becomes a `BlobStore` bounded in sets,
  bytes and age per session and in all, emptied for a session when it ends (`Blocks.unload`), and
  `accept_blobs` checks its fields first: a bad one gets a 400 and allocates nothing.
- The queue drops the events of a caller whose result stream (`/queue/data`, `/call/…/{event_id}`)
  closes, but runs those of a caller who joined and never opened one. `GuardMiddleware` counts the
  open streams and heartbeats (a page's tab, a gradio_client); an event whose caller has neither when
  its turn comes (`listen_grace_s` after joining at the earliest) is dropped with an error message.
  A session may keep only one event of each listener waiting, as a page does.
- `component_server` reads a multipart post's fields and its component by id unchecked: a missing field or
  an unknown id answers 400 naming the fields (`component_server_error`), not 500.
- An event's arguments are read whole by the middleware (at most `call_bytes`) and refused in one sentence
  where the body is no JSON object the server reads (web.arguments.read_body); a body field of the wrong
  kind gets one sentence naming it (`request_body_error`), not FastAPI's list that repeats what was sent.
"""

import asyncio
import contextlib
import ctypes
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import gradio as gr
from fastapi import HTTPException
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from gradio.components.image_editor import EditorDataBlobs
from gradio.data_classes import DataWithFiles
from gradio.route_utils import FnIndexInferError
from gradio.server_messages import ProcessCompletedMessage
from gradio.utils import error_payload
from pydantic import ValidationError
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from inpaint_core.cancel import cancel_when
from inpaint_core.quoting import quote

from .arguments import CALL_FORM, JOIN_FORM, Refused, install_argument_checks, read_body

MB = 1 << 20
BLOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LAYER_INDEX = re.compile(r"\d{1,6}")
PARTS = ("background", "composite", "layer")
RESULTS = re.compile(r"/queue/data/?$")  # ?session_hash=…
CALL_RESULTS = re.compile(r"/call/(?:v2/)?[^/]+/(?P<key>[^/]+)/?$")  # by event id
HEARTBEAT = re.compile(r"/heartbeat/(?P<key>[^/]+)/?$")  # a page (or gradio_client) that is still open
COMPONENT_SERVER = re.compile(r"/component_server/?$")
CALL = re.compile(r"/(?:queue/join|(?:call|run|api)/(?:v2/)?[^/]+)/?$")  # an event's arguments, as JSON
COMPONENT_SERVER_FIELDS = "component_id (a component's integer id), session_hash, fn_name and data"


@dataclass(frozen=True)
class GuardLimits:
    """What one caller may make the server hold. The defaults suit a public CPU Space."""

    max_layers: int = 8  # a layer index must lie in 0..max_layers-1 (the editor's own layers count too)
    blob_sets_per_session: int = 4  # strokes kept that no event has read (a page needs its latest one)
    blob_bytes_per_session: int = 64 * MB  # the newest set is kept whatever its size
    blob_sets_total: int = 256
    blob_bytes_total: int = 256 * MB
    blob_max_age_s: float = 600.0  # a set older than this is dropped, read or not
    request_bytes: int = 32 * MB  # a component_server post (one blob); keep at least launch's max_file_size
    call_bytes: int = 1 * MB  # an event's arguments as JSON (/queue/join, /call/…): files go by /upload
    waiting_per_session: int | None = None  # events of one session waiting; None: the page's queued listeners
    waiting_per_event: int = 1  # of one event listener: a page never has more (trigger modes once, always_last)
    listen_grace_s: float = 5.0  # time from joining the queue to opening a result stream (or a heartbeat)

    def __post_init__(self):
        for name, value in vars(self).items():
            if value is not None and not value > 0:
                raise ValueError(f"GuardLimits.{name} must be positive, got {value!r}")


@dataclass
class BlobSet:
    """The parts posted under one id, whose session posted them, and since when."""

    session: str
    blobs: EditorDataBlobs
    created: float
    nbytes: int = 0
    pinned: bool = False  # a queued event will read it: kept past the per-session limits


class BlobStore:
    """The editor's `blob_storage` (`get`, `in`, `pop` as `ImageEditor.preprocess` uses it), bounded
    per session and in all; oldest sets go first, pinned ones last."""

    def __init__(self, limits: GuardLimits, clock=time.monotonic):
        self.limits = limits
        self.clock = clock
        self.sets: OrderedDict[str, BlobSet] = OrderedDict()  # by first post
        self.lock = threading.Lock()

    def get(self, blob_id: str, default=None) -> EditorDataBlobs | None:
        with self.lock:
            self._expire()
            entry = self.sets.get(blob_id)
            return entry.blobs if entry else default

    def __contains__(self, blob_id: object) -> bool:
        with self.lock:
            return blob_id in self.sets

    def pop(self, blob_id: str, default=None) -> EditorDataBlobs | None:
        with self.lock:
            entry = self.sets.pop(blob_id, None)
            return entry.blobs if entry else default

    def __len__(self) -> int:
        return len(self.sets)

    @property
    def nbytes(self) -> int:
        with self.lock:
            return sum(entry.nbytes for entry in self.sets.values())

    def sessions(self) -> Counter:
        """Sets held per session."""
        with self.lock:
            return Counter(entry.session for entry in self.sets.values())

    def put(self, session: str, blob_id: str, part: str, index: int | None, data: bytes) -> None:
        """One part of a stroke, as accept_blobs receives it; then the limits are applied."""
        with self.lock:
            self._expire()
            entry = self.sets.get(blob_id)
            if entry is None:
                entry = BlobSet(session, EditorDataBlobs(background=None, layers=[], composite=None), self.clock())
                self.sets[blob_id] = entry
            elif entry.session != session:
                raise HTTPException(400, "this blob id belongs to another session")
            if part == "layer":
                layers = entry.blobs.layers
                layers.extend([None] * (index + 1 - len(layers)))
                layers[index] = data
            else:
                setattr(entry.blobs, part, data)
            blobs = entry.blobs
            entry.nbytes = sum(len(b) for b in [blobs.background, blobs.composite, *blobs.layers] if b)
            self._bound(blob_id)

    def pin(self, blob_id: str) -> None:
        """Keep a set a queued event will read past the per-session limits (age and session end still apply)."""
        with self.lock:
            if blob_id in self.sets:
                self.sets[blob_id].pinned = True

    def drop_session(self, session: str) -> int:
        """Forget a session's sets (it ended); returns how many."""
        with self.lock:
            ids = [blob_id for blob_id, entry in self.sets.items() if entry.session == session]
            for blob_id in ids:
                del self.sets[blob_id]
            self._expire()
            return len(ids)

    def _expire(self) -> None:
        oldest = self.clock() - self.limits.blob_max_age_s
        for blob_id in [blob_id for blob_id, entry in self.sets.items() if entry.created < oldest]:
            del self.sets[blob_id]

    def _bound(self, newest: str) -> None:
        """Drop the oldest sets, never `newest`: the session's unpinned ones over its limits, then any over
        the totals (unpinned first)."""
        limits, session = self.limits, self.sets[newest].session
        own = [i for i, e in self.sets.items() if e.session == session and not e.pinned and i != newest]
        held = self.sets[newest].nbytes + sum(self.sets[i].nbytes for i in own)
        while own and (len(own) + 1 > limits.blob_sets_per_session or held > limits.blob_bytes_per_session):
            held -= self.sets.pop(own.pop(0)).nbytes
        others = sorted((i for i in self.sets if i != newest), key=lambda i: self.sets[i].pinned)  # stable: by age
        total = sum(e.nbytes for e in self.sets.values())
        while others and (len(self.sets) > limits.blob_sets_total or total > limits.blob_bytes_total):
            total -= self.sets.pop(others.pop(0)).nbytes


def _refuse(detail: str) -> HTTPException:
    return HTTPException(status_code=400, detail=detail)


def read_part(data, max_layers: int) -> tuple[str, str, str, int | None, bytes]:
    """(session, id, part, layer index, bytes) from an accept_blobs post, checked before anything is kept."""
    if not isinstance(data, DataWithFiles) or not isinstance(data.data, dict):
        raise _refuse("accept_blobs takes a multipart form with one file")
    fields = data.data
    if len(data.files) != 1:
        raise _refuse(f"accept_blobs takes one file, got {len(data.files)}")
    session, blob_id, part = fields.get("session_hash"), fields.get("id"), fields.get("type")
    if not isinstance(session, str) or not BLOB_ID.fullmatch(session):
        raise _refuse("session_hash must be 1 to 64 letters, digits, '-' or '_'")
    if not isinstance(blob_id, str) or not BLOB_ID.fullmatch(blob_id):
        raise _refuse("id must be 1 to 64 letters, digits, '-' or '_'")
    if part not in PARTS:
        raise _refuse(f"type must be one of {', '.join(PARTS)}, got {str(part)[:40]!r}")
    index = None
    if part == "layer":
        raw = fields.get("index")
        if not isinstance(raw, str) or not LAYER_INDEX.fullmatch(raw) or int(raw) >= max_layers:
            raise _refuse(f"a layer's index must be an integer from 0 to {max_layers - 1}, got {str(raw)[:40]!r}")
        index = int(raw)
    return session, blob_id, part, index, data.files[0][1]


def guarded_accept_blobs(store: BlobStore, max_layers: int):
    """An `accept_blobs` for one editor instance: the fields checked, the part kept in `store`."""

    def accept_blobs(data) -> None:
        session, blob_id, part, index, blob = read_part(data, max_layers)
        store.put(session, blob_id, part, index, blob)

    accept_blobs._is_server_fn = True  # what the component_server route asks of a server function
    return accept_blobs


class Listeners:
    """Streams open now, by session hash (result streams and heartbeats) or event id (`/call/…` results),
    as GuardMiddleware sees them."""

    def __init__(self):
        self.open: Counter[str] = Counter()
        self.watching = False  # set once the middleware is in the app: without it nobody counts as gone

    def opened(self, key: str) -> None:
        self.open[key] += 1

    def closed(self, key: str) -> None:
        self.open[key] -= 1
        if self.open[key] <= 0:
            del self.open[key]

    def hears(self, event) -> bool:
        return self.open[event.session_hash] > 0 or self.open[event._id] > 0

    async def wait_for(self, event, grace_s: float) -> bool:
        """Whether the event's caller is there (a result stream or its page's heartbeat open), or comes
        within grace_s of joining."""
        deadline = event.enqueue_time + grace_s
        while not self.hears(event):
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True


def _declared_length(scope) -> int:
    """A request's Content-Length, or 0 where it names none."""
    length = dict(scope["headers"]).get(b"content-length", b"")
    return int(length) if length.isdigit() else 0


def _too_large(what: str, limit: int) -> JSONResponse:
    size = f"{limit // MB} MB" if limit >= MB else f"{limit // 1024} KB"
    return JSONResponse({"detail": f"{what} may be at most {size}"}, 413)


class TooLarge(Exception):
    """A request body passed GuardLimits.request_bytes while it was read."""


class GuardMiddleware:
    """ASGI: refuses component_server posts over `request_bytes` and an event's arguments over `call_bytes`
    (by Content-Length before reading, or counted as the body arrives) with a 413, and counts result streams
    and heartbeats."""

    def __init__(self, app, guards: "Guards"):
        self.app = app
        self.guards = guards
        guards.listeners.watching = True

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        limits = self.guards.limits
        if method == "POST" and COMPONENT_SERVER.search(path):
            return await self._bounded_post(scope, receive, send, limits.request_bytes, "a post to component_server")
        if method == "POST" and CALL.search(path):
            return await self._checked_call(scope, receive, send)
        key = self._stream_key(scope) if method == "GET" else None
        if key is None:
            return await self.app(scope, receive, send)
        self.guards.listeners.opened(key)
        try:
            await self.app(scope, receive, send)
        finally:
            self.guards.listeners.closed(key)

    async def _bounded_post(self, scope, receive, send, limit: int, what: str) -> None:
        too_large = _too_large(what, limit)
        if _declared_length(scope) > limit:
            return await too_large(scope, receive, send)
        received, started = 0, False

        async def counted_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge
            return message

        async def watched_send(message):
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except TooLarge:
            if not started:
                await too_large(scope, receive, send)

    async def _checked_call(self, scope, receive, send) -> None:
        """An event's arguments: read whole (over `call_bytes`, a 413), refused in one sentence where the body is
        no JSON object this server reads (web.arguments.read_body), then handed on as they came."""
        limit = self.guards.limits.call_bytes
        too_large = _too_large("an event's arguments (files go by POST /gradio_api/upload)", limit)
        if _declared_length(scope) > limit:
            return await too_large(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the caller has gone
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                return await too_large(scope, receive, send)
        form = JOIN_FORM if scope["path"].rstrip("/").endswith("/queue/join") else CALL_FORM
        try:
            read_body(bytes(body), form)
        except Refused as refused:
            return await JSONResponse({"detail": str(refused)}, 400)(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _stream_key(scope) -> str | None:
        """The session hash or event id a GET stream listens for, if it is one."""
        path = scope["path"]
        if RESULTS.search(path):
            return parse_qs(scope["query_string"].decode()).get("session_hash", [None])[0]
        stream = CALL_RESULTS.search(path) or HEARTBEAT.search(path)
        return stream["key"] if stream else None


@dataclass
class Guards:
    """What install_guards put in place; `app_kwargs` goes to `Blocks.launch`."""

    limits: GuardLimits
    store: BlobStore
    listeners: Listeners = field(default_factory=Listeners)
    dropped: int = 0  # events whose caller had gone
    refused: int = 0  # joins over a session's places
    routes: tuple[str, ...] = ()  # the API's routes (public events), named to a caller who asks for another

    @property
    def app_kwargs(self) -> dict:
        handlers = dict.fromkeys((KeyError, ValidationError), component_server_error)
        handlers[RequestValidationError] = request_body_error
        handlers[FnIndexInferError] = self.unknown_route
        return {"middleware": [Middleware(GuardMiddleware, guards=self)], "exception_handlers": handlers}

    async def unknown_route(self, request, error: Exception) -> JSONResponse:
        """A call to a route that is not the API's (a page's own event, or none): a 404 naming the API's routes,
        where Gradio answers a bare 500."""
        routes = ", ".join(f"/{name}" for name in self.routes) or "none"
        detail = f"{quote(request.url.path)} is no API route; this server's are {routes} (GET /gradio_api/info)"
        return JSONResponse({"detail": detail}, status_code=404)


async def component_server_error(request, error: Exception) -> JSONResponse:
    """Gradio's component_server reads a multipart post's fields and looks up its component unchecked: a
    missing field or an unknown or non-integer id gets a 400 naming the fields, not a bare 500. Elsewhere
    the error goes on as before."""
    if not COMPONENT_SERVER.search(request.url.path):
        raise error
    said = str(error).splitlines()[0]
    detail = f"component_server takes {COMPONENT_SERVER_FIELDS}; {type(error).__name__}: {said}"
    return JSONResponse({"detail": detail}, status_code=400)


async def request_body_error(request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's answer to a body its model refuses lists every error with what was given, so a 1 MB value comes
    back whole; to an event's arguments, one sentence names the first field instead. Elsewhere FastAPI's own."""
    path = request.url.path
    if request.method != "POST" or not CALL.search(path):
        return await request_validation_exception_handler(request, error)
    first = (error.errors() or [{}])[0]
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "object"
    form = JOIN_FORM if path.rstrip("/").endswith("/queue/join") else CALL_FORM
    if first.get("type") == "missing":
        wrong = "is missing"
    else:
        said = str(first.get("msg", "is not what this route takes")).split(",")[0].removeprefix("Input ")
        wrong = f"{said}, got {quote(first.get('input'), 40)}"
    return JSONResponse({"detail": f"The request body's {field} {wrong}; send {form}"}, 422)


def _waiting(queue, session: str) -> list:
    return [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue if e.session_hash == session]


def _guard_queue(queue, guards: Guards) -> None:
    """Wrap this queue's push (places per session, pins the blobs an event will read) and its
    process_events (drops the events of callers who have gone, and stops running work when they go)."""
    limits, push, process_events = guards.limits, queue.push, queue.process_events
    joining: Counter[str] = Counter()
    listeners = sum(1 for fn in queue.blocks.fns.values() if fn.queue and fn.fn is not None)
    per_session = limits.waiting_per_session or max(1, listeners) * limits.waiting_per_event

    async def guarded_push(body, request, username):
        session = body.session_hash
        if session is not None:
            waiting = _waiting(queue, session)
            same = sum(e.fn._id == body.fn_index for e in waiting)
            if len(waiting) + joining[session] >= per_session or same >= limits.waiting_per_event:
                guards.refused += 1
                raise HTTPException(
                    status_code=429,
                    detail=f"This session already has {len(waiting)} requests waiting ({same} of this one); "
                    f"at most {per_session} (and {limits.waiting_per_event} of one kind) may wait. "
                    "Try again when one has finished.",
                )
            joining[session] += 1
        try:
            result = await push(body, request, username)
        finally:
            if session is not None:
                joining[session] -= 1
                if joining[session] <= 0:
                    del joining[session]
        for value in body.data or []:
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                guards.store.pin(value["id"])
        return result

    async def drop_unheard(events) -> None:
        for event in events:
            if event.alive and not await guards.listeners.wait_for(event, limits.listen_grace_s):
                message = "Dropped: no one was reading this request's results when its turn came."
                with contextlib.suppress(KeyError):  # its session's messages are gone: nobody to tell
                    queue.send_message(
                        event, ProcessCompletedMessage(output=error_payload(gr.Error(message), True), success=False)
                    )
                event.alive = False
                guards.dropped += 1

    async def guarded_process_events(events, batch, begin_time, fn):
        """Drop the events nobody hears, then the queue's own process_events, which also frees the worker's
        slot: it runs whatever happens here (an error, a cancelled task), with nothing left alive if so."""
        if guards.listeners.watching:
            try:
                await drop_unheard(events)
            except BaseException:
                for event in events:
                    event.alive = False
                await process_events(events, batch, begin_time, fn)
                raise

        def gone() -> bool:  # read between stages and tiles of the work (inpaint_core.cancel)
            return guards.listeners.watching and not any(guards.listeners.hears(event) for event in events)

        with cancel_when(gone):  # work whose caller leaves stops at its next checkpoint
            return await process_events(events, batch, begin_time, fn)

    queue.push = guarded_push
    queue.process_events = guarded_process_events


def release_freed_memory() -> None:
    """Return freed heap to the system (glibc's malloc_trim): after many strokes, glibc keeps tens of MB the
    session freed in its per-thread arenas. Nothing happens where the C library has no malloc_trim."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def install_guards(blocks: gr.Blocks, limits: GuardLimits = GuardLimits()) -> Guards:
    """Bound the ImageEditors' blob stores and the queue's places per session; drop queued work of callers
    who have gone; check each event's arguments before Gradio reads them (web.arguments). Call after
    `blocks.queue(...)` and before launch, then launch with
    `app_kwargs=guards.app_kwargs` (the middleware that counts result streams and caps posts). A second
    call returns the first one's guards."""
    if getattr(blocks, "_queue", None) is None:
        raise ValueError("blocks: call blocks.queue(...) before install_guards")
    if isinstance(getattr(blocks, "_guards", None), Guards):
        return blocks._guards  # installed once: a second call changes nothing
    store = BlobStore(limits)
    routes = tuple(fn.api_name for fn in blocks.fns.values() if fn.fn is not None and fn.api_visibility == "public")
    guards = blocks._guards = Guards(limits, store, routes=routes)
    for block in blocks.blocks.values():
        if isinstance(block, gr.ImageEditor):
            own_layers = len(getattr(block.layers, "layers", None) or [])
            block.blob_storage = store
            block.accept_blobs = guarded_accept_blobs(store, max(limits.max_layers, own_layers))

    def forget_session(request: gr.Request) -> None:
        """The session ended (its heartbeat closed): its strokes go, and the memory they and its work used
        goes back to the system."""
        if request.session_hash:
            store.drop_session(request.session_hash)
        release_freed_memory()

    install_argument_checks(blocks)  # each argument checked, and refused in one short sentence
    _guard_queue(blocks._queue, guards)  # before unload is added: it counts the page's queued listeners
    blocks.unload(forget_session)
    return guards
