"""Real 1688 behaviour in the workflows: a create that 1688 splits into several orders, and a line
whose ranked candidates all fail searching once more for similar goods."""

from __future__ import annotations

from datetime import timedelta

from domain.procurement import Timing
from domain.progress import LineStatus, Stage
from simulator.faults import FaultSettings
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, send_qc, supplier


async def test_a_line_whose_candidates_all_fail_searches_again_and_buys_similar_goods(time_env, db_pool):
    # Only the cheapest offer is read at first (details_per_line=1); it sells out at order time.
    catalog = catalog_with(
        [supplier("b2b-A"), supplier("b2b-B")],
        [
            offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10, behaviour={"stock_at_order": 0}),
            offer("610000000002", "b2b-B", "纯棉T恤 男款", "48.00", 10),
        ],
    )
    async with procurement_stack(time_env, db_pool, catalog, details_per_line=1) as stack:
        handle = await stack.start(request("PR-SEARCHAGAIN", ("1", "纯棉T恤", 20)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    line = state.lines[0]
    assert (line.status, line.received_qty) == (LineStatus.RECEIVED, 20)
    assert line.chosen.offer_id == "610000000002"
    assert "searched 1688 again for similar goods" in (line.reason or "")
    searches = [c for c in await stack.sim_get("calls") if c["api"] == "product.search.keywordQuery"]
    assert len(searches) >= 2, "one more search round"


async def test_a_line_searches_again_only_once(time_env, db_pool):
    catalog = catalog_with(
        [supplier("b2b-A")],
        [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10, behaviour={"stock_at_order": 0})],
    )
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-SEARCHONCE", ("1", "纯棉T恤", 20)))
        state = await handle.result()
    assert state.stage == Stage.FAILED
    assert state.lines[0].status == LineStatus.UNFULFILLED


def two_warehouses() -> dict:
    return catalog_with(
        [supplier("b2b-A")],
        [
            offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10, warehouse="杭州仓"),
            offer("610000000003", "b2b-A", "帆布包 大号", "20.00", 10, warehouse="义乌仓"),
        ],
    )


async def test_a_create_that_1688_splits_gives_each_order_its_own_workflow(any_env, db_pool):
    async with procurement_stack(any_env, db_pool, two_warehouses()) as stack:
        handle = await stack.start(request("PR-SPLIT", ("1", "纯棉T恤", 20), ("2", "帆布包", 30)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert [(l.line_id, l.status, l.received_qty) for l in state.lines] == [
        ("1", LineStatus.RECEIVED, 20), ("2", LineStatus.RECEIVED, 30)]
    orders = await stack.sim_get("orders")
    assert len(orders) == 2 and len({o["out_order_id"] for o in orders}) == 1, "one create, two 1688 orders"
    assert len(await stack.sim_get("payments")) == 2
    assert sorted(len(o.lines) for o in state.orders) == [1, 1]
    assert len({o.workflow_id for o in state.orders}) == 2 and all(o.status.value == "received" for o in state.orders)


async def test_a_split_create_whose_reply_is_lost_is_found_whole_and_bought_once(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, two_warehouses()) as stack:
        stack.sim.faults.configure(FaultSettings(lost_reply={"alibaba.trade.fastCreateOrder": 1}))
        handle = await stack.start(request("PR-SPLITLOST", ("1", "纯棉T恤", 20), ("2", "帆布包", 30)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert len(await stack.sim_get("orders")) == 2 and len(await stack.sim_get("payments")) == 2
    assert [l.received_qty for l in state.lines] == [20, 30]


async def test_a_procurement_runs_on_sellers_known_only_by_their_open_id(time_env, db_pool):
    """Real search rows and details name the seller only by `sellerOpenId`: the supplier is keyed by
    it, resolved to a profile, and scored (before, the supplier id was None on real replies)."""
    catalog = catalog_with(
        [supplier("b2b-A", open_id="BBBxVd2s9YpOpenIdOfA"), supplier("b2b-B", open_id="BBBq7Lw0e3OpenIdOfB")],
        [
            offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10),
            offer("610000000002", "b2b-B", "纯棉T恤 男款", "48.00", 10),
        ],
    )
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-OPENID", ("1", "纯棉T恤", 20)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED and state.lines[0].received_qty == 20
    assert state.lines[0].chosen.supplier_id == "BBBxVd2s9YpOpenIdOfA"
    assert {c.supplier_id for c in state.lines[0].candidates} == {"BBBxVd2s9YpOpenIdOfA", "BBBq7Lw0e3OpenIdOfB"}
    assert all(c.score is not None for c in state.lines[0].candidates)


async def test_an_order_in_two_parcels_waits_for_both_before_qc(time_env, db_pool):
    # Two lines from one supplier leave in two parcels, the second three hours after the first;
    # logistics is polled hourly, so a workflow that followed only the first parcel asked for QC early.
    a = {"ship_after_hours": 24, "stall_at": None, "cancel_after_pay": False, "parcels": 2}
    catalog = catalog_with(
        [supplier("b2b-A", behaviour=a)],
        [
            offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10),
            offer("610000000003", "b2b-A", "帆布包 大号", "20.00", 10),
        ],
    )
    hourly = Timing(logistics_poll_interval=timedelta(hours=1))
    async with procurement_stack(time_env, db_pool, catalog, timing=hourly) as stack:
        handle = await stack.start(request("PR-PARCELS", ("1", "纯棉T恤", 20), ("2", "帆布包", 30)))
        waiting = await stack.order_in_status(handle, "awaiting_qc")
        [order] = stack.sim.market.orders.values()
        assert len(order.shipments) == 2
        assert [s.status for s in order.shipments] == ["SIGN", "SIGN"], "QC asked for before every parcel arrived"
        await send_qc(stack, waiting)
        state = await handle.result()
    assert state.stage == Stage.COMPLETED and [l.received_qty for l in state.lines] == [20, 30]
