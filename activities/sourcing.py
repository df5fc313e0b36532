"""Sourcing steps: search, offer detail, supplier profile, freight estimate."""

from __future__ import annotations

from decimal import Decimal

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.gateway import GatewayActivities
from alibaba1688 import models as api
from domain.offer import Offer, PriceTier, Sku
from domain.regions import destination_codes
from domain.search import FreightQuery, FreightQuote, OfferFacts, OfferHit, SearchQuery, SearchResult
from domain.supplier import MixBatchRule, SupplierProfile




def offer_from_detail(detail: api.OfferDetail, supplier_id: str) -> Offer:
    return Offer(
        offer_id=detail.offer_id,
        supplier_id=supplier_id,
        subject=detail.subject,
        category_id=int(detail.category_id) if detail.category_id and detail.category_id.isdigit() else None,
        status=detail.status,
        unit=detail.unit or "件",
        min_order_quantity=max(1, detail.min_order_quantity),
        price_tiers=[PriceTier(start_quantity=t.start_quantity, price=t.price) for t in detail.price_tiers],
        skus=[Sku(spec_id=s.spec_id, attributes=s.attributes, stock=s.stock, price=s.price) for s in detail.skus],
        stock=detail.stock,
        tax_rate=detail.tax_rate or Decimal(0),
    )


def mix_batch_from_detail(detail: api.OfferDetail) -> MixBatchRule | None:
    rule = detail.mix_batch
    if rule is None or not rule.enabled:
        return None
    return MixBatchRule(min_amount=rule.min_amount, min_quantity=rule.min_quantity)


class SourcingActivities(GatewayActivities):
    @activity.defn
    async def search_offers(self, query: SearchQuery) -> SearchResult:
        page = await self._call(
            self._client.search_offers(
                query.keyword,
                page=query.page,
                page_size=query.page_size,
                price_start=query.price_min,
                price_end=query.price_max,
                category_id=query.category_id,
                sort={"price": "asc"},
            )
        )
        hits = [
            OfferHit(
                offer_id=row.offer_id,
                subject=row.subject,
                price=row.price,
                min_order_quantity=row.min_order_quantity,
                supplier_id=row.seller_member_id,
                month_sold=row.month_sold,
            )
            for row in page.offers
        ]
        return SearchResult(hits=hits, total_pages=page.total_pages)

    @activity.defn
    async def fetch_offer(self, offer_id: str) -> OfferFacts:
        detail = await self._call(self._client.get_offer_detail(offer_id))
        if not detail.seller_member_id:
            raise ApplicationError(
                f"offer {offer_id}: the detail names no seller member id", type="MalformedReply", non_retryable=True
            )
        return OfferFacts(offer=offer_from_detail(detail, detail.seller_member_id), mix_batch=mix_batch_from_detail(detail))

    @activity.defn
    async def fetch_supplier(self, supplier_id: str) -> SupplierProfile:
        profile = await self._call(self._client.get_supplier_profile(supplier_id))
        return SupplierProfile(
            supplier_id=profile.member_id,
            login_id=profile.login_id or "",
            company_name=profile.company_name or "",
            years=profile.tp_year or 0,
            repurchase_rate=profile.repurchase_rate,
            on_time_ship_rate=profile.on_time_ship_rate,
            dispute_rate=profile.dispute_rate,
            credit_level=profile.credit_level,
            license_expires_on=profile.license_expires_on,
            province=profile.province or "",
            city=profile.city or "",
        )

    @activity.defn
    async def estimate_freight(self, query: FreightQuery) -> FreightQuote | None:
        codes = destination_codes(query.province, query.city)
        if codes is None:
            return None  # unknown destination: the offer's own freight template applies
        estimate = await self._call(
            self._client.estimate_freight(query.offer_id, codes[0], codes[1], query.quantity)
        )
        return FreightQuote(offer_id=query.offer_id, quantity=query.quantity, freight=estimate.freight)
