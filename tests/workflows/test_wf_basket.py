"""The basket is bought as a whole: two lines go to one supplier when its one freight makes the
pair cheaper than each line's own winner (docs/how-a-supplier-is-chosen.md, "Buying the basket")."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

import domain.basket
from domain.progress import LineStatus, Stage
from domain.request import PurchaseRequest
from wf_harness import accept_all, catalog_with, offer, procurement_stack, record_histories, request, supplier
from worker import WORKFLOWS
from workflows.procurement import SOLVED_INLINE_LINES

# X sells the cup in white and black at 10.00 with 30.00 freight per order. Y (white) and Z
# (black) ask 10.50 with 10.00 freight. One line alone: X 20 x 10.00 + 30 = 230.00 against
# 20 x 10.50 + 10 = 220.00, so each line's winner is Y or Z. Both lines: X 400 + 30 = 430.00
# in one order against Y + Z 440.00.
CATALOG = catalog_with(
    [supplier("b2b-X"), supplier("b2b-Y"), supplier("b2b-Z")],
    [
        offer("610000000101", "b2b-X", "保温杯 不锈钢", "10.00", 1, freight={"flat": "30.00"}, skus=[
            {"spec_id": "x-white", "attributes": {"颜色": "白色"}, "stock": 1000},
            {"spec_id": "x-black", "attributes": {"颜色": "黑色"}, "stock": 1000}]),
        offer("610000000102", "b2b-Y", "保温杯 白", "10.50", 1, freight={"flat": "10.00"}, skus=[
            {"spec_id": "y-white", "attributes": {"颜色": "白色"}, "stock": 1000}]),
        offer("610000000103", "b2b-Z", "保温杯 黑", "10.50", 1, freight={"flat": "10.00"}, skus=[
            {"spec_id": "z-black", "attributes": {"颜色": "黑色"}, "stock": 1000}]),
    ],
)


def two_colours(request_id: str) -> PurchaseRequest:
    return PurchaseRequest.model_validate({
        "request_id": request_id,
        "requester": "store-17",
        "lines": [
            {"line_id": "white", "keyword": "保温杯", "quantity": 20, "spec": {"颜色": "白色"}},
            {"line_id": "black", "keyword": "保温杯", "quantity": 20, "spec": {"颜色": "黑色"}},
        ],
        "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市",
                     "area": "滨江区", "address": "网商路699号"},
    })


async def test_shared_freight_buys_both_lines_from_one_supplier(any_env, db_pool):
    async with procurement_stack(any_env, db_pool, CATALOG) as stack:
        handle = await stack.start(two_colours("PR-BASKET"))
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "basket")

        assert state.stage == Stage.COMPLETED
        assert [(l.line_id, l.status, l.received_qty) for l in state.lines] == [
            ("white", LineStatus.RECEIVED, 20), ("black", LineStatus.RECEIVED, 20)]
        # Each line alone would have gone elsewhere: its own first candidate is Y or Z.
        assert [l.candidates[0].supplier_id for l in state.lines] == ["b2b-Y", "b2b-Z"]
        assert [l.chosen.supplier_id for l in state.lines] == ["b2b-X", "b2b-X"]

        orders = await stack.sim_get("orders")
        payments = await stack.sim_get("payments")
        assert len(orders) == 1 and [Decimal(p["amount"]) for p in payments] == [Decimal("430.00")]
        assert await db_pool.fetchval(
            "SELECT count(*) FROM sourcing_decisions WHERE chosen AND offer_id = '610000000101'") == 2

        # The savings report: 430.00 against 440.00 for each line's own best, 400.00 at headline prices (X's 10.00).
        savings = state.savings
        assert savings is not None and savings.optimal
        assert (savings.total, savings.own_best_total, savings.headline_total, savings.per_line_plan_total) == (
            Decimal("430.00"), Decimal("440.00"), Decimal("400.00"), Decimal("440.00"))
        assert savings.saved == Decimal("10.00")
        ledger = await db_pool.fetchval(
            "SELECT outcome->'savings' FROM purchase_requests WHERE request_id = 'PR-BASKET'")
        assert json.loads(ledger) == {**json.loads(ledger), "total": "430.00", "own_best_total": "440.00",
                                      "headline_total": "400.00", "optimal": True}


# More lines than the workflow task solves itself: X sells every good at 10.00 with 30.00 freight,
# Y at 10.50 with 10.00. Each line alone goes to Y (220.00 against 230.00); all of them together
# go to X in one order (one freight).
MANY = SOLVED_INLINE_LINES + 1
MANY_CATALOG = catalog_with(
    [supplier("b2b-X"), supplier("b2b-Y")],
    [offer(f"63{k}{n:04d}", f"b2b-{s}", f"货品{n} {s}", price, 1, freight={"flat": freight})
     for n in range(MANY) for k, (s, price, freight) in enumerate((("X", "10.00", "30.00"), ("Y", "10.50", "10.00")))],
)


def basket_markers(history) -> list[str]:
    kinds = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            data = event.marker_recorded_event_attributes.details.get("data")
            if data is not None and data.payloads:
                kinds.append(json.loads(data.payloads[0].data).get("activity_type"))
    return [k for k in kinds if k == "choose_basket"]


async def test_a_large_basket_is_solved_beside_the_workflow_and_replays_without_solving(dev_env, db_pool, monkeypatch):
    async with procurement_stack(dev_env, db_pool, MANY_CATALOG) as stack:
        handle = await stack.start(request("PR-BIGBASKET", *((str(n), f"货品{n}", 20) for n in range(MANY))))
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "big-basket")
        history = await handle.fetch_history()

    assert state.stage == Stage.COMPLETED
    assert {(l.status, l.received_qty) for l in state.lines} == {(LineStatus.RECEIVED, 20)}
    assert {l.chosen.supplier_id for l in state.lines} == {"b2b-X"}
    assert state.savings is not None and state.savings.total == Decimal("2230.00")
    # Solved once, by the local activity; the answer is in the history.
    assert basket_markers(history) == ["choose_basket"]

    def solve_again(*args, **kwargs):
        raise AssertionError("a replay solved the basket again")

    # A replay takes the recorded answer: a worker whose solver fails still replays the history.
    monkeypatch.setattr(domain.basket, "choose_basket", solve_again)
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)
