"""Nothing doubled: the same request twice, and replies lost after 1688 committed."""

from __future__ import annotations

import pytest
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.procurement import ProcurementInput
from domain.progress import Stage
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A")],
    [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50, freight={"flat": "100.00"})],
)


async def test_the_same_request_started_twice_buys_once(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        pr = request("PR-TWICE", ("1", "纯棉T恤", 50))
        start = dict(id="pr-PR-TWICE", task_queue=stack.task_queue, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                     id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
        first = await stack.client.start_workflow("ProcurementWorkflow", ProcurementInput(request=pr, config=stack.config), **start)
        second = await stack.client.start_workflow("ProcurementWorkflow", ProcurementInput(request=pr, config=stack.config), **start)
        assert second.first_execution_run_id == first.first_execution_run_id
        await accept_all(stack, first)
        with pytest.raises(WorkflowAlreadyStartedError):
            await stack.client.start_workflow("ProcurementWorkflow", ProcurementInput(request=pr, config=stack.config), **start)
    assert len(await stack.sim_get("orders")) == 1
    assert len(await stack.sim_get("payments")) == 1


async def test_lost_replies_after_create_and_pay_never_double_an_order_or_a_payment(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        faults = {"lost_reply": {"alibaba.trade.fastCreateOrder": 1, "alibaba.trade.pay.protocolPay.preparePay": 1}}
        (await stack.admin.post("/_sim/faults", json=faults)).raise_for_status()
        handle = await stack.start(request("PR-LOST", ("1", "纯棉T恤", 50)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    orders = await stack.sim_get("orders")
    payments = await stack.sim_get("payments")
    assert len(orders) == 1 and len(payments) == 1
    assert payments[0]["order_id"] == orders[0]["order_id"]
    calls = [c["api"] for c in await stack.sim_get("calls")]
    assert calls.count("alibaba.trade.fastCreateOrder") == 1  # the retry looked the order up instead
