"""What the workflows hand the ledger: one model per kind of record, keyed for idempotency."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from domain.progress import OrderSnapshot, ProcurementState
from domain.ranking import LineSourcing
from domain.refund import RefundView
from domain.request import PurchaseRequest
from domain.shipment import ShipmentView


class TraceEvent(BaseModel):
    workflow_id: str
    step: str = Field(description="stable for the step, so a retried write adds no row")
    kind: str
    detail: dict[str, Any] = Field(default_factory=dict)


class RequestRecord(BaseModel):
    workflow_id: str
    request: PurchaseRequest


class SourcingRecord(BaseModel):
    workflow_id: str
    sourcing_round: int
    sourcing: LineSourcing
    chosen_offer_id: str | None = None


class OrderRecord(BaseModel):
    workflow_id: str  # the procurement's
    request_id: str
    order: OrderSnapshot
    shipment: ShipmentView | None = None


class StageRecord(BaseModel):
    workflow_id: str
    stage: str
    outcome: ProcurementState | None = None


class SupplierOutcome(BaseModel):
    order_id: str
    supplier_id: str
    delivered: bool
    on_time: bool
    inspected_qty: int = 0
    passed_qty: int = 0


class RefundRecord(BaseModel):
    """One 1688 refund as last read: a row per refund, a history row per new state."""

    refund_key: str  # ours (RefundRequest.refund_key)
    reason: str  # ours: why we asked
    refund: RefundView
