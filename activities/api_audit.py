"""The audit trail of 1688 calls: one `api_calls` row per HTTP call, tagged with its activity.

An audit row must never turn a completed 1688 call into a retry (a paid order would be paid
again), so writing it cannot fail the call. While PostgreSQL is out of reach the rows wait in
the worker, in order, and are written as soon as it answers again; each row's own id makes a
repeated write harmless. Rows still waiting when the worker stops are written on the way out if
the database allows; only a worker that dies during an outage loses its waiting rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

import asyncpg
from temporalio import activity

from alibaba1688.audit import CallRecord
from ledger.api_calls import ApiCallRow, record_api_calls

log = logging.getLogger(__name__)

BATCH = 500


class ApiAudit:
    """The client's `on_call` hook."""

    def __init__(self, pool: asyncpg.Pool, *, retry_every: float = 1.0, capacity: int = 100_000) -> None:
        self._pool = pool
        self._retry_every = retry_every
        self._capacity = capacity
        self._waiting: deque[ApiCallRow] = deque()
        self._writer: asyncio.Task[None] | None = None
        self.dropped = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def __call__(self, record: CallRecord) -> None:
        workflow_id = activity_id = None
        attempt = None
        if activity.in_activity():
            info = activity.info()
            workflow_id, activity_id, attempt = info.workflow_id, info.activity_id, info.attempt
        row = ApiCallRow(
            api=record.api, params=record.params_redacted, outcome=record.outcome, error_code=record.error_code,
            latency_ms=int(record.latency_ms), workflow_id=workflow_id, activity_id=activity_id, attempt=attempt,
        )
        if not self._waiting:  # rows already waiting go first, to keep the trail in order
            try:
                await record_api_calls(self._pool, [row])
                return
            except Exception:
                log.warning("could not write the audit row of a %s call; keeping it until the database answers",
                            record.api, exc_info=True)
        self._keep(row)

    def _keep(self, row: ApiCallRow) -> None:
        if len(self._waiting) >= self._capacity:
            self.dropped += 1
            log.error("%d audit rows are waiting for the database; dropped this one (%d so far)",
                      self._capacity, self.dropped)
            return
        self._waiting.append(row)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name="api-audit-writer")

    async def _write_waiting(self) -> None:
        while self._waiting:
            if not await self._write_some():
                await asyncio.sleep(self._retry_every)
        log.info("audit rows kept during the database outage are written")

    async def _write_some(self) -> bool:
        batch = [self._waiting[n] for n in range(min(BATCH, len(self._waiting)))]
        try:
            await record_api_calls(self._pool, batch)
        except Exception:
            return False
        for _ in batch:
            self._waiting.popleft()
        return True

    async def aclose(self, timeout: float = 5.0) -> None:
        """On the way out: one last chance for waiting rows, then say how many are lost."""
        if self._writer is not None:
            self._writer.cancel()
        try:
            async with asyncio.timeout(timeout):
                while self._waiting and await self._write_some():
                    pass
        except TimeoutError:
            pass
        if self._waiting:
            log.error("%d audit rows could not be written before the worker stopped", len(self._waiting))
