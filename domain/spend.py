"""Spend controls as the payment step sees them: may this payment go now, and if not, why."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.money import Yuan


class PaymentCheck(BaseModel):
    """Asked of the ledger just before an order is paid."""

    request_id: str
    supplier_id: str
    amount: Yuan
    at: datetime  # the workflow's time: the day and month the caps count


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
