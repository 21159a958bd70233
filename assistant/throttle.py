"""How often one client may do something: a sliding window of event times per key (a client's
address), shared by the admin password check, the upload endpoint and the feedback log, so a
flood from one client is refused at once instead of queueing in front of everyone else."""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    """At most ``limit`` events per ``window_s`` seconds per key (thread-safe)."""

    def __init__(self, limit: int, window_s: float, clock=time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def wait_s(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may now)."""
        with self._lock:
            now = self._clock()
            events = self._recent(key, now)
            return 0.0 if len(events) < self.limit else events[0] + self.window_s - now

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        with self._lock:
            now = self._clock()
            self._recent(key, now).append(now)
            if len(self._events) > 10_000:  # forget quiet clients, so the table stays small
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
                    del self._events[k]

    def allow(self, key: str) -> bool:
        """Count one event for ``key`` if it is within the limit; whether it was."""
        with self._lock:
            now = self._clock()
            events = self._recent(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


__all__ = ["Throttle"]
