"""Cooperative cancellation: long work checks, between stages and tiles, whether whoever asked for it is gone.

A caller (a web server, say) runs work inside `cancel_when(gone)`; the work calls `checkpoint()` where it
can stop cheaply, which raises `Cancelled` once `gone()` is true. Outside `cancel_when` a checkpoint does
nothing. The check follows the context (threads started by asyncio's `to_thread` and anyio carry it).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_gone: ContextVar[Callable[[], bool] | None] = ContextVar("inpaint_core_gone", default=None)


class Cancelled(Exception):
    """The work's caller is gone: it was stopped at a checkpoint."""


@contextmanager
def cancel_when(gone: Callable[[], bool]) -> Iterator[None]:
    """Checkpoints inside this block raise Cancelled once `gone()` is true."""
    token = _gone.set(gone)
    try:
        yield
    finally:
        _gone.reset(token)


@contextmanager
def also_cancel_when(gone: Callable[[], bool]) -> Iterator[None]:
    """Inside this block checkpoints also raise Cancelled once `gone()` is true (work superseded by newer
    work of the same caller, say), besides whatever cancel_when holds around it."""
    outer = _gone.get()
    with cancel_when(lambda: gone() or (outer is not None and outer())):
        yield


def checkpoint() -> None:
    """Raise Cancelled if the work's caller is gone; nothing outside cancel_when."""
    gone = _gone.get()
    if gone is not None and gone():
        raise Cancelled("stopped: whoever asked for this work is gone")
