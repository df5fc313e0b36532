"""Every exclusion, with the message the buyer reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.eligibility import (
    Exclusion,
    ExclusionCode,
    choose_sku,
    offer_exclusions,
    supplier_exclusions,
    trim_to_spec,
)
from domain.landed_cost import unit_price
from domain.offer import Listing
from domain.request import RequestLine
from sourcing_builders import TODAY, line, listing, offer, policy, supplier


def offer_reasons(request_line: RequestLine, item: Listing) -> list[Exclusion]:
    choice = choose_sku(item.offer, request_line.spec, request_line.quantity)
    price = unit_price(item.offer, choice.sku, request_line.quantity)
    return offer_exclusions(request_line, item, choice=choice, unit_price=price)


def only(reasons: list[Exclusion]) -> tuple[ExclusionCode, str]:
    assert len(reasons) == 1, reasons
    return reasons[0].code, reasons[0].message


def test_a_good_offer_has_no_exclusions() -> None:
    assert offer_reasons(line(quantity=30, price_min="30", price_max="50", max_moq=100), listing()) == []


OFFER_CASES: list[tuple[str, dict[str, Any], dict[str, Any], ExclusionCode, str]] = [
    ("not published", {}, {"status": "expired"}, ExclusionCode.PRODUCT_NOT_PUBLISHED,
     "the product is not on sale (status: expired)"),
    ("price above range", {"price_max": "40.00"}, {"price": "45.00"}, ExclusionCode.PRICE_ABOVE_RANGE,
     "unit price 45.00 is above your maximum of 40.00"),
    ("price below range", {"price_min": "50.00"}, {"price": "45.00"}, ExclusionCode.PRICE_BELOW_RANGE,
     "unit price 45.00 is below your minimum of 50.00"),
    ("moq above max", {"max_moq": 40, "quantity": 60}, {"moq": 50}, ExclusionCode.MOQ_ABOVE_MAX,
     "minimum order 50 is above your limit of 40"),
    ("below moq", {"quantity": 30}, {"moq": 50}, ExclusionCode.BELOW_MOQ,
     "minimum order is 50 件; you need 30, and the supplier does not take mixed batches"),
    ("not enough stock", {"quantity": 30},
     {"skus": [{"spec_id": "w", "attributes": {"颜色": "白色"}, "stock": 20}]},
     ExclusionCode.NOT_ENOUGH_STOCK, "only 20 件 in stock; you need 30"),
    ("no matching variant", {"spec": {"颜色": "黑色"}}, {}, ExclusionCode.NO_MATCHING_VARIANT,
     "no variant matches 颜色=黑色"),
    ("no variants at all", {"spec": {"颜色": "白色"}}, {"skus": []}, ExclusionCode.NO_MATCHING_VARIANT,
     "the product has no variants to match 颜色=白色"),
    ("offer-level stock short", {"quantity": 30}, {"skus": [], "stock": 5},
     ExclusionCode.NOT_ENOUGH_STOCK, "only 5 件 in stock; you need 30"),
    ("other category", {"category_id": 1031910}, {"category_id": 1031911},
     ExclusionCode.CATEGORY_MISMATCH, "the product is in category 1031911, not 1031910"),
]


@pytest.mark.parametrize(
    ("line_fields", "offer_fields", "code", "message"),
    [case[1:] for case in OFFER_CASES],
    ids=[case[0] for case in OFFER_CASES],
)
def test_an_offer_is_excluded_with_a_reason(
    line_fields: dict[str, Any], offer_fields: dict[str, Any], code: ExclusionCode, message: str
) -> None:
    assert only(offer_reasons(line(**line_fields), listing(**offer_fields))) == (code, message)


def test_unknown_freight_excludes_until_the_estimate_is_known() -> None:
    unknown = offer().model_copy(update={"freight": None})
    item = Listing(offer=unknown, supplier=supplier())
    assert only(offer_reasons(line(), item)) == (
        ExclusionCode.FREIGHT_UNKNOWN, "the freight to your address is not known yet"
    )
    estimated = Listing(offer=unknown, supplier=supplier(), freight={"kind": "estimate", "amount": "12.00"})
    assert offer_reasons(line(), estimated) == []


def test_below_moq_is_allowed_for_now_when_the_supplier_takes_mixed_batches() -> None:
    item = listing(moq=50, supplier_fields={"mix_batch": {"min_amount": "100.00", "min_quantity": 10}})
    assert offer_reasons(line(quantity=30), item) == []


def test_all_reasons_are_reported_not_just_the_first() -> None:
    item = listing(status="deleted", price="99.00", moq=500)
    codes = [reason.code for reason in offer_reasons(line(quantity=30, price_max="50", max_moq=100), item)]
    assert codes == [
        ExclusionCode.PRODUCT_NOT_PUBLISHED,
        ExclusionCode.PRICE_ABOVE_RANGE,
        ExclusionCode.MOQ_ABOVE_MAX,
        ExclusionCode.BELOW_MOQ,
    ]


def test_the_price_checked_against_the_range_is_the_tier_for_the_quantity() -> None:
    tiers = [{"start_quantity": 1, "price": "60.00"}, {"start_quantity": 100, "price": "45.00"}]
    item = listing(price_tiers=tiers)
    assert offer_reasons(line(quantity=100, price_max="50.00"), item) == []
    assert only(offer_reasons(line(quantity=10, price_max="50.00"), item))[0] == ExclusionCode.PRICE_ABOVE_RANGE


def test_the_sku_matching_every_spec_attribute_with_stock_is_chosen() -> None:
    product = offer(skus=[
        {"spec_id": "b-l", "attributes": {"颜色": "黑色", "尺码": "L"}, "stock": 100},
        {"spec_id": "w-m", "attributes": {"颜色": "白色", "尺码": "M"}, "stock": 100},
        {"spec_id": "w-l-low", "attributes": {"颜色": "白色", "尺码": "L"}, "stock": 5},
        {"spec_id": "w-l", "attributes": {"颜色": "白色", "尺码": "L"}, "stock": 100},
    ])
    choice = choose_sku(product, {"颜色": "白色", "尺码": "L"}, 30)
    assert choice.problem is None and choice.sku is not None
    assert choice.sku.spec_id == "w-l"


def test_without_a_spec_the_cheapest_variant_in_stock_is_chosen_and_ties_go_by_stock_then_id() -> None:
    product = offer(skus=[
        {"spec_id": "c", "stock": 50, "price": "9.00"},
        {"spec_id": "b", "stock": 80, "price": "8.00"},
        {"spec_id": "a", "stock": 80, "price": "8.00"},
        {"spec_id": "z", "stock": 10, "price": "1.00"},
    ])
    choice = choose_sku(product, {}, 30)
    assert choice.sku is not None and choice.sku.spec_id == "a"


SUPPLIER_CASES: list[tuple[str, dict[str, Any], dict[str, Any], ExclusionCode, str]] = [
    ("blocked by id", {}, {"blocked_suppliers": ["S1"]}, ExclusionCode.SUPPLIER_BLOCKED,
     "the supplier is on your blocked list"),
    ("blocked by login", {}, {"blocked_suppliers": ["login-S1"]}, ExclusionCode.SUPPLIER_BLOCKED,
     "the supplier is on your blocked list"),
    ("licence expired", {"license_expires_on": "2026-02-28"}, {}, ExclusionCode.LICENCE_EXPIRED,
     "the supplier's business licence expired on 2026-02-28"),
    ("too few years", {"years": 2}, {"min_years": 3}, ExclusionCode.SUPPLIER_YEARS,
     "the supplier has 2 years on 1688; you require 3"),
    ("low repurchase", {"repurchase_rate": "0.2"}, {"min_repurchase_rate": "0.25"},
     ExclusionCode.SUPPLIER_REPURCHASE_RATE, "repurchase rate 20% is below your minimum of 25%"),
    ("late shipping", {"on_time_ship_rate": "0.755"}, {"min_on_time_ship_rate": "0.8"},
     ExclusionCode.SUPPLIER_ON_TIME_SHIP_RATE, "ships on time 75.5% of the time; you require 80%"),
    ("disputes", {"dispute_rate": "0.06"}, {"max_dispute_rate": "0.05"},
     ExclusionCode.SUPPLIER_DISPUTE_RATE, "dispute rate 6% is above your maximum of 5%"),
    ("unknown on-time rate", {"on_time_ship_rate": None}, {"min_on_time_ship_rate": "0.8"},
     ExclusionCode.SUPPLIER_ON_TIME_SHIP_RATE,
     "1688 does not publish this supplier's on-time shipping rate, and your policy sets a limit on it"),
]


@pytest.mark.parametrize(
    ("supplier_fields", "policy_fields", "code", "message"),
    [case[1:] for case in SUPPLIER_CASES],
    ids=[case[0] for case in SUPPLIER_CASES],
)
def test_a_supplier_below_policy_is_excluded_with_a_reason(
    supplier_fields: dict[str, Any], policy_fields: dict[str, Any], code: ExclusionCode, message: str
) -> None:
    reasons = supplier_exclusions(
        supplier(**supplier_fields), policy(**policy_fields), score=Decimal("4.64"), today=TODAY
    )
    assert only(reasons) == (code, message)


def test_a_low_score_is_excluded() -> None:
    reasons = supplier_exclusions(supplier(), policy(min_score="4.5"), score=Decimal("4.49"), today=TODAY)
    assert only(reasons) == (ExclusionCode.SUPPLIER_SCORE, "supplier score 4.49 is below your minimum of 4.5")


def test_a_licence_is_valid_on_its_last_day_and_unknown_rates_pass_a_policy_without_limits() -> None:
    unknown = supplier(license_expires_on=TODAY.isoformat(), repurchase_rate=None, on_time_ship_rate=None,
                       dispute_rate=None)
    assert supplier_exclusions(unknown, policy(), score=Decimal(3), today=TODAY) == []
    assert supplier_exclusions(unknown, policy(), score=Decimal(3), today=date(2026, 3, 2)) != []


def test_the_interfaces_policy_accepts_the_catalog_supplier() -> None:
    strict = policy(min_years=3, min_repurchase_rate=0.25, min_on_time_ship_rate=0.80,
                    max_dispute_rate=0.05, min_score=4.5)
    assert supplier_exclusions(supplier(), strict, score=Decimal("4.64"), today=TODAY) == []


def test_trimming_keeps_only_the_variants_the_spec_can_use() -> None:
    product = offer(skus=[
        {"spec_id": "w", "attributes": {"颜色": "白色"}, "stock": 1},
        {"spec_id": "b", "attributes": {"颜色": "黑色"}, "stock": 1},
    ])
    assert [sku.spec_id for sku in trim_to_spec(product, {"颜色": "黑色"}).skus] == ["b"]
    assert trim_to_spec(product, {}) is product
    # No match: one variant stays so the reason is still "no variant matches".
    assert len(trim_to_spec(product, {"颜色": "红色"}).skus) == 1
