"""`procure cancel`: stop a procurement; what is not paid is cancelled, what is paid is reported."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.client import Client

from domain.messages import CANCEL_UPDATE, CancelInput, CancelResult, procurement_workflow_id
from starter.exit_status import CommandError, bad_input
from starter.updates import send_update


def cancel_input(reason: str | None, by: str | None) -> CancelInput:
    try:
        return CancelInput(reason=reason, by=by) if reason is not None else CancelInput(by=by)
    except ValidationError as error:
        raise bad_input(error) from None


async def cancel(client: Client, request_id: str, message: CancelInput) -> CancelResult:
    return await send_update(
        client, procurement_workflow_id(request_id), CANCEL_UPDATE, message, CancelResult,
        refused=CommandError, missing=f"no procurement {request_id}",
    )


def cancel_text(request_id: str, result: CancelResult) -> str:
    lines = [f"Cancelling {request_id}: nothing more will be ordered."]
    if result.cancelled:
        lines.append("Cancelling the unpaid orders: " + ", ".join(result.cancelled))
    if result.not_cancelled:
        lines.append("Could not cancel (they continue to delivery and QC):")
        lines += [f"  order {n.order_id or n.out_order_id}: {n.reason}" for n in result.not_cancelled]
    if not result.cancelled and not result.not_cancelled:
        lines.append("No order was open.")
    lines.append(f"Follow it with: procure status {request_id}")
    return "\n".join(lines)
