"""Call turns booked in PostgreSQL: several pools (as several workers would) share one queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ledger.call_turns import book_call_turn
from ledger.database import create_pool


async def test_workers_booking_at_once_get_distinct_turns_one_interval_apart(database_url):
    pools = [await create_pool(database_url) for _ in range(3)]
    try:
        interval, max_wait = timedelta(seconds=1), timedelta(hours=1)
        turns = await asyncio.gather(*(book_call_turn(pools[n % 3], "1000000", interval, max_wait) for n in range(30)))
    finally:
        for pool in pools:
            await pool.close()
    booked = sorted(t.at for t in turns)
    assert None not in booked
    assert [b - a for a, b in zip(booked, booked[1:])] == [interval] * 29
    assert sorted(t.wait for t in turns)[-1] >= 28  # the last waits for everyone before it


async def test_turns_beyond_the_longest_wait_are_refused_and_say_when_to_come_back(db_pool):
    interval, max_wait = timedelta(seconds=1), timedelta(seconds=5)
    turns = await asyncio.gather(*(book_call_turn(db_pool, "1000000", interval, max_wait) for _ in range(20)))
    booked = [t for t in turns if t.at is not None]
    refused = [t for t in turns if t.at is None]
    # Turns at +0 ... +5 (one more if the database's clock moved on while booking).
    assert 6 <= len(booked) <= 8
    assert max(t.wait for t in booked) <= 5 + 1e-3
    assert refused and all(1.0 <= t.retry_after <= 3.0 for t in refused)
    count = await db_pool.fetchval("SELECT count(*) FROM api_call_turns")
    assert count == 1


async def test_each_app_key_has_its_own_turns(db_pool):
    interval, max_wait = timedelta(seconds=10), timedelta(seconds=1)
    first = await book_call_turn(db_pool, "app-one", interval, max_wait)
    other = await book_call_turn(db_pool, "app-two", interval, max_wait)
    again = await book_call_turn(db_pool, "app-one", interval, max_wait)
    assert first.at is not None and other.at is not None
    assert again.at is None and 8.0 <= again.retry_after <= 10.0
