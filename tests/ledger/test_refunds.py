"""The refunds ledger: one row per 1688 refund, a history row per new state, retries that add
nothing, and the older per-order write landing on the same row (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from domain.records import RefundRecord
from domain.refund import RefundState, RefundView, refund_state
from ledger import orders, refunds
from ledger.migrations import MIGRATIONS_DIR, apply_migrations

ORDER = "3701234567000010007"
T0 = datetime(2026, 5, 27, 9, tzinfo=UTC)


def record(status: str, *, refunded: str = "0", reason: str | None = None, hours: int = 0,
           refund_id: str = "TQ37000000000001") -> RefundRecord:
    view = RefundView(refund_id=refund_id, order_id=ORDER, state=refund_state(status), status=status,
                      applied="450.00", refunded=refunded, seller_reason=reason, entry_ids=["3701234567000010008"],
                      changed_at=T0 + timedelta(hours=hours))
    return RefundRecord(refund_key="qc-PR-1-o1", reason="line l1: 10 rejected, 破洞", refund=view)


async def test_a_refund_followed_to_its_end_is_one_row_with_its_history(db_pool: asyncpg.Pool) -> None:
    ledger = LedgerActivities(db_pool)
    env = ActivityEnvironment()
    steps = [record("waitselleragree"), record("waitbuyersend", hours=24), record("waitsellerreceive", hours=30),
             record("refundsuccess", refunded="450.00", hours=54)]
    assert [await env.run(ledger.record_refund, step) for step in steps] == [True, True, True, True]
    # Polling again, or a retried write, records nothing new.
    assert await env.run(ledger.record_refund, steps[-1]) is False

    [row] = await refunds.refunds_of_order(db_pool, ORDER)
    assert (row["refund_id"], row["refund_key"], row["state"], row["platform_status"]) == (
        "TQ37000000000001", "qc-PR-1-o1", "completed", "refundsuccess")
    assert (row["amount"], row["amount_refunded"], row["reason"], row["status"]) == (
        Decimal("450.00"), Decimal("450.00"), "line l1: 10 rejected, 破洞", "completed")
    history = await refunds.refund_history(db_pool, "TQ37000000000001")
    assert [(h["seq"], h["state"], h["platform_status"]) for h in history] == [
        (1, "requested", "waitselleragree"), (2, "return_requested", "waitbuyersend"),
        (3, "return_sent", "waitsellerreceive"), (4, "completed", "refundsuccess")]
    assert history[-1]["amount_refunded"] == Decimal("450.00") and history[-1]["changed_at"] == T0 + timedelta(hours=54)


async def test_a_refusal_keeps_its_reason_and_a_state_may_come_back(db_pool: asyncpg.Pool) -> None:
    assert await refunds.record_refund(db_pool, _row(record("waitselleragree")))
    assert await refunds.record_refund(db_pool, _row(record("waitbuyermodify", reason="无质量问题", hours=24)))
    # The buyer changed the request: waiting for the seller again is a new step of the history.
    assert await refunds.record_refund(db_pool, _row(record("waitselleragree", hours=30)))
    assert await refunds.record_refund(db_pool, _row(record("refundclose", reason="无质量问题", hours=60)))
    history = await refunds.refund_history(db_pool, "TQ37000000000001")
    assert [(h["state"], h["seller_reason"]) for h in history] == [
        ("requested", None), ("refused", "无质量问题"), ("requested", None), ("refused", "无质量问题")]
    [row] = await refunds.refunds_of_order(db_pool, ORDER)
    assert (row["state"], row["seller_reason"]) == (RefundState.REFUSED.value, "无质量问题")


async def test_the_older_per_order_write_and_the_refund_share_one_row(db_pool: asyncpg.Pool) -> None:
    # The order snapshot's write (key "qc") comes first, before and after 1688 named the refund...
    await orders.record_refund(db_pool, order_id=ORDER, refund_key="qc", refund_id=None, amount=Decimal("450.00"),
                               reason="QC", status="requested")
    await orders.record_refund(db_pool, order_id=ORDER, refund_key="qc", refund_id="TQ37000000000001",
                               amount=Decimal("450.00"), reason="QC", status="requested")
    # ...then the refund's own records, then the snapshot again: still one row, keyed by 1688's id.
    await refunds.record_refund(db_pool, _row(record("refundsuccess", refunded="450.00")))
    await orders.record_refund(db_pool, order_id=ORDER, refund_key="qc", refund_id="TQ37000000000001",
                               amount=Decimal("450.00"), reason="QC", status="completed")
    [row] = await refunds.refunds_of_order(db_pool, ORDER)
    assert (row["refund_id"], row["refund_key"], row["state"], row["status"]) == (
        "TQ37000000000001", "qc-PR-1-o1", "completed", "completed")
    # A second refund of the same order is a row of its own.
    await refunds.record_refund(db_pool, _row(record("waitselleragree", refund_id="TQ37000000000002")))
    assert [r["refund_id"] for r in await refunds.refunds_of_order(db_pool, ORDER)] == [
        "TQ37000000000001", "TQ37000000000002"]


async def test_writers_racing_on_a_new_refund_make_one_row(db_pool: asyncpg.Pool) -> None:
    results = await asyncio.gather(*(refunds.record_refund(db_pool, _row(record("waitselleragree"))) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert len(await refunds.refunds_of_order(db_pool, ORDER)) == 1
    assert len(await refunds.refund_history(db_pool, "TQ37000000000001")) == 1


async def test_rows_written_before_the_migration_are_kept(database_url: str, tmp_path: Path) -> None:
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 4:
            (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, tmp_path)
        await conn.execute(
            """INSERT INTO refunds (order_id, refund_key, refund_id, amount, reason, status)
               VALUES ($1, 'qc', 'TQ1', 450, 'QC', 'requested'), ($1, 'qc-old', NULL, 90, 'QC', 'refunded')""", ORDER)
        assert 4 in await apply_migrations(conn)
        rows = await conn.fetch("SELECT refund_id, status, state, amount_refunded FROM refunds ORDER BY id")
        assert [tuple(r) for r in rows] == [("TQ1", "requested", None, Decimal("0.00")),
                                            (None, "refunded", None, Decimal("0.00"))]
    finally:
        await conn.close()


def _row(rec: RefundRecord) -> refunds.RefundRow:
    view = rec.refund
    return refunds.RefundRow(order_id=view.order_id, refund_key=rec.refund_key, refund_id=view.refund_id,
                             amount=view.applied, reason=rec.reason, state=view.state.value,
                             platform_status=view.status, amount_refunded=view.refunded,
                             seller_reason=view.seller_reason)
