"""The RFQ workflow on the time-skipping server: real activities, the simulator's factories
(quote, revise, decline, never, late), a real ledger, and the procurement an award starts."""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.progress import ProcurementState
from domain.quotation import RfqRequest
from domain.rfq import AwardInput, AwardResult, RfqConfig, RfqInput, RfqStage, RfqState, rfq_workflow_id
from wf_harness import HISTORIES, Stack, catalog_with, offer, procurement_stack, record_histories, supplier

DELIVERY = {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市",
            "area": "滨江区", "address": "网商路699号"}


def factory(member_id: str, **quote: Any) -> dict[str, Any]:
    return supplier(member_id, behaviour={"ship_after_hours": 24, "quote": quote})


def rfq(rfq_id: str, factories: list[str], **overrides: Any) -> RfqRequest:
    return RfqRequest.model_validate({
        "rfq_id": rfq_id, "requester": "plant-3", "subject": "铝合金支架", "drawing_ref": "DWG-7731 rev B",
        "material": "6061-T6", "quantity_tiers": [100, 500], "target_date": (date.today() + timedelta(days=30)).isoformat(),
        "factories": factories, "delivery": DELIVERY, **overrides,
    })


async def start(stack: Stack, request: RfqRequest):
    config = RfqConfig(alibaba_task_queue=stack.config.alibaba_task_queue, procurement=stack.config)
    return await stack.client.start_workflow(
        "RfqWorkflow", RfqInput(rfq=request, config=config), id=rfq_workflow_id(request.rfq_id),
        task_queue=stack.task_queue, result_type=RfqState)


async def rfq_state(handle) -> RfqState:
    return await handle.query("state", result_type=RfqState)


async def wait_stage(stack: Stack, handle, stage: RfqStage) -> RfqState:
    async def check() -> RfqState | None:
        state = await rfq_state(handle)
        return state if state.stage == stage else None

    return await stack.wait_for(check, f"RFQ stage {stage.value}")


MIXED = catalog_with(
    [factory("b2b-F1", reply_after_minutes=20), factory("b2b-F2", answer="twice", reply_after_minutes=10,
     price_factor="1.20", revise_after_minutes=40, revised_price_factor="0.90"),
     factory("b2b-F3", answer="decline", reply_after_minutes=5), factory("b2b-F4", answer="never"),
     factory("b2b-F5", reply_after_minutes=150, price_factor="0.50")],
    [offer(f"61000000010{i}", f"b2b-F{i}", "铝合金支架 定制", "20.00", 50) for i in range(1, 6)],
)


async def test_deadline_late_duplicate_declined_and_missing_quotes(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, MIXED) as stack:
        handle = await start(stack, rfq("RFQ-MIXED", ["b2b-F1", "b2b-F2", "b2b-F3", "b2b-F4", "b2b-F5"],
                                        award_threshold="1.00"))
        state = await wait_stage(stack, handle, RfqStage.AWAITING_AWARD)

        # Closed at the two-hour deadline, since F4 never answers and F5 answers too late.
        inquiries = await stack.sim_get("inquiries")
        assert len(inquiries) == 1 and inquiries[0]["closed_at"] is not None
        assert state.deadline is not None
        by_supplier: dict[str, list] = {}
        for quote in state.quotes:
            by_supplier.setdefault(quote.supplier_id, []).append(quote)
        assert set(by_supplier) == {"b2b-F1", "b2b-F2", "b2b-F3"}  # nothing from F4 (never), F5 (late)
        assert len(by_supplier["b2b-F2"]) == 2  # quoted, then revised
        assert by_supplier["b2b-F3"][0].declined

        comparison = state.comparison
        assert comparison is not None
        # F2's revision (18.00) stands, not its first quote (24.00): it beats F1 (20.00).
        assert [(s.supplier_id, s.unit_price) for s in comparison.ranked] == [
            ("b2b-F2", Decimal("18.00")), ("b2b-F1", Decimal("20.00"))]
        reasons = {u.supplier_id: u.reason for u in comparison.unqualified}
        assert reasons == {"b2b-F3": "declined: 产能已满", "b2b-F4": "did not answer by the deadline",
                           "b2b-F5": "did not answer by the deadline"}

        # Above the threshold a person decides; one who refuses ends it with the reason.
        result = await handle.execute_update("award", AwardInput(by="lin", reject=True, reason="drawing changed"),
                                             result_type=AwardResult)
        assert result.stage == RfqStage.NOT_AWARDED
        final = await handle.result()
        assert final.reason == "award refused by lin: drawing changed"
        # The ledger keeps the RFQ's end and every quote read, the revision included.
        row = await db_pool.fetchrow("SELECT stage, reason, buy_offer_id FROM rfqs WHERE rfq_id = 'RFQ-MIXED'")
        assert (row["stage"], row["reason"]) == ("NOT_AWARDED", final.reason) and row["buy_offer_id"]
        assert await db_pool.fetchval("SELECT count(*) FROM rfq_quotes WHERE rfq_id = 'RFQ-MIXED' AND supplier_id = 'b2b-F2'") == 2
        # A closed RFQ takes no award (the test server answers "update not found" for a closed workflow).
        with pytest.raises((WorkflowUpdateFailedError, RPCError)):
            await handle.execute_update("award", AwardInput(by="lin"), result_type=AwardResult)


AWARD = catalog_with(
    [factory("b2b-A", reply_after_minutes=10), factory("b2b-B", reply_after_minutes=25),
     supplier("b2b-C")],
    [offer("610000000201", "b2b-A", "铝合金支架 定制", "20.00", 50, freight={"free": True}),
     offer("610000000202", "b2b-B", "铝合金支架 定制", "21.00", 50, freight={"free": True}),
     # Cheaper, but not the factory that quoted: a pinned procurement never looks at it.
     offer("610000000203", "b2b-C", "铝合金支架 定制", "5.00", 50, freight={"free": True})],
)


async def test_award_within_threshold_starts_a_procurement_pinned_to_the_winner(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, AWARD) as stack:
        handle = await start(stack, rfq("RFQ-AUTO", ["b2b-A", "b2b-B"], award_threshold="5000.00"))
        final = await handle.result()
        assert final.stage == RfqStage.AWARDED
        assert final.awarded_to == "b2b-A" and final.awarded_by.startswith("automatic")
        assert final.award_total == Decimal("2000.00")
        # Both answered in 25 minutes: the RFQ did not wait for its deadline.
        assert len(final.quotes) == 2
        assert final.procurement_workflow_id == "pr-RFQ-AUTO-award"
        row = await db_pool.fetchrow("SELECT stage, awarded_to, award_total FROM rfqs WHERE rfq_id = 'RFQ-AUTO'")
        assert tuple(row) == ("AWARDED", "b2b-A", Decimal("2000.00"))

        procurement = stack.client.get_workflow_handle(final.procurement_workflow_id, result_type=ProcurementState)
        # A normal procurement: it orders and pays for the pinned offer of the winner.
        await stack.order_in_status(procurement, "in_transit")
        state = await stack.state(procurement)
        assert state.lines[0].chosen.offer_id == "610000000201"
        orders = await stack.sim_get("orders")
        assert [(o["supplier_id"], o["lines"][0]["offer_id"], o["lines"][0]["quantity"]) for o in orders] == [
            ("b2b-A", "610000000201", 100)]
        # The procurement read only the pinned offer: no search went out for it.
        calls = await stack.sim_get("calls")
        assert not [c for c in calls if c["api"] == "product.search.keywordQuery"]


async def test_a_person_confirms_an_award_above_the_threshold_and_may_pick_another(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, AWARD) as stack:
        handle = await start(stack, rfq("RFQ-CONFIRM", ["b2b-A", "b2b-B"], award_threshold="100.00"))
        state = await wait_stage(stack, handle, RfqStage.AWAITING_AWARD)
        assert [s.supplier_id for s in state.comparison.ranked] == ["b2b-A", "b2b-B"]
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("award", AwardInput(by="lin", supplier_id="b2b-C"), result_type=AwardResult)
        assert "b2b-C has no qualified quote" in str(refused.value.cause)
        result = await handle.execute_update("award", AwardInput(by="lin", supplier_id="b2b-B"), result_type=AwardResult)
        assert result.stage == RfqStage.AWARDED and result.supplier_id == "b2b-B"
        final = await handle.result()
        assert final.awarded_by == "lin"
        procurement = stack.client.get_workflow_handle(result.procurement_workflow_id, result_type=ProcurementState)
        await stack.order_in_status(procurement, "in_transit")
        assert (await stack.state(procurement)).lines[0].chosen.offer_id == "610000000202"
        assert [o["supplier_id"] for o in await stack.sim_get("orders")] == ["b2b-B"]


NOBODY = catalog_with(
    [factory("b2b-N1", capacity=40), factory("b2b-N2", lead_days=90), factory("b2b-N3", answer="decline",
     decline_reason="不接定制")],
    [offer(f"61000000030{i}", f"b2b-N{i}", "铝合金支架 定制", "20.00", 50) for i in range(1, 4)],
)


async def test_nobody_qualified_says_why_for_each_factory(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, NOBODY) as stack:
        handle = await start(stack, rfq("RFQ-NOBODY", ["b2b-N1", "b2b-N2", "b2b-N3"]))
        final = await handle.result()
        assert final.stage == RfqStage.NOT_AWARDED and final.procurement_workflow_id is None
        assert final.reason.startswith("nobody qualified: ")
        assert "b2b-N1: capacity 40 is below the 100 pieces to order" in final.reason
        assert "b2b-N2: ready on" in final.reason and "after the target date" in final.reason
        assert "b2b-N3: declined: 不接定制" in final.reason
        assert await stack.sim_get("orders") == []


async def test_on_the_dev_server_an_award_buys_and_the_histories_replay(dev_env, db_pool):
    """The same award on a real server (real timers, quotes polled every second); with
    RECORD_HISTORIES=1 its histories go to tests/histories for the replay test."""
    async with procurement_stack(dev_env, db_pool, AWARD) as stack:
        request = rfq(f"RFQ-DEV-{uuid.uuid4().hex[:6]}", ["b2b-A", "b2b-B"])
        config = RfqConfig(alibaba_task_queue=stack.config.alibaba_task_queue, procurement=stack.config,
                           poll_interval=timedelta(seconds=1))
        handle = await stack.client.start_workflow(
            "RfqWorkflow", RfqInput(rfq=request, config=config), id=rfq_workflow_id(request.rfq_id),
            task_queue=stack.task_queue, result_type=RfqState)
        final = await wait_stage(stack, handle, RfqStage.AWARDED)
        assert final.awarded_to == "b2b-A"
        procurement = stack.client.get_workflow_handle(final.procurement_workflow_id, result_type=ProcurementState)
        await stack.order_in_status(procurement, "in_transit")
        if os.environ.get("RECORD_HISTORIES") == "1":
            HISTORIES.mkdir(exist_ok=True)
            history = await handle.fetch_history()
            (HISTORIES / f"rfq-award--{handle.id}.json").write_text(history.to_json())
            await record_histories(stack, procurement, "rfq-award")
