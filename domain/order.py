"""What the ordering, payment and settlement steps ask 1688 and what comes back."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.money import Yuan
from domain.progress import OrderLine
from domain.request import DeliveryAddress


class OrderRequest(BaseModel):
    """One intended 1688 order. ``out_order_id`` is stable for it, so a retry never buys twice."""

    out_order_id: str
    supplier_id: str
    lines: list[OrderLine] = Field(min_length=1, max_length=50)
    delivery: DeliveryAddress
    needs_vat_invoice: bool = False
    message: str | None = None


class RefusedOffer(BaseModel):
    offer_id: str
    spec_id: str | None = None
    code: str | None = None
    reason: str


class OrderPreviewResult(BaseModel):
    """The platform's check before ordering: the figures, or the offers it refuses and why."""

    total: Yuan = Decimal(0)
    freight: Yuan = Decimal(0)
    refused: list[RefusedOffer] = Field(default_factory=list)
    refused_all: str | None = None  # a refusal that names no single offer


class PlacedPart(BaseModel):
    """One of the 1688 orders a single create made: 1688 may split a purchase (per warehouse,
    per shop activity...) and then answers with ``multiOrders`` instead of one ``orderId``."""

    order_id: str
    total: Yuan
    freight: Yuan | None = None
    offer_ids: list[str] = Field(default_factory=list)  # the offers this part holds; empty: not told


class PlacedOrder(BaseModel):
    order_id: str | None  # None when the platform ordered nothing; the first part's id after a split
    out_order_id: str
    total: Yuan  # of every part together
    freight: Yuan | None = None
    refused: list[RefusedOffer] = Field(default_factory=list)
    found_existing: bool = False  # a retry found the order an earlier attempt had created
    # Every 1688 order the create made, when it made more than one (empty: just ``order_id``).
    parts: list[PlacedPart] = Field(default_factory=list)

    def all_parts(self) -> list[PlacedPart]:
        if self.parts:
            return self.parts
        if self.order_id is None:
            return []
        return [PlacedPart(order_id=self.order_id, total=self.total, freight=self.freight)]


class OrderEntry(BaseModel):
    entry_id: str
    offer_id: str | None = None
    spec_id: str | None = None
    quantity: int
    price: Yuan | None = None


class OrderView(BaseModel):
    """A 1688 order as read back from the platform (amounts in yuan)."""

    order_id: str
    status: str  # waitbuyerpay | waitsellersend | waitbuyerreceive | confirm_goods | success | cancel | terminated
    total: Yuan
    freight: Yuan | None = None
    entries: list[OrderEntry] = Field(default_factory=list)

    @property
    def is_paid(self) -> bool:
        return self.status in ("waitsellersend", "waitbuyerreceive", "confirm_goods", "success")

    @property
    def is_closed(self) -> bool:
        return self.status in ("cancel", "terminated")


class PaymentRequest(BaseModel):
    order_id: str
    amount: Yuan
    op_request_id: str  # stable per intended payment


class PaymentResult(BaseModel):
    method: Literal["protocol_pay", "payment_link"]
    paid: bool
    payment_url: str | None = None
    already_paid: bool = False  # a retry found the order paid by an earlier attempt


class CancelOrderRequest(BaseModel):
    order_id: str
    reason: str


class CancelOrderResult(BaseModel):
    cancelled: bool
    status: str  # the order's status afterwards


def price_drift(quoted: Decimal, actual: Decimal) -> Decimal:
    """How far the platform's price moved from our quote, either way, as a fraction of the quote."""
    if quoted <= 0:
        return Decimal(0) if actual == quoted else Decimal(1)
    return abs(actual - quoted) / quoted


def price_rise(quoted: Decimal, actual: Decimal) -> Decimal:
    """How much more than quoted the platform asks, as a fraction of the quote; 0 when it asks less.

    Only a rise needs a person: an order cheaper than its quote goes on (the saving is recorded).
    """
    if actual <= quoted:
        return Decimal(0)
    if quoted <= 0:
        return Decimal(1)
    return (actual - quoted) / quoted
