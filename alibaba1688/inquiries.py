"""Buyer inquiries (询价单) and quotations: 1688's procurement APIs (namespace ``cn.alibaba.open``).

Names and fields from the platform's official PHP SDK (``caigouGetBuyOfferPost``,
``caigouGetBuyOfferClose``) and two ERP integrations that read the quotation list
(tests/alibaba1688/samples/inquiry_*.json name the sources). Quotation money is in fen. The
fields no sample shows (which login quoted, a decline, lead time, capacity) are read when present
and left empty when not; docs/rfq.md lists them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .apis import Api
from .envelope import malformed, unwrap_bare, unwrap_top_level
from .tokens import parse_platform_time

_CAIGOU = "cn.alibaba.open"
POST_BUY_OFFER = Api(_CAIGOU, "caigou.api.buyoffer.postBuyoffer")
QUOTATION_LIST = Api(_CAIGOU, "caigou.api.quotation.buyerGetQuotationListByBuyOfferId")
CLOSE_BUY_OFFER = Api(_CAIGOU, "caigou.api.buyoffer.closeBuyOffer")

_READ = ConfigDict(extra="ignore", frozen=True)


class QuotationItem(BaseModel):
    model_config = _READ

    pr_item_id: str | None = None
    product_id: str | None = None  # the seller's offer id
    amount: int = 0
    unit_price: Decimal  # yuan (the wire says fen)
    capacity: int | None = None


class Quotation(BaseModel):
    model_config = _READ

    quotation_id: str
    buy_offer_id: str
    supplier_member_id: str | None = None
    supplier_login_id: str | None = None
    refused: bool = False
    refuse_reason: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    freight: Decimal = Decimal(0)  # yuan
    lead_days: int | None = None
    items: list[QuotationItem] = Field(default_factory=list)


_BEIJING = timezone(timedelta(hours=8))


def platform_time(moment: datetime) -> str:
    """``yyyyMMddHHmmssSSS+0800``, as the inquiry's ``gmtQuotationExpire`` is sent."""
    local = moment.astimezone(_BEIJING)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}+0800"


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _fen(value: Any, api: str, what: str) -> Decimal:
    if isinstance(value, bool) or value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value)) / 100
    except ArithmeticError:
        raise malformed(api, f"{what} is not an amount in fen: {value!r}") from None


def _time(api: str, value: str) -> datetime:
    moment = parse_platform_time(value)
    if moment is None:
        raise malformed(api, f"not a platform time: {value[:30]!r}")
    return moment


def buy_offer_posted(body: Any, status: int) -> str:
    data = unwrap_top_level(POST_BUY_OFFER.key, body, status)
    found = _text(data.get("id")) or _text(data.get("result"))
    if found is None:
        raise malformed(POST_BUY_OFFER.key, "the reply names no inquiry id", status)
    return found


def quotation_list(body: Any, status: int) -> list[Quotation]:
    api = QUOTATION_LIST.key
    data = unwrap_bare(api, body, status)
    if "success" in data or data.get("errorCode") not in (None, ""):
        data = unwrap_top_level(api, data, status)  # a refusal comes in the trade APIs' shape
    rows = data.get("quotationList")
    if rows is None and isinstance(data.get("result"), dict):
        rows = data["result"].get("quotationList")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise malformed(api, "quotationList is not a list", status)
    quotations = []
    for row in rows:
        if not isinstance(row, dict) or _text(row.get("id")) is None or _text(row.get("gmtCreate")) is None:
            raise malformed(api, "a quotation without id or gmtCreate", status)
        items = [
            QuotationItem(
                pr_item_id=_text(item.get("prItemId")), product_id=_text(item.get("productId")),
                amount=int(item.get("amount") or 0), unit_price=_fen(item.get("price"), api, "price"),
                capacity=int(item["supplyCapacity"]) if item.get("supplyCapacity") not in (None, "") else None,
            )
            for item in row.get("supplyNoteItems") or [] if isinstance(item, dict)
        ]
        expire = _text(row.get("expireDate"))
        period = row.get("deliveryPeriod")
        quotations.append(Quotation(
            quotation_id=str(row["id"]), buy_offer_id=str(row.get("buyOfferId") or ""),
            supplier_member_id=_text(row.get("supplierMemberId")), supplier_login_id=_text(row.get("supplierLoginId")),
            refused=str(row.get("status") or "").lower() == "refused", refuse_reason=_text(row.get("refuseReason")),
            created_at=_time(api, str(row["gmtCreate"])),
            expires_at=_time(api, expire) if expire else None,
            freight=_fen(row.get("freight"), api, "freight"),
            lead_days=int(period) if period not in (None, "") else None,
            items=items,
        ))
    return quotations


def buy_offer_closed(body: Any, status: int) -> None:
    unwrap_top_level(CLOSE_BUY_OFFER.key, body, status)
