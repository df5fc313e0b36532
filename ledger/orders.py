"""Orders, their lines, payments, shipments, QC results and refunds: the money trail.

Every write is keyed so that a retried activity repeats a row instead of adding one.
"""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from pydantic import BaseModel

from ledger import refunds


class OrderLineRow(BaseModel):
    line_id: str
    offer_id: str
    spec_id: str | None = None
    quantity: int
    unit_price: Decimal


async def record_order(
    pool: asyncpg.Pool, *, out_order_id: str, workflow_id: str, request_id: str, supplier_id: str,
    order_id: str | None, status: str, goods_amount: Decimal | None, freight_amount: Decimal | None,
    total_amount: Decimal | None, lines: list[OrderLineRow],
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO orders (out_order_id, workflow_id, request_id, supplier_id, order_id, status,
                   goods_amount, freight_amount, total_amount)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (out_order_id) DO UPDATE SET
                   order_id = coalesce(EXCLUDED.order_id, orders.order_id), status = EXCLUDED.status,
                   goods_amount = EXCLUDED.goods_amount, freight_amount = EXCLUDED.freight_amount,
                   total_amount = EXCLUDED.total_amount, updated_at = now()""",
            out_order_id, workflow_id, request_id, supplier_id, order_id, status,
            goods_amount, freight_amount, total_amount,
        )
        await conn.executemany(
            """INSERT INTO order_lines (out_order_id, line_id, offer_id, spec_id, quantity, unit_price)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (out_order_id, line_id) DO NOTHING""",
            [(out_order_id, l.line_id, l.offer_id, l.spec_id, l.quantity, l.unit_price) for l in lines],
        )


async def set_order_status(pool: asyncpg.Pool, out_order_id: str, status: str) -> None:
    await pool.execute(
        "UPDATE orders SET status = $2, updated_at = now() WHERE out_order_id = $1", out_order_id, status
    )


async def record_payment(
    pool: asyncpg.Pool, *, order_id: str, out_order_id: str, amount: Decimal, method: str,
    op_request_id: str, approved_by: str | None,
) -> None:
    await pool.execute(
        """INSERT INTO payments (order_id, out_order_id, amount, method, op_request_id, approved_by)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id) DO NOTHING""",
        order_id, out_order_id, amount, method, op_request_id, approved_by,
    )


async def record_shipment(
    pool: asyncpg.Pool, *, order_id: str, status: str, company: str | None, tracking_no: str | None,
    events: list[tuple[str, str]],
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO shipments (order_id, status, company, tracking_no) VALUES ($1, $2, $3, $4)
               ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status,
                   company = coalesce(EXCLUDED.company, shipments.company),
                   tracking_no = coalesce(EXCLUDED.tracking_no, shipments.tracking_no), updated_at = now()""",
            order_id, status, company, tracking_no,
        )
        await conn.executemany(
            """INSERT INTO shipment_events (order_id, event_time, remark) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING""",
            [(order_id, when, remark) for when, remark in events],
        )


async def record_qc_result(
    pool: asyncpg.Pool, *, order_id: str, line_id: str, accepted_qty: int, rejected_qty: int,
    reason: str | None, inspector: str | None,
) -> None:
    await pool.execute(
        """INSERT INTO qc_results (order_id, line_id, accepted_qty, rejected_qty, reason, inspector)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (order_id, line_id) DO NOTHING""",
        order_id, line_id, accepted_qty, rejected_qty, reason, inspector,
    )


async def record_refund(
    pool: asyncpg.Pool, *, order_id: str, refund_key: str, refund_id: str | None, amount: Decimal,
    reason: str, status: str,
) -> None:
    # The refund's own row (ledger/refunds.py): found by 1688's refund id when there is one, so
    # this per-order write and the refund's state records never make two rows of one refund.
    await refunds.record_refund_status(
        pool, refunds.RefundRow(order_id=order_id, refund_key=refund_key, refund_id=refund_id, amount=amount,
                                reason=reason), status,
    )
