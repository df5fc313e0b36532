"""The inputs of the procurement workflows: the request, and the knobs that come from settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.money import Yuan
from domain.progress import OrderSnapshot
from domain.request import PurchaseRequest


class Timing(BaseModel):
    """How long we wait for things; from settings, so a demo can run in seconds."""

    logistics_poll_interval: timedelta = timedelta(hours=4)
    stuck_shipment_after: timedelta = timedelta(hours=72)
    qc_reminder_after: timedelta = timedelta(hours=24)
    qc_escalate_after: timedelta = timedelta(hours=72)
    approval_timeout: timedelta = timedelta(hours=48)
    approval_reminders: int = Field(default=3, ge=0, le=20)  # spread evenly before the deadline
    payment_timeout: timedelta = timedelta(hours=48)  # for a person paying through the link
    # A parcel can travel for weeks: after this many polls (or sooner, when Temporal suggests it)
    # an order continues as new so its history stays short.
    polls_per_run: int = Field(default=500, ge=1)
    # Once money may have moved, 1688 steps never give up (docs/reliability.md, "money at the
    # edges"): each round of attempts lasts at most `outage_round`; between rounds the order waits,
    # doubling from `outage_retry_first` up to `outage_retry_max`; a step failing for longer than
    # `outage_alert_after` raises an alert (a refused authorisation raises it at once).
    outage_round: timedelta = timedelta(minutes=5)
    outage_retry_first: timedelta = timedelta(seconds=30)
    outage_retry_max: timedelta = timedelta(minutes=10)
    outage_alert_after: timedelta = timedelta(minutes=30)
    refund_poll_interval: timedelta = timedelta(hours=2)  # following a refund to money back
    cancel_confirm_timeout: timedelta = timedelta(seconds=30)  # `cancel` waits this long for 1688's word


class ProcurementConfig(BaseModel):
    alibaba_task_queue: str = "alibaba1688"
    timing: Timing = Field(default_factory=Timing)
    price_drift_tolerance: Decimal = Decimal("0.02")  # a unit price 2 % off the quote needs approval
    search_pages: int = Field(default=2, ge=1, le=10)
    details_per_line: int = Field(default=8, ge=1, le=50)


class ProcurementInput(BaseModel):
    request: PurchaseRequest
    config: ProcurementConfig = Field(default_factory=ProcurementConfig)


class ShipmentResume(BaseModel):
    """Where the courier was when an order continued as new, so polling picks up from there."""

    progress: tuple[int, int]
    last_moved_at: str  # ISO time


class SupplierOrderInput(BaseModel):
    request_id: str
    parent_workflow_id: str
    order: OrderSnapshot
    approval_threshold: Yuan | None = None
    quoted_unit_prices: dict[str, Yuan] = Field(default_factory=dict)  # line_id -> per unit, tax included
    config: ProcurementConfig = Field(default_factory=ProcurementConfig)
    resume: ShipmentResume | None = None  # set when this run continues a paid, travelling order
    # The freight 1688 previewed for this order (domain/order.py planned_freight_of_part); None for
    # orders planned before it was kept: the full order check then takes the plan's own freight.
    planned_freight: Yuan | None = None
