"""Listing prices from the landed cost, and what a good lacks for a listing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.cross_border import ExportOptions, ReceivedGood, listing_price, missing

OPTIONS = ExportOptions(margin=Decimal("0.35"), exchange_rate=Decimal("0.14"), currency="USD")


def good(**kw) -> ReceivedGood:
    base = dict(request_id="PR-1", line_id="1", offer_id="610000000001", quantity=20,
                landed_unit_cost=Decimal("47.5"), title="纯棉T恤", description="舒适",
                images=["https://img.example/1.jpg"], attributes={"材质": "纯棉"}, weight_grams=220)
    return ReceivedGood(**{**base, **kw})


def test_price_is_landed_cost_plus_margin_converted_and_rounded_up():
    # 47.50 x 1.35 x 0.14 = 8.9775 -> 8.98
    assert listing_price(Decimal("47.50"), OPTIONS) == Decimal("8.98")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=4),
       st.decimals(min_value=Decimal("0"), max_value=Decimal("3"), places=2),
       st.decimals(min_value=Decimal("0.001"), max_value=Decimal("50"), places=3))
def test_price_never_below_cost_plus_margin_and_within_a_cent(cost, margin, rate):
    options = ExportOptions(margin=margin, exchange_rate=rate, currency="EUR")
    exact = cost * (1 + margin) * rate
    price = listing_price(cost, options)
    assert exact <= price < exact + Decimal("0.01")


def test_a_complete_good_lacks_nothing():
    assert missing(good(), OPTIONS.model_copy(update={"required_attributes": ("材质",)})) == []


def test_every_missing_field_is_named():
    bare = good(title=" ", description="", images=["图片"], attributes={}, weight_grams=None, quantity=0,
                landed_unit_cost=Decimal(0))
    options = OPTIONS.model_copy(update={"required_attributes": ("材质", "尺码")})
    assert missing(bare, options) == ["no title", "no description", "no image URL", "no weight", "nothing received",
                                      "no landed cost", "attribute 材质 missing", "attribute 尺码 missing"]


def test_options_refuse_a_bad_currency_and_a_zero_rate():
    with pytest.raises(ValidationError):
        ExportOptions(margin=Decimal("0.2"), exchange_rate=Decimal("0"), currency="USD")
    with pytest.raises(ValidationError):
        ExportOptions(margin=Decimal("0.2"), exchange_rate=Decimal("0.1"), currency="usd1")


def test_sku_is_stable_per_procurement_line():
    assert good().sku == "PR-1-1"
