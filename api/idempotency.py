"""The same request_id again: the same request (200, nothing new) or a different one (409).

The procurement's own workflow input is the record of what was asked, so a request started from
the command line or by another API process is compared just the same. Both sides are compared
as validated requests, so key order, spacing and spelled-out defaults make no difference.
"""

from __future__ import annotations

import logging
from typing import Any

from temporalio.client import Client

from domain.procurement import ProcurementInput
from domain.request import PurchaseRequest

MAX_DIFFERENCES = 20
log = logging.getLogger(__name__)


async def request_that_started(client: Client, workflow_id: str, run_id: str | None) -> PurchaseRequest | None:
    """The purchase request in the first event of the procurement's run; None if it cannot be read."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    async for event in handle.fetch_history_events(page_size=1):
        attributes = event.workflow_execution_started_event_attributes
        if not attributes.input.payloads:
            return None
        try:
            [started] = await client.data_converter.decode(attributes.input.payloads, [ProcurementInput])
        except Exception:  # an input this code cannot read (another key, an older shape): no verdict
            log.warning("the input of %s cannot be read", workflow_id, exc_info=True)
            return None
        return started.request if isinstance(started, ProcurementInput) else None
    return None


def differences(before: PurchaseRequest, now: PurchaseRequest) -> list[str]:
    """The field paths whose values differ ('lines[0].quantity', 'budget'); values are not
    repeated, because a delivery address or a phone number has no place in an error message."""
    found: list[str] = []
    _compare(before.model_dump(mode="json"), now.model_dump(mode="json"), "", found)
    if len(found) > MAX_DIFFERENCES:
        return [*found[:MAX_DIFFERENCES], f"... and {len(found) - MAX_DIFFERENCES} more"]
    return found


def _compare(a: Any, b: Any, path: str, found: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            _compare(a.get(key), b.get(key), f"{path}.{key}" if path else str(key), found)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(f"{path or 'request'}: {len(a)} items before, {len(b)} now")
        for index, (x, y) in enumerate(zip(a, b)):
            _compare(x, y, f"{path}[{index}]", found)
    elif a != b:
        found.append(path or "request")
