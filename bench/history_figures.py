"""Figures read from fetched workflow histories: events, activities and children per workflow
kind, and the largest values a workflow wrote, set against the server's limits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import WorkflowHistory

from bench.stack import workflow_kind

# The dev server's defaults (Temporal server 1.32 dynamic config): above the error limit the server
# refuses the write (and the workflow stalls or is terminated); the warn limit is where it logs.
LIMITS = {
    "payload bytes (blob size)": 2 * 1024 * 1024,  # limit.blobSize.error
    "search attribute value bytes": 2048,  # limit.searchAttributeValueSize
    "search attributes total bytes": 40 * 1024,  # limit.searchAttributeTotalSize
    "history events": 51_200,  # limit.historyCount.error
    "history bytes": 50 * 1024 * 1024,  # limit.historySize.error
    "pending activities": 2_000,  # limit.numPendingActivities.error
}


@dataclass
class KindFigures:
    runs: int = 0
    events: int = 0
    activities: Counter[str] = field(default_factory=Counter)  # activity type -> scheduled
    local_activities: int = 0
    children: int = 0
    timers: int = 0
    upserts: int = 0
    event_types: Counter[str] = field(default_factory=Counter)
    task_timeouts: Counter[str] = field(default_factory=Counter)  # workflow task timeouts by kind


@dataclass
class HistoryFigures:
    kinds: dict[str, KindFigures] = field(default_factory=dict)
    largest_payload: tuple[int, str] = (0, "")  # bytes, where
    largest_search_attribute: tuple[int, str] = (0, "")
    largest_history_events: tuple[int, str] = (0, "")
    largest_history_bytes: tuple[int, str] = (0, "")


def _repeated(descriptor) -> bool:
    # protobuf 6 has `is_repeated`; older ones only `label` (3 is LABEL_REPEATED).
    flag = getattr(descriptor, "is_repeated", None)
    return bool(flag) if flag is not None else descriptor.label == 3


def _payload_sizes(message, where: str):
    """(bytes, where) for every Payload or Payloads in a history event: inputs, results, details,
    memo, headers, search attributes. A Payloads (an activity's input list) counts as one value."""
    from temporalio.api.common.v1 import Payload, Payloads

    for descriptor, value in message.ListFields():
        if descriptor.type != descriptor.TYPE_MESSAGE:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif _repeated(descriptor):
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payloads):
                yield sum(len(p.data) for p in item.payloads), f"{where}.{descriptor.name}"
            elif isinstance(item, Payload):
                yield len(item.data), f"{where}.{descriptor.name}"
            elif hasattr(item, "ListFields"):
                yield from _payload_sizes(item, where)


def read(histories: list[WorkflowHistory]) -> HistoryFigures:
    figures = HistoryFigures()
    for history in histories:
        kind = workflow_kind(history.workflow_id)
        k = figures.kinds.setdefault(kind, KindFigures())
        k.runs += 1
        k.events += len(history.events)
        size = sum(e.ByteSize() for e in history.events)
        if len(history.events) > figures.largest_history_events[0]:
            figures.largest_history_events = (len(history.events), history.workflow_id)
        if size > figures.largest_history_bytes[0]:
            figures.largest_history_bytes = (size, history.workflow_id)
        for event in history.events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            k.event_types[name] += 1
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                k.activities[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
            elif event.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
                k.children += 1
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                timeout = event.workflow_task_timed_out_event_attributes.timeout_type
                k.task_timeouts[TimeoutType.Name(timeout).removeprefix("TIMEOUT_TYPE_")] += 1
            elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                k.timers += 1
            elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
                if event.marker_recorded_event_attributes.marker_name == "core_local_activity":
                    k.local_activities += 1
            elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                k.upserts += 1
                fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
                for sa_name, payload in fields.items():
                    if len(payload.data) > figures.largest_search_attribute[0]:
                        figures.largest_search_attribute = (len(payload.data), f"{sa_name} in {history.workflow_id}")
            for bytes_, where in _payload_sizes(event, f"{history.workflow_id} {name}"):
                if bytes_ > figures.largest_payload[0]:
                    figures.largest_payload = (bytes_, where)
    return figures


def against_limits(figures: HistoryFigures, peak_pending_activities: int | None = None) -> list[tuple[str, str, str, str]]:
    """Rows of (figure, value, server limit, share of the limit, where)."""
    rows = [
        ("payload bytes (blob size)", figures.largest_payload),
        ("search attribute value bytes", figures.largest_search_attribute),
        ("history events", figures.largest_history_events),
        ("history bytes", figures.largest_history_bytes),
    ]
    out = []
    for name, (value, where) in rows:
        limit = LIMITS[name]
        out.append((name, f"{value:,}", f"{limit:,}", f"{value / limit:.1%}  {where}"))
    if peak_pending_activities is not None:
        limit = LIMITS["pending activities"]
        out.append(("pending activities (peak, one workflow)", f"{peak_pending_activities:,}", f"{limit:,}",
                    f"{peak_pending_activities / limit:.1%}"))
    return out
