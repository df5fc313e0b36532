"""Refunds: one row per 1688 refund in ``refunds``, every state it was seen in ``refund_states``.

A row is found by 1688's refund id, or before there is one by our key (order id and refund key),
so a retried write, and the older per-order write of ``ledger.orders.record_refund``, land on the
same row. A state is added to the history only when it differs from the row's last one.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import asyncpg
from pydantic import BaseModel


class RefundRow(BaseModel):
    order_id: str
    refund_key: str
    refund_id: str | None
    amount: Decimal  # applied for
    reason: str
    state: str | None = None
    platform_status: str | None = None
    amount_refunded: Decimal = Decimal(0)
    seller_reason: str | None = None


async def _claim(conn: asyncpg.Connection, row: RefundRow, status: str) -> asyncpg.Record:
    """The refund's row, locked; created when there is none yet."""
    for _ in range(2):
        found = None
        if row.refund_id is not None:
            found = await conn.fetchrow(
                "SELECT id, state, platform_status, amount_refunded, seller_reason FROM refunds "
                "WHERE refund_id = $1 FOR UPDATE", row.refund_id)
        if found is None:
            found = await conn.fetchrow(
                "SELECT id, state, platform_status, amount_refunded, seller_reason FROM refunds "
                "WHERE order_id = $1 AND refund_key = $2 AND refund_id IS NULL FOR UPDATE",
                row.order_id, row.refund_key)
        if found is not None:
            return found
        created = await conn.fetchrow(
            """INSERT INTO refunds (order_id, refund_key, refund_id, amount, reason, status)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
               RETURNING id, state, platform_status, amount_refunded, seller_reason""",
            row.order_id, row.refund_key, row.refund_id, row.amount, row.reason, status)
        if created is not None:
            return created
        # Another writer created it between our look and our insert: look again (now it is there).
    raise RuntimeError(f"refund {row.refund_id or row.refund_key} of order {row.order_id} could not be claimed")


async def record_refund(pool: asyncpg.Pool, row: RefundRow, *, changed_at: datetime | None = None) -> bool:
    """Write the refund as 1688 shows it now; return True when its state is new to the ledger."""
    if row.state is None or row.platform_status is None or row.refund_id is None:
        raise ValueError("a refund's state is recorded with its refund id, state and 1688 status")
    async with pool.acquire() as conn, conn.transaction():
        before = await _claim(conn, row, row.state)
        await conn.execute(
            """UPDATE refunds SET refund_id = $2, refund_key = $3, amount = $4, reason = $5, status = $6,
                   state = $6, platform_status = $7, amount_refunded = $8, seller_reason = $9, updated_at = now()
               WHERE id = $1""",
            before["id"], row.refund_id, row.refund_key, row.amount, row.reason, row.state, row.platform_status,
            row.amount_refunded, row.seller_reason)
        seen = (before["state"], before["platform_status"], before["amount_refunded"], before["seller_reason"])
        now = (row.state, row.platform_status, row.amount_refunded, row.seller_reason)
        if seen == now:
            return False
        await conn.execute(
            """INSERT INTO refund_states (refund_id, seq, state, platform_status, amount_refunded, seller_reason,
                   changed_at)
               SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6 FROM refund_states WHERE refund_id = $1""",
            row.refund_id, row.state, row.platform_status, row.amount_refunded, row.seller_reason, changed_at)
        return True


async def record_refund_status(pool: asyncpg.Pool, row: RefundRow, status: str) -> None:
    """The older per-order write: the workflow's word for the refund, without its 1688 state."""
    async with pool.acquire() as conn, conn.transaction():
        found = await _claim(conn, row, status)
        await conn.execute(
            "UPDATE refunds SET refund_id = coalesce($2, refund_id), status = $3, updated_at = now() WHERE id = $1",
            found["id"], row.refund_id, status)


async def refunds_of_order(pool: asyncpg.Pool, order_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT order_id, refund_key, refund_id, amount, reason, status, state, platform_status, amount_refunded,
                  seller_reason, created_at, updated_at
           FROM refunds WHERE order_id = $1 ORDER BY id""", order_id)


async def refund_history(pool: asyncpg.Pool, refund_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT seq, state, platform_status, amount_refunded, seller_reason, changed_at, recorded_at
           FROM refund_states WHERE refund_id = $1 ORDER BY seq""", refund_id)
