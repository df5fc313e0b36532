"""What the sourcing steps ask 1688 and what comes back, in our terms."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from domain.money import Yuan
from domain.offer import Offer
from domain.supplier import MixBatchRule


class SearchQuery(BaseModel):
    keyword: str
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=20, ge=1, le=50)
    price_min: Yuan | None = None
    price_max: Yuan | None = None
    category_id: int | None = None


class OfferHit(BaseModel):
    """One search row: enough to decide whether the detail is worth a call."""

    offer_id: str
    subject: str
    price: Yuan
    min_order_quantity: int | None = None
    supplier_id: str | None = None
    month_sold: int | None = None


class SearchResult(BaseModel):
    hits: list[OfferHit]
    total_pages: int


class OfferFacts(BaseModel):
    """An offer's detail: the listing, and its seller's mixed-batch rule if it has one."""

    offer: Offer
    mix_batch: MixBatchRule | None = None


class FreightQuery(BaseModel):
    offer_id: str
    quantity: int = Field(gt=0)
    province: str
    city: str
    spec_id: str | None = None


class FreightQuote(BaseModel):
    offer_id: str
    quantity: int
    freight: Yuan


def promising(hits: list[OfferHit], quantity: int, max_moq: int | None, limit: int) -> list[OfferHit]:
    """The search rows worth a detail call: deduplicated, MOQ within reach, cheapest first.

    A row whose MOQ exceeds the buyer's limit can never win, so it costs no call; ties keep the
    search order (offer id breaks them) so that the choice is deterministic.
    """
    seen: set[str] = set()
    kept: list[OfferHit] = []
    for hit in hits:
        if hit.offer_id in seen:
            continue
        seen.add(hit.offer_id)
        if max_moq is not None and hit.min_order_quantity is not None and hit.min_order_quantity > max_moq:
            continue
        kept.append(hit)
    kept.sort(key=lambda h: (Decimal(h.price), h.offer_id))
    return kept[:limit]
