"""A purchase request from search to goods accepted, against the real parts."""

from __future__ import annotations

from decimal import Decimal

from domain.progress import LineStatus, Stage
from history_shape import check_order_history
from wf_harness import accept_all, catalog_with, offer, procurement_stack, record_histories, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A"), supplier("b2b-B"), supplier("b2b-C")],
    [
        offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, freight={"flat": "100.00"}),
        offer("610000000002", "b2b-B", "纯棉T恤 男款", "48.00", 30, freight={"flat": "50.00"}),
        offer("610000000004", "b2b-C", "保温杯 不锈钢", "30.00", 10, freight={"free": True}),
    ],
)


async def test_two_lines_two_suppliers_bought_paid_received(any_env, db_pool):
    async with procurement_stack(any_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-HAPPY", ("1", "纯棉T恤", 50), ("2", "保温杯", 20)))
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "happy")

        assert state.stage == Stage.COMPLETED
        assert [(l.line_id, l.status, l.received_qty) for l in state.lines] == [
            ("1", LineStatus.RECEIVED, 50), ("2", LineStatus.RECEIVED, 20)]
        # The article's case: 50 pieces go to A (2350.00 landed) rather than B (2450.00).
        assert state.lines[0].chosen.supplier_id == "b2b-A"
        assert {o.supplier_id for o in state.orders} == {"b2b-A", "b2b-C"}

        orders = await stack.sim_get("orders")
        payments = await stack.sim_get("payments")
        assert len(orders) == 2 and len(payments) == 2
        assert sorted(Decimal(p["amount"]) for p in payments) == [Decimal("600.00"), Decimal("2350.00")]
        assert {o["status"] for o in orders} == {"confirm_goods"}

        # The ledger tells the same story.
        assert await db_pool.fetchval("SELECT stage FROM purchase_requests WHERE request_id = 'PR-HAPPY'") == "COMPLETED"
        assert await db_pool.fetchval("SELECT count(*) FROM orders WHERE request_id = 'PR-HAPPY'") == 2
        assert await db_pool.fetchval("SELECT count(*) FROM payments") == 2
        assert await db_pool.fetchval("SELECT count(*) FROM qc_results") == 2
        assert await db_pool.fetchval("SELECT count(*) FROM sourcing_decisions WHERE chosen") == 2
        calls = await db_pool.fetch("SELECT DISTINCT api FROM api_calls")
        assert "com.alibaba.trade:alibaba.trade.fastCreateOrder" in {r["api"] for r in calls}

        # The histories hold no event that changes nothing (issue 13): every search-attribute
        # upsert changes a value, every report to the procurement carries news, and the spend
        # check made while verifying serves the payment that follows it.
        for order in state.orders:
            history = await stack.client.get_workflow_handle(order.workflow_id).fetch_history()
            counts = await check_order_history(stack.client, history)
            assert counts["spend_checks"] == 1, counts
            assert counts["reports"] >= 3, counts  # paid, shipped, arrived: news all (the end comes as the outcome)
