"""Purchase requests as the ERP sees them: what was asked, where it stands, how it ended."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def record_purchase_request(
    pool: asyncpg.Pool, request_id: str, workflow_id: str, requester: str | None, request: dict[str, Any]
) -> None:
    await pool.execute(
        """INSERT INTO purchase_requests (request_id, workflow_id, requester, request, stage)
           VALUES ($1, $2, $3, $4::jsonb, 'SOURCING')
           ON CONFLICT (request_id) DO NOTHING""",
        request_id, workflow_id, requester, json.dumps(request, ensure_ascii=False, default=str),
    )


async def set_stage(pool: asyncpg.Pool, workflow_id: str, stage: str, outcome: dict[str, Any] | None = None) -> None:
    await pool.execute(
        """UPDATE purchase_requests
           SET stage = $2, outcome = coalesce($3::jsonb, outcome), updated_at = now()
           WHERE workflow_id = $1""",
        workflow_id, stage, None if outcome is None else json.dumps(outcome, ensure_ascii=False, default=str),
    )


async def list_requests(pool: asyncpg.Pool, stage: str | None = None, limit: int = 50) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT request_id, workflow_id, requester, stage, created_at, updated_at
           FROM purchase_requests WHERE ($1::text IS NULL OR stage = $1)
           ORDER BY created_at DESC LIMIT $2""",
        stage, limit,
    )
