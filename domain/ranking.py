"""Ranking the offers for one request line: eligible first, cheapest landed unit cost first.

The order is total and depends only on the offers, never on the order they arrived in: landed
cost per unit, then supplier score (higher first), then offer id. A workflow that sources the same
line again (a replay, a retry) gets the same ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from domain.eligibility import (
    ExclusionCode,
    Exclusion,
    SkuChoice,
    choose_sku,
    offer_exclusions,
    supplier_exclusions,
)
from domain.landed_cost import landed_figures, unit_price
from domain.money import Yuan, yuan
from domain.prevalidated import prevalidated
from domain.offer import Freight, Listing, PriceTier
from domain.request import PurchaseRequest, RequestLine, SupplierPolicy
from domain.supplier import MixBatchRule, Rate, SupplierHistory, SupplierProfile
from domain.supplier_score import supplier_score

_RESULT = ConfigDict(extra="ignore", frozen=True)


class Candidate(BaseModel):
    """An eligible offer for a line, with everything needed to order it and to explain it."""

    model_config = _RESULT

    offer_id: str
    supplier_id: str
    spec_id: str | None  # the SKU matching the line's spec; None for an offer without SKUs
    subject: str
    unit: str
    quantity: int
    unit_price: Yuan
    goods_total: Yuan
    freight: Yuan  # for this line ordered alone; an order plan counts freight once per order
    tax: Yuan
    total: Yuan
    landed_unit_cost: Yuan  # exact; `money.yuan()` rounds it for display
    score: Decimal
    rank: Annotated[int, Field(ge=1)]
    reason: str
    min_order_quantity: int
    below_moq: bool = False  # allowed only if the supplier's mixed-batch minimum is reached
    mix_batch: MixBatchRule | None = None
    freight_rule: Freight
    tax_rate: Rate = Decimal(0)
    stock: int | None = None
    # The offer's tiers when its price depends on the quantity ordered (empty for a SKU quoted at
    # its own price): a basket that buys this offer for several lines prices it at their sum.
    price_tiers: list[PriceTier] = []


class ExcludedCandidate(BaseModel):
    """An offer that cannot serve the line, with every reason; figures when they are known."""

    model_config = _RESULT

    offer_id: str
    supplier_id: str
    spec_id: str | None = None
    subject: str = ""
    unit_price: Yuan | None = None
    landed_unit_cost: Yuan | None = None
    score: Decimal | None = None
    reasons: list[Exclusion]


class LineSourcing(BaseModel):
    """The outcome of sourcing one line: the ranked shortlist and everything left out."""

    model_config = _RESULT

    line_id: str
    quantity: int
    ranked: list[Candidate]
    excluded: list[ExcludedCandidate]


class _Landed(NamedTuple):
    unit_price: Decimal
    goods_total: Decimal
    freight: Decimal
    tax: Decimal
    total: Decimal
    per_unit: Decimal


class Assessment:
    """One listing judged against one line for its quantity: the variant, the price, the landed
    cost and every reason the offer itself cannot serve (the supplier is judged at ranking).

    It depends only on the line and the listing, so a workflow makes it as each listing arrives,
    in the task that delivers it, and ranking a large request later is only the cheap part. A plain
    object: made 10,000 times per large request and never serialized.
    """

    __slots__ = ("listing", "quantity", "choice", "price", "landed", "reasons", "per_unit", "product")

    def __init__(
        self,
        listing: Listing,
        quantity: int,
        choice: SkuChoice,
        price: Decimal,
        landed: _Landed | None,
        reasons: list[Exclusion],
    ) -> None:
        self.listing = listing
        self.quantity = quantity
        self.choice = choice
        self.price = price
        self.landed = landed
        self.reasons = reasons
        self.per_unit = landed.per_unit if landed is not None else _UNKNOWN_COST
        self.product = _product_key(listing)

    @property
    def spec_id(self) -> str | None:
        return self.choice.sku.spec_id if self.choice.sku is not None else None


_UNKNOWN_COST = Decimal("Infinity")


class _Judged:
    """An assessment with its supplier's score and verdict: what ranking sorts (internal)."""

    __slots__ = ("assessment", "score", "reasons", "key")

    def __init__(self, assessment: Assessment, score: Decimal, reasons: list[Exclusion]) -> None:
        self.assessment = assessment
        self.score = score
        self.reasons = reasons
        self.key = (bool(reasons), assessment.per_unit, -score, assessment.listing.offer.offer_id)


class SupplierJudge:
    """Score and policy verdict per supplier, worked out once per distinct profile.

    A supplier appears under many listings and many lines. The cache only saves work: a profile
    that differs from the cached one (a fresher reading) is judged afresh, so the verdict depends
    on the profile alone, never on which listing came first.
    """

    def __init__(
        self, policy: SupplierPolicy, today: date, history: Mapping[str, SupplierHistory] | None
    ) -> None:
        self._policy = policy
        self._today = today
        self._history = history or {}
        self._judged: dict[str, tuple[SupplierProfile, Decimal, list[Exclusion]]] = {}
        # The same profile object under many listings (a workflow shares one per seller): found by
        # identity without comparing fields. The entry holds the object, so its id stays its own.
        self._by_object: dict[int, tuple[SupplierProfile, Decimal, list[Exclusion]]] = {}

    def judge(self, supplier: SupplierProfile) -> tuple[Decimal, list[Exclusion]]:
        known = self._by_object.get(id(supplier))
        if known is not None and known[0] is supplier:
            return known[1], known[2]
        cached = self._judged.get(supplier.supplier_id)
        if cached is not None:
            seen = cached[0]
            # Listings decoded from JSON carry one profile object each; comparing the field values
            # directly is what `==` does for two profiles of the same type, at a third of its cost.
            if seen is supplier or (type(seen) is type(supplier) and seen.__dict__ == supplier.__dict__):
                self._by_object[id(supplier)] = (supplier, cached[1], cached[2])
                return cached[1], cached[2]
        score = supplier_score(supplier, self._history.get(supplier.supplier_id))
        reasons = supplier_exclusions(supplier, self._policy, score=score, today=self._today)
        self._judged[supplier.supplier_id] = self._by_object[id(supplier)] = (supplier, score, reasons)
        return score, reasons


def source_line(
    line: RequestLine,
    candidates_in: Sequence[Listing],
    policy: SupplierPolicy,
    *,
    needs_vat_invoice: bool,
    today: date,
    top_n: int = 10,
    history_by_supplier: Mapping[str, SupplierHistory] | None = None,
) -> LineSourcing:
    """Judge every listing found for `line`, drop duplicates, rank the eligible, keep `top_n`.

    Duplicates: the same offer seen twice counts once (the better reading of it is kept); the
    same supplier listing the same product (same subject) twice keeps the cheaper listing and
    excludes the other with the reason.
    """
    judge = SupplierJudge(policy, today, history_by_supplier)
    assessed = [assess(line, listing, needs_vat_invoice=needs_vat_invoice) for listing in candidates_in]
    return rank_line(line, assessed, judge, top_n=top_n)


def source_request(
    request: PurchaseRequest,
    listings_by_line: Mapping[str, Sequence[Listing]],
    *,
    today: date,
    history_by_supplier: Mapping[str, SupplierHistory] | None = None,
) -> list[LineSourcing]:
    """`source_line` for every line of the request, in request order."""
    judge = SupplierJudge(request.supplier_policy, today, history_by_supplier)
    vat = request.needs_vat_invoice
    return [
        rank_line(line, [assess(line, listing, needs_vat_invoice=vat) for listing in listings_by_line.get(line.line_id, ())],
                  judge, top_n=request.top_n)
        for line in request.lines
    ]


def assess(line: RequestLine, listing: Listing, *, needs_vat_invoice: bool) -> Assessment:
    """The offer side of sourcing: `listing` judged for `line` at the line's quantity."""
    offer = listing.offer
    choice = choose_sku(offer, line.spec, line.quantity)
    price = unit_price(offer, choice.sku, line.quantity)
    reasons = offer_exclusions(line, listing, choice=choice, unit_price=price)
    rule = listing.freight_rule()
    landed = None
    if rule is not None:
        freight = rule.cost(line.quantity)
        goods, tax, total, per_unit = landed_figures(
            price,
            line.quantity,
            freight=freight,
            tax_rate=offer.tax_rate,
            needs_vat_invoice=needs_vat_invoice,
        )
        landed = _Landed(price, goods, freight, tax, total, per_unit)
    return Assessment(listing, line.quantity, choice, price, landed, reasons)


def rank_line(
    line: RequestLine,
    assessed: Sequence[Assessment],
    judge: SupplierJudge,
    *,
    top_n: int,
) -> LineSourcing:
    """The supplier side and the ranking: `source_line` for listings already assessed for this
    line's quantity (`assess`)."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    best_by_offer: dict[str, _Judged] = {}
    for assessment in assessed:
        if assessment.quantity != line.quantity:
            raise ValueError(f"offer {assessment.listing.offer.offer_id} was assessed for {assessment.quantity} pieces, "
                             f"not the line's {line.quantity}")
        score, against_policy = judge.judge(assessment.listing.supplier)
        reasons = assessment.reasons + against_policy if against_policy else assessment.reasons
        judged = _Judged(assessment, score, reasons)
        offer_id = assessment.listing.offer.offer_id
        seen = best_by_offer.get(offer_id)
        if seen is None or _better_reading(judged, seen):
            best_by_offer[offer_id] = judged

    eligible = sorted((j for j in best_by_offer.values() if not j.reasons), key=lambda j: j.key)
    excluded = [_excluded(j, j.reasons) for j in best_by_offer.values() if j.reasons]

    kept: list[_Judged] = []
    kept_by_product: dict[tuple[str, str], _Judged] = {}
    for judged in eligible:
        product = judged.assessment.product
        cheaper = kept_by_product.get(product)
        if cheaper is not None:
            same_price = cheaper.key[1] == judged.key[1]
            excluded.append(_excluded(judged, [prevalidated(Exclusion,
                code=ExclusionCode.DUPLICATE_LISTING,
                message=(
                    f"the same supplier lists this product {'at the same price' if same_price else 'for less'}"
                    f" as offer {cheaper.assessment.listing.offer.offer_id}"
                ),
            )]))
            continue
        kept_by_product[product] = judged
        kept.append(judged)

    ranked: list[Candidate] = []
    for position, judged in enumerate(kept, start=1):
        if position > top_n:
            excluded.append(_excluded(judged, [prevalidated(Exclusion,
                code=ExclusionCode.OUTRANKED,
                message=f"eligible, but {top_n} cheaper or better-scored offers were kept",
            )]))
            continue
        ranked.append(_candidate(line, judged, position, kept[0]))

    excluded.sort(key=lambda item: (item.offer_id, item.spec_id or ""))
    return LineSourcing(line_id=line.line_id, quantity=line.quantity, ranked=ranked, excluded=excluded)


def _better_reading(new: _Judged, old: _Judged) -> bool:
    # The same offer read twice (two search pages, a refreshed detail): keep the reading that
    # ranks better; if both rank the same, the canonical JSON decides, so input order never does.
    if new.key != old.key:
        return new.key < old.key
    return new.assessment.listing.model_dump_json() < old.assessment.listing.model_dump_json()


def _product_key(listing: Listing) -> tuple[str, str]:
    subject = " ".join(listing.offer.subject.casefold().split())
    # Without a subject we cannot tell two products apart, so the offer stands for itself.
    return listing.supplier.supplier_id, subject or f"offer:{listing.offer.offer_id}"


def _excluded(judged: _Judged, reasons: list[Exclusion]) -> ExcludedCandidate:
    assessment = judged.assessment
    offer = assessment.listing.offer
    # Built without validation: every value was validated on the way in (the listing) or computed
    # here from validated values, and 10,000 of these are made per large request.
    return prevalidated(ExcludedCandidate,
        offer_id=offer.offer_id,
        supplier_id=offer.supplier_id,
        spec_id=assessment.spec_id,
        subject=offer.subject,
        unit_price=assessment.price,
        landed_unit_cost=assessment.landed.per_unit if assessment.landed is not None else None,
        score=judged.score,
        reasons=reasons,
    )


def _candidate(line: RequestLine, judged: _Judged, rank: int, first: _Judged) -> Candidate:
    assessment = judged.assessment
    offer = assessment.listing.offer
    supplier = assessment.listing.supplier
    landed = assessment.landed
    rule = assessment.listing.freight_rule()
    assert landed is not None and rule is not None  # eligible means freight is known
    below_moq = line.quantity < offer.min_order_quantity
    # Built without validation, like `_excluded`: the values come from the validated listing.
    return prevalidated(Candidate,
        offer_id=offer.offer_id,
        supplier_id=offer.supplier_id,
        spec_id=assessment.spec_id,
        subject=offer.subject,
        unit=offer.unit,
        quantity=line.quantity,
        unit_price=landed.unit_price,
        goods_total=landed.goods_total,
        freight=landed.freight,
        tax=landed.tax,
        total=landed.total,
        landed_unit_cost=landed.per_unit,
        score=judged.score,
        rank=rank,
        reason=_reason(judged, rank, first, below_moq),
        min_order_quantity=offer.min_order_quantity,
        below_moq=below_moq,
        mix_batch=supplier.mix_batch,
        freight_rule=rule,
        tax_rate=offer.tax_rate,
        stock=assessment.choice.stock,
        price_tiers=list(offer.price_tiers) if assessment.choice.sku is None or assessment.choice.sku.price is None else [],
    )


def _reason(judged: _Judged, rank: int, first_judged: _Judged, below_moq: bool) -> str:
    assessment, first = judged.assessment, first_judged.assessment
    landed = assessment.landed
    assert landed is not None and first.landed is not None
    unit = assessment.listing.offer.unit
    breakdown = f"{yuan(landed.goods_total)} goods + {yuan(landed.freight)} freight"
    if landed.tax:
        breakdown += f" + {yuan(landed.tax)} invoice surcharge"
    cost = f"{yuan(landed.per_unit)} per {unit} landed ({breakdown} = {yuan(landed.total)})"
    if rank == 1:
        text = f"cheapest: {cost}; supplier score {judged.score}"
    elif landed.per_unit == first.landed.per_unit:
        text = (
            f"{cost}, the same as #1, but supplier score {judged.score} "
            f"against {first_judged.score}"
        )
    else:
        more = yuan(landed.per_unit - first.landed.per_unit)
        by = f"{more} more" if more else "a fraction of a fen more"
        text = f"{cost}, {by} per {unit} than #1; supplier score {judged.score}"
    if below_moq:
        mix = assessment.listing.supplier.mix_batch
        assert mix is not None
        text += (
            f"; below the minimum order of {assessment.listing.offer.min_order_quantity}, allowed "
            f"if the order to this supplier reaches its mixed-batch minimum ({mix.describe()})"
        )
    return text
