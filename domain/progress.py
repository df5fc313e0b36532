"""Where a procurement and each of its 1688 orders stand: what `procure status` shows.

These models are the workflows' queryable state and the messages children send their parent.
They only grow: a field added later must have a default, so older histories still load.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.money import Yuan


class Stage(StrEnum):
    """The stage of a whole procurement (a search attribute in the Web UI)."""

    SOURCING = "SOURCING"
    ORDERING = "ORDERING"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    PAYING = "PAYING"
    IN_TRANSIT = "IN_TRANSIT"
    AWAITING_QC = "AWAITING_QC"
    SETTLING = "SETTLING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class OrderStatus(StrEnum):
    """The life of one 1688 order as our workflow sees it."""

    PLACED = "placed"
    AWAITING_APPROVAL = "awaiting_approval"
    PAYING = "paying"
    AWAITING_PAYMENT = "awaiting_payment"  # a payment link was published for a person to pay
    PAID = "paid"
    IN_TRANSIT = "in_transit"
    AWAITING_QC = "awaiting_qc"
    SETTLING = "settling"
    RECEIVED = "received"
    REJECTED = "rejected"  # every piece refused at QC and refunded
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_ORDER_STATUSES

    @property
    def is_paid(self) -> bool:
        return self in _PAID_ORDER_STATUSES


_FINAL_ORDER_STATUSES = {OrderStatus.RECEIVED, OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FAILED}
_PAID_ORDER_STATUSES = {
    OrderStatus.PAID, OrderStatus.IN_TRANSIT, OrderStatus.AWAITING_QC, OrderStatus.SETTLING,
    OrderStatus.RECEIVED, OrderStatus.REJECTED,
}

# The order stage that a whole procurement shows while that order is the least advanced one.
_ORDER_STAGE = {
    OrderStatus.PLACED: Stage.ORDERING,
    OrderStatus.AWAITING_APPROVAL: Stage.AWAITING_APPROVAL,
    OrderStatus.PAYING: Stage.PAYING,
    OrderStatus.AWAITING_PAYMENT: Stage.PAYING,
    OrderStatus.PAID: Stage.IN_TRANSIT,
    OrderStatus.IN_TRANSIT: Stage.IN_TRANSIT,
    OrderStatus.AWAITING_QC: Stage.AWAITING_QC,
    OrderStatus.SETTLING: Stage.SETTLING,
}
_STAGE_ORDER = list(Stage)


def stage_of_orders(statuses: list[OrderStatus]) -> Stage | None:
    """The stage of the least advanced open order, so the Web UI shows what we wait for first."""
    open_stages = [_ORDER_STAGE[s] for s in statuses if s in _ORDER_STAGE]
    if not open_stages:
        return None
    return min(open_stages, key=_STAGE_ORDER.index)


class OrderLine(BaseModel):
    line_id: str
    offer_id: str
    spec_id: str | None = None
    quantity: int
    unit_price: Yuan


class Approval(BaseModel):
    needed: bool = False
    reasons: list[str] = Field(default_factory=list)
    approved_by: str | None = None
    deadline: str | None = None  # ISO time, for people


class Payment(BaseModel):
    amount: Yuan
    method: Literal["protocol_pay", "payment_link"]
    payment_url: str | None = None
    paid: bool = False


class Shipment(BaseModel):
    status: str = "WAITACCEPT"  # WAITACCEPT | ACCEPT | TRANSPORT | SIGN
    company: str | None = None
    tracking_no: str | None = None
    last_event: str | None = None
    last_moved_at: str | None = None  # ISO time
    polls: int = 0
    stuck: bool = False


class QcLine(BaseModel):
    line_id: str
    accepted_qty: int
    rejected_qty: int = 0
    reason: str | None = None


class Qc(BaseModel):
    decision: Literal["accept", "reject"]
    lines: list[QcLine]
    inspector: str | None = None


class Refund(BaseModel):
    amount: Yuan
    reason: str
    status: str = "requested"  # requested | return_requested | return_sent | refused | completed
    refund_id: str | None = None
    refunded: Yuan = Decimal(0)  # money back, as 1688 reports it
    seller_reason: str | None = None  # why the seller refused or asks for the goods back

    @property
    def completed(self) -> bool:
        return self.status == "completed"


class OrderSnapshot(BaseModel):
    """One 1688 order: what was bought, and where the money and the goods are."""

    out_order_id: str
    order_id: str | None = None
    workflow_id: str | None = None
    supplier_id: str
    status: OrderStatus = OrderStatus.PLACED
    goods_amount: Yuan = Decimal(0)
    freight: Yuan = Decimal(0)
    amount: Yuan = Decimal(0)  # what 1688 says the order costs in total
    quoted_amount: Yuan = Decimal(0)  # what our plan expected
    lines: list[OrderLine] = Field(default_factory=list)
    approval: Approval = Field(default_factory=Approval)
    payment: Payment | None = None
    shipment: Shipment | None = None
    qc: Qc | None = None
    refund: Refund | None = None
    alerts: list[str] = Field(default_factory=list)
    # The alert that holds this order now (1688 unreachable, authorisation expired, a cancellation
    # 1688 has not confirmed...); None once the order moves again. Search attribute ProcurementAlert.
    blocked: str | None = None
    reason: str | None = None  # why it was cancelled or failed

    def line(self, line_id: str) -> OrderLine | None:
        return next((l for l in self.lines if l.line_id == line_id), None)


class LineOutcome(BaseModel):
    """What one order did for one request line, reported by the order to the procurement."""

    line_id: str
    offer_id: str
    received_qty: int = 0
    failed_qty: int = 0  # to buy again
    reason: str | None = None
    # True when this offer itself failed (stock, MOQ, QC...): the next try skips it. False when
    # the line was only caught up in another line's failure and may go to the same offer again.
    offer_failed: bool = True


class OrderOutcome(BaseModel):
    """The result of a `SupplierOrderWorkflow`."""

    order: OrderSnapshot
    lines: list[LineOutcome]


class ChosenOffer(BaseModel):
    offer_id: str
    supplier_id: str
    spec_id: str | None = None
    unit_price: Yuan
    landed_unit_cost: Yuan
    landed_total: Yuan | None = None
    score: Decimal | None = None
    rank: int | None = None
    reason: str | None = None


class LineStatus(StrEnum):
    SOURCING = "sourcing"
    ORDERED = "ordered"
    RECEIVED = "received"
    PARTIALLY_RECEIVED = "partially_received"
    UNFULFILLED = "unfulfilled"
    CANCELLED = "cancelled"


class LineState(BaseModel):
    line_id: str
    keyword: str
    quantity: int
    status: LineStatus = LineStatus.SOURCING
    received_qty: int = 0
    chosen: ChosenOffer | None = None
    candidates: list[ChosenOffer] = Field(default_factory=list)  # the best few (and the chosen one)
    ranked: int = 0  # offers ranked in all: the ledger's sourcing decisions list every one
    excluded: int = 0
    tried_offers: list[str] = Field(default_factory=list)
    reason: str | None = None


class Savings(BaseModel):
    """What the basket as first planned costs, against two simpler ways of buying the same lines.

    Filled once, when the request's lines are first planned (domain/basket.py); re-plans after a
    failure buy what is missing and are not added in.
    """

    total: Yuan  # the chosen basket: goods, freight once per order, invoice surcharge
    headline_total: Yuan  # each line at its lowest listed unit price, without freight or surcharge
    own_best_total: Yuan  # each line at its own best landed cost, its freight counted for it alone
    per_line_plan_total: Yuan  # what choosing each line on its own would have cost as orders
    optimal: bool = True
    gap: Yuan = Decimal(0)  # when not proven optimal: at most this much could still be saved

    @property
    def saved(self) -> Decimal:
        """Against each line's own best landed cost (positive = the basket is cheaper)."""
        return Decimal(self.own_best_total) - Decimal(self.total)

    def sentences(self) -> list[str]:
        """The report in words, the same in `procure status` and the Web UI."""
        saved = self.saved
        share = f" ({saved / Decimal(self.own_best_total) * 100:.1f} %)" if self.own_best_total else ""
        against_own = (f"saves {saved:.2f} yuan{share} against each line's own best landed cost "
                       f"({Decimal(self.own_best_total):.2f})" if saved >= 0 else
                       f"costs {-saved:.2f} yuan more than each line's own best landed cost "
                       f"({Decimal(self.own_best_total):.2f})")
        extra = Decimal(self.total) - Decimal(self.headline_total)
        return [
            f"basket {Decimal(self.total):.2f} yuan: {against_own}",
            f"each line at its lowest headline price: {Decimal(self.headline_total):.2f} yuan; "
            f"freight and invoice surcharge add {extra:.2f}",
            "proven the cheapest basket" if self.optimal else
            f"best basket found within the search budget; at most {Decimal(self.gap):.2f} yuan from the cheapest",
        ]


class ProcurementState(BaseModel):
    """The full live state of one purchase request (`procure status --json`)."""

    request_id: str
    workflow_id: str
    stage: Stage = Stage.SOURCING
    lines: list[LineState] = Field(default_factory=list)
    orders: list[OrderSnapshot] = Field(default_factory=list)
    alerts: list[str] = Field(default_factory=list)
    cancel_reason: str | None = None
    savings: Savings | None = None

    def order_by_id(self, order_id: str) -> OrderSnapshot | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    @property
    def fully_received(self) -> bool:
        return all(line.status == LineStatus.RECEIVED for line in self.lines)
