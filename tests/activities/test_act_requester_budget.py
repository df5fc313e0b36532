"""The requester's budgets in the payment check (real PostgreSQL): what counts as committed, and two
orders checked at the same moment cannot both fit the last of a budget."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from domain.spend import PaymentCheck
from ledger import spend

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def earlier_order(pool: asyncpg.Pool, n: int, status: str, amount: str, *, refunded: str | None = None,
                        at: datetime = AT) -> None:
    out = f"pr-PR-E{n}-1"
    await pool.execute("""INSERT INTO purchase_requests (request_id, workflow_id, requester, request, stage)
                          VALUES ($1, $2, 'store-17', '{}', 'ORDERING')""", f"PR-E{n}", f"pr-PR-E{n}")
    await pool.execute("""INSERT INTO orders (out_order_id, workflow_id, request_id, supplier_id, order_id, status)
                          VALUES ($1, $2, $3, 'b2b-Q', $4, $5)""", out, f"pr-PR-E{n}", f"PR-E{n}", f"90{n}", status)
    await pool.execute(
        """INSERT INTO payment_commitments (out_order_id, request_id, requester, amount, committed_at)
           VALUES ($1, $2, 'store-17', $3, $4)""", out, f"PR-E{n}", Decimal(amount), at)
    if refunded is not None:
        await pool.execute("""INSERT INTO refunds (order_id, refund_key, refund_id, amount, reason, status, state, amount_refunded)
                              VALUES ($1, 'qc', 'TQ1', $2, 'qc', 'completed', 'completed', $2)""", f"90{n}", Decimal(refunded))


async def new_request(pool: asyncpg.Pool, request_id: str) -> None:
    await pool.execute("""INSERT INTO purchase_requests (request_id, workflow_id, requester, request, stage)
                          VALUES ($1, $2, 'store-17', '{}', 'ORDERING')""", request_id, f"pr-{request_id}")


def check(request_id: str, amount: str, n: int = 1) -> PaymentCheck:
    return PaymentCheck(request_id=request_id, supplier_id="b2b-A", amount=Decimal(amount), at=AT,
                        out_order_id=f"pr-{request_id}-{n}")


async def test_money_that_may_have_moved_counts_and_money_shown_back_does_not(db_pool):
    await spend.set_budget(db_pool, "*", "month", Decimal("3000.00"))
    await earlier_order(db_pool, 1, "paying", "1000.00")           # a payment in flight: it may have moved
    await earlier_order(db_pool, 2, "cancelled", "5000.00")        # 1688 confirmed the close: nothing moved
    await earlier_order(db_pool, 3, "rejected", "800.00", refunded="600.00")  # 200.00 not back yet
    await earlier_order(db_pool, 4, "received", "700.00", at=datetime(2026, 10, 30, tzinfo=UTC))  # last month
    await new_request(db_pool, "PR-NEW")
    ledger = LedgerActivities(db_pool)
    env = ActivityEnvironment()
    fits = await env.run(ledger.check_payment, check("PR-NEW", "1800.00"))
    assert fits.cap_reasons == []
    over = await env.run(ledger.check_payment, check("PR-NEW", "1800.01"))  # the same order, re-priced
    assert over.cap_reasons == [
        "requester store-17 would have 3000.01 yuan committed this month, above the monthly budget of 3000.00 "
        "(1200.00 committed already, counting orders whose money may have moved)"]
    # The order asking is committed from its first check (and re-checking it does not count it twice).
    assert await db_pool.fetchval("SELECT amount FROM payment_commitments WHERE out_order_id = 'pr-PR-NEW-1'") == Decimal("1800.01")


async def test_two_orders_checked_at_once_cannot_both_fit_the_last_of_a_budget(db_pool):
    await spend.set_budget(db_pool, "store-17", "week", Decimal("3000.00"))
    await new_request(db_pool, "PR-A")
    await new_request(db_pool, "PR-B")
    ledger = LedgerActivities(db_pool)
    env = ActivityEnvironment()
    for _ in range(5):  # each round a fresh pair of orders racing for the same budget
        await db_pool.execute("DELETE FROM payment_commitments")
        a, b = await asyncio.gather(env.run(ledger.check_payment, check("PR-A", "2000.00")),
                                    env.run(ledger.check_payment, check("PR-B", "2000.00")))
        assert sorted(len(c.cap_reasons) for c in (a, b)) == [0, 1]


async def test_without_a_budget_nothing_is_held(db_pool):
    await new_request(db_pool, "PR-FREE")
    clearance = await ActivityEnvironment().run(LedgerActivities(db_pool).check_payment, check("PR-FREE", "99999.00"))
    assert clearance.cap_reasons == []
