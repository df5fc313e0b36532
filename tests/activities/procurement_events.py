"""Writes the ledger rows a procurement writes on its way (through the ledger activities the
workflows call), one for each kind of notification event, so tests can follow the outbox."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from domain.records import TraceEvent
from ledger import orders, requests

WORKFLOW = "pr-PR-NOTIFY"
ORDER = "3701234567000020001"

# (event key, event type) of everything write_every_event() produces.
EXPECTED = {
    f"stage:{WORKFLOW}:AWAITING_APPROVAL": "approval_needed",
    f"alert:{WORKFLOW}:o1:approval-reminder-1": "approval_needed",
    f"alert:{WORKFLOW}:o1:stuck-shipment": "stuck_shipment",
    f"alert:{WORKFLOW}:o1:blocked-2": "authorisation_expired",
    f"alert:{WORKFLOW}:o1:blocked-4": "alert",
    f"signed:{ORDER}": "signed_for",
    f"stage:{WORKFLOW}:AWAITING_QC": "qc_waiting",
    f"alert:{WORKFLOW}:o1:qc-reminder": "qc_waiting",
    f"alert:{WORKFLOW}:o1:qc-escalation": "qc_escalated",
    f"alert:{WORKFLOW}:o1:refund-refused-3": "refund_refused",
    f"finished:{WORKFLOW}": "finished",
}


async def write_every_event(pool: asyncpg.Pool, *, twice: bool = True) -> None:
    """Every write twice when ``twice``: a retried activity must not queue an event again."""
    ledger = LedgerActivities(pool)
    env = ActivityEnvironment()
    await requests.record_purchase_request(pool, "PR-NOTIFY", WORKFLOW, "store-17", {"request_id": "PR-NOTIFY"})
    await orders.record_order(pool, out_order_id="o1", workflow_id=WORKFLOW, request_id="PR-NOTIFY",
                              supplier_id="b2b-1", order_id=ORDER, status="PAID", goods_amount=Decimal("100"),
                              freight_amount=Decimal("10"), total_amount=Decimal("110"), lines=[])
    alerts = [
        ("approval-reminder-1", f"reminder 1: order {ORDER} waits for approval"),
        ("stuck-shipment", f"order {ORDER}: the shipment has not moved since 2026-05-27"),
        # The texts the order workflow writes (workflows/supplier_order.py AUTH_EXPIRED and the outage alert).
        ("blocked-2", f"1688 authorisation expired: run `procure authorize` (order {ORDER}: paying waits for it)"),
        ("blocked-4", f"order {ORDER}: paying has failed since 2026-05-27 09:00 UTC (Transport: timed out); "
                      "it is tried again until 1688 answers"),
    ]
    for _ in range(2 if twice else 1):
        await requests.set_stage(pool, WORKFLOW, "AWAITING_APPROVAL")
        await requests.set_stage(pool, WORKFLOW, "PAYING")
        await requests.set_stage(pool, WORKFLOW, "AWAITING_APPROVAL")  # re-entered: still one event
        for step, text in alerts:
            await env.run(ledger.record_trace_event, TraceEvent(workflow_id=WORKFLOW, step=f"o1:{step}", kind="alert",
                                                                detail={"text": text, "order_id": ORDER}))
        await env.run(ledger.record_trace_event, TraceEvent(workflow_id=WORKFLOW, step="o1:paid", kind="note",
                                                            detail={"text": "not an alert"}))
        await requests.set_stage(pool, WORKFLOW, "IN_TRANSIT")
        await orders.record_shipment(pool, order_id=ORDER, status="TRANSPORT", company="中通", tracking_no="ZT1", events=[])
        await orders.record_shipment(pool, order_id=ORDER, status="SIGN", company="中通", tracking_no="ZT1", events=[])
        await requests.set_stage(pool, WORKFLOW, "AWAITING_QC")
        for step, text in [("qc-reminder", f"order {ORDER} waits for a QC result"),
                           ("qc-escalation", f"order {ORDER} escalated: still no QC result"),
                           ("refund-refused-3", f"order {ORDER}: the seller refused the refund")]:
            await env.run(ledger.record_trace_event, TraceEvent(workflow_id=WORKFLOW, step=f"o1:{step}", kind="alert",
                                                                detail={"text": text, "order_id": ORDER}))
        await requests.set_stage(pool, WORKFLOW, "COMPLETED", {
            "lines": [{"line_id": "1", "status": "received"}],
            "orders": [{"order_id": ORDER, "status": "COMPLETED", "amount": "110.00"}]})
