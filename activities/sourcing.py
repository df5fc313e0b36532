"""Sourcing steps: search, offer detail, supplier profile, freight estimate.

1688 names a seller only by its open id (``sellerOpenId``) in search rows and product detail, so
that id is our ``supplier_id``. ``fetch_supplier`` resolves it to a profile through the platform's
seller APIs once, and keeps it in the ledger for ``profile_ttl`` (a procurement does not ask
again about a seller it knows). Years are stated by search rows only: ``search_offers`` notes
them as it reads the rows.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.gateway import GatewayActivities
from alibaba1688 import Alibaba1688Client
from alibaba1688 import models as api
from domain.compliance import ComplianceStatus
from domain.offer import Offer, PriceTier, Sku
from domain.regions import destination_codes
from domain.search import FreightQuery, FreightQuote, OfferFacts, OfferHit, SearchQuery, SearchResult
from domain.supplier import MixBatchRule, SupplierProfile
from ledger import compliance as ledger_compliance
from ledger import supplier_profiles

log = logging.getLogger(__name__)

#: How long a resolved seller profile is trusted before the platform is asked again.
PROFILE_TTL = timedelta(hours=24)


def supplier_from_seller(seller: api.SellerProfile, years: int | None) -> SupplierProfile:
    return SupplierProfile(
        supplier_id=seller.open_id,
        login_id=seller.login_id or "",
        company_name=seller.company_name or "",
        years=years or 0,
        repurchase_rate=seller.repurchase_rate,
        on_time_ship_rate=seller.on_time_ship_rate,
        dispute_rate=seller.dispute_rate,
    )



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
    def __init__(
        self, client: Alibaba1688Client, pool: asyncpg.Pool | None = None, *, profile_ttl: timedelta = PROFILE_TTL
    ) -> None:
        super().__init__(client)
        self._pool = pool
        self._profile_ttl = profile_ttl
        # Without a ledger (tests, a one-off run) what search rows said lives in this worker only.
        self._years: dict[str, int] = {}

    async def _note_years(self, page: api.SearchPage) -> None:
        seen = [(row.seller_open_id, row.seller.tp_year) for row in page.offers
                if row.seller_open_id and row.seller is not None and row.seller.tp_year is not None]
        self._years.update(seen)  # type: ignore[arg-type]
        if self._pool is not None and seen:
            try:
                await supplier_profiles.note_years(self._pool, seen)  # type: ignore[arg-type]
            except (OSError, asyncpg.PostgresError) as error:
                # The search itself succeeded; the profile falls back to what this worker saw.
                log.warning("could not note sellers' years in the ledger: %s", error)

    async def _years_of(self, supplier_id: str) -> int | None:
        if self._pool is not None:
            years = await supplier_profiles.years_of(self._pool, supplier_id)
            if years is not None:
                return years
        return self._years.get(supplier_id)

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
                supplier_id=row.seller_open_id,
                month_sold=row.month_sold,
            )
            for row in page.offers
        ]
        await self._note_years(page)
        return SearchResult(hits=hits, total_pages=page.total_pages)

    @activity.defn
    async def fetch_offer(self, offer_id: str) -> OfferFacts:
        detail = await self._call(self._client.get_offer_detail(offer_id))
        if not detail.seller_open_id:
            raise ApplicationError(
                f"offer {offer_id}: the detail names no seller (sellerOpenId)", type="MalformedReply", non_retryable=True
            )
        return OfferFacts(offer=offer_from_detail(detail, detail.seller_open_id), mix_batch=mix_batch_from_detail(detail))

    @activity.defn
    async def fetch_supplier(self, supplier_id: str) -> SupplierProfile:
        """The seller behind an open id: from the ledger while fresh, else from 1688 (then kept),
        with what the last compliance refresh found (licence expiry, a lapsed permit)."""
        if self._pool is not None:
            cached = await supplier_profiles.fresh_profile(self._pool, supplier_id, self._profile_ttl)
            if cached is not None:
                return await self._with_compliance(SupplierProfile.model_validate(cached))
        seller = await self._call(self._client.get_seller(supplier_id))
        profile = supplier_from_seller(seller, await self._years_of(supplier_id))
        if self._pool is not None:
            await supplier_profiles.store_profile(self._pool, supplier_id, profile.model_dump(mode="json"))
        return await self._with_compliance(profile)

    async def _with_compliance(self, profile: SupplierProfile) -> SupplierProfile:
        # The exclusion itself is a domain rule (domain/eligibility.py): the profile only carries
        # the facts, so no workflow changes and recorded histories replay as before.
        if self._pool is None:
            return profile
        verdict = await ledger_compliance.verdict_of(self._pool, profile.supplier_id)
        if verdict is None:
            return profile
        update: dict[str, object] = {}
        if verdict["license_expires_on"] is not None:
            update["license_expires_on"] = verdict["license_expires_on"]
        if verdict["status"] == ComplianceStatus.NON_COMPLIANT.value:
            update["compliance_problem"] = verdict["reason"]
        return profile.model_copy(update=update) if update else profile

    @activity.defn
    async def estimate_freight(self, query: FreightQuery) -> FreightQuote | None:
        codes = destination_codes(query.province, query.city)
        if codes is None:
            return None  # unknown destination: the offer's own freight template applies
        estimate = await self._call(
            self._client.estimate_freight(query.offer_id, codes[0], codes[1], query.quantity)
        )
        return FreightQuote(offer_id=query.offer_id, quantity=query.quantity, freight=estimate.freight)
