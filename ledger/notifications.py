"""The notification outbox: events the ledger queued, and their delivery to each channel."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import asyncpg

# A claimed delivery is someone's for this long; a dispatcher that died mid-send frees it after.
CLAIM_LEASE = timedelta(seconds=120)


async def queue_event(pool: asyncpg.Pool, event_key: str, event_type: str, detail: dict[str, Any],
                      workflow_id: str | None = None) -> bool:
    """Queue an event that no ledger row carries (e.g. a channel failing); False when already queued."""
    status = await pool.execute(
        """INSERT INTO notification_events (event_key, event_type, workflow_id, detail)
           VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (event_key) DO NOTHING""",
        event_key, event_type, workflow_id, json.dumps(detail, ensure_ascii=False, default=str),
    )
    return status.endswith(" 1")


async def unrouted_events(conn: asyncpg.Connection, limit: int = 100) -> list[asyncpg.Record]:
    """Events no dispatcher has routed yet, locked for this transaction."""
    return await conn.fetch(
        """SELECT event_key, event_type, workflow_id, request_id, requester, detail FROM notification_events
           WHERE routed_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )


async def route_event(conn: asyncpg.Connection, event_key: str, channels: list[str]) -> None:
    await conn.executemany(
        "INSERT INTO notification_deliveries (event_key, channel) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(event_key, c) for c in channels],
    )
    await conn.execute("UPDATE notification_events SET routed_at = now() WHERE event_key = $1", event_key)


async def claim_due(pool: asyncpg.Pool, limit: int = 20) -> list[asyncpg.Record]:
    """Take the deliveries that are due, pushing their next attempt past the lease so no other
    dispatcher takes them meanwhile."""
    return await pool.fetch(
        """UPDATE notification_deliveries d SET next_attempt_at = now() + $2::interval
           FROM notification_events e
           WHERE e.event_key = d.event_key AND (d.event_key, d.channel) IN (
               SELECT event_key, channel FROM notification_deliveries
               WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING d.event_key, d.channel, d.attempts, e.event_type, e.workflow_id, e.request_id,
                     e.requester, e.detail""",
        limit, CLAIM_LEASE,
    )


async def mark_sent(pool: asyncpg.Pool, event_key: str, channel: str) -> None:
    await pool.execute(
        """UPDATE notification_deliveries SET status = 'sent', attempts = attempts + 1, sent_at = now(),
               last_error = NULL WHERE event_key = $1 AND channel = $2""",
        event_key, channel,
    )


async def mark_failed(pool: asyncpg.Pool, event_key: str, channel: str, error: str,
                      retry_after: timedelta | None) -> None:
    """One more failed attempt; ``retry_after`` None means the channel gets no more tries."""
    await pool.execute(
        """UPDATE notification_deliveries SET attempts = attempts + 1, last_error = $3,
               status = CASE WHEN $4::interval IS NULL THEN 'dead' ELSE 'pending' END,
               next_attempt_at = now() + coalesce($4::interval, interval '0')
           WHERE event_key = $1 AND channel = $2""",
        event_key, channel, error[:500], retry_after,
    )


async def deliveries(pool: asyncpg.Pool, event_key_prefix: str = "") -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT d.event_key, e.event_type, d.channel, d.status, d.attempts, d.last_error, d.sent_at
           FROM notification_deliveries d JOIN notification_events e USING (event_key)
           WHERE d.event_key LIKE $1 || '%' ORDER BY e.created_at, d.channel""",
        event_key_prefix,
    )
