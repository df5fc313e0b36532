"""Supplier compliance refresh against the real parts: a licence expires in the simulator, the
next refresh marks the supplier and alerts once, and a new procurement excludes it with the reason."""

from __future__ import annotations

import uuid

from domain.compliance import COMPLIANCE_WORKFLOW, ComplianceInput, ComplianceReport, ComplianceStatus
from domain.progress import ProcurementState
from wf_harness import Stack, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-1001"), supplier("b2b-1002")],
    [
        # A is cheaper: the first procurement buys from it.
        offer("610000000101", "b2b-1001", "纯棉T恤 白色", "40.00", 10, freight={"flat": "20.00"}),
        offer("610000000102", "b2b-1002", "纯棉T恤 男款", "48.00", 10, freight={"flat": "20.00"}),
    ],
)


async def _refresh(stack: Stack) -> ComplianceReport:
    return await stack.client.execute_workflow(
        COMPLIANCE_WORKFLOW, ComplianceInput(alibaba_task_queue=stack.config.alibaba_task_queue),
        id=f"compliance-{uuid.uuid4().hex[:8]}", task_queue=stack.task_queue, result_type=ComplianceReport,
    )


async def _ordered(stack: Stack, handle) -> ProcurementState | None:
    state = await stack.state(handle)
    return state if state.orders else None


async def test_expired_licence_is_alerted_once_and_excluded_from_the_next_procurement(dev_env, db_pool):
    async with procurement_stack(dev_env, db_pool, CATALOG, compliance=True) as stack:
        first = await stack.start(request("PR-COMPLY-1", ("1", "纯棉T恤", 20)))
        state = await stack.wait_for(lambda: _ordered(stack, first), "the first order")
        assert state.orders[0].supplier_id == "b2b-1001"

        # A supplier we once bought from has since left 1688: it cannot be read, and the run goes on.
        await db_pool.execute(
            """INSERT INTO orders (out_order_id, workflow_id, request_id, supplier_id, status)
               VALUES ('old-1', 'pr-OLD', 'OLD', 'b2b-gone', 'success')""")

        # The others are checked (one bought from, one a ranked candidate of a running
        # procurement); all valid: no alert.
        report = await _refresh(stack)
        assert report.checked == 3 and list(report.failed) == ["b2b-gone"]
        assert {v.status for v in report.verdicts} == {ComplianceStatus.COMPLIANT}
        assert report.alerts_raised == []

        # Yesterday by the wall clock, which the dev server's follows (the simulator's runs ahead).
        expired = await stack.admin.post("/_sim/licences", json={"login_id": "login-1001", "expired_days_ago": 1})
        assert expired.status_code == 200, expired.text
        expired_on = expired.json()["license_expires_on"]

        report = await _refresh(stack)
        verdicts = {v.supplier_id: v for v in report.verdicts}
        assert verdicts["b2b-1001"].status == ComplianceStatus.NON_COMPLIANT
        assert verdicts["b2b-1002"].status == ComplianceStatus.COMPLIANT
        assert report.alerts_raised == ["b2b-1001"]

        # Run twice: same verdicts, no second alert.
        again = await _refresh(stack)
        assert again.alerts_raised == []
        assert {v.supplier_id: v.status for v in again.verdicts} == {k: v.status for k, v in verdicts.items()}
        alerts = await db_pool.fetch("SELECT supplier_id, reason FROM compliance_alerts")
        assert [(a["supplier_id"], a["reason"]) for a in alerts] == [
            ("b2b-1001", f"the supplier's business licence expired on {expired_on}")]
        assert await db_pool.fetchval(
            "SELECT status FROM supplier_compliance WHERE supplier_id = 'b2b-1001'") == "non_compliant"
        # And people are told once, through the notification outbox.
        told = await db_pool.fetch("SELECT event_type, detail->>'text' AS text FROM notification_events "
                                   "WHERE event_key LIKE 'compliance:%'")
        assert [(t["event_type"], t["text"]) for t in told] == [
            ("alert", f"供应商合规 Supplier compliance: b2b-1001 公司 (b2b-1001): "
                      f"the supplier's business licence expired on {expired_on}")]

        # The next procurement: A is excluded with the reason, B is chosen.
        second = await stack.start(request("PR-COMPLY-2", ("1", "纯棉T恤", 20)))
        state = await stack.wait_for(lambda: _ordered(stack, second), "the second order")
        assert state.lines[0].chosen.supplier_id == "b2b-1002"
        assert state.orders[0].supplier_id == "b2b-1002"
        reason = await db_pool.fetchval(
            "SELECT reason FROM sourcing_decisions WHERE workflow_id = 'pr-PR-COMPLY-2' AND supplier_id = 'b2b-1001'")
        assert f"the supplier's business licence expired on {expired_on}" in reason
        for handle in (first, second):
            await handle.terminate("test done")
