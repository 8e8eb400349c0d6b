"""A small, thread-safe, bounded least-recently-used cache that makes each value once."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any


class LRUCache:
    """Keeps at most `max_entries` values and, given `size_of`, at most `max_bytes` of them (the newest
    value is kept whatever its size); the least recently used goes first.

    A value asked for while another thread is making it is waited for, not made twice (two events
    of one slider change need the same preparation; two sessions may need the same latent).
    """

    def __init__(self, max_entries: int, max_bytes: int | None = None, size_of: Callable[[Any], int] | None = None):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size_of = size_of
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._making: dict[Hashable, Future] = {}
        self._lock = threading.Lock()

    def peek(self, key: Hashable) -> Any:
        """The cached value, or None; does not count as a use."""
        with self._lock:
            return self._items.get(key)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> tuple[Any, bool]:
        """(value, True) if cached or made by another thread meanwhile, else (make(), False) after storing it.

        If make() raises, the error reaches every caller waiting for that key and nothing is stored.
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key], True
            pending = self._making.get(key)
            if pending is None:
                pending = self._making[key] = Future()
                pending.set_running_or_notify_cancel()
                making = True
            else:
                making = False
        if not making:
            return pending.result(), True
        try:
            value = make()  # outside the lock: other keys' requests go on meanwhile
        except BaseException as error:
            with self._lock:
                del self._making[key]
            pending.set_exception(error)
            raise
        with self._lock:
            del self._making[key]
            self._store(key, value)
        pending.set_result(value)
        return value, False

    def sizes(self) -> list[tuple[Hashable, int]]:
        """(key, size) of every value kept, oldest first."""
        with self._lock:
            return list(self._sizes.items())

    def discard(self, unwanted: Callable[[Hashable, int], bool]) -> int:
        """Drop every value for which unwanted(key, its size) holds (values being made are left alone);
        how many went. Sizes are size_of's (0 without one)."""
        with self._lock:
            gone = [key for key in self._items if unwanted(key, self._sizes[key])]
            for key in gone:
                del self._items[key], self._sizes[key]
        return len(gone)

    def _store(self, key: Hashable, value: Any) -> None:
        """Insert as the newest, then drop the oldest while over a bound (called under the lock)."""
        self._items[key] = value
        self._items.move_to_end(key)
        self._sizes[key] = self.size_of(value) if self.size_of else 0
        while len(self._items) > 1 and (
            len(self._items) > self.max_entries
            or (self.max_bytes is not None and sum(self._sizes.values()) > self.max_bytes)
        ):
            oldest, _ = self._items.popitem(last=False)
            del self._sizes[oldest]
