"""Figures for the metrics gauges: what the ledger says now (runtime/metrics.py exports them)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def procurements_by_stage(pool: asyncpg.Pool) -> dict[str, int]:
    """Purchase requests per stage: the open ones where they wait, the closed ones in total."""
    rows = await pool.fetch("SELECT stage, count(*) AS n FROM purchase_requests GROUP BY stage")
    return {row["stage"]: row["n"] for row in rows}


async def token_expiry(pool: asyncpg.Pool, app_key: str) -> tuple[datetime | None, datetime | None] | None:
    """When the stored 1688 access and refresh tokens expire; None before the first is stored."""
    row = await pool.fetchrow(
        "SELECT access_token_expires_at, refresh_token_expires_at FROM api_tokens WHERE app_key = $1", app_key
    )
    if row is None:
        return None
    return row["access_token_expires_at"], row["refresh_token_expires_at"]
