"""The quote comparison rule (domain/quotation.py): weights, disqualifications, revisions, ties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.quotation import (
    WEIGHT_CAPACITY, WEIGHT_LEAD_TIME, WEIGHT_PRICE, WEIGHT_SUPPLIER, Factory, Quote, RfqRequest, compare_quotes,
    latest_quotes,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DELIVERY = {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市", "address": "网商路699号"}


def rfq(**overrides) -> RfqRequest:
    return RfqRequest.model_validate({
        "rfq_id": "RFQ-1", "subject": "支架", "quantity_tiers": [100, 500], "target_date": "2026-12-31",
        "factories": ["A", "B"], "delivery": DELIVERY, **overrides})


def factory(supplier_id: str, score: str = "4.0") -> Factory:
    return Factory(supplier_id=supplier_id, login_id=f"login-{supplier_id}", score=Decimal(score))


def quote(supplier_id: str, p100: str = "10.00", p500: str = "9.00", *, minutes: int = 0, **overrides) -> Quote:
    fields = {"lead_days": 10, "capacity": 1000, **overrides}
    return Quote(quotation_id=f"{supplier_id}-{minutes}", supplier_id=supplier_id,
                 created_at=NOW - timedelta(hours=1) + timedelta(minutes=minutes),
                 unit_prices={100: Decimal(p100), 500: Decimal(p500)}, **fields)


def test_the_weights_sum_to_one():
    assert WEIGHT_PRICE + WEIGHT_CAPACITY + WEIGHT_LEAD_TIME + WEIGHT_SUPPLIER == 1


def test_the_cheaper_landed_cost_wins_when_all_else_is_equal():
    result = compare_quotes(rfq(), [quote("A", "10.00", "9.00"), quote("B", "11.00", "9.50")],
                            [factory("A"), factory("B")], NOW)
    assert [s.supplier_id for s in result.ranked] == ["A", "B"]
    winner = result.winner
    assert winner.price_part == 1 and winner.total == Decimal("1000.00")
    # B: (10/11 + 9/9.5) / 2 of the price weight.
    expected = (Decimal(10) / Decimal(11) + Decimal(9) / Decimal("9.5")) / 2
    assert result.ranked[1].price_part == expected.quantize(Decimal("0.0001"))


def test_freight_is_spread_over_each_tier():
    result = compare_quotes(rfq(), [quote("A", "10.00", "9.00", freight=Decimal("200.00")),
                                    quote("B", "11.00", "9.50")], [factory("A"), factory("B")], NOW)
    a = next(s for s in result.ranked if s.supplier_id == "A")
    assert a.landed_by_tier == {100: Decimal("12.00"), 500: Decimal("9.40")}
    assert a.total == Decimal("1200.00")
    assert result.winner.supplier_id == "B"  # 11.00 and 9.50 landed beat 12.00 and 9.40 on average


def test_a_better_supplier_score_or_an_earlier_date_can_outweigh_a_small_price_gap():
    quotes = [quote("A", "10.00", "9.00"), quote("B", "10.10", "9.10")]
    assert compare_quotes(rfq(), quotes, [factory("A", "2.0"), factory("B", "5.0")], NOW).winner.supplier_id == "B"
    early = [quote("A", "10.00", "9.00", lead_days=25), quote("B", "10.10", "9.10", lead_days=1)]
    assert compare_quotes(rfq(), early, [factory("A"), factory("B")], NOW).winner.supplier_id == "B"


def test_the_later_quote_of_a_factory_stands():
    first, revised = quote("A", "12.00", "11.00", minutes=0), quote("A", "9.50", "8.50", minutes=30)
    assert latest_quotes([revised, first])["A"] is revised
    result = compare_quotes(rfq(), [first, revised, quote("B")], [factory("A"), factory("B")], NOW)
    assert result.winner.supplier_id == "A" and result.winner.unit_price == Decimal("9.50")


@pytest.mark.parametrize("change, reason", [
    ({"declined": True, "decline_reason": "产能已满"}, "declined: 产能已满"),
    ({"capacity": 50}, "capacity 50 is below the 100 pieces to order"),
    ({"lead_days": 45}, "ready on 2027-01-15, after the target date 2026-12-31"),
    ({"lead_days": None}, "no lead time given"),
    ({"expires_at": NOW - timedelta(minutes=1)}, "quote expired at"),
    ({"unit_prices": {500: Decimal("9.00")}}, "no price for 100 pieces"),
])
def test_a_quote_that_cannot_serve_the_order_does_not_qualify(change, reason):
    result = compare_quotes(rfq(), [quote("A", **change) if "unit_prices" not in change else
                                    Quote(quotation_id="x", supplier_id="A", created_at=NOW, lead_days=1, **change),
                                    quote("B")], [factory("A"), factory("B")], NOW)
    assert [s.supplier_id for s in result.ranked] == ["B"]
    assert result.unqualified[0].supplier_id == "A" and result.unqualified[0].reason.startswith(reason)


def test_the_price_ceiling_and_silence_are_reasons_too():
    result = compare_quotes(rfq(price_max="9.99"), [quote("A", "10.00")], [factory("A"), factory("B")], NOW)
    assert result.winner is None
    assert result.why_nobody() == "A: unit price 10.00 is above the ceiling 9.99; B: did not answer by the deadline"


def test_ties_go_to_the_lower_landed_cost_then_the_supplier_id():
    result = compare_quotes(rfq(), [quote("B"), quote("A")], [factory("A"), factory("B")], NOW)
    assert [(s.rank, s.supplier_id) for s in result.ranked] == [(1, "A"), (2, "B")]


def test_a_tier_left_unpriced_lowers_the_price_part():
    partial = Quote(quotation_id="p", supplier_id="A", created_at=NOW, unit_prices={100: Decimal("10.00")}, lead_days=10)
    result = compare_quotes(rfq(), [partial, quote("B", "10.00", "9.00")], [factory("A"), factory("B")], NOW)
    assert result.winner.supplier_id == "B"
    assert next(s for s in result.ranked if s.supplier_id == "A").price_part == Decimal("0.5")


@pytest.mark.parametrize("change, message", [
    ({"factories": []}, "name factories, a search_keyword, or both"),
    ({"order_quantity": 300}, "order_quantity 300 must be one of the quantity tiers"),
    ({"quantity_tiers": [100, 100]}, "each quantity tier must appear once"),
    ({"factories": ["A", "A"]}, "each factory must appear once"),
    ({"deadline_minutes": 0}, "greater than or equal to 1"),
    ({"rfq_id": "R" * 59}, "at most 58 characters"),
    ({"colour": "red"}, "Extra inputs are not permitted"),
])
def test_a_bad_rfq_is_refused_with_the_reason(change, message):
    with pytest.raises(ValidationError, match=message):
        rfq(**change)


def test_defaults_two_hours_and_the_first_tier():
    request = rfq()
    assert request.deadline == timedelta(hours=2) and request.quantity == 100
    assert request.target_date == date(2026, 12, 31)
