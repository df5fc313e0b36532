"""`procure approve`: an approver releases the payments a procurement holds for approval."""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.client import Client

from domain.messages import APPROVE_UPDATE, ApproveInput, ApproveResult, procurement_workflow_id
from domain.progress import ProcurementState
from starter.exit_status import CommandError, bad_input
from starter.render import money, table
from starter.updates import send_update


def approve_input(by: str | None) -> ApproveInput:
    try:
        return ApproveInput(by=by)
    except ValidationError as error:
        raise bad_input(error) from None


async def approve(client: Client, request_id: str, message: ApproveInput) -> ApproveResult:
    # Refused (nothing waits for approval) is the system saying no: exit 1, not bad input.
    return await send_update(
        client, procurement_workflow_id(request_id), APPROVE_UPDATE, message, ApproveResult,
        refused=CommandError, missing=f"no procurement {request_id}",
    )


def approve_text(request_id: str, result: ApproveResult, state: ProcurementState | None) -> str:
    count = len(result.released)
    head = f"Released the payment of {count} order{'s' if count != 1 else ''} of {request_id}; they are paid next."
    orders = {o.order_id or o.out_order_id: o for o in (state.orders if state else [])}
    rows = []
    for released in result.released:
        order = orders.get(released)
        rows.append([released, order.supplier_id if order else "", money(order.amount) if order else "",
                     "; ".join(order.approval.reasons) if order else ""])
    return head + "\n" + table(["order", "supplier", "amount", "why it needed approval"], rows, right=(2,))
