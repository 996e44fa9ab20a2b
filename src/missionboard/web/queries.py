"""The web's caches: computed figures (``TtlCache``) and values read at a count of writes (``Stamped``).
The explorer's read models and their SQL live in ``services.explorer`` and ``store.explorer``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["Stamped", "TtlCache"]

T = TypeVar("T")


class TtlCache:
    """A thread-safe cache of computed values: one computation per key at a time, stale values served while
    a fresh one is computed in the background (so a slow figure never stalls every request at once)."""

    def __init__(
        self,
        seconds: float,
        *,
        stamp: Callable[[], int] | None = None,
        every: float = 1.0,
        limit: int | None = None,
    ) -> None:
        self.seconds = seconds
        self.limit = limit
        """At most this many values are kept (None: no bound); beyond it the oldest computed is forgotten."""
        self._values: dict[Any, tuple[float, Any]] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._refreshing: set[Any] = set()
        self._lock = threading.Lock()
        self._stamp = stamp
        self._every = every
        self._seen: tuple[float, int] | None = None

    def _follow_writes(self) -> None:
        """At most every ``every`` seconds, read the workspace's change stamp: when another process (a web
        worker, a CLI command) wrote since, every value is marked stale and refreshed in the background,
        so a figure is never older than one refresh after a write anywhere."""
        if self._stamp is None:
            return
        now = time.monotonic()
        with self._lock:
            if self._seen is not None and now - self._seen[0] < self._every:
                return
            previous = self._seen
            self._seen = (now, previous[1] if previous else -1)
        try:
            stamp = self._stamp()
        except Exception:  # a busy or unreachable workspace: keep what we have, look again later
            return
        with self._lock:
            self._seen = (now, stamp)
        if previous is not None and previous[1] != stamp:
            self.expire()

    def _key_lock(self, key: Any) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def _compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        value = compute()
        with self._lock:
            self._values.pop(key, None)  # re-inserted last: the newest is forgotten last
            self._values[key] = (time.monotonic(), value)
            while self.limit is not None and len(self._values) > self.limit:
                oldest = next(iter(self._values))
                del self._values[oldest]
                self._locks.pop(oldest, None)
        return value

    def _refresh(self, key: Any, compute: Callable[[], Any]) -> None:
        try:
            with self._key_lock(key):
                self._compute(key, compute)
        except Exception:  # keep serving the stale value; the next request will try again
            pass
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        self._follow_writes()
        with self._lock:
            hit = self._values.get(key)
        if hit is not None:
            if time.monotonic() - hit[0] >= self.seconds:
                with self._lock:
                    start = key not in self._refreshing
                    self._refreshing.add(key)
                if start:
                    threading.Thread(target=self._refresh, args=(key, compute), daemon=True).start()
            value: T = hit[1]
            return value
        with self._key_lock(key):
            with self._lock:
                hit = self._values.get(key)
            if hit is not None:  # computed by another request while this one waited
                cached: T = hit[1]
                return cached
            fresh: T = self._compute(key, compute)
            return fresh

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def drop(self, matches: Callable[[Any], bool]) -> None:
        """Forget the values whose key ``matches``: the next request computes them afresh."""
        with self._lock:
            for key in [k for k in self._values if matches(k)]:
                del self._values[key]

    def expire(self) -> None:
        """Mark every value stale: it is still served, while a fresh one is computed in the background."""
        with self._lock:
            self._values = {k: (-self.seconds, v) for k, (_, v) in self._values.items()}


class Stamped:
    """Values read from the workspace, each kept with its count of writes (``Workspace.changes()``, read
    before the value): a request that read the same count gets the same value without a query, one that
    read another count reads afresh. Exact, unlike ``TtlCache``: any write, here or in another process,
    is seen by the next request. At most ``limit`` values are kept, the oldest forgotten first."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._values: dict[Any, tuple[int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, changes: int, key: Any, read: Callable[[], T]) -> T:
        hit = self._values.get(key)
        if hit is not None and hit[0] == changes:
            kept: T = hit[1]
            return kept
        value = read()
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = (changes, value)
            while len(self._values) > self.limit:
                del self._values[next(iter(self._values))]
        return value
