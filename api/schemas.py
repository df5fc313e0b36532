"""The shapes at the API's boundary that are not domain messages already.

Bodies reuse the domain's own messages where they exist (`PurchaseRequest`, `ApproveInput`,
`CancelInput`); the QC body is `QcInput` without the order id, which is in the path. Answers that
the command line prints as JSON (`procure status --json`, `procure list --json`) are described
here so that the OpenAPI document states them; the tests check real answers against them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.messages import NotCancelled, QcInput, QcLineInput
from domain.progress import LineState, OrderLine, OrderSnapshot, Stage


class QcBody(BaseModel):
    """The warehouse's inspection of one order (`POST /v1/orders/{order_id}/qc`)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "reject"]
    inspector: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    lines: list[QcLineInput] = Field(default_factory=list, max_length=200)

    def for_order(self, order_id: str) -> QcInput:
        return QcInput(order_id=order_id, **self.model_dump())


class Error(BaseModel):
    error: str
    problems: list[str] | None = Field(default=None, description="422: one entry per problem")
    reason: str | None = Field(default=None, description="409 from a workflow's validator: its reason")
    differences: list[str] | None = Field(default=None, description="409 on a purchase request: the fields that differ")


class Started(BaseModel):
    request_id: str
    workflow_id: str
    run_id: str | None
    started: bool = Field(description="false: this request_id and body were sent before; nothing new was started")
    status: str = Field(description="RUNNING, COMPLETED, FAILED, ...")
    web_ui: str


class OrderView(OrderSnapshot):
    lines: list[str] = Field(default_factory=list, description="the request lines this order buys")  # type: ignore[assignment]
    line_details: list[OrderLine] = Field(default_factory=list)


class ProcurementView(BaseModel):
    """`procure status --json`."""

    request_id: str
    workflow_id: str
    stage: Stage
    lines: list[LineState]
    orders: list[OrderView]
    alerts: list[str]
    cancel_reason: str | None
    fully_received: bool
    web_ui: str | None = None


class ProcurementRow(BaseModel):
    """One procurement in a list (`procure list --json`)."""

    request_id: str
    workflow_id: str
    stage: str
    status: str
    requester: str | None
    amount: str | None = Field(description="paid so far, yuan")
    started: str | None
    closed: str | None


class Page(BaseModel):
    items: list[ProcurementRow]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class Approved(BaseModel):
    request_id: str
    released: list[str] = Field(description="the orders whose payment was released")


class Cancelled(BaseModel):
    request_id: str
    cancelled: list[str]
    not_cancelled: list[NotCancelled]


class QcLineToInspect(BaseModel):
    line_id: str
    keyword: str | None
    quantity: int = Field(description="pieces that arrived")
    offer_id: str


class OrderAwaitingQc(BaseModel):
    order_id: str
    request_id: str
    workflow_id: str | None
    supplier_id: str
    lines: list[QcLineToInspect]
    alerts: list[str]


class OrdersAwaitingQc(BaseModel):
    items: list[OrderAwaitingQc]


class QcTaken(BaseModel):
    order_id: str
    workflow_id: str
    accepted: dict[str, int]
    rejected: dict[str, int]


class Health(BaseModel):
    status: Literal["ok"]
