"""Our own record of each supplier (on-time delivery, QC pass rate), which feeds its score."""

from __future__ import annotations

import asyncpg


async def record_supplier_outcome(
    pool: asyncpg.Pool, *, order_id: str, supplier_id: str, delivered: bool, on_time: bool,
    inspected_qty: int, passed_qty: int,
) -> None:
    await pool.execute(
        """INSERT INTO supplier_outcomes (order_id, supplier_id, delivered, on_time, inspected_qty, passed_qty)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING""",
        order_id, supplier_id, delivered, on_time, inspected_qty, passed_qty,
    )


async def history_of(pool: asyncpg.Pool, supplier_ids: list[str]) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT supplier_id, orders_delivered, on_time_deliveries, qc_inspected, qc_passed
           FROM supplier_history WHERE supplier_id = ANY($1::text[])""",
        supplier_ids,
    )
