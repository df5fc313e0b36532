"""Spend controls inside the payment step: the kill switch (pause with a payment pending, resume),
the cap per supplier per day, the cap per requester per month and the requester's budgets."""

from __future__ import annotations

from decimal import Decimal

from domain.messages import ApproveInput
from domain.progress import Stage
from ledger import spend
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A")],
    [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, freight={"flat": "100.00"})],
)


async def test_a_pause_holds_every_payment_until_resume(time_env, db_pool):
    await spend.set_paused(db_pool, True, "suspicious supplier activity", "ops-1")
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-PAUSE", ("1", "纯棉T恤", 50)))

        async def held():
            state = await stack.state(handle)
            return next((o for o in state.orders if o.blocked), None)

        order = await stack.wait_for(held, "the order held by the pause")
        assert order.blocked == "payments are paused: suspicious supplier activity"
        assert any("waits: payments are paused" in alert for alert in order.alerts)
        await stack.pass_time()  # time passes (several checks): still nothing is paid
        assert await stack.sim_get("payments") == []
        assert (await stack.state(handle)).orders[0].blocked is not None

        await spend.set_paused(db_pool, False, "checked, all fine", "ops-1")
        state = await accept_all(stack, handle)

    assert state.stage == Stage.COMPLETED
    assert [Decimal(p["amount"]) for p in await stack.sim_get("payments")] == [Decimal("2350.00")]
    assert state.orders[0].blocked is None
    assert await db_pool.fetchval("SELECT count(*) FROM payment_switch_events") == 2


async def test_a_payment_above_the_suppliers_daily_cap_waits_for_approval(time_env, db_pool):
    await spend.set_cap(db_pool, "supplier_day", "b2b-A", Decimal("2000.00"))
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-CAP-DAY", ("1", "纯棉T恤", 50)))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        assert waiting.approval.reasons == [
            "supplier b2b-A would be paid 2350.00 yuan today, above its daily cap of 2000.00 (0.00 paid already)"]
        assert await stack.sim_get("payments") == []
        await handle.execute_update("approve", ApproveInput(by="li.manager"))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert len(await stack.sim_get("payments")) == 1


async def test_a_payment_above_the_requesters_monthly_cap_waits_for_approval(time_env, db_pool):
    # A default for every requester; store-17 (the harness's requester) paid 1000.00 this month already.
    await spend.set_cap(db_pool, "requester_month", "*", Decimal("3000.00"))
    await db_pool.execute("""INSERT INTO purchase_requests (request_id, workflow_id, requester, request, stage)
                             VALUES ('PR-EARLIER', 'pr-PR-EARLIER', 'store-17', '{}', 'COMPLETED')""")
    await db_pool.execute("""INSERT INTO orders (out_order_id, workflow_id, request_id, supplier_id, status)
                             VALUES ('pr-PR-EARLIER-1', 'pr-PR-EARLIER', 'PR-EARLIER', 'b2b-Q', 'received')""")
    await db_pool.execute("""INSERT INTO payments (order_id, out_order_id, amount, method, op_request_id)
                             VALUES ('999', 'pr-PR-EARLIER-1', 1000.00, 'protocol_pay', 'pay-pr-PR-EARLIER-1')""")
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-CAP-MONTH", ("1", "纯棉T恤", 50)))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        assert waiting.approval.reasons == [
            "requester store-17 would spend 3350.00 yuan this month, above the monthly cap of 3000.00 "
            "(1000.00 paid already)"]
        assert await stack.sim_get("payments") == []
        await handle.execute_update("approve", ApproveInput(by="li.manager"))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert len(await stack.sim_get("payments")) == 1


async def test_a_payment_above_the_requesters_budget_counts_money_that_may_have_moved(time_env, db_pool):
    # store-17's monthly budget is 3000.00. An earlier order is still paying (its money may have
    # moved: it counts); another was cancelled with 1688's proof (it does not).
    await spend.set_budget(db_pool, "store-17", "month", Decimal("3000.00"))
    await db_pool.execute("""INSERT INTO purchase_requests (request_id, workflow_id, requester, request, stage)
                             VALUES ('PR-EARLIER', 'pr-PR-EARLIER', 'store-17', '{}', 'ORDERING')""")
    for n, status, amount in ((1, "paying", "1000.00"), (2, "cancelled", "9000.00")):
        await db_pool.execute("""INSERT INTO orders (out_order_id, workflow_id, request_id, supplier_id, status)
                                 VALUES ($1, 'pr-PR-EARLIER', 'PR-EARLIER', 'b2b-Q', $2)""", f"pr-PR-EARLIER-{n}", status)
        await db_pool.execute("""INSERT INTO payment_commitments (out_order_id, request_id, requester, amount, committed_at)
                                 VALUES ($1, 'PR-EARLIER', 'store-17', $2, now())""", f"pr-PR-EARLIER-{n}", Decimal(amount))
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-BUDGET", ("1", "纯棉T恤", 50)))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        assert waiting.approval.reasons == [
            "requester store-17 would have 3350.00 yuan committed this month, above the monthly budget of 3000.00 "
            "(1000.00 committed already, counting orders whose money may have moved)"]
        assert await stack.sim_get("payments") == []
        await handle.execute_update("approve", ApproveInput(by="li.manager"))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert len(await stack.sim_get("payments")) == 1
    # The new order's money is committed too, for the next payment's check.
    assert await db_pool.fetchval("SELECT sum(amount) FROM payment_commitments WHERE request_id = 'PR-BUDGET'") == Decimal("2350.00")
