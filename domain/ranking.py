"""Ranking the offers for one request line: eligible first, cheapest landed unit cost first.

The order is total and depends only on the offers, never on the order they arrived in: landed
cost per unit, then supplier score (higher first), then offer id. A workflow that sources the same
line again (a replay, a retry) gets the same ranking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from operator import attrgetter
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
from domain.prevalidated import prevalidated, prevalidated_values
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


class SupplierVerdict(BaseModel):
    """A supplier judged against the request's policy: its score and every reason it cannot serve."""

    model_config = _RESULT

    score: Decimal
    reasons: list[Exclusion]


class ExcludedCandidate(BaseModel):
    """An offer that cannot serve the line: its figures when they are known, and the reasons of its
    own (the offer, its variant, its price; a duplicate listing; outranked). Its supplier's score
    and reasons are the line's `suppliers` verdict; `LineSourcing.reasons_of` gives them all."""

    model_config = _RESULT

    offer_id: str
    supplier_id: str
    spec_id: str | None = None
    subject: str = ""
    unit_price: Yuan | None = None
    landed_unit_cost: Yuan | None = None
    # Set only in records made before the supplier verdicts were kept per supplier; those records
    # also carry the supplier's reasons here. `LineSourcing.score_of` reads either.
    score: Decimal | None = None
    reasons: list[Exclusion]


class LineSourcing(BaseModel):
    """The outcome of sourcing one line: the ranked shortlist and everything left out."""

    model_config = _RESULT

    line_id: str
    quantity: int
    ranked: list[Candidate]
    excluded: list[ExcludedCandidate]
    # The verdict on the supplier of each excluded offer, once per supplier rather than once per
    # offer: so an offer's entry is made when the offer is read (`assess`), before the suppliers are
    # judged, and ranking a large request only picks entries up.
    suppliers: dict[str, SupplierVerdict] = {}

    def reasons_of(self, item: ExcludedCandidate) -> list[Exclusion]:
        """Every reason `item` cannot serve the line: its own, then its supplier's."""
        verdict = self.suppliers.get(item.supplier_id)
        return item.reasons + verdict.reasons if verdict is not None and verdict.reasons else item.reasons

    def score_of(self, item: ExcludedCandidate) -> Decimal | None:
        """The score of `item`'s supplier."""
        if item.score is not None:
            return item.score
        verdict = self.suppliers.get(item.supplier_id)
        return verdict.score if verdict is not None else None


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
    in the task that delivers it, and ranking a large request later is only the cheap part: the
    listing's entry among the excluded offers is made here, and so are the candidate's figures and
    its cost text when the offer itself can serve. A plain object: made 10,000 times per large
    request and never serialized.
    """

    __slots__ = ("listing", "quantity", "choice", "price", "landed", "reasons", "per_unit", "product",
                 "offer_id", "supplier", "spec_id", "excluded", "candidate", "cost")

    def __init__(
        self,
        listing: Listing,
        quantity: int,
        choice: SkuChoice,
        price: Decimal,
        landed: _Landed | None,
        reasons: list[Exclusion],
    ) -> None:
        offer = listing.offer
        self.listing = listing
        self.quantity = quantity
        self.choice = choice
        self.price = price
        self.landed = landed
        self.reasons = reasons
        self.per_unit = landed.per_unit if landed is not None else _UNKNOWN_COST
        self.product = _product_key(listing)
        self.offer_id = offer.offer_id
        self.supplier = listing.supplier
        self.spec_id = choice.sku.spec_id if choice.sku is not None else None
        # Built without validation: every value was validated on the way in (the listing) or
        # computed here from validated values. The supplier's score and reasons are the line's.
        self.excluded = prevalidated_values(ExcludedCandidate, {
            "offer_id": offer.offer_id,
            "supplier_id": offer.supplier_id,
            "spec_id": self.spec_id,
            "subject": offer.subject,
            "unit_price": price,
            "landed_unit_cost": landed.per_unit if landed is not None else None,
            "score": None,
            "reasons": reasons,
        })
        self.candidate: dict[str, object] | None = None
        self.cost = ""
        if not reasons and landed is not None:
            self.candidate = _offer_side(listing, quantity, self.spec_id, choice, landed)
            self.cost = _cost_text(landed, offer.unit)


_UNKNOWN_COST = Decimal("Infinity")


class _Judged:
    """An assessment with its supplier's verdict: what ranking sorts (internal)."""

    __slots__ = ("assessment", "verdict", "key")

    def __init__(self, assessment: Assessment, verdict: SupplierVerdict) -> None:
        self.assessment = assessment
        self.verdict = verdict
        barred = bool(assessment.reasons or verdict.reasons)
        self.key = (barred, assessment.per_unit, -verdict.score, assessment.offer_id)


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
        self._judged: dict[str, tuple[SupplierProfile, SupplierVerdict]] = {}
        # The same profile object under many listings (a workflow shares one per seller): found by
        # identity without comparing fields. The entry holds the object, so its id stays its own.
        self._by_object: dict[int, tuple[SupplierProfile, SupplierVerdict]] = {}

    def verdict(self, supplier: SupplierProfile) -> SupplierVerdict:
        known = self._by_object.get(id(supplier))
        if known is not None and known[0] is supplier:
            return known[1]
        cached = self._judged.get(supplier.supplier_id)
        if cached is not None:
            seen = cached[0]
            # Listings decoded from JSON carry one profile object each; comparing the field values
            # directly is what `==` does for two profiles of the same type, at a third of its cost.
            if seen is supplier or (type(seen) is type(supplier) and seen.__dict__ == supplier.__dict__):
                self._by_object[id(supplier)] = (supplier, cached[1])
                return cached[1]
        score = supplier_score(supplier, self._history.get(supplier.supplier_id))
        verdict = prevalidated(SupplierVerdict, score=score,
                               reasons=supplier_exclusions(supplier, self._policy, score=score, today=self._today))
        self._judged[supplier.supplier_id] = self._by_object[id(supplier)] = (supplier, verdict)
        return verdict


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
    quantity = line.quantity
    verdict_of = judge.verdict
    best_by_offer: dict[str, tuple[Assessment, SupplierVerdict]] = {}
    for assessment in assessed:
        if assessment.quantity != quantity:
            raise ValueError(f"offer {assessment.offer_id} was assessed for {assessment.quantity} pieces, "
                             f"not the line's {quantity}")
        verdict = verdict_of(assessment.supplier)
        seen = best_by_offer.get(assessment.offer_id)
        if seen is None or _better_reading(_Judged(assessment, verdict), _Judged(*seen)):
            best_by_offer[assessment.offer_id] = (assessment, verdict)

    # The hot loop of a large request (10,000 listings): an excluded offer's entry was made when
    # it was read, so here it is only picked up, and its supplier's verdict noted once.
    eligible: list[_Judged] = []
    excluded: list[ExcludedCandidate] = []
    suppliers: dict[str, SupplierVerdict] = {}
    split: set[str] = set()  # suppliers read with two profiles that differ in their verdicts
    for assessment, verdict in best_by_offer.values():
        if assessment.reasons or verdict.reasons:
            excluded.append(assessment.excluded)
            _note_verdict(suppliers, split, assessment.excluded.supplier_id, verdict)
        else:
            eligible.append(_Judged(assessment, verdict))
    eligible.sort(key=attrgetter("key"))

    kept: list[_Judged] = []
    kept_by_product: dict[tuple[str, str], _Judged] = {}
    for judged in eligible:
        product = judged.assessment.product
        cheaper = kept_by_product.get(product)
        if cheaper is not None:
            same_price = cheaper.key[1] == judged.key[1]
            excluded.append(_excluded(judged, suppliers, split, prevalidated(Exclusion,
                code=ExclusionCode.DUPLICATE_LISTING,
                message=(
                    f"the same supplier lists this product {'at the same price' if same_price else 'for less'}"
                    f" as offer {cheaper.assessment.offer_id}"
                ),
            )))
            continue
        kept_by_product[product] = judged
        kept.append(judged)

    ranked: list[Candidate] = []
    for position, judged in enumerate(kept, start=1):
        if position > top_n:
            excluded.append(_excluded(judged, suppliers, split, prevalidated(Exclusion,
                code=ExclusionCode.OUTRANKED,
                message=f"eligible, but {top_n} cheaper or better-scored offers were kept",
            )))
            continue
        ranked.append(_candidate(judged, position, kept[0]))

    if split:
        _verdicts_on_entries(excluded, suppliers, split, best_by_offer)
    # One entry per offer (readings of the same offer were merged above), so the offer id orders
    # them; the verdicts in supplier order: the record depends on the offers, not their arrival.
    excluded.sort(key=attrgetter("offer_id"))
    return prevalidated(LineSourcing, line_id=line.line_id, quantity=quantity, ranked=ranked, excluded=excluded,
                        suppliers=dict(sorted(suppliers.items())))


def _note_verdict(suppliers: dict[str, SupplierVerdict], split: set[str], supplier_id: str,
                  verdict: SupplierVerdict) -> None:
    """Keep the verdict on the supplier of an excluded entry once; a second, different one splits it."""
    known = suppliers.setdefault(supplier_id, verdict)
    if known is not verdict and known != verdict:
        split.add(supplier_id)


def _verdicts_on_entries(
    excluded: list[ExcludedCandidate],
    suppliers: dict[str, SupplierVerdict],
    split: set[str],
    best_by_offer: Mapping[str, tuple[Assessment, SupplierVerdict]],
) -> None:
    """A supplier read twice with profiles that differ in their verdicts (a fresher reading) has
    no one verdict for the line: each of its entries carries its own, score and reasons, as every
    entry did before the verdicts were kept per supplier."""
    for index, entry in enumerate(excluded):
        if entry.supplier_id in split:
            verdict = best_by_offer[entry.offer_id][1]
            excluded[index] = prevalidated_values(ExcludedCandidate, {
                **entry.__dict__, "score": verdict.score, "reasons": entry.reasons + verdict.reasons})
    for supplier_id in split:
        del suppliers[supplier_id]


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


def _excluded(judged: _Judged, suppliers: dict[str, SupplierVerdict], split: set[str],
              reason: Exclusion) -> ExcludedCandidate:
    """An eligible offer left out (a duplicate listing, outranked): its entry with that reason."""
    entry = judged.assessment.excluded
    _note_verdict(suppliers, split, entry.supplier_id, judged.verdict)
    return prevalidated_values(ExcludedCandidate, {**entry.__dict__, "reasons": [reason]})


def _offer_side(listing: Listing, quantity: int, spec_id: str | None, choice: SkuChoice,
                landed: _Landed) -> dict[str, object]:
    """A candidate's fields that depend on the listing and the quantity alone, in field order;
    ranking fills in the score, the rank and the reason."""
    offer = listing.offer
    rule = listing.freight_rule()
    assert rule is not None  # a known landed cost means a known freight rule
    return {
        "offer_id": offer.offer_id,
        "supplier_id": offer.supplier_id,
        "spec_id": spec_id,
        "subject": offer.subject,
        "unit": offer.unit,
        "quantity": quantity,
        "unit_price": landed.unit_price,
        "goods_total": landed.goods_total,
        "freight": landed.freight,
        "tax": landed.tax,
        "total": landed.total,
        "landed_unit_cost": landed.per_unit,
        "score": None,
        "rank": None,
        "reason": None,
        "min_order_quantity": offer.min_order_quantity,
        "below_moq": quantity < offer.min_order_quantity,
        "mix_batch": listing.supplier.mix_batch,
        "freight_rule": rule,
        "tax_rate": offer.tax_rate,
        "stock": choice.stock,
        # The tiers when the price depends on the quantity; a SKU quoted at its own price has none.
        "price_tiers": list(offer.price_tiers) if choice.sku is None or choice.sku.price is None else [],
    }


def _candidate(judged: _Judged, rank: int, first: _Judged) -> Candidate:
    values = judged.assessment.candidate
    assert values is not None  # eligible means the offer itself can serve, at a known landed cost
    values = dict(values)  # a copy: the assessment's fields serve every ranking of the line
    values["score"] = judged.verdict.score
    values["rank"] = rank
    values["reason"] = _reason(judged, rank, first, values["below_moq"] is True)
    values["price_tiers"] = list(values["price_tiers"])  # type: ignore[call-overload]
    # Built without validation, like the excluded entries: the values come from the validated listing.
    return prevalidated_values(Candidate, values)


def _cost_text(landed: _Landed, unit: str) -> str:
    breakdown = f"{yuan(landed.goods_total)} goods + {yuan(landed.freight)} freight"
    if landed.tax:
        breakdown += f" + {yuan(landed.tax)} invoice surcharge"
    return f"{yuan(landed.per_unit)} per {unit} landed ({breakdown} = {yuan(landed.total)})"


def _reason(judged: _Judged, rank: int, first_judged: _Judged, below_moq: bool) -> str:
    assessment, first = judged.assessment, first_judged.assessment
    landed = assessment.landed
    assert landed is not None and first.landed is not None
    unit = assessment.listing.offer.unit
    cost = assessment.cost
    score = judged.verdict.score
    if rank == 1:
        text = f"cheapest: {cost}; supplier score {score}"
    elif landed.per_unit == first.landed.per_unit:
        text = (
            f"{cost}, the same as #1, but supplier score {score} "
            f"against {first_judged.verdict.score}"
        )
    else:
        more = yuan(landed.per_unit - first.landed.per_unit)
        by = f"{more} more" if more else "a fraction of a fen more"
        text = f"{cost}, {by} per {unit} than #1; supplier score {score}"
    if below_moq:
        mix = assessment.listing.supplier.mix_batch
        assert mix is not None
        text += (
            f"; below the minimum order of {assessment.listing.offer.min_order_quantity}, allowed "
            f"if the order to this supplier reaches its mixed-batch minimum ({mix.describe()})"
        )
    return text
