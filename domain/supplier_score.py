"""The supplier score, 0.00 to 5.00: what the platform says, corrected by what we have seen.

Platform part (each signal scaled to 0..1, then weighted):

    years            20 %   min(years, 5) / 5              five years on 1688 is full marks
    repurchase rate  25 %   min(rate / 0.30, 1)            30 % repeat buyers is full marks
    on-time shipping 25 %   the rate itself
    dispute rate     20 %   1 - min(rate / 0.10, 1)        10 % disputes or more scores 0
    credit level     10 %   L1..L5 -> 0.2, 0.4, 0.6, 0.8, 1.0

    platform = 5 x (0.20 years + 0.25 repurchase + 0.25 on-time + 0.20 disputes + 0.10 credit)

A signal the platform does not publish counts as 0.5: neither a reward nor a penalty.

Our part, when we have history: 5 x the mean of our on-time delivery rate and our QC pass rate
(whichever we have). It is blended in by how much we have seen, n = max(orders delivered, orders
inspected):

    w = n / (n + 5)        (1 order: 17 %, 5 orders: 50 %, 20 orders: 80 %)
    score = (1 - w) x platform + w x ours, rounded half up to 0.01

The score never goes down when any signal improves (more years, higher repurchase, on-time or QC
rates, better credit, fewer disputes); tests/domain/test_supplier_score.py proves it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from domain.money import ARITHMETIC
from domain.supplier import SupplierHistory, SupplierProfile

WEIGHT_YEARS = Decimal("0.20")
WEIGHT_REPURCHASE = Decimal("0.25")
WEIGHT_ON_TIME = Decimal("0.25")
WEIGHT_DISPUTES = Decimal("0.20")
WEIGHT_CREDIT = Decimal("0.10")

FULL_YEARS = 5
FULL_REPURCHASE_RATE = Decimal("0.30")
ZERO_DISPUTE_RATE = Decimal("0.10")
HISTORY_PRIOR = 5  # orders of our own after which our record counts as much as the platform's

MAX_SCORE = Decimal(5)
_UNKNOWN = Decimal("0.5")
_ONE = Decimal(1)
_SCORE_STEP = Decimal("0.01")


def _capped(value: Decimal, full: Decimal) -> Decimal:
    return min(value / full, _ONE)


def platform_score(profile: SupplierProfile) -> Decimal:
    """The platform part alone, unrounded, 0..5."""
    with localcontext(ARITHMETIC):
        return _platform_score(profile)


def _platform_score(profile: SupplierProfile) -> Decimal:
    years = min(Decimal(profile.years), Decimal(FULL_YEARS)) / FULL_YEARS
    repurchase = (
        _UNKNOWN
        if profile.repurchase_rate is None
        else _capped(profile.repurchase_rate, FULL_REPURCHASE_RATE)
    )
    on_time = _UNKNOWN if profile.on_time_ship_rate is None else profile.on_time_ship_rate
    disputes = (
        _UNKNOWN
        if profile.dispute_rate is None
        else _ONE - _capped(profile.dispute_rate, ZERO_DISPUTE_RATE)
    )
    rank = profile.credit_rank()
    credit = _UNKNOWN if rank is None else Decimal(rank) / 5
    weighted = (
        WEIGHT_YEARS * years
        + WEIGHT_REPURCHASE * repurchase
        + WEIGHT_ON_TIME * on_time
        + WEIGHT_DISPUTES * disputes
        + WEIGHT_CREDIT * credit
    )
    return MAX_SCORE * weighted


def history_score(history: SupplierHistory) -> Decimal | None:
    """Our part alone, unrounded, 0..5; None when we have no deliveries or inspections."""
    rates = []
    with localcontext(ARITHMETIC):
        if history.orders_delivered:
            rates.append(Decimal(history.on_time_deliveries) / history.orders_delivered)
        if history.qc_inspected:
            rates.append(Decimal(history.qc_passed) / history.qc_inspected)
        if not rates:
            return None
        return MAX_SCORE * sum(rates, Decimal(0)) / len(rates)


def supplier_score(profile: SupplierProfile, history: SupplierHistory | None = None) -> Decimal:
    """The score the ranking and the `min_score` policy use, 0.00..5.00 (formula in the module doc)."""
    score = platform_score(profile)
    ours = history_score(history) if history is not None else None
    with localcontext(ARITHMETIC):
        if history is not None and ours is not None:
            seen = Decimal(history.observations)
            weight = seen / (seen + HISTORY_PRIOR)
            score = (_ONE - weight) * score + weight * ours
        return score.quantize(_SCORE_STEP, rounding=ROUND_HALF_UP)
