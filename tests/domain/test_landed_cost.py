"""Tier prices, freight kinds and the landed cost of a quantity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.landed_cost import landed_cost, tier_price, unit_price
from domain.offer import EstimatedFreight, FlatFreight, FreeFreight, Offer, PieceFreight, PriceTier
from sourcing_builders import offer

TIERS = [
    PriceTier(start_quantity=2, price="10.00"),
    PriceTier(start_quantity=50, price="9.00"),
    PriceTier(start_quantity=200, price="8.50"),
]


@pytest.mark.parametrize(
    ("quantity", "price"),
    [(1, "10.00"), (2, "10.00"), (49, "10.00"), (50, "9.00"), (199, "9.00"), (200, "8.50"), (10**6, "8.50")],
)
def test_the_tier_reached_by_the_quantity_applies(quantity: int, price: str) -> None:
    assert tier_price(TIERS, quantity) == Decimal(price)


def test_tiers_typed_out_of_order_never_charge_more_for_more() -> None:
    odd = [PriceTier(start_quantity=1, price="5.00"), PriceTier(start_quantity=10, price="6.00")]
    assert tier_price(odd, 20) == Decimal("5.00")


def test_no_tiers_is_an_error() -> None:
    with pytest.raises(ValueError):
        tier_price([], 1)


tiers_strategy = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=1000),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda tier: tier[0],
).map(lambda rows: [PriceTier(start_quantity=start, price=price) for start, price in rows])


@given(tiers_strategy, st.integers(1, 2000), st.integers(1, 2000))
def test_a_larger_quantity_never_picks_a_more_expensive_tier(
    tiers: list[PriceTier], quantity: int, more: int
) -> None:
    assert tier_price(tiers, quantity + more) <= tier_price(tiers, quantity)


@given(tiers_strategy, st.integers(1, 2000))
def test_the_price_is_one_of_the_tiers(tiers: list[PriceTier], quantity: int) -> None:
    assert tier_price(tiers, quantity) in {tier.price for tier in tiers}


def test_a_sku_with_its_own_price_is_quoted_per_sku() -> None:
    product = offer(price="45.00", skus=[{"spec_id": "w", "stock": 5, "price": "41.50"}])
    assert unit_price(product, product.skus[0], 3) == Decimal("41.50")
    assert unit_price(product, None, 3) == Decimal("45.00")


def test_offer_tiers_are_sorted_and_the_catalog_spelling_is_read() -> None:
    product = Offer.model_validate({
        "offer_id": "1", "supplier_id": "S", "price_ranges": [
            {"start_quantity": 100, "price": "8.00"}, {"startQuantity": 10, "price": "9.00"}
        ],
    })
    assert [tier.start_quantity for tier in product.price_tiers] == [10, 100]


def test_two_tiers_at_the_same_quantity_are_refused() -> None:
    with pytest.raises(ValueError, match="same quantity"):
        offer(price_tiers=[{"start_quantity": 1, "price": "2"}, {"start_quantity": 1, "price": "3"}])


@pytest.mark.parametrize(
    ("pieces", "fee"), [(1, "8.00"), (2, "10.00"), (10, "26.00")]
)
def test_freight_by_pieces(pieces: int, fee: str) -> None:
    rule = PieceFreight(first_unit=1, first_fee="8.00", next_unit=1, next_fee="2.00")
    assert rule.cost(pieces) == Decimal(fee)


@pytest.mark.parametrize(("pieces", "fee"), [(10, "12.00"), (11, "17.00"), (30, "17.00"), (31, "22.00")])
def test_freight_by_pieces_counts_every_started_block(pieces: int, fee: str) -> None:
    rule = PieceFreight(first_unit=10, first_fee="12.00", next_unit=20, next_fee="5.00")
    assert rule.cost(pieces) == Decimal(fee)


def test_flat_free_and_estimated_freight_do_not_depend_on_pieces() -> None:
    assert FlatFreight(amount="100.00").cost(1) == FlatFreight(amount="100.00").cost(999) == Decimal("100.00")
    assert FreeFreight().cost(50) == Decimal(0)
    assert EstimatedFreight(amount="23.40", quantity=50).cost(50) == Decimal("23.40")


def test_catalog_freight_shapes_are_read() -> None:
    assert offer(freight={"flat": "100.00"}).freight == FlatFreight(amount="100.00")
    assert offer(freight={"free": True}).freight == FreeFreight()
    assert offer(freight={"first_unit": 1, "first_fee": "8.00", "next_unit": 1, "next_fee": "2.00"}).freight == (
        PieceFreight(first_unit=1, first_fee="8.00", next_unit=1, next_fee="2.00")
    )


def test_the_articles_example_supplier_a_at_50_pieces() -> None:
    cost = landed_cost(Decimal("45.00"), 50, freight=Decimal("100.00"), tax_rate=Decimal(0), needs_vat_invoice=False)
    assert cost.goods_total == Decimal("2250.00")
    assert cost.total == Decimal("2350.00")
    assert cost.per_unit == Decimal("47.00")


def test_the_articles_example_supplier_b_at_50_pieces() -> None:
    cost = landed_cost(Decimal("48.00"), 50, freight=Decimal("50.00"), tax_rate=Decimal(0), needs_vat_invoice=False)
    assert cost.total == Decimal("2450.00")


def test_per_unit_is_exact_and_serialised_without_loss() -> None:
    cost = landed_cost(Decimal("48.00"), 30, freight=Decimal("50.00"), tax_rate=Decimal(0), needs_vat_invoice=False)
    assert cost.total == Decimal("1490.00")
    assert cost.per_unit * 30 == pytest.approx(Decimal("1490.00"))
    assert cost.per_unit != Decimal("49.67")
    assert type(cost).model_validate_json(cost.model_dump_json()) == cost


def test_the_invoice_surcharge_applies_to_goods_only_and_only_when_asked() -> None:
    with_invoice = landed_cost(
        Decimal("45.00"), 50, freight=Decimal("100.00"), tax_rate=Decimal("0.06"), needs_vat_invoice=True
    )
    assert with_invoice.tax == Decimal("135.00")
    assert with_invoice.total == Decimal("2485.00")
    without = landed_cost(
        Decimal("45.00"), 50, freight=Decimal("100.00"), tax_rate=Decimal("0.06"), needs_vat_invoice=False
    )
    assert without.tax == 0
    assert without.total == Decimal("2350.00")


def test_a_quantity_of_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        landed_cost(Decimal("1"), 0, freight=Decimal(0), tax_rate=Decimal(0), needs_vat_invoice=False)
