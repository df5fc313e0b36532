"""The supplier score: its documented values, its bounds, and that it is monotone in each signal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.supplier import SupplierHistory, SupplierProfile
from domain.supplier_score import platform_score, supplier_score
from sourcing_builders import supplier

rates = st.decimals(min_value=0, max_value=1, places=3)
levels = st.sampled_from([None, "L1", "L2", "L3", "L4", "L5"])


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "supplier_id": "S",
        "years": draw(st.integers(0, 30)),
        "repurchase_rate": draw(st.none() | rates),
        "on_time_ship_rate": draw(st.none() | rates),
        "dispute_rate": draw(st.none() | rates),
        "credit_level": draw(levels),
    }


@st.composite
def histories(draw: st.DrawFn) -> SupplierHistory | None:
    delivered = draw(st.integers(0, 60))
    inspected = draw(st.integers(0, 60))
    if draw(st.booleans()):
        return None
    return SupplierHistory(
        orders_delivered=delivered,
        on_time_deliveries=draw(st.integers(0, delivered)),
        qc_inspected=inspected,
        qc_passed=draw(st.integers(0, inspected)),
    )


def test_the_worked_example_from_the_docs() -> None:
    # 5 years -> 1.0, 32 % repurchase -> 1.0, on time 0.95, 1 % disputes -> 0.9, L3 -> 0.6
    # 5 x (0.20 + 0.25 + 0.2375 + 0.18 + 0.06) = 4.6375 -> 4.64
    assert supplier_score(supplier()) == Decimal("4.64")


def test_a_perfect_supplier_scores_5_and_the_worst_0() -> None:
    best = SupplierProfile(supplier_id="S", years=12, repurchase_rate="0.9", on_time_ship_rate="1",
                           dispute_rate="0", credit_level="L5")
    worst = SupplierProfile(supplier_id="S", years=0, repurchase_rate="0", on_time_ship_rate="0",
                            dispute_rate="0.5", credit_level="L0")
    assert supplier_score(best) == Decimal("5.00")
    # An unknown credit level (L0 is not one) counts as middling: 5 x 0.10 x 0.5.
    assert supplier_score(worst) == Decimal("0.25")


def test_unknown_signals_count_as_middling() -> None:
    unknown = SupplierProfile(supplier_id="S", years=5)
    # years 1.0 x 0.20 + 0.5 x 0.80 = 0.60 -> 3.00
    assert supplier_score(unknown) == Decimal("3.00")


def test_our_history_is_blended_by_how_much_we_have_seen() -> None:
    profile = supplier()  # platform 4.6375
    five_bad = SupplierHistory(orders_delivered=5, on_time_deliveries=0, qc_inspected=5, qc_passed=0)
    # w = 5 / 10 -> 0.5 x 4.6375 + 0.5 x 0 = 2.31875
    assert supplier_score(profile, five_bad) == Decimal("2.32")
    one_bad = SupplierHistory(orders_delivered=1, on_time_deliveries=0)
    # w = 1/6 -> 5/6 x 4.6375 = 3.8645...
    assert supplier_score(profile, one_bad) == Decimal("3.86")


def test_no_deliveries_and_no_inspections_means_no_history() -> None:
    assert supplier_score(supplier(), SupplierHistory()) == supplier_score(supplier())


def test_inconsistent_history_is_refused() -> None:
    with pytest.raises(ValueError):
        SupplierHistory(orders_delivered=1, on_time_deliveries=2)
    with pytest.raises(ValueError):
        SupplierHistory(qc_inspected=1, qc_passed=2)


@given(profiles(), histories())
def test_the_score_is_between_0_and_5_with_two_decimals(
    fields: dict[str, Any], history: SupplierHistory | None
) -> None:
    score = supplier_score(SupplierProfile(**fields), history)
    assert Decimal(0) <= score <= Decimal(5)
    assert score == score.quantize(Decimal("0.01"))


def _improved(fields: dict[str, Any], name: str, better: Any) -> dict[str, Any]:
    return {**fields, name: better}


@given(profiles(), histories(), st.integers(0, 30))
def test_more_years_never_lower_the_score(fields: dict[str, Any], history: Any, extra: int) -> None:
    before = supplier_score(SupplierProfile(**fields), history)
    after = supplier_score(SupplierProfile(**_improved(fields, "years", fields["years"] + extra)), history)
    assert after >= before


@given(profiles(), histories(), rates, st.sampled_from(["repurchase_rate", "on_time_ship_rate"]))
def test_higher_repurchase_or_on_time_rates_never_lower_the_score(
    fields: dict[str, Any], history: Any, rate: Decimal, name: str
) -> None:
    low, high = sorted([rate, fields[name] if fields[name] is not None else rate])
    before = supplier_score(SupplierProfile(**_improved(fields, name, low)), history)
    after = supplier_score(SupplierProfile(**_improved(fields, name, high)), history)
    assert after >= before


@given(profiles(), histories(), rates, rates)
def test_fewer_disputes_never_lower_the_score(
    fields: dict[str, Any], history: Any, a: Decimal, b: Decimal
) -> None:
    fewer, more = sorted([a, b])
    with_more = supplier_score(SupplierProfile(**_improved(fields, "dispute_rate", more)), history)
    with_fewer = supplier_score(SupplierProfile(**_improved(fields, "dispute_rate", fewer)), history)
    assert with_fewer >= with_more


@given(profiles(), histories(), st.integers(1, 5), st.integers(1, 5))
def test_a_better_credit_level_never_lowers_the_score(
    fields: dict[str, Any], history: Any, a: int, b: int
) -> None:
    low, high = sorted([a, b])
    before = supplier_score(SupplierProfile(**_improved(fields, "credit_level", f"L{low}")), history)
    after = supplier_score(SupplierProfile(**_improved(fields, "credit_level", f"L{high}")), history)
    assert after >= before


@given(profiles(), st.integers(1, 60), st.data())
def test_a_better_record_with_us_never_lowers_the_score(
    fields: dict[str, Any], orders: int, data: st.DataObject
) -> None:
    on_time = data.draw(st.integers(0, orders - 1))
    passed = data.draw(st.integers(0, orders - 1))
    profile = SupplierProfile(**fields)
    base = SupplierHistory(orders_delivered=orders, on_time_deliveries=on_time,
                           qc_inspected=orders, qc_passed=passed)
    more_on_time = base.model_copy(update={"on_time_deliveries": on_time + 1})
    more_passed = base.model_copy(update={"qc_passed": passed + 1})
    assert supplier_score(profile, more_on_time) >= supplier_score(profile, base)
    assert supplier_score(profile, more_passed) >= supplier_score(profile, base)


def test_platform_score_is_the_unrounded_platform_part() -> None:
    assert platform_score(supplier()) == Decimal("4.6375")


def test_the_docs_example_after_five_orders_with_us() -> None:
    history = SupplierHistory(orders_delivered=5, on_time_deliveries=5, qc_inspected=5, qc_passed=4)
    assert supplier_score(supplier(), history) == Decimal("4.57")
