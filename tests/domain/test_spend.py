"""Budget periods and the words a payment above a requester's budget is held with."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.spend import RequesterBudget, budget_reasons, period_start

AT = datetime(2026, 11, 28, 15, 30, tzinfo=UTC)  # a Saturday in the fourth quarter


@pytest.mark.parametrize("period, start", [
    ("week", datetime(2026, 11, 23, tzinfo=UTC)),
    ("month", datetime(2026, 11, 1, tzinfo=UTC)),
    ("quarter", datetime(2026, 10, 1, tzinfo=UTC)),
    ("year", datetime(2026, 1, 1, tzinfo=UTC)),
])
def test_each_period_starts_where_people_expect(period, start):
    assert period_start(AT, period) == start


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError, match="unknown budget period 'fortnight'"):
        period_start(AT, "fortnight")


def test_a_payment_that_passes_a_budget_names_it_and_one_within_does_not():
    budgets = [RequesterBudget(period="month", amount=Decimal("3000"), committed=Decimal("1000")),
               RequesterBudget(period="year", amount=Decimal("50000"), committed=Decimal("1000"))]
    assert budget_reasons(Decimal("2000.00"), "store-17", budgets) == []
    assert budget_reasons(Decimal("2000.01"), "store-17", budgets) == [
        "requester store-17 would have 3000.01 yuan committed this month, above the monthly budget of 3000.00 "
        "(1000.00 committed already, counting orders whose money may have moved)"]
