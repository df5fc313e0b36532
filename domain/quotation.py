"""A request for quotation (RFQ) and the one rule that compares the factories' quotes.

The buyer asks a handful of factories for a price on a custom part at several quantity tiers;
each factory quotes (perhaps twice: the later quote stands), declines, or stays silent. The
comparison below is a pure function so the workflow, the tests and docs/rfq.md agree on it.

How a quote is judged (weights sum to 1, every part is a number from 0 to 1):

| part | weight | what it measures |
|---|---|---|
| price | 0.50 | at each quantity tier, the cheapest landed unit cost quoted divided by this one's; averaged over the tiers |
| capacity | 0.15 | the factory's stated capacity against the largest tier (1 when it covers the largest tier) |
| lead time | 0.15 | days to spare before the target date, against the days the buyer gave (1: ready at once) |
| supplier | 0.20 | the supplier score (domain/supplier_score.py, 0-5) divided by 5 |

Landed unit cost at a tier = quoted unit price + the quoted freight spread over that tier's
pieces (quotes are asked tax included). A quote does not qualify when the factory declined, it
misses a price for the quantity to order, its capacity is below that quantity, it would deliver
after the target date, it expired before the comparison, or its unit price is above the buyer's
ceiling. Ties go to the lower landed cost at the quantity to order, then to the supplier id, so
the same quotes always give the same winner.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.money import FEN, Yuan
from domain.request import DeliveryAddress, Identifier, Price, ShortText, SupplierPolicy

WEIGHT_PRICE = Decimal("0.50")
WEIGHT_CAPACITY = Decimal("0.15")
WEIGHT_LEAD_TIME = Decimal("0.15")
WEIGHT_SUPPLIER = Decimal("0.20")

DEFAULT_DEADLINE = timedelta(hours=2)
MAX_FACTORIES = 20
_SCORE_STEP = Decimal("0.0001")

_INPUT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)

LongText = Annotated[str, Field(max_length=2000)]


class RfqRequest(BaseModel):
    """What the buyer sends (`procure rfq start FILE`, `POST /v1/rfqs`)."""

    model_config = _INPUT

    # Up to 58 characters: the purchase request an award starts is named "{rfq_id}-award" (64 at most).
    rfq_id: Annotated[str, Field(min_length=1, max_length=58, pattern=r"^[A-Za-z0-9._-]+$")]
    requester: ShortText | None = None
    subject: ShortText  # the part, as the factories will read it
    drawing_ref: ShortText | None = None
    material: ShortText | None = None
    description: LongText = ""
    quantity_tiers: Annotated[list[Annotated[int, Field(gt=0, le=10_000_000)]], Field(min_length=1, max_length=5)]
    order_quantity: Annotated[int, Field(gt=0, le=10_000_000)] | None = None  # default: the first tier
    target_date: date
    factories: Annotated[list[Identifier], Field(max_length=MAX_FACTORIES)] = Field(default_factory=list)
    # Factories found through search: the sellers of the first offers matching this keyword.
    search_keyword: ShortText | None = None
    max_factories: Annotated[int, Field(ge=1, le=MAX_FACTORIES)] = 10
    supplier_policy: SupplierPolicy = Field(default_factory=SupplierPolicy)
    deadline_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = int(DEFAULT_DEADLINE.total_seconds() // 60)
    price_max: Price | None = None  # a unit price above this never qualifies
    award_threshold: Price | None = None  # an award whose total is above this waits for a person
    delivery: DeliveryAddress

    @field_validator("quantity_tiers")
    @classmethod
    def _tiers_distinct(cls, tiers: list[int]) -> list[int]:
        if len(set(tiers)) != len(tiers):
            raise ValueError("each quantity tier must appear once")
        return tiers

    @model_validator(mode="after")
    def _consistent(self) -> RfqRequest:
        if not self.factories and not self.search_keyword:
            raise ValueError("name factories, a search_keyword, or both")
        if self.order_quantity is not None and self.order_quantity not in self.quantity_tiers:
            raise ValueError(f"order_quantity {self.order_quantity} must be one of the quantity tiers")
        if len(set(self.factories)) != len(self.factories):
            raise ValueError("each factory must appear once")
        return self

    @property
    def quantity(self) -> int:
        return self.order_quantity or self.quantity_tiers[0]

    @property
    def deadline(self) -> timedelta:
        return timedelta(minutes=self.deadline_minutes)


class Factory(BaseModel):
    """A factory we ask: our supplier key, the login name 1688's inquiry takes, and its score."""

    supplier_id: str
    login_id: str
    company_name: str = ""
    score: Decimal = Field(ge=0, le=5)


class Quote(BaseModel):
    """One factory's answer, read from 1688's quotation list."""

    quotation_id: str
    supplier_id: str
    created_at: datetime
    declined: bool = False
    decline_reason: str | None = None
    offer_id: str | None = None  # the factory's listing the order goes to
    unit_prices: dict[int, Yuan] = Field(default_factory=dict)  # tier quantity -> unit price, tax included
    freight: Yuan = Decimal(0)  # for one delivery
    lead_days: int | None = Field(default=None, ge=0)  # from the award to the goods leaving the factory
    capacity: int | None = Field(default=None, ge=0)  # pieces the factory can make in that time
    expires_at: datetime | None = None


def latest_quotes(quotes: list[Quote]) -> dict[str, Quote]:
    """The quote that stands for each factory: its latest (a revision replaces the first)."""
    standing: dict[str, Quote] = {}
    for quote in sorted(quotes, key=lambda q: (q.created_at, q.quotation_id)):
        standing[quote.supplier_id] = quote
    return standing


class Scored(BaseModel):
    supplier_id: str
    quotation_id: str
    offer_id: str | None
    unit_price: Yuan  # at the quantity to order
    landed_unit_cost: Yuan
    total: Yuan  # unit price x quantity + freight
    landed_by_tier: dict[int, Yuan]
    price_part: Decimal
    capacity_part: Decimal
    lead_time_part: Decimal
    supplier_part: Decimal
    score: Decimal
    rank: int = 0


class Unqualified(BaseModel):
    supplier_id: str
    reason: str


class Comparison(BaseModel):
    ranked: list[Scored] = Field(default_factory=list)
    unqualified: list[Unqualified] = Field(default_factory=list)

    @property
    def winner(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None

    def why_nobody(self) -> str:
        if not self.unqualified:
            return "no factory answered"
        return "; ".join(f"{u.supplier_id}: {u.reason}" for u in self.unqualified)


def _landed(unit: Decimal, freight: Decimal, quantity: int) -> Decimal:
    return (unit + freight / quantity).quantize(FEN)


def _ratio(value: Decimal) -> Decimal:
    return min(Decimal(1), max(Decimal(0), value))


def _disqualified(rfq: RfqRequest, quote: Quote, factory: Factory | None, now: datetime) -> str | None:
    if quote.declined:
        return "declined" + (f": {quote.decline_reason}" if quote.decline_reason else "")
    if factory is None:
        return "was not asked"
    if quote.expires_at is not None and quote.expires_at < now:
        return f"quote expired at {quote.expires_at.isoformat()}"
    price = quote.unit_prices.get(rfq.quantity)
    if price is None:
        return f"no price for {rfq.quantity} pieces"
    if rfq.price_max is not None and price > rfq.price_max:
        return f"unit price {price} is above the ceiling {rfq.price_max}"
    if quote.capacity is not None and quote.capacity < rfq.quantity:
        return f"capacity {quote.capacity} is below the {rfq.quantity} pieces to order"
    if quote.lead_days is None:
        return "no lead time given"
    ready = now.date() + timedelta(days=quote.lead_days)
    if ready > rfq.target_date:
        return f"ready on {ready.isoformat()}, after the target date {rfq.target_date.isoformat()}"
    return None


def compare_quotes(rfq: RfqRequest, quotes: list[Quote], factories: list[Factory], now: datetime) -> Comparison:
    """Rank the standing quotes by the documented weights; say why each other one lost."""
    by_id = {f.supplier_id: f for f in factories}
    standing = latest_quotes(quotes)
    unqualified: list[Unqualified] = []
    eligible: list[Quote] = []
    for supplier_id in sorted(standing):
        quote = standing[supplier_id]
        reason = _disqualified(rfq, quote, by_id.get(supplier_id), now)
        if reason:
            unqualified.append(Unqualified(supplier_id=supplier_id, reason=reason))
        else:
            eligible.append(quote)
    for factory in sorted(by_id):
        if factory not in standing:
            unqualified.append(Unqualified(supplier_id=factory, reason="did not answer by the deadline"))

    tiers = sorted(rfq.quantity_tiers)
    best_by_tier: dict[int, Decimal] = {}
    for quote in eligible:
        for tier in tiers:
            if tier in quote.unit_prices:
                landed = _landed(quote.unit_prices[tier], quote.freight, tier)
                best_by_tier[tier] = min(best_by_tier.get(tier, landed), landed)
    days_given = max(1, (rfq.target_date - now.date()).days)
    scored: list[Scored] = []
    for quote in eligible:
        landed_by_tier = {t: _landed(quote.unit_prices[t], quote.freight, t) for t in tiers if t in quote.unit_prices}
        # A tier the factory did not price counts as zero for price: it cannot serve that tier.
        price_part = sum(
            (best_by_tier[t] / landed_by_tier[t] if landed_by_tier.get(t) else Decimal(0) for t in tiers),
            Decimal(0),
        ) / len(tiers)
        capacity_part = Decimal(1) if quote.capacity is None else _ratio(Decimal(quote.capacity) / tiers[-1])
        slack = (rfq.target_date - (now.date() + timedelta(days=quote.lead_days or 0))).days
        lead_part = _ratio(Decimal(slack) / days_given)
        supplier_part = _ratio(by_id[quote.supplier_id].score / 5)
        score = (WEIGHT_PRICE * _ratio(price_part) + WEIGHT_CAPACITY * capacity_part
                 + WEIGHT_LEAD_TIME * lead_part + WEIGHT_SUPPLIER * supplier_part).quantize(_SCORE_STEP)
        unit = quote.unit_prices[rfq.quantity]
        scored.append(Scored(
            supplier_id=quote.supplier_id, quotation_id=quote.quotation_id, offer_id=quote.offer_id,
            unit_price=unit, landed_unit_cost=landed_by_tier[rfq.quantity],
            total=(unit * rfq.quantity + quote.freight).quantize(FEN), landed_by_tier=landed_by_tier,
            price_part=_ratio(price_part).quantize(_SCORE_STEP), capacity_part=capacity_part.quantize(_SCORE_STEP),
            lead_time_part=lead_part.quantize(_SCORE_STEP), supplier_part=supplier_part.quantize(_SCORE_STEP),
            score=score,
        ))
    scored.sort(key=lambda s: (-s.score, s.landed_unit_cost, s.supplier_id))
    for rank, entry in enumerate(scored, start=1):
        entry.rank = rank
    return Comparison(ranked=scored, unqualified=unqualified)
