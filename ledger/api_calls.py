"""The audit row of every 1688 call: API, redacted parameters, outcome, code, latency, who asked."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def record_api_call(
    pool: asyncpg.Pool, *, api: str, params: dict[str, Any], outcome: str, error_code: str | None,
    latency_ms: int, workflow_id: str | None, activity_id: str | None, attempt: int | None,
) -> None:
    await pool.execute(
        """INSERT INTO api_calls (workflow_id, activity_id, attempt, api, params, outcome, error_code, latency_ms)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)""",
        workflow_id, activity_id, attempt, api, json.dumps(params, ensure_ascii=False, default=str),
        outcome, error_code, latency_ms,
    )
