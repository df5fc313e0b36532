"""The step-by-step story of a procurement (``trace_events``), written idempotently."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def record_trace_event(
    pool: asyncpg.Pool, workflow_id: str, step: str, kind: str, detail: dict[str, Any]
) -> bool:
    """Record one step; return False when that step was already recorded (a retry)."""
    status = await pool.execute(
        """INSERT INTO trace_events (workflow_id, step, kind, detail)
           VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (workflow_id, step) DO NOTHING""",
        workflow_id,
        step,
        kind,
        json.dumps(detail, ensure_ascii=False, default=str),
    )
    return status.endswith(" 1")


async def trace_of(pool: asyncpg.Pool, workflow_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT step, kind, detail, recorded_at FROM trace_events WHERE workflow_id = $1 ORDER BY recorded_at, step",
        workflow_id,
    )
