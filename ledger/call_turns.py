"""Turns for 1688 business calls, booked in PostgreSQL so that every worker shares one quota.

Virtual scheduling on one row per app key: a call takes the next free turn (never earlier than
now) and pushes it ``interval`` further. The database's clock decides, so workers on machines
with skewed clocks still agree. A turn further than ``max_wait`` away is not booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

_BOOK = """
    INSERT INTO api_call_turns AS t (app_key, next_free) VALUES ($1, clock_timestamp() + $2)
    ON CONFLICT (app_key) DO UPDATE
        SET next_free = greatest(t.next_free, clock_timestamp()) + $2
        WHERE t.next_free <= clock_timestamp() + $3
    RETURNING t.next_free - $2 AS turn, extract(epoch FROM (t.next_free - $2 - clock_timestamp()))::float8 AS wait
"""

_BOOKED_FOR = """
    SELECT extract(epoch FROM (next_free - clock_timestamp()))::float8 FROM api_call_turns WHERE app_key = $1
"""


@dataclass(frozen=True)
class Turn:
    """A booked turn (``at``, and ``wait`` seconds from now, 0 or less: go), or a refusal
    (``at`` is None) with the seconds until a turn within reach is free again."""

    at: datetime | None
    wait: float
    retry_after: float = 0.0


async def book_call_turn(
    pool: asyncpg.Pool, app_key: str, interval: timedelta, max_wait: timedelta, *, timeout: float = 5.0
) -> Turn:
    async with pool.acquire(timeout=timeout) as conn:
        row = await conn.fetchrow(_BOOK, app_key, interval, max_wait, timeout=timeout)
        if row is not None:
            return Turn(at=row["turn"], wait=row["wait"])
        booked_for = await conn.fetchval(_BOOKED_FOR, app_key, timeout=timeout) or 0.0
    retry_after = max(booked_for - max_wait.total_seconds(), interval.total_seconds())
    return Turn(at=None, wait=booked_for, retry_after=retry_after)
