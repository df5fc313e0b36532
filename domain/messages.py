"""What people send a running procurement: QC results, approvals, cancellation.

Each message has one typed input and one typed result, so it can grow without breaking running
workflows. The checks are pure functions here so that the workflows' update validators and the
tests use the same rules; a message that fails them is refused before it touches history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.progress import OrderSnapshot, OrderStatus

# Names on the wire between the `procure` command line and the workflows.
PROCUREMENT_WORKFLOW = "ProcurementWorkflow"
SUPPLIER_ORDER_WORKFLOW = "SupplierOrderWorkflow"
STATE_QUERY = "state"
QC_UPDATE = "qc"
APPROVE_UPDATE = "approve"
CANCEL_UPDATE = "cancel"


# A worker that picks up a procurement it does not hold replays its whole history in one workflow
# task. At 200 lines on a busy 2-core worker that took longer than the server's default 10 s, and
# each retry of the timed-out task replayed again (bench.scale: 7 of 8 replays of the procurement).
# A large request gets a minute; a small one keeps the default, so a worker that dies in the
# middle of its task delays it by at most 10 s.
LARGE_REQUEST_LINES = 20
LARGE_REQUEST_TASK_TIMEOUT = timedelta(minutes=1)


def procurement_task_timeout(lines: int) -> timedelta | None:
    """The workflow task timeout to start a procurement of `lines` lines with (None: the server's)."""
    return LARGE_REQUEST_TASK_TIMEOUT if lines > LARGE_REQUEST_LINES else None


def procurement_workflow_id(request_id: str) -> str:
    return f"pr-{request_id}"


def order_workflow_id(request_id: str, n: int) -> str:
    return f"pr-{request_id}-order-{n}"


class QcLineInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: str = Field(min_length=1, max_length=64)
    rejected_qty: int = Field(ge=0)
    reason: str | None = Field(default=None, max_length=500)


class QcInput(BaseModel):
    """The warehouse's inspection of one 1688 order."""

    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=40)
    decision: Literal["accept", "reject"]
    lines: list[QcLineInput] = Field(default_factory=list, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    inspector: str | None = Field(default=None, max_length=100)

    @field_validator("order_id")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("a 1688 order id is a string of digits")
        return value


class QcResult(BaseModel):
    order_id: str
    accepted: dict[str, int]
    rejected: dict[str, int]


def qc_problems(qc: QcInput, order: OrderSnapshot, qc_open: bool) -> list[str]:
    """Why this QC result cannot be taken for this order; empty when it can."""
    if qc.order_id != order.order_id:
        return [f"this workflow handles order {order.order_id}, not {qc.order_id}"]
    if order.qc is not None:
        return [f"order {order.order_id} already has a QC result ({order.qc.decision})"]
    if not qc_open:
        status = order.shipment.status if order.shipment else order.status.value
        return [f"order {order.order_id} is not waiting for QC (status {status}); QC is taken once the goods have arrived"]
    problems: list[str] = []
    if qc.decision == "accept":
        if any(l.rejected_qty for l in qc.lines):
            problems.append("an accept cannot reject pieces; send decision 'reject' with the quantities")
        return problems
    if not qc.lines:
        problems.append("a rejection needs at least one line with the rejected quantity (--line L --rejected N)")
    seen: set[str] = set()
    for line in qc.lines:
        ordered = order.line(line.line_id)
        if ordered is None:
            known = ", ".join(l.line_id for l in order.lines)
            problems.append(f"line {line.line_id!r} is not in order {order.order_id} (lines: {known})")
            continue
        if line.line_id in seen:
            problems.append(f"line {line.line_id!r} appears twice")
        seen.add(line.line_id)
        if line.rejected_qty > ordered.quantity:
            problems.append(
                f"line {line.line_id!r}: {line.rejected_qty} rejected but only {ordered.quantity} arrived"
            )
        if line.rejected_qty == 0:
            problems.append(f"line {line.line_id!r}: a rejection needs a rejected quantity above 0")
        if not (line.reason or qc.reason or "").strip():
            problems.append(f"line {line.line_id!r}: a reason is required for a rejection")
    return problems


class ApproveInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class ApproveResult(BaseModel):
    released: list[str]  # out_order_ids whose payment was released


def approval_problems(orders: list[OrderSnapshot]) -> list[str]:
    if not any(o.status == OrderStatus.AWAITING_APPROVAL for o in orders):
        return ["no payment is waiting for approval"]
    return []


class CancelInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="cancelled by the buyer", min_length=1, max_length=500)
    by: str | None = Field(default=None, max_length=100)


class NotCancelled(BaseModel):
    order_id: str | None
    out_order_id: str
    reason: str


class CancelResult(BaseModel):
    cancelled: list[str]  # out_order_ids being cancelled
    not_cancelled: list[NotCancelled]


def cancel_problems(finished: bool, already_cancelled: bool) -> list[str]:
    if finished:
        return ["this procurement has already finished"]
    if already_cancelled:
        return ["this procurement is already being cancelled"]
    return []
