"""Each session's latest edit, so a release's work for an edit the user has painted past stops at its next
checkpoint (inpaint_core.cancel) instead of encoding a mask no one will see."""

import threading
from collections import OrderedDict
from collections.abc import Callable

import gradio as gr

SESSIONS = 1024  # the latest edit of this many sessions is kept; older sessions are never superseded


class LatestEdits:
    """The content key of each session's newest edit, as read from its painter."""

    def __init__(self, most: int = SESSIONS):
        self.most = most
        self.keys: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def note(self, request: gr.Request | None, content_key: str) -> None:
        """This session's painter now holds the edit `content_key`."""
        session = getattr(request, "session_hash", None)
        if session is None:
            return
        with self.lock:
            self.keys.pop(session, None)
            self.keys[session] = content_key
            while len(self.keys) > self.most:
                self.keys.popitem(last=False)

    def superseded(self, request: gr.Request | None, content_key: str) -> Callable[[], bool]:
        """A check, read between stages of the work: has this session painted past `content_key`?"""
        session = getattr(request, "session_hash", None)
        return lambda: session is not None and self.keys.get(session, content_key) != content_key
