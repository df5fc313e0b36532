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


def planned_freight_of_part(previewed: Decimal, parts: list[PlacedPart], k: int) -> Decimal:
    """The freight the plan allows order ``k`` of a create, anchored on the platform's preview.

    The preview (``createOrder.preview``'s carriage) is 1688's own figure for exactly these lines
    moments before the create, so it, not our freight model, is what the created order must match.
    When 1688 splits the create, the parts together may charge what the preview said, however they
    share it; past that, the first part holds the preview's freight and a further part none.
    """
    if len(parts) <= 1:
        return Decimal(previewed)
    charged = sum((Decimal(p.freight or 0) for p in parts), Decimal(0))
    if charged <= Decimal(previewed) + Decimal("0.01"):
        return Decimal(parts[k].freight or 0)
    return Decimal(previewed) if k == 0 else Decimal(0)


def order_differences(
    planned: list[OrderLine],
    quoted_unit_prices: dict[str, Decimal],
    view: OrderView,
    tolerance: Decimal,
    *,
    planned_freight: Decimal | None,
    quoted_amount: Decimal,
    prices_moved: bool = False,
) -> list[str]:
    """Where the order 1688 created differs from the plan, in words an approver can act on.

    Unit prices are the drift rule's (``price_rise``); this is everything else that moves money or
    goods: a planned line missing or with another quantity or SKU, an offer on the order that was
    never planned, freight above the plan, and a total above the plan by more than the tolerance.
    ``planned_freight`` is the preview's (``planned_freight_of_part``); without it (an order
    planned before the preview was kept) the plan's total less its goods. The total is the
    catch-all: named only when nothing else (``prices_moved``: the unit prices) explains it, so an
    approver reads each cause once. An order cheaper than planned is no difference: it goes on and
    the saving is traced. Entries 1688 does not describe (no offer id) are left to the total.
    """
    differences: list[str] = []
    described = [e for e in view.entries if e.offer_id is not None]
    matched: set[str] = set()
    for line in planned:
        same_offer = [e for e in described if e.offer_id == line.offer_id]
        entry = next((e for e in same_offer if line.spec_id is None or e.spec_id in (None, line.spec_id)), None)
        if entry is None:
            if same_offer and line.spec_id is not None:
                other = same_offer[0]
                matched.add(other.entry_id)
                differences.append(f"line {line.line_id}: SKU {other.spec_id} of offer {line.offer_id} on the order, "
                                   f"SKU {line.spec_id} planned")
            elif described:
                differences.append(f"line {line.line_id}: offer {line.offer_id}"
                                   + (f" (SKU {line.spec_id})" if line.spec_id else "") + " is not on the order")
            continue
        matched.add(entry.entry_id)
        if entry.quantity != line.quantity:
            differences.append(f"line {line.line_id}: {entry.quantity} pieces of offer {line.offer_id} on the order, "
                               f"{line.quantity} planned")
    for entry in described:
        if entry.entry_id not in matched:
            differences.append(f"offer {entry.offer_id}" + (f" (SKU {entry.spec_id})" if entry.spec_id else "")
                               + f" x{entry.quantity} is on the order but was not planned")
    if not all(l.line_id in quoted_unit_prices for l in planned):
        return differences  # no planned figure for every line: money is left to the drift rule
    goods = sum((Decimal(quoted_unit_prices[l.line_id]) * l.quantity for l in planned), Decimal(0))
    if planned_freight is None:
        if Decimal(quoted_amount) <= 0:
            return differences
        planned_freight = max(Decimal(quoted_amount) - goods, Decimal(0))
    planned_freight = Decimal(planned_freight).quantize(Decimal("0.01"))
    total = (goods + planned_freight).quantize(Decimal("0.01"))
    # Freight has the drift rule's tolerance, on the order's planned total: an estimate a few fen
    # off does not need a person, a seller who re-prices the carriage after the create does.
    if view.freight is not None and Decimal(view.freight) - planned_freight > max(Decimal("0.01"), tolerance * total):
        differences.append(f"freight {Decimal(view.freight):.2f} yuan on the order, {planned_freight:.2f} planned")
    rise = price_rise(total, Decimal(view.total))
    if not differences and not prices_moved and rise > tolerance:
        differences.append(f"total {Decimal(view.total):.2f} yuan on the order, {total:.2f} planned "
                           f"({rise * 100:.1f}% more)")
    return differences
