"""Receipt and refunds after the warehouse's QC: what a refund is worth and where it stands.

A refund on 1688 is a case of its own (``TQ...``) with a status the seller moves: it waits for
the seller, may ask for the goods back, may be refused, and the money is back only when 1688
says ``refundsuccess``. `RefundState` is that life in our words; `refund_state` maps 1688's
statuses onto it. `refund_amount_from_order` prices the rejected pieces at what the 1688 order
actually charged for them (after discounts, with the order's tax share), not at our plan's price.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from domain.money import ARITHMETIC, FEN, Yuan
from domain.progress import OrderLine, QcLine


class ReceiptConfirmation(BaseModel):
    order_id: str
    entry_ids: list[str] = Field(default_factory=list)  # empty: every entry of the order


class RefundState(StrEnum):
    """Where a refund stands, as a buyer would say it."""

    REQUESTED = "requested"  # waiting for the seller to agree
    RETURN_REQUESTED = "return_requested"  # the seller wants the goods back first
    RETURN_SENT = "return_sent"  # the goods are on their way back to the seller
    REFUSED = "refused"  # the seller refused, or the refund was closed without money
    COMPLETED = "completed"  # the money is back

    @property
    def is_final(self) -> bool:
        return self in (RefundState.REFUSED, RefundState.COMPLETED)


# 1688's refund statuses (alibaba.trade.refund.buyer.queryOrderRefundList, refundStatusSet).
_STATES = {
    "waitselleragree": RefundState.REQUESTED,
    # The seller refused; 1688 waits for the buyer to change the request, then closes it.
    "waitbuyermodify": RefundState.REFUSED,
    "waitbuyersend": RefundState.RETURN_REQUESTED,
    "waitsellerreceive": RefundState.RETURN_SENT,
    "refundsuccess": RefundState.COMPLETED,
    "refundclose": RefundState.REFUSED,
}


def refund_state(platform_status: str) -> RefundState:
    """Our state for a 1688 refund status; an unknown status is an error, never a guess."""
    try:
        return _STATES[platform_status.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown 1688 refund status {platform_status!r}") from None


class RefundLine(BaseModel):
    """Pieces of one offer (and spec) that QC rejected and that are to be refunded."""

    offer_id: str
    spec_id: str | None = None
    quantity: int = Field(ge=1)


class RefundRequest(BaseModel):
    """File a refund for rejected pieces of one 1688 order, exactly once.

    ``lines`` name the rejected pieces; the amount is then computed from the prices on the 1688
    order (``amount`` None). Older callers send ``offer_ids`` and an ``amount`` instead: every
    entry of those offers is named, for that amount.
    """

    order_id: str
    refund_key: str  # ours, stable: a retry never files a second refund
    reason: str
    lines: list[RefundLine] = Field(default_factory=list)
    amount: Yuan | None = None  # None: the rejected pieces at the prices the order charged
    offer_ids: list[str] = Field(default_factory=list)  # the older form, with ``amount``

    @model_validator(mode="after")
    def _names_what_to_refund(self) -> RefundRequest:
        if not self.lines and not self.offer_ids:
            raise ValueError("a refund names its rejected lines (or, in the older form, offer_ids)")
        if not self.lines and self.amount is None:
            raise ValueError("a refund by offer_ids needs an amount; send lines to have it computed")
        return self


class RefundQuery(BaseModel):
    order_id: str
    refund_id: str


class RefundView(BaseModel):
    """One 1688 refund as the workflow follows it (amounts in yuan)."""

    refund_id: str
    order_id: str
    state: RefundState
    status: str  # 1688's own status: waitselleragree ... refundsuccess, refundclose
    applied: Yuan  # what we asked for, goods and carriage
    refunded: Yuan = Decimal(0)  # what came back: non-zero only once COMPLETED
    seller_reason: str | None = None  # why the seller refused
    return_address: str | None = None  # where the seller wants the goods sent back
    entry_ids: list[str] = Field(default_factory=list)
    # A close nobody on the seller's side asked for (the buyer withdrew it, or let it time out):
    # it no longer holds the entries, and a new refund may be filed for them.
    closed_by_buyer: bool = False
    changed_at: datetime | None = None


class ReturnShipment(BaseModel):
    """The rejected goods sent back to the seller, for a refund that waits for them."""

    order_id: str
    refund_id: str
    courier_code: str  # 1688's logistics company code: SF, ZTO, YTO...
    tracking_no: str  # the courier's waybill number
    note: str | None = None  # 2-200 characters when given


class RefundReceipt(BaseModel):
    refund_id: str | None
    amount: Yuan
    status: str  # 1688's status of the refund ("waitselleragree" for a new one)
    state: RefundState = RefundState.REQUESTED
    found_existing: bool = False  # an earlier attempt (or request) had filed it already


class ChargedEntry(BaseModel):
    """One entry (sub-order) of a 1688 order with what the order charged for it."""

    entry_id: str
    offer_id: str | None = None
    spec_id: str | None = None
    quantity: int = Field(ge=0)
    unit_price: Yuan | None = None  # the entry's price (``price``), before any discount
    paid: Yuan | None = None  # what the entry actually cost (``itemAmount``), after discounts

    def charged_per_piece(self) -> Decimal:
        """The paid amount per piece when 1688 gives it, else the entry's unit price."""
        if self.paid is not None and self.quantity > 0:
            with localcontext(ARITHMETIC):
                return self.paid / self.quantity
        if self.unit_price is None:
            raise ValueError(f"order entry {self.entry_id} carries neither a paid amount nor a price")
        return self.unit_price

    def charged(self) -> Decimal:
        return self.paid if self.paid is not None else self.charged_per_piece() * self.quantity


class RefundedEntry(BaseModel):
    entry_id: str
    quantity: int  # rejected pieces of this entry


class RefundAmount(BaseModel):
    """What the rejected pieces cost on the 1688 order, and which entries they are."""

    entries: list[RefundedEntry]
    goods: Yuan  # the pieces at what their entries charged
    tax: Yuan  # their tax share (and share of any other order-wide charge)
    total: Yuan  # goods + tax: what to apply for

    @property
    def entry_ids(self) -> list[str]:
        return [e.entry_id for e in self.entries]

    @property
    def counts(self) -> dict[str, int]:
        return {e.entry_id: e.quantity for e in self.entries}


def refund_amount_from_order(
    entries: Sequence[ChargedEntry],
    rejected: Sequence[RefundLine],
    *,
    tax_rate: Decimal = Decimal(0),
    order_charge: Decimal = Decimal(0),
) -> RefundAmount:
    """The rejected pieces priced as the 1688 order charged them, with their tax share.

    Each piece costs what its entry actually cost per piece (``itemAmount / quantity``: the price
    after the entry's discounts; a VAT-invoice order already carries its surcharge in the entry
    prices, as 1688 and the simulator bill it). The tax share comes on top in two forms:
    ``tax_rate``, a surcharge the entries' prices do not include yet, on the refunded goods; and
    ``order_charge``, any amount the order charged outside its entries and its freight (a tax
    billed on the whole order, or an order-wide discount when negative), shared out by value.

    A rejected line is matched to the entries of its offer (and spec, when it names one), filling
    them in order; more pieces than the order holds is an error. Amounts are rounded to the fen.
    """
    if tax_rate < 0:
        raise ValueError("tax_rate cannot be negative")
    left = {entry.entry_id: entry.quantity for entry in entries}
    taken: dict[str, int] = {}
    for line in rejected:
        wanted = line.quantity
        for entry in entries:
            if entry.offer_id != line.offer_id or (line.spec_id is not None and entry.spec_id != line.spec_id):
                continue
            pieces = min(wanted, left[entry.entry_id])
            left[entry.entry_id] -= pieces
            taken[entry.entry_id] = taken.get(entry.entry_id, 0) + pieces
            wanted -= pieces
            if not wanted:
                break
        if wanted:
            spec = f" spec {line.spec_id}" if line.spec_id else ""
            raise ValueError(f"the order holds {line.quantity - wanted} of the {line.quantity} rejected pieces "
                             f"of offer {line.offer_id}{spec}")
    by_id = {entry.entry_id: entry for entry in entries}
    with localcontext(ARITHMETIC):
        goods = sum((by_id[e].charged_per_piece() * n for e, n in taken.items()), Decimal(0))
        whole = sum((entry.charged() for entry in entries), Decimal(0))
        share = order_charge * goods / whole if whole > 0 else Decimal(0)
        tax = goods * tax_rate + share
    return RefundAmount(
        entries=[RefundedEntry(entry_id=e, quantity=n) for e, n in taken.items() if n],
        goods=_fen(goods), tax=_fen(tax), total=_fen(goods + tax),
    )


def order_charge(total: Decimal, freight: Decimal | None, entries: Sequence[ChargedEntry]) -> Decimal:
    """What the order charged beyond its entries and its freight (a tax billed on the whole order;
    negative for an order-wide discount); 0 when an entry's charge is not known."""
    try:
        charged = sum((entry.charged() for entry in entries), Decimal(0))
    except ValueError:
        return Decimal(0)
    return total - (freight or Decimal(0)) - charged


def _fen(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


_NEVER = datetime.min.replace(tzinfo=UTC)


def refund_in_force(refunds: Sequence[RefundView], entry_ids: Sequence[str]) -> RefundView | None:
    """The refund already filed for any of these entries that still stands (the latest one).

    Every refund counts (waiting, refused, completed) except one closed from the buyer's side:
    a refused refund is for a person to take up, never to be filed again behind their back.
    """
    wanted = set(entry_ids)
    standing = [r for r in refunds if wanted & set(r.entry_ids) and not r.closed_by_buyer]
    return max(standing, key=lambda r: r.changed_at or _NEVER, default=None)


def refund_amount(lines: list[OrderLine], qc_lines: list[QcLine]) -> Decimal:
    """What the rejected pieces cost at our plan's unit price (the older rule; see
    `refund_amount_from_order` for the price the 1688 order actually charged)."""
    price = {line.line_id: Decimal(line.unit_price) for line in lines}
    return sum((price[q.line_id] * q.rejected_qty for q in qc_lines if q.rejected_qty), Decimal(0))


def refund_description(qc_lines: list[QcLine], fallback: str) -> str:
    """1688 wants 2-150 characters: the QC reasons, trimmed."""
    reasons = "; ".join(f"line {q.line_id}: {q.rejected_qty} rejected, {q.reason or fallback}" for q in qc_lines if q.rejected_qty)
    text = reasons or fallback
    return (text if len(text) >= 2 else "QC rejected")[:150]
