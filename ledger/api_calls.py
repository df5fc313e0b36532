"""The audit row of every 1688 call: API, redacted parameters, outcome, code, latency, who asked."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg


@dataclass(frozen=True)
class ApiCallRow:
    api: str
    params: dict[str, Any]
    outcome: str
    error_code: str | None
    latency_ms: int
    workflow_id: str | None = None
    activity_id: str | None = None
    attempt: int | None = None
    called_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    call_id: uuid.UUID = field(default_factory=uuid.uuid4)


_INSERT = """
    INSERT INTO api_calls (call_id, workflow_id, activity_id, attempt, api, params, outcome, error_code,
                           latency_ms, called_at)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
    ON CONFLICT (call_id) DO NOTHING
"""


def _values(row: ApiCallRow) -> tuple[Any, ...]:
    return (row.call_id, row.workflow_id, row.activity_id, row.attempt, row.api,
            json.dumps(row.params, ensure_ascii=False, default=str), row.outcome, row.error_code,
            row.latency_ms, row.called_at)


async def record_api_calls(pool: asyncpg.Pool, rows: Sequence[ApiCallRow], *, timeout: float = 10.0) -> None:
    """Write rows at once (all or none); a row already written is skipped."""
    async with pool.acquire(timeout=timeout) as conn:
        async with conn.transaction():
            await conn.executemany(_INSERT, [_values(row) for row in rows], timeout=timeout)
