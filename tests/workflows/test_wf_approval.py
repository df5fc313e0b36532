"""Approval above the threshold or after a price drift, its deadline, and cancellation."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.messages import ApproveInput, ApproveResult, CancelInput, CancelResult
from domain.progress import LineStatus, Stage
from wf_harness import accept_all, record_histories, catalog_with, offer, procurement_stack, reprice, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A")],
    [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, freight={"flat": "100.00"})],
)


async def test_an_approver_releases_a_payment_above_the_threshold(any_env, db_pool):
    async with procurement_stack(any_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-APPROVE", ("1", "纯棉T恤", 50), approval_threshold="1000.00"))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        assert "above the approval threshold 1000.00" in waiting.approval.reasons[0]
        assert await stack.sim_get("payments") == []  # nothing is paid before the approval
        released = await handle.execute_update("approve", ApproveInput(by="li.manager"), result_type=ApproveResult)
        assert released.released == [waiting.order_id]
        state = await accept_all(stack, handle)
        await record_histories(stack, handle, "approval")
    assert state.stage == Stage.COMPLETED
    assert state.orders[0].approval.approved_by == "li.manager"
    assert len(await stack.sim_get("payments")) == 1
    assert await db_pool.fetchval("SELECT approved_by FROM payments") == "li.manager"


async def test_no_approval_before_the_deadline_cancels_the_unpaid_order(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-DEADLINE", ("1", "纯棉T恤", 50), approval_threshold="1000.00"))
        state = await handle.result()  # nobody approves; the test server skips the 48 hours
    assert state.stage == Stage.FAILED
    order = state.orders[0]
    assert order.status.value == "cancelled" and "deadline" in order.reason
    assert len([a for a in order.alerts if "waits for approval" in a]) == 3  # the reminders
    assert state.lines[0].status == LineStatus.UNFULFILLED and "deadline" in state.lines[0].reason
    [sim_order] = await stack.sim_get("orders")
    assert sim_order["status"] == "cancel"
    assert await stack.sim_get("payments") == []


async def test_a_price_that_drifted_holds_the_order_for_approval(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        # The seller raises the price after we ranked the offer and before we ordered.
        stack.before("create_order", lambda: reprice(stack.sim, "610000000001", "49.00"))
        handle = await stack.start(request("PR-DRIFT", ("1", "纯棉T恤", 50)))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        assert waiting.approval.reasons == ["line 1: unit price 49.00 on the order, 45.00 quoted (8.9% off)"]
        await handle.execute_update("approve", ApproveInput(by="li.manager"))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED


async def test_cancel_before_payment_cancels_the_order_and_says_so(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-CANCEL", ("1", "纯棉T恤", 50), approval_threshold="1000.00"))
        waiting = await stack.order_in_status(handle, "awaiting_approval")
        result = await handle.execute_update("cancel", CancelInput(reason="budget frozen"), result_type=CancelResult)
        assert result.cancelled == [waiting.order_id] and result.not_cancelled == []
        # A second cancel is refused: by the validator while the workflow winds down, or by the
        # server once it has closed.
        with pytest.raises((WorkflowUpdateFailedError, RPCError)):
            await handle.execute_update("cancel", CancelInput(reason="again"))
        state = await handle.result()
    assert state.stage == Stage.CANCELLED
    assert state.lines[0].status == LineStatus.CANCELLED
    assert [o["status"] for o in await stack.sim_get("orders")] == ["cancel"]
    assert await stack.sim_get("payments") == []


async def test_approving_when_nothing_waits_is_refused_and_changes_nothing(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-NOAPPROVAL", ("1", "纯棉T恤", 50)))
        await stack.order_in_status(handle, "awaiting_qc")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("approve", ApproveInput(by="someone"))
        assert "no payment is waiting for approval" in str(refused.value.cause)
        history = await handle.fetch_history()
        assert not any(e.HasField("workflow_execution_update_accepted_event_attributes") for e in history.events)
        await accept_all(stack, handle)


async def test_without_password_free_payment_a_person_pays_through_the_link(time_env, db_pool):
    catalog = catalog_with(CATALOG["suppliers"], CATALOG["offers"], protocol_pay_open=False)
    async with procurement_stack(time_env, db_pool, catalog) as stack:
        handle = await stack.start(request("PR-LINK", ("1", "纯棉T恤", 50)))
        waiting = await stack.order_in_status(handle, "awaiting_payment")
        assert waiting.payment is not None and waiting.payment.payment_url
        assert any("needs a person to pay" in a for a in waiting.alerts)
        assert await stack.sim_get("payments") == []
        # Someone in finance opens the link and pays at the cashier.
        (await stack.admin.post(f"/_sim/orders/{waiting.order_id}/pay")).raise_for_status()
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert state.orders[0].payment.method == "payment_link" and state.orders[0].payment.paid
    assert len(await stack.sim_get("payments")) == 1
