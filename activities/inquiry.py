"""Inquiry steps: send one RFQ to chosen factories, read their quotations, close the inquiry.

Quotes come back keyed by the factory's login name (the name the inquiry was sent to); the
workflow maps them to its factories. A decline is a quote with ``declined`` set.
"""

from __future__ import annotations

from temporalio import activity

from activities.gateway import GatewayActivities
from alibaba1688.inquiries import Quotation
from domain.quotation import Quote
from domain.rfq import InquiryClose, InquiryPost


def tier_item_id(quantity: int) -> str:
    return f"tier-{quantity}"


def quote_from(quotation: Quotation) -> Quote:
    prices = {item.amount: item.unit_price for item in quotation.items if item.amount > 0}
    capacities = [item.capacity for item in quotation.items if item.capacity is not None]
    return Quote(
        quotation_id=quotation.quotation_id,
        supplier_id=quotation.supplier_login_id or quotation.supplier_member_id or "",
        created_at=quotation.created_at,
        declined=quotation.refused,
        decline_reason=quotation.refuse_reason,
        offer_id=next((item.product_id for item in quotation.items if item.product_id), None),
        unit_prices=prices,
        freight=quotation.freight,
        lead_days=quotation.lead_days,
        capacity=min(capacities) if capacities else None,
        expires_at=quotation.expires_at,
    )


class InquiryActivities(GatewayActivities):
    @activity.defn
    async def send_inquiry(self, post: InquiryPost) -> str:
        rfq = post.rfq
        details = [f"图纸: {rfq.drawing_ref}" if rfq.drawing_ref else "", f"材质: {rfq.material}" if rfq.material else "",
                   f"交期: {rfq.target_date.isoformat()}", rfq.description]
        items = [
            {"prItemId": tier_item_id(q), "subject": rfq.subject, "purchaseAmount": q, "unit": "件",
             "desc": f"{q} 件"}
            for q in rfq.quantity_tiers
        ]
        return await self._call(self._client.post_buy_offer(
            pr_id=rfq.rfq_id, subject=rfq.subject, description="; ".join(d for d in details if d)[:2000],
            items=items, login_ids=post.login_ids, quotation_expires_at=post.expires_at,
        ))

    @activity.defn
    async def read_quotations(self, buy_offer_id: str) -> list[Quote]:
        return [quote_from(q) for q in await self._call(self._client.list_quotations(buy_offer_id))]

    @activity.defn
    async def close_inquiry(self, close: InquiryClose) -> None:
        await self._call(self._client.close_buy_offer(close.buy_offer_id, close.reason))
