"""Buyer inquiries (询价单) and the factories' quotations, as 1688's procurement APIs expose them.

The real APIs (namespace ``cn.alibaba.open``, from the platform's official PHP SDK and two ERP
integrations; see tests/alibaba1688/samples/inquiry_*.json for the sources):

- ``caigou.api.buyoffer.postBuyoffer``: ``subject``, ``description``, ``gmtQuotationExpire``
  (``yyyyMMddHHmmssSSS+0800``), ``subBizType=singlepurchase``, ``sourceMethodType=selectedmysupplier``
  with ``supplierLoginIds`` (JSON list), ``includeTax``, ``quoteHasPostFee``, ``allowPartOffer``,
  ``prId`` (our id), ``items`` (JSON list of ``{prItemId, subject, purchaseAmount, unit, desc}``);
  the reply carries the inquiry's ``id``.
- ``caigou.api.quotation.buyerGetQuotationListByBuyOfferId``: ``buyOfferId`` ->
  ``{quotationList: [{id, buyOfferId, prId, supplierMemberId, gmtCreate, expireDate, freight,
  totalPrice, invoiceType, supplyNoteItems: [{id, prItemId, subject, productId, amount, unit,
  price, taxRate}]}]}``. Money in fen (``optLong`` in the integrations' readers).
- ``caigou.api.buyoffer.closeBuyOffer``: ``buyOfferId``, ``closeReason``, ``closeDesc``.

Marked **(sim)** where no sample shows the field, so the client reads it defensively:
``supplierLoginId`` (which invited seller quoted), ``status`` ``"refused"`` with ``refuseReason``
for a decline, ``deliveryPeriod`` (days) and ``supplyCapacity`` (pieces).

Each invited factory behaves as its catalog ``behaviour.quote`` says: quote after a delay,
quote twice (a revision), decline, or never answer. Quotations appear on the clock, so a test
moves time and reads; none is accepted after the inquiry's expiry or its closing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.money import FEN
from simulator.wire import (
    Params, Reply, as_int, compact_time, param_invalid, parse_compact_time, trade_error, trade_ok,
)

if TYPE_CHECKING:
    from simulator.catalog import Offer, Supplier
    from simulator.market import Market

INQUIRY_ID_BASE = 2_300_000_000


@dataclass
class Inquiry:
    buy_offer_id: int
    pr_id: str | None
    subject: str
    items: list[dict[str, Any]]
    login_ids: list[str]
    posted_at: datetime
    expires_at: datetime
    closed_at: datetime | None = None
    close_reason: str | None = None


@dataclass
class Inquiries:
    """The simulator's book of inquiries (reset with the market)."""

    by_id: dict[int, Inquiry] = field(default_factory=dict)

    def next_id(self) -> int:
        return INQUIRY_ID_BASE + len(self.by_id) + 1


def _supplier_by_login(market: Market, login_id: str) -> Supplier | None:
    return next((s for s in market.catalog.suppliers if s.login_id == login_id), None)


def _offer_for(market: Market, supplier: Supplier, subject: str) -> Offer | None:
    mine = [o for o in market.catalog.offers if o.supplier_id == supplier.member_id and o.status == "published"]
    terms = [t for t in subject.lower().split() if t]
    matching = [o for o in mine if terms and all(t in o.subject.lower() for t in terms)]
    return (matching or mine or [None])[0]


def _tier_price(offer: Offer, quantity: int) -> Decimal:
    ranges = sorted(offer.price_ranges, key=lambda r: r.start_quantity)
    price = ranges[0].price
    for tier in ranges:
        if tier.start_quantity <= quantity:
            price = tier.price
    return price


def _fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _quotation(inquiry: Inquiry, supplier: Supplier, offer: Offer, n: int, at: datetime, factor: Decimal) -> dict[str, Any]:
    behaviour = supplier.behaviour.quote
    lines = []
    total = 0
    for i, item in enumerate(inquiry.items, start=1):
        amount = int(item["purchaseAmount"])
        price = (_tier_price(offer, amount) * factor).quantize(FEN)
        total += _fen(price) * amount
        lines.append({
            "id": inquiry.buy_offer_id * 1000 + n * 10 + i, "prItemId": item.get("prItemId"),
            "subject": item.get("subject"), "productId": int(offer.offer_id) if offer.offer_id.isdigit() else offer.offer_id,
            "amount": amount, "unit": item.get("unit") or offer.unit, "price": _fen(price), "taxRate": "0.13",
            "supplyCapacity": behaviour.capacity,  # (sim)
        })
    freight = _fen(behaviour.freight)
    return {
        "id": inquiry.buy_offer_id * 100 + n, "buyOfferId": inquiry.buy_offer_id, "prId": inquiry.pr_id,
        "supplierMemberId": supplier.member_id, "supplierLoginId": supplier.login_id,  # (sim)
        "status": "quoted",  # (sim)
        "gmtCreate": compact_time(at), "expireDate": compact_time(at + timedelta(days=behaviour.valid_days)),
        "invoiceType": "vat", "includeTax": True, "freight": freight, "totalPrice": total + freight,
        "deliveryPeriod": behaviour.lead_days,  # (sim)
        "supplyNoteItems": lines,
    }


def _answers(market: Market, inquiry: Inquiry) -> list[tuple[datetime, dict[str, Any]]]:
    """Every answer the factories will give to ``inquiry``, with the time each arrives."""
    answers: list[tuple[datetime, dict[str, Any]]] = []
    for n, login_id in enumerate(inquiry.login_ids, start=1):
        supplier = _supplier_by_login(market, login_id)
        if supplier is None:
            continue
        behaviour = supplier.behaviour.quote
        first = inquiry.posted_at + timedelta(minutes=behaviour.reply_after_minutes)
        offer = _offer_for(market, supplier, inquiry.subject)
        if behaviour.answer == "never":
            continue
        if behaviour.answer == "decline" or offer is None:
            answers.append((first, {
                "id": inquiry.buy_offer_id * 100 + n, "buyOfferId": inquiry.buy_offer_id, "prId": inquiry.pr_id,
                "supplierMemberId": supplier.member_id, "supplierLoginId": supplier.login_id,
                "status": "refused", "refuseReason": behaviour.decline_reason if offer else "无对应产品",
                "gmtCreate": compact_time(first), "supplyNoteItems": [],
            }))
            continue
        answers.append((first, _quotation(inquiry, supplier, offer, n, first, behaviour.price_factor)))
        if behaviour.answer == "twice":
            second = inquiry.posted_at + timedelta(minutes=max(behaviour.revise_after_minutes, behaviour.reply_after_minutes + 1))
            answers.append((second, _quotation(inquiry, supplier, offer, 50 + n, second, behaviour.revised_price_factor)))
    return answers


def post_buy_offer(market: Market, params: Params) -> Reply:
    subject = params.required("subject")
    items = params.json_list("items")
    if not items or not all(isinstance(i, dict) and "purchaseAmount" in i for i in items):
        raise param_invalid("items", "each item needs purchaseAmount")
    login_ids = params.json("supplierLoginIds") or []
    if params.text("sourceMethodType") == "selectedmysupplier" and not login_ids:
        raise param_invalid("supplierLoginIds", "selectedmysupplier needs at least one supplier")
    now = market.clock.now()
    # The window is measured from the caller's own time (_aop_timestamp): the simulator's clock
    # may run faster than the caller's (the demo's speed), and the factories answer on ours.
    sent = params.text("_aop_timestamp")
    caller_now = datetime.fromtimestamp(int(sent) / 1000, UTC) if sent and sent.isdigit() else now
    window = parse_compact_time(params.required("gmtQuotationExpire")) - caller_now
    if window <= timedelta(0):
        return trade_error("BUYOFFER_EXPIRE_INVALID", "报价截止时间必须晚于当前时间")
    expires_at = now + window
    pr_id = params.text("prId")
    # The same prId posted again is the same inquiry: a retried post must not ask twice.
    for inquiry in market.inquiries.by_id.values():
        if pr_id and inquiry.pr_id == pr_id and inquiry.closed_at is None:
            return trade_ok(id=str(inquiry.buy_offer_id))
    buy_offer_id = market.inquiries.next_id()
    market.inquiries.by_id[buy_offer_id] = Inquiry(
        buy_offer_id=buy_offer_id, pr_id=pr_id, subject=subject, items=items, login_ids=[str(i) for i in login_ids],
        posted_at=now, expires_at=expires_at,
    )
    reply = trade_ok(id=str(buy_offer_id))
    reply.committed = True
    return reply


def _inquiry(market: Market, params: Params) -> Inquiry | None:
    return market.inquiries.by_id.get(as_int(params.required("buyOfferId"), "buyOfferId"))


def quotation_list(market: Market, params: Params) -> Reply:
    inquiry = _inquiry(market, params)
    if inquiry is None:
        return trade_error("BUYOFFER_NOT_EXIST", "询价单不存在")
    now = market.clock.now()
    cutoff = min(now, inquiry.expires_at, inquiry.closed_at or now)
    arrived = [quotation for at, quotation in _answers(market, inquiry) if at <= cutoff]
    return Reply({"quotationList": arrived})


def close_buy_offer(market: Market, params: Params) -> Reply:
    inquiry = _inquiry(market, params)
    if inquiry is None:
        return trade_error("BUYOFFER_NOT_EXIST", "询价单不存在")
    if inquiry.closed_at is None:
        inquiry.closed_at = market.clock.now()
        inquiry.close_reason = params.text("closeReason")
    reply = trade_ok()
    reply.committed = True
    return reply


def snapshot(market: Market) -> list[dict[str, Any]]:
    """For the admin endpoint: every inquiry with whom it asked and whether it is closed."""
    return [
        {"buy_offer_id": str(i.buy_offer_id), "pr_id": i.pr_id, "subject": i.subject, "login_ids": i.login_ids,
         "posted_at": i.posted_at.isoformat(), "expires_at": i.expires_at.isoformat(),
         "closed_at": i.closed_at.isoformat() if i.closed_at else None, "close_reason": i.close_reason}
        for i in market.inquiries.by_id.values()
    ]
