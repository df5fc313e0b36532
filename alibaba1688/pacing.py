"""Pacing business calls to stay inside the app's call quota.

The gateway counts every business call against one per-app quota (a sliding 60-second window;
token exchanges are not counted). A *pacer* is awaited before each business call is sent: it may
wait for the call's turn, or raise :class:`~alibaba1688.errors.ThrottledError` to refuse the call
without sending it. The client works without one; a worker shares one across every process that
uses the same app key (see ``activities/call_quota.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from .errors import ThrottledError

#: Awaited with the API's key (``namespace:name``) before the call is sent.
CallPacer = Callable[[str], Awaitable[None]]

#: Allowance for the time between taking a turn and the gateway counting the call (a busy
#: worker process can be off the CPU for a second or so).
JITTER_GUARD_SECONDS = 2.0


def call_interval(calls_per_minute: int, guard: float = JITTER_GUARD_SECONDS) -> float:
    """Seconds between two calls so that no 60-second window ever holds more than the quota.

    Calls spaced ``t`` apart put ``floor(60 / t) + 1`` calls in a closed 60-second window; spacing
    ``quota - 1`` intervals over ``60 + guard`` seconds keeps that at ``quota`` even when a call
    reaches the gateway up to ``guard`` seconds later than its turn.
    """
    if calls_per_minute < 1:
        raise ValueError("calls_per_minute must be at least 1")
    return (60.0 + guard) / max(calls_per_minute - 1, 1)


def refusal(api: str, max_wait: float, retry_after: float, *, shared: bool = False) -> ThrottledError:
    """The error for a call not sent because no turn within ``max_wait`` is free."""
    who = " by all workers together" if shared else ""
    return ThrottledError(
        f"the app's call quota is booked for the next {max_wait:.0f} s{who}; not sent",
        api=api, code="local.CallQuota", retry_after=retry_after,
    )


class LocalPacer:
    """Turns spaced ``interval`` apart within one process (virtual scheduling, no burst).

    Each call takes the next free turn and sleeps until it; a call whose turn is more than
    ``max_wait`` away is refused instead (``None``), so waiting never outgrows the caller's
    timeout. :meth:`take` returns the seconds to wait, or ``None`` when refused.
    """

    def __init__(
        self,
        interval: float,
        max_wait: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._next_free = float("-inf")

    def take(self) -> float | None:
        now = self._clock()
        turn = max(self._next_free, now)
        if turn - now > self.max_wait:
            return None
        self._next_free = turn + self.interval
        return turn - now

    def refused_for(self) -> float:
        """How long until a turn within ``max_wait`` is free again."""
        return max(0.0, self._next_free - self._clock() - self.max_wait)

    async def __call__(self, api: str) -> None:
        wait = self.take()
        if wait is None:
            raise refusal(api, self.max_wait, self.refused_for() or self.interval)
        if wait > 0:
            await self._sleep(wait)
