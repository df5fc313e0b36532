"""When a supplier fails a line, the line moves to its next candidate within its price range."""

from __future__ import annotations

from decimal import Decimal

from domain.progress import LineStatus, Stage
from wf_harness import accept_all, record_histories, catalog_with, offer, procurement_stack, request, sell_out, send_qc, supplier


def tshirts(**a_overrides) -> dict:
    return catalog_with(
        [supplier("b2b-A", **a_overrides.pop("supplier", {})), supplier("b2b-B")],
        [
            offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, freight={"flat": "100.00"}, **a_overrides),
            offer("610000000002", "b2b-B", "纯棉T恤 男款", "48.00", 5, freight={"flat": "50.00"}),
            offer("610000000003", "b2b-A", "帆布包 大号", "20.00", 10, freight={"flat": "30.00"}),
            offer("610000000005", "b2b-B", "帆布包 小号", "22.00", 10, freight={"flat": "30.00"}),
        ],
    )


async def test_stock_gone_at_order_time_moves_the_line_to_the_next_candidate(any_env, db_pool):
    catalog = tshirts(behaviour={"stock_at_order": 0})
    async with procurement_stack(any_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-NOSTOCK", ("1", "纯棉T恤", 50)))
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "fallback")
    assert state.stage == Stage.COMPLETED
    line = state.lines[0]
    assert (line.status, line.received_qty, line.chosen.supplier_id) == (LineStatus.RECEIVED, 50, "b2b-B")
    orders = await stack.sim_get("orders")
    assert [o["supplier_id"] for o in orders] == ["b2b-B"]  # nothing was ever ordered from A
    rounds = await db_pool.fetch("SELECT DISTINCT sourcing_round FROM sourcing_decisions WHERE line_id = '1'")
    assert {r["sourcing_round"] for r in rounds} == {0, 1}


async def test_a_partial_failed_offer_list_buys_the_refused_line_elsewhere(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, tshirts()) as stack:
        # Between our preview and our create, another buyer takes every bag of A's.
        stack.before("create_order", lambda: sell_out(stack.sim, "610000000003"))
        handle = await stack.start(request("PR-PARTIAL", ("1", "纯棉T恤", 50), ("2", "帆布包", 20)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert [(l.status, l.received_qty) for l in state.lines] == [(LineStatus.RECEIVED, 50), (LineStatus.RECEIVED, 20)]
    orders = await stack.sim_get("orders")
    lines = sorted((o["supplier_id"], l["offer_id"]) for o in orders for l in o["lines"])
    assert lines == [("b2b-A", "610000000001"), ("b2b-B", "610000000005")]
    assert state.lines[1].chosen.offer_id == "610000000005"


async def test_qc_partial_rejection_is_refunded_and_bought_again_elsewhere(any_env, db_pool):
    async with procurement_stack(any_env, db_pool, tshirts()) as stack:
        handle = await stack.start(request("PR-QCREJECT", ("1", "纯棉T恤", 50)))
        first = await stack.order_in_status(handle, "awaiting_qc")
        result = await send_qc(stack, first, "reject", [("1", 10, "10 pieces have holes")])
        assert result.rejected == {"1": 10} and result.accepted == {"1": 40}
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "qc-reject")
    assert state.stage == Stage.COMPLETED
    line = state.lines[0]
    assert (line.status, line.received_qty) == (LineStatus.RECEIVED, 50)
    refunds = await stack.sim_get("refunds")
    assert [(r["order_id"], Decimal(r["amount"])) for r in refunds] == [(first.order_id, Decimal("450.00"))]
    orders = await stack.sim_get("orders")
    assert [(o["supplier_id"], o["lines"][0]["quantity"]) for o in orders] == [("b2b-A", 50), ("b2b-B", 10)]
    assert len(await stack.sim_get("payments")) == 2
    assert await db_pool.fetchval("SELECT rejected_qty FROM qc_results WHERE order_id = $1", first.order_id) == 10
    assert await db_pool.fetchval("SELECT amount FROM refunds WHERE order_id = $1", first.order_id) == Decimal("450.00")


async def test_the_seller_closing_a_paid_order_sends_the_line_to_the_next_candidate(time_env, db_pool):
    catalog = tshirts(supplier={"behaviour": {"ship_after_hours": 24, "stall_at": None, "cancel_after_pay": True}})
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-CLOSED", ("1", "纯棉T恤", 50)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert state.lines[0].received_qty == 50 and state.lines[0].chosen.supplier_id == "b2b-B"
    closed = next(o for o in state.orders if o.supplier_id == "b2b-A")
    assert closed.status.value == "failed" and "closed" in (closed.reason or "")


async def test_no_candidate_left_fails_with_a_reason_per_line(time_env, db_pool):
    catalog = catalog_with([supplier("b2b-A")], [
        offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, behaviour={"stock_at_order": 0})])
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-NONE", ("1", "纯棉T恤", 50), ("2", "不存在的东西", 5)))
        state = await handle.result()
    assert state.stage == Stage.FAILED
    assert all(l.status == LineStatus.UNFULFILLED and l.reason for l in state.lines)
    assert "no offer" in state.lines[1].reason
    assert await stack.sim_get("orders") == []


async def test_a_refused_payment_cancels_the_order_and_buys_the_line_elsewhere(time_env, db_pool):
    catalog = tshirts()
    catalog["app"]["refuse_payment_for"] = ["b2b-A"]
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-PAYREFUSED", ("1", "纯棉T恤", 50)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert state.lines[0].received_qty == 50 and state.lines[0].chosen.supplier_id == "b2b-B"
    refused = next(o for o in state.orders if o.supplier_id == "b2b-A")
    assert refused.status.value == "cancelled" and "payment refused" in refused.reason
    orders = {o["supplier_id"]: o["status"] for o in await stack.sim_get("orders")}
    assert orders == {"b2b-A": "cancel", "b2b-B": "confirm_goods"}
    paid_from_b = [o.order_id for o in state.orders if o.supplier_id == "b2b-B"]
    assert [p["order_id"] for p in await stack.sim_get("payments")] == paid_from_b
