"""What a lean history looks like (issue 13, patch `lean-history-1`), checked on a finished run.

Behaviour tests pass whether an order reports every poll to its procurement or only news, and
whether it rewrites its search attributes with the same values: only the history shows the
difference, in events the server stores and the procurement wakes for. These checks read the
histories of a procurement that ran to the end.
"""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from domain.procurement import SupplierOrderInput
from domain.progress import OrderSnapshot, OrderStatus
from workflows.supplier_order import ORDER_PROGRESS_SIGNAL

# What an order leaves out of a report: the courier's single scans (in its details and the ledger).
UNREPORTED = {"shipment": {"polls", "status", "last_event", "last_moved_at"}}


def _news(order: OrderSnapshot) -> str:
    return order.model_dump_json(exclude=UNREPORTED)


async def check_order_history(client: Client, history: WorkflowHistory) -> dict[str, int]:
    """Assert the order's history holds no event that changes nothing; return its counts."""
    events = history.events
    started = events[0].workflow_execution_started_event_attributes
    [order_input] = await client.data_converter.decode(list(started.input.payloads), [SupplierOrderInput])
    # Search attributes: set at the start by the procurement, then upserted only with a change.
    shown = {name: payload.data for name, payload in started.search_attributes.indexed_fields.items()}
    upserts = 0
    for event in events:
        if event.event_type != EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            continue
        upserts += 1
        fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        changed = {name for name, payload in fields.items() if shown.get(name) != payload.data}
        assert changed, f"{history.workflow_id}: event {event.event_id} upserts search attributes it already has"
        shown.update({name: payload.data for name, payload in fields.items()})
    # Reports to the procurement: each one carries news for a person.
    reports: list[OrderSnapshot] = []
    for event in events:
        if event.event_type != EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
            continue
        attributes = event.signal_external_workflow_execution_initiated_event_attributes
        if attributes.signal_name == ORDER_PROGRESS_SIGNAL:
            reports += await client.data_converter.decode(list(attributes.input.payloads), [OrderSnapshot])
    # Its end is not reported: the procurement reads the final order from the outcome (quiet-end-1).
    assert not [r for r in reports if r.status.is_final], f"{history.workflow_id}: its end was reported by signal"
    heard = order_input.order
    for report in reports:
        # Settling (receipt being confirmed) is no news on its own: it may only come with some.
        as_heard = report.model_copy(update={"status": heard.status}) if report.status == OrderStatus.SETTLING else report
        assert _news(as_heard) != _news(heard), f"{history.workflow_id}: a report without news ({report.status.value})"
        heard = report
    # The spend controls: asked once before paying when no approval came between verify and pay.
    checks = 0
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_local_activity":
                checks += json.loads(marker.details["data"].payloads[0].data)["activity_type"] == "check_payment"
    return {"upserts": upserts, "reports": len(reports), "spend_checks": checks}
