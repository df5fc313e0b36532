"""Store replenishment in the ledger: the last stock level per SKU a store reported, the batches
that became procurements, and how long each took from the first low report to paid orders."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import asyncpg


async def record_stock_levels(pool: asyncpg.Pool, store_id: str, levels: list[tuple[str, int, int]],
                              reported_at: datetime) -> None:
    """(sku, on_hand, sold_since_last) as the POS sent them; a later report replaces an earlier one."""
    await pool.executemany(
        """INSERT INTO store_stock_levels (store_id, sku, on_hand, sold_since_last, reported_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (store_id, sku) DO UPDATE SET on_hand = EXCLUDED.on_hand,
               sold_since_last = EXCLUDED.sold_since_last, reported_at = EXCLUDED.reported_at
           WHERE store_stock_levels.reported_at <= EXCLUDED.reported_at""",
        [(store_id, sku, on_hand, sold, reported_at) for sku, on_hand, sold in levels],
    )


async def quiet_stores(pool: asyncpg.Pool, quiet_for: timedelta) -> dict[str, list[asyncpg.Record]]:
    """The last known levels of every store whose POS has sent nothing for ``quiet_for``.

    A SKU that a batch has bought since its last report is left out: its level is older than the
    purchase, and reading it again would buy the same goods every day until the POS speaks."""
    rows = await pool.fetch(
        """SELECT l.store_id, l.sku, l.on_hand, l.sold_since_last, l.reported_at FROM store_stock_levels l
           WHERE l.store_id IN (SELECT store_id FROM store_stock_levels GROUP BY store_id
                                HAVING max(reported_at) <= now() - $1::interval)
             AND NOT EXISTS (SELECT 1 FROM replenishment_batches b
                             WHERE b.store_id = l.store_id AND b.started_at >= l.reported_at
                               AND b.skus @> jsonb_build_array(jsonb_build_object('sku', l.sku)))
           ORDER BY l.store_id, l.sku""",
        quiet_for,
    )
    found: dict[str, list[asyncpg.Record]] = {}
    for row in rows:
        found.setdefault(row["store_id"], []).append(row)
    return found


async def record_batch(pool: asyncpg.Pool, request_id: str, store_id: str, skus: list[dict], low_at: datetime,
                       started_at: datetime) -> None:
    await pool.execute(
        """INSERT INTO replenishment_batches (request_id, store_id, skus, low_at, started_at)
           VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT (request_id) DO NOTHING""",
        request_id, store_id, json.dumps(skus, ensure_ascii=False), low_at, started_at,
    )


async def batch_times(pool: asyncpg.Pool, store_id: str | None = None, limit: int = 50) -> list[asyncpg.Record]:
    """Each batch with its orders, how many are paid, and the time from the first low report to
    the last payment (null until every order the procurement placed is paid)."""
    return await pool.fetch(
        """SELECT b.request_id, b.store_id, b.skus, b.low_at, b.started_at,
                  count(o.out_order_id) AS orders, count(p.order_id) AS paid, max(p.paid_at) AS last_paid_at,
                  CASE WHEN count(o.out_order_id) > 0 AND count(o.out_order_id) = count(p.order_id)
                       THEN max(p.paid_at) - b.low_at END AS low_to_paid
           FROM replenishment_batches b
           LEFT JOIN orders o ON o.request_id = b.request_id AND o.order_id IS NOT NULL
           LEFT JOIN payments p ON p.out_order_id = o.out_order_id
           WHERE $1::text IS NULL OR b.store_id = $1
           GROUP BY b.request_id ORDER BY b.started_at DESC LIMIT $2""",
        store_id, limit,
    )
