"""Following the courier on durable timers, the stuck-shipment alarm, and QC messages."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.progress import Stage
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, send_qc, supplier


def catalog(**behaviour) -> dict:
    return catalog_with(
        [supplier("b2b-A", behaviour={"ship_after_hours": 24, "stall_at": None, "cancel_after_pay": False, **behaviour})],
        [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50),
         offer("610000000003", "b2b-A", "帆布包 大号", "20.00", 10)],
    )


async def test_a_shipment_that_stops_moving_raises_the_alarm(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, catalog(stall_at="TRANSPORT")) as stack:
        handle = await stack.start(request("PR-STUCK", ("1", "纯棉T恤", 50)))

        async def alarmed():
            state = await stack.state(handle)
            return state.orders and state.orders[0].shipment and state.orders[0].shipment.stuck and state.orders[0]

        order = await stack.wait_for(alarmed, "the stuck-shipment alarm")
        assert order.shipment.status == "TRANSPORT"
        assert any("has not moved since" in a for a in order.alerts)
        assert (await stack.state(handle)).stage == Stage.IN_TRANSIT
        step = await db_pool.fetchval("SELECT step FROM trace_events WHERE kind = 'alert' AND step LIKE '%stuck-shipment'")
        assert step is not None
        await handle.terminate("test over")


async def test_bad_qc_results_are_refused_and_a_good_one_settles_the_order(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, catalog()) as stack:
        handle = await stack.start(request("PR-QC", ("1", "纯棉T恤", 50), ("2", "帆布包", 20)))
        early = await stack.order_in_status(handle, "in_transit")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await send_qc(stack, early)
        assert "not waiting for QC" in str(refused.value.cause)

        order = await stack.order_in_status(handle, "awaiting_qc")
        bad = [
            ([("9", 1, "torn")], "line '9' is not in order"),
            ([("1", 51, "torn")], "51 rejected but only 50 arrived"),
            ([("1", 5, None)], "a reason is required"),
            ([], "at least one line"),
        ]
        for lines, message in bad:
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await send_qc(stack, order, "reject", lines)
            assert message in str(refused.value.cause)
        wrong_order = order.model_copy(update={"order_id": "123456789"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await send_qc(stack, wrong_order)
        assert "not 123456789" in str(refused.value.cause)

        state = await stack.state(handle)
        assert state.orders[0].qc is None  # nothing the refused messages said was taken

        async def escalated():
            alerts = (await stack.state(handle)).orders[0].alerts
            return any("escalated" in a for a in alerts) and alerts

        # While the goods wait, QC staff are reminded after a day, then it is escalated.
        alerts = await stack.wait_for(escalated, "the QC escalation")
        assert any("waits for a QC result" in a for a in alerts)

        await send_qc(stack, order)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await send_qc(stack, order)
        assert "already has a QC result" in str(refused.value.cause)
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    history = [e for e in (await handle.fetch_history()).events]
    assert history  # the run completed with every refused update kept out of it


async def test_a_long_journey_continues_as_new_and_picks_up_where_it_was(time_env, db_pool):
    from domain.procurement import Timing

    async with procurement_stack(time_env, db_pool, catalog(), timing=Timing(polls_per_run=2)) as stack:
        handle = await stack.start(request("PR-LONGTRIP", ("1", "纯棉T恤", 50)))
        state = await accept_all(stack, handle)
        order = state.orders[0]
        last_run = await stack.client.get_workflow_handle(order.workflow_id).fetch_history()
    started = last_run.events[0].workflow_execution_started_event_attributes
    assert state.stage == Stage.COMPLETED and order.status.value == "received"
    assert started.continued_execution_run_id  # the order continued as new along the way...
    assert order.shipment.polls > 2 and order.shipment.status == "SIGN"  # ...without losing count
    assert len(await stack.sim_get("payments")) == 1  # and paid once, not once per run
