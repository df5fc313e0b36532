"""The simulator's clock: wall time scaled by a speed factor, plus manual jumps.

Tests freeze it (``speed=0``) and move it explicitly, so nothing in a test waits on real time; the
demo runs it faster than real time so a shipment crosses the country in minutes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class SimClock:
    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._origin = (start or datetime.now(SHANGHAI)).astimezone(SHANGHAI)
        self._wall_origin = time.monotonic()
        self._speed = speed
        self._jumped = timedelta()

    @classmethod
    def frozen(cls, start: datetime | None = None) -> SimClock:
        """A clock that only moves when told to (the default for tests)."""
        return cls(start or datetime(2026, 5, 26, 9, 0, tzinfo=SHANGHAI), speed=0.0)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._wall_origin) * self._speed
        return self._origin + self._jumped + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        self._jumped += delta
        return self.now()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        # Re-anchor so the change applies from now on and time never jumps backwards.
        self._origin = self.now() - self._jumped
        self._wall_origin = time.monotonic()
        self._speed = speed
