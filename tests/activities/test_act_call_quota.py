"""The worker's pacer: turns shared through PostgreSQL, refusals before sending, and pacing alone
while the database is out of reach. Sleeping is recorded, not done, so nothing here waits."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from activities.call_quota import SharedCallQuota
from activities.gateway import to_application_error
from alibaba1688 import ThrottledError
from ledger.database import create_pool
from ports import free_port

API = "com.alibaba.fenxiao.crossborder:product.search.keywordQuery"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_three_workers_share_one_queue_of_turns(database_url):
    pools = [await create_pool(database_url) for _ in range(3)]
    sleeps = Sleeps()
    quotas = [SharedCallQuota(pool, "1000000", 60, max_wait=timedelta(hours=1), sleep=sleeps) for pool in pools]
    try:
        await asyncio.gather(*(quotas[n % 3](API) for n in range(30)))
    finally:
        for pool in pools:
            await pool.close()
    interval = quotas[0].interval.total_seconds()
    assert interval > 1.0  # 60 a minute, never 61 in any minute
    # The first call goes at once; the others wait their turn, the last for all 29 before it.
    assert len(sleeps.waits) == 29
    assert max(sleeps.waits) == pytest.approx(29 * interval, abs=1.0)


async def test_a_call_beyond_the_longest_wait_is_refused_as_retryable_throttling(db_pool):
    sleeps = Sleeps()
    quota = SharedCallQuota(db_pool, "1000000", 6, max_wait=timedelta(seconds=15), sleep=sleeps)
    await quota(API)
    await quota(API)  # the next turn, about 12 s away
    with pytest.raises(ThrottledError) as refused:
        await quota(API)
    assert refused.value.code == "local.CallQuota" and 5.0 < refused.value.retry_after <= 12.5
    failure = to_application_error(refused.value)
    assert failure.type == "Throttled" and not failure.non_retryable
    assert failure.next_retry_delay == timedelta(seconds=refused.value.retry_after)
    assert len(sleeps.waits) == 1


async def test_without_the_database_a_worker_paces_itself_alone():
    port = free_port()  # nobody listens on it
    pool = await asyncpg.create_pool(f"postgresql://nobody@127.0.0.1:{port}/none", min_size=0)
    sleeps = Sleeps()
    quota = SharedCallQuota(pool, "1000000", 30, max_wait=timedelta(seconds=10), sleep=sleeps)
    try:
        for _ in range(3):
            await quota(API)
    finally:
        await pool.close()
    interval = quota.interval.total_seconds()
    assert sleeps.waits == [pytest.approx(interval, abs=0.5), pytest.approx(2 * interval, abs=0.5)]
