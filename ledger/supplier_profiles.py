"""The seller profiles 1688 gave us, cached by open id with a time to live (migration 0007).

Resolving a seller costs several platform calls, one of them risk-controlled, so the
``fetch_supplier`` activity reads here first and writes what it resolved. Search rows are the
only place the platform states a seller's years; ``note_years`` keeps them for the profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import asyncpg


async def fresh_profile(pool: asyncpg.Pool, supplier_id: str, ttl: timedelta) -> dict[str, Any] | None:
    """The cached profile when it was fetched less than ``ttl`` ago (database clock)."""
    raw = await pool.fetchval(
        """SELECT profile FROM supplier_profiles
           WHERE supplier_id = $1 AND profile IS NOT NULL AND fetched_at > now() - $2::interval""",
        supplier_id, ttl,
    )
    return json.loads(raw) if raw is not None else None


async def store_profile(pool: asyncpg.Pool, supplier_id: str, profile: dict[str, Any]) -> None:
    await pool.execute(
        """INSERT INTO supplier_profiles (supplier_id, profile, fetched_at) VALUES ($1, $2::jsonb, now())
           ON CONFLICT (supplier_id) DO UPDATE SET profile = EXCLUDED.profile, fetched_at = EXCLUDED.fetched_at""",
        supplier_id, json.dumps(profile, ensure_ascii=False),
    )


async def note_years(pool: asyncpg.Pool, years: Iterable[tuple[str, int]]) -> None:
    """Remember the years search rows stated, newest wins; one statement for a whole page."""
    rows = {supplier_id: count for supplier_id, count in years if supplier_id and count is not None and count >= 0}
    if not rows:
        return
    await pool.execute(
        """INSERT INTO supplier_profiles (supplier_id, years, years_seen_at)
           SELECT s, y, now() FROM unnest($1::text[], $2::int[]) AS t(s, y)
           ON CONFLICT (supplier_id) DO UPDATE SET years = EXCLUDED.years, years_seen_at = EXCLUDED.years_seen_at""",
        list(rows), list(rows.values()),
    )


async def years_of(pool: asyncpg.Pool, supplier_id: str) -> int | None:
    return await pool.fetchval("SELECT years FROM supplier_profiles WHERE supplier_id = $1", supplier_id)


async def forget(pool: asyncpg.Pool, supplier_id: str) -> None:
    """Drop a cached profile (tests, or an operator who knows it changed)."""
    await pool.execute(
        "UPDATE supplier_profiles SET profile = NULL, fetched_at = NULL WHERE supplier_id = $1", supplier_id
    )


__all__ = ["forget", "fresh_profile", "note_years", "store_profile", "years_of"]

