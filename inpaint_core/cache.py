"""A small, thread-safe, bounded least-recently-used cache."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRUCache:
    """Keeps at most `max_entries` values; the least recently used goes first."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: Hashable) -> Any:
        """The cached value, or None; does not count as a use."""
        with self._lock:
            return self._items.get(key)

    def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> tuple[Any, bool]:
        """(value, True) if cached, else (make(), False) after storing it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key], True
        value = make()  # outside the lock: other users' requests go on meanwhile
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value, False
