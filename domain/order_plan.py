"""From ranked candidates to 1688 orders: one supplier per order, at most 50 lines each.

Each line takes its best candidate that has not failed. Lines going to the same supplier are
grouped (in request order) into orders of at most 50 lines, 1688's limit for `cargoParamList`,
and freight is counted once per order. A line below an offer's MOQ rides on the supplier's mixed
batch rule, which only the whole order can meet: when an order misses it, those lines move to
their next candidate and the plan is made again. Every round removes at least one (line, offer)
choice for good, so planning ends after at most as many rounds as there are candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.eligibility import LABELS
from domain.money import Yuan
from domain.ranking import Candidate, LineSourcing
from domain.request import RequestLine

MAX_LINES_PER_ORDER = 50


class PlanTerms(Protocol):
    """What planning needs of a request: its lines (in request order) and its budget."""

    @property
    def lines(self) -> Sequence[RequestLine]: ...
    @property
    def budget(self) -> Decimal | None: ...


_RESULT = ConfigDict(extra="ignore", frozen=True)

_Choice = tuple[RequestLine, Candidate]
_Batch = tuple[str, int, list[_Choice]]  # supplier_id, part, the lines of one order


class PlannedLine(BaseModel):
    """One `cargoParamList` entry, priced as the candidate was ranked."""

    model_config = _RESULT

    line_id: str
    offer_id: str
    spec_id: str | None
    quantity: int
    unit_price: Yuan
    goods_total: Yuan
    tax: Yuan
    rank: int  # which candidate of the line this is (1 = its first choice)
    below_moq: bool = False


class PlannedOrder(BaseModel):
    """One 1688 order to one supplier."""

    model_config = _RESULT

    supplier_id: str
    part: Annotated[int, Field(ge=1)] = 1  # 2, 3... when a supplier gets more than 50 lines
    lines: Annotated[list[PlannedLine], Field(min_length=1, max_length=MAX_LINES_PER_ORDER)]
    pieces: int
    goods_total: Yuan
    freight: Yuan
    tax: Yuan
    total: Yuan


class UnplannedLine(BaseModel):
    """A line no order will carry, and why, in words for the buyer."""

    model_config = _RESULT

    line_id: str
    reason: str


class OrderPlan(BaseModel):
    """Every line of the request is either in exactly one order or in `unplanned`."""

    model_config = _RESULT

    orders: list[PlannedOrder]
    unplanned: list[UnplannedLine]
    goods_total: Yuan
    freight: Yuan
    tax: Yuan
    total: Yuan
    over_budget: bool = False


def next_candidate(
    sourcing: LineSourcing,
    failed_offer_ids: Collection[str],
    price_ceiling: Decimal | None = None,
    *,
    failed_supplier_ids: Collection[str] = (),
) -> Candidate | None:
    """The best candidate not yet failed whose unit price is within the ceiling, or None.

    A supplier that failed as a whole (cancelled after payment, stopped answering) is skipped
    with all its offers through `failed_supplier_ids`.
    """
    for candidate in sourcing.ranked:
        if candidate.offer_id in failed_offer_ids or candidate.supplier_id in failed_supplier_ids:
            continue
        if price_ceiling is not None and candidate.unit_price > price_ceiling:
            continue
        return candidate
    return None


def plan_orders(
    request: PlanTerms,
    sourcings: Sequence[LineSourcing],
    *,
    exclude: Iterable[Sequence[str]] = (),
    exclude_suppliers: Iterable[str] = (),
) -> OrderPlan:
    """Choose a candidate per line, group by supplier into orders, and account for every line.

    `exclude` holds (line_id, offer_id) choices that already failed (order rejected, out of stock
    at order time, QC rejection...); pairs may be lists, as they come back from JSON.
    `exclude_suppliers` rules out every offer of suppliers that failed as a whole.
    """
    by_line = {sourcing.line_id: sourcing for sourcing in sourcings}
    failed = {(str(line_id), str(offer_id)) for line_id, offer_id in exclude}
    failed_suppliers = set(exclude_suppliers)
    # (line_id, offer_id) -> why the supplier's mixed-batch minimum ruled the choice out
    mix_missed: dict[tuple[str, str], str] = {}

    while True:
        chosen: list[_Choice] = []
        unplanned: list[UnplannedLine] = []
        for line in request.lines:
            sourcing = by_line.get(line.line_id)
            candidate = None
            if sourcing is not None:
                candidate = next(
                    (
                        c for c in sourcing.ranked
                        if (line.line_id, c.offer_id) not in failed
                        and (line.line_id, c.offer_id) not in mix_missed
                        and c.supplier_id not in failed_suppliers
                    ),
                    None,
                )
            if candidate is None:
                unplanned.append(UnplannedLine(
                    line_id=line.line_id,
                    reason=why_unplanned(line, sourcing, failed_suppliers, mix_missed),
                ))
            else:
                chosen.append((line, candidate))

        batches = _batches(chosen)
        missed = _mixed_batches_missed(batches)
        if not missed:
            return _plan(request, batches, unplanned)
        mix_missed.update(missed)


def _batches(chosen: list[_Choice]) -> list[_Batch]:
    by_supplier: dict[str, list[_Choice]] = {}
    for line, candidate in chosen:
        by_supplier.setdefault(candidate.supplier_id, []).append((line, candidate))
    batches: list[_Batch] = []
    for supplier_id, lines in by_supplier.items():
        for part, start in enumerate(range(0, len(lines), MAX_LINES_PER_ORDER), start=1):
            batches.append((supplier_id, part, lines[start:start + MAX_LINES_PER_ORDER]))
    return batches


def _mixed_batches_missed(batches: list[_Batch]) -> dict[tuple[str, str], str]:
    missed: dict[tuple[str, str], str] = {}
    for supplier_id, _part, lines in batches:
        if not any(candidate.below_moq for _line, candidate in lines):
            continue
        amount = sum((candidate.goods_total for _line, candidate in lines), Decimal(0))
        pieces = sum(candidate.quantity for _line, candidate in lines)
        for line, candidate in lines:
            rule = candidate.mix_batch
            if candidate.below_moq and (rule is None or not rule.is_met(amount, pieces)):
                minimum = rule.describe() if rule is not None else "none offered"
                missed[(line.line_id, candidate.offer_id)] = (
                    f"offer {candidate.offer_id} needs at least {candidate.min_order_quantity} "
                    f"unless the order to supplier {supplier_id} reaches its mixed-batch minimum "
                    f"({minimum}); the lines going there come to {amount} yuan and {pieces} pieces"
                )
    return missed


def _plan(request: PlanTerms, batches: list[_Batch], unplanned: list[UnplannedLine]) -> OrderPlan:
    orders = [_order(supplier_id, part, lines) for supplier_id, part, lines in batches]
    goods = sum((order.goods_total for order in orders), Decimal("0.00"))
    freight = sum((order.freight for order in orders), Decimal("0.00"))
    tax = sum((order.tax for order in orders), Decimal("0.00"))
    total = goods + freight + tax
    return OrderPlan(
        orders=orders,
        unplanned=unplanned,
        goods_total=goods,
        freight=freight,
        tax=tax,
        total=total,
        over_budget=request.budget is not None and total > request.budget,
    )


def _order(supplier_id: str, part: int, lines: list[_Choice]) -> PlannedOrder:
    pieces = sum(candidate.quantity for _line, candidate in lines)
    # One parcel per order: the seller charges one freight, by its template, on all the pieces.
    # When the lines' offers carry different templates, the dearest is assumed.
    freight = max(candidate.freight_rule.cost(pieces) for _line, candidate in lines)
    planned = [
        PlannedLine(
            line_id=line.line_id,
            offer_id=candidate.offer_id,
            spec_id=candidate.spec_id,
            quantity=candidate.quantity,
            unit_price=candidate.unit_price,
            goods_total=candidate.goods_total,
            tax=candidate.tax,
            rank=candidate.rank,
            below_moq=candidate.below_moq,
        )
        for line, candidate in lines
    ]
    goods = sum((line.goods_total for line in planned), Decimal("0.00"))
    tax = sum((line.tax for line in planned), Decimal("0.00"))
    return PlannedOrder(
        supplier_id=supplier_id,
        part=part,
        lines=planned,
        pieces=pieces,
        goods_total=goods,
        freight=freight,
        tax=tax,
        total=goods + freight + tax,
    )


def why_unplanned(
    line: RequestLine,
    sourcing: LineSourcing | None,
    failed_suppliers: set[str],
    mix_missed: dict[tuple[str, str], str],
) -> str:
    if sourcing is None:
        return "not sourced yet"
    if not sourcing.ranked:
        if not sourcing.excluded:
            return f'no offers were found for "{line.keyword}"'
        counts = Counter(
            LABELS[reason.code] for item in sourcing.excluded for reason in sourcing.reasons_of(item)
        )
        summary = ", ".join(f"{label} ({count})" for label, count in sorted(
            counts.items(), key=lambda entry: (-entry[1], entry[0])
        ))
        return f"none of the {len(sourcing.excluded)} offers found can be used: {summary}"
    fates = []
    for candidate in sourcing.ranked:
        key = (line.line_id, candidate.offer_id)
        if key in mix_missed:
            fates.append(mix_missed[key])
        elif candidate.supplier_id in failed_suppliers:
            fates.append(f"supplier {candidate.supplier_id} failed earlier")
        else:
            fates.append(f"offer {candidate.offer_id} failed earlier")
    return f"every shortlisted offer ({len(sourcing.ranked)}) is ruled out: " + "; ".join(fates)
