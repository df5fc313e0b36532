"""The app's 1688 call quota, shared by every worker through PostgreSQL.

The 1688 task queue's server-side rate limit counts activities, but paying, confirming receipt,
filing a refund or tracking a parcel each take two to four calls, so workers pacing activities
alone go over the app's quota (docs/reliability.md has the figures). This pacer gives every
business call a turn booked in the ledger database, so all workers together send at most
``calls_per_minute`` calls in any 60 seconds.

While PostgreSQL cannot be reached each worker paces itself alone at the same rate, so 1688
work goes on (N workers may then exceed the quota N-fold; the gateway's throttling replies are
retried like any other). A call whose turn is more than ``max_wait`` away is refused before it
is sent, as a retryable `Throttled` failure with the delay until a turn is free, so no activity
waits out its own timeout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg

from alibaba1688.pacing import LocalPacer, call_interval, refusal
from ledger.call_turns import book_call_turn

log = logging.getLogger(__name__)

# Well inside the activities' 60 s start-to-close timeout, which also covers the HTTP calls.
MAX_WAIT = timedelta(seconds=10)


class SharedCallQuota:
    def __init__(self, pool: asyncpg.Pool, app_key: str, calls_per_minute: int,
                 max_wait: timedelta = MAX_WAIT, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._pool = pool
        self._sleep = sleep
        self._app_key = app_key
        self.interval = timedelta(seconds=call_interval(calls_per_minute))
        self._max_wait = max_wait
        self._alone = LocalPacer(self.interval.total_seconds(), max_wait.total_seconds(), sleep=sleep)
        self._shared = True

    async def __call__(self, api: str) -> None:
        try:
            turn = await book_call_turn(self._pool, self._app_key, self.interval, self._max_wait)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if self._shared:
                log.warning("the shared 1688 call quota is unreachable in PostgreSQL; pacing this worker alone")
                self._shared = False
            await self._alone(api)
            return
        if not self._shared:
            log.info("the shared 1688 call quota is reachable again")
            self._shared = True
        if turn.at is None:
            raise refusal(api, self._max_wait.total_seconds(), turn.retry_after, shared=True)
        if turn.wait > 0:
            await self._sleep(turn.wait)
