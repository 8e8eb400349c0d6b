"""The bounded cache: least recently used goes first; each value is made once, even when asked for at once."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from inpaint_core.cache import LRUCache


def test_the_least_recently_used_goes_first():
    cache = LRUCache(max_entries=2)
    cache.get_or_make("a", lambda: 1)
    cache.get_or_make("b", lambda: 2)
    assert cache.get_or_make("a", lambda: 0) == (1, True)  # a used: b is now the oldest
    cache.get_or_make("c", lambda: 3)
    assert cache.peek("b") is None and cache.peek("a") == 1 and cache.peek("c") == 3


def test_a_value_asked_for_by_many_threads_at_once_is_made_once():
    cache, calls, started = LRUCache(max_entries=4), [], threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "latent"

    with ThreadPoolExecutor(max_workers=4) as workers:
        first = workers.submit(cache.get_or_make, "key", slow)
        started.wait()
        others = [workers.submit(cache.get_or_make, "key", slow) for _ in range(3)]
        assert first.result() == ("latent", False)
        assert [o.result() for o in others] == [("latent", True)] * 3
    assert len(calls) == 1


def test_an_error_reaches_every_waiter_and_nothing_is_kept():
    cache, started = LRUCache(max_entries=4), threading.Event()

    def failing():
        started.set()
        time.sleep(0.2)
        raise MemoryError("out of GPU memory")

    with ThreadPoolExecutor(max_workers=2) as workers:
        first = workers.submit(cache.get_or_make, "key", failing)
        started.wait()
        waiter = workers.submit(cache.get_or_make, "key", lambda: "never made")
        for future in (first, waiter):
            with pytest.raises(MemoryError, match="out of GPU memory"):
                future.result()
    assert cache.peek("key") is None
    assert cache.get_or_make("key", lambda: "made") == ("made", False)  # the next request starts afresh


def test_a_byte_budget_drops_the_oldest_but_keeps_the_newest_whatever_its_size():
    cache = LRUCache(max_entries=10, max_bytes=100, size_of=len)
    cache.get_or_make("a", lambda: "x" * 40)
    cache.get_or_make("b", lambda: "x" * 40)
    cache.get_or_make("c", lambda: "x" * 40)  # 120 > 100: a goes
    assert cache.peek("a") is None and cache.peek("b") and cache.peek("c")
    cache.get_or_make("huge", lambda: "x" * 500)  # over the budget alone: kept, the rest goes
    assert cache.peek("huge") and cache.peek("b") is None and cache.peek("c") is None


def test_discard_drops_the_unwanted_and_their_bytes():
    cache = LRUCache(8, max_bytes=100, size_of=len)
    for key in ("a1", "a2", "b1"):
        cache.get_or_make(key, lambda k=key: "x" * 30)
    assert cache.discard(lambda key, size: key.startswith("a") and size == 30) == 2
    assert cache.peek("a1") is None and cache.peek("b1") == "x" * 30
    for key in ("c1", "c2"):  # the bytes of what went no longer count: three of 30 fit again
        cache.get_or_make(key, lambda: "y" * 30)
    assert cache.peek("b1") is not None
