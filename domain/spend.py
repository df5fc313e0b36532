"""Spend controls as the payment step sees them: may this payment go now, and if not, why."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.money import Yuan


class PaymentCheck(BaseModel):
    """Asked of the ledger just before an order is paid."""

    request_id: str
    supplier_id: str
    amount: Yuan
    at: datetime  # the workflow's time: the day and month the caps count
    # The order asking: its money is committed against the requester's budgets from this check on.
    # None from orders started before budgets existed: they are checked, not committed.
    out_order_id: str | None = None


class PaymentClearance(BaseModel):
    paused: bool = False
    pause_reason: str | None = None
    cap_reasons: list[str] = Field(default_factory=list)  # each a cap this payment would pass


def cap_reasons(
    amount: Decimal,
    *,
    supplier_id: str,
    supplier_paid_today: Decimal,
    supplier_cap: Decimal | None,
    requester: str | None,
    requester_paid_this_month: Decimal,
    requester_cap: Decimal | None,
) -> list[str]:
    """Why this payment passes a cap, in words; empty when it stays within every cap."""
    reasons = []
    if supplier_cap is not None and supplier_paid_today + amount > supplier_cap:
        reasons.append(f"supplier {supplier_id} would be paid {supplier_paid_today + amount:.2f} yuan today, "
                       f"above its daily cap of {supplier_cap:.2f} ({supplier_paid_today:.2f} paid already)")
    if requester is not None and requester_cap is not None and requester_paid_this_month + amount > requester_cap:
        reasons.append(f"requester {requester} would spend {requester_paid_this_month + amount:.2f} yuan this month, "
                       f"above the monthly cap of {requester_cap:.2f} ({requester_paid_this_month:.2f} paid already)")
    return reasons


BUDGET_PERIODS = ("week", "month", "quarter", "year")
_PERIOD_WORDS = {"week": "this week", "month": "this month", "quarter": "this quarter", "year": "this year"}


def period_start(at: datetime, period: str) -> datetime:
    """The (UTC) start of the budget period that holds ``at``: weeks start on Monday."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown budget period {period!r}: one of {', '.join(BUDGET_PERIODS)}")


class RequesterBudget(BaseModel):
    period: str
    amount: Yuan
    committed: Yuan  # other orders' money that may have moved in this period, less what 1688 gave back


def budget_reasons(amount: Decimal, requester: str, budgets: list[RequesterBudget]) -> list[str]:
    """Why this payment passes one of the requester's budgets, in words; empty when it does not."""
    return [
        f"requester {requester} would have {b.committed + amount:.2f} yuan committed {_PERIOD_WORDS[b.period]}, "
        f"above the {b.period}ly budget of {b.amount:.2f} ({b.committed:.2f} committed already, "
        f"counting orders whose money may have moved)"
        for b in budgets if b.committed + amount > b.amount
    ]
