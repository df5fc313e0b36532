"""Spend controls: the payment kill switch and the caps per supplier per day and per requester
per month, with the money already paid that they are measured against."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg


async def set_paused(pool: asyncpg.Pool, paused: bool, reason: str, by: str | None = None) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE payment_switch SET paused = $1, reason = $2, changed_by = $3, changed_at = now()",
            paused, reason, by)
        await conn.execute(
            "INSERT INTO payment_switch_events (paused, reason, changed_by) VALUES ($1, $2, $3)", paused, reason, by)


async def switch(pool: asyncpg.Pool) -> tuple[bool, str | None]:
    row = await pool.fetchrow("SELECT paused, reason FROM payment_switch")
    return (False, None) if row is None else (row["paused"], row["reason"])


async def set_cap(pool: asyncpg.Pool, scope: str, subject: str, cap: Decimal) -> None:
    await pool.execute(
        """INSERT INTO spend_caps (scope, subject, cap) VALUES ($1, $2, $3)
           ON CONFLICT (scope, subject) DO UPDATE SET cap = EXCLUDED.cap""", scope, subject, cap)


async def cap(pool: asyncpg.Pool, scope: str, subject: str) -> Decimal | None:
    """The subject's own cap, else the scope's default ('*'), else None (no cap)."""
    return await pool.fetchval(
        """SELECT cap FROM spend_caps WHERE scope = $1 AND subject IN ($2, '*')
           ORDER BY subject = '*' LIMIT 1""", scope, subject)


async def paid_to_supplier_on(pool: asyncpg.Pool, supplier_id: str, day: datetime) -> Decimal:
    return await pool.fetchval(
        """SELECT coalesce(sum(p.amount), 0) FROM payments p JOIN orders o USING (out_order_id)
           WHERE o.supplier_id = $1 AND (p.paid_at AT TIME ZONE 'UTC')::date = ($2::timestamptz AT TIME ZONE 'UTC')::date""",
        supplier_id, day)


async def paid_for_requester_in_month(pool: asyncpg.Pool, requester: str, day: datetime) -> Decimal:
    return await pool.fetchval(
        """SELECT coalesce(sum(p.amount), 0) FROM payments p JOIN orders o USING (out_order_id)
           JOIN purchase_requests r ON r.request_id = o.request_id
           WHERE r.requester = $1
             AND date_trunc('month', p.paid_at AT TIME ZONE 'UTC') = date_trunc('month', $2::timestamptz AT TIME ZONE 'UTC')""",
        requester, day)


async def requester_of(pool: asyncpg.Pool, request_id: str) -> str | None:
    return await pool.fetchval("SELECT requester FROM purchase_requests WHERE request_id = $1", request_id)


async def set_budget(pool: asyncpg.Pool, requester: str, period: str, amount: Decimal) -> None:
    await pool.execute(
        """INSERT INTO requester_budgets (requester, period, amount) VALUES ($1, $2, $3)
           ON CONFLICT (requester, period) DO UPDATE SET amount = EXCLUDED.amount""", requester, period, amount)


async def budgets_of(conn: asyncpg.Connection | asyncpg.Pool, requester: str) -> dict[str, Decimal]:
    """The requester's budget per period: their own row, else the default ('*')."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (period) period, amount FROM requester_budgets
           WHERE requester IN ($1, '*') ORDER BY period, requester = '*'""", requester)
    return {r["period"]: r["amount"] for r in rows}


async def committed_since(conn: asyncpg.Connection | asyncpg.Pool, requester: str, since: datetime,
                          excluding: str | None = None) -> Decimal:
    """Money the requester's orders committed since ``since`` that 1688 has not shown back.

    An order counts from its first payment check until it ends cancelled or failed (with 1688's
    proof, once money may have moved: workflows/supplier_order.py) less the refunds completed so
    far; ``excluding`` is the order asking now.
    """
    return await conn.fetchval(
        """SELECT coalesce(sum(greatest(c.amount - coalesce(back.refunded, 0), 0)), 0)
           FROM payment_commitments c
           LEFT JOIN orders o USING (out_order_id)
           LEFT JOIN LATERAL (SELECT sum(r.amount_refunded) AS refunded FROM refunds r
                              WHERE o.order_id IS NOT NULL AND r.order_id = o.order_id) back ON true
           WHERE c.requester = $1 AND c.committed_at >= $2 AND c.out_order_id IS DISTINCT FROM $3
             AND coalesce(o.status, '') NOT IN ('cancelled', 'failed')""",
        requester, since, excluding)


async def commit_payment(conn: asyncpg.Connection, out_order_id: str, request_id: str, requester: str,
                         amount: Decimal, at: datetime) -> None:
    """The order's money counts from its first check; a later check (after a re-priced order was
    approved) keeps that time and takes the newer amount."""
    await conn.execute(
        """INSERT INTO payment_commitments (out_order_id, request_id, requester, amount, committed_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (out_order_id) DO UPDATE SET amount = EXCLUDED.amount""",
        out_order_id, request_id, requester, amount, at)


async def lock_requester(conn: asyncpg.Connection, requester: str) -> None:
    """Serialises budget checks per requester for the rest of the transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('requester-budget:' || $1))", requester)
