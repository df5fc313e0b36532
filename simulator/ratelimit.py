"""Per-app-key sliding-window rate limit, answering ``gw.QosAppFrequencyLimit`` when exceeded.

No official quota is published, so the limit is configuration (``app.calls_per_minute``). The
window runs on the simulator clock: a frozen test clock makes throttling exact and repeatable.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class SlidingWindow:
    def __init__(self, limit: int, window: timedelta = timedelta(minutes=1)) -> None:
        self.limit = limit
        self.window = window
        self._calls: dict[str, deque[datetime]] = {}

    def try_acquire(self, key: str, now: datetime) -> bool:
        """Count a call for ``key`` at ``now`` unless the window is full (a refused call is not counted)."""
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.limit:
            return False
        calls.append(now)
        return True

    def reset(self) -> None:
        self._calls.clear()
