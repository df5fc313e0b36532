"""What a quantity really costs delivered: goods at the tier price, freight, VAT-invoice surcharge."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.money import ARITHMETIC, Yuan
from domain.offer import Offer, PriceTier, Sku


class LandedCost(BaseModel):
    """Exact figures; `per_unit` keeps every decimal (round with `money.yuan()` to show it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    quantity: Annotated[int, Field(ge=1)]
    unit_price: Yuan
    goods_total: Yuan
    freight: Yuan
    tax: Yuan
    total: Yuan
    per_unit: Yuan


def tier_price(tiers: Sequence[PriceTier], quantity: int) -> Decimal:
    """The unit price for `quantity`: the lowest price among the tiers the quantity reaches.

    With well-formed tiers (price falls as quantity rises) that is the highest tier reached.
    Taking the lowest reached rather than the last one means a larger quantity can never be
    quoted a higher price, even from a listing whose tiers were typed out of order. Below the
    first tier (a mixed batch can allow that) the first tier's price applies.
    """
    if not tiers:
        raise ValueError("an offer needs at least one price tier")
    first = tiers[0]
    best: Decimal | None = None
    for tier in tiers:
        if tier.start_quantity < first.start_quantity:
            first = tier
        if tier.start_quantity <= quantity and (best is None or tier.price < best):
            best = tier.price
    return first.price if best is None else best


def unit_price(offer: Offer, sku: Sku | None, quantity: int) -> Decimal:
    """A SKU with its own price is quoted per SKU (1688 quoteType 0); otherwise the tiers apply."""
    if sku is not None and sku.price is not None:
        return sku.price
    return tier_price(offer.price_tiers, quantity)


def landed_cost(
    unit_price: Decimal,
    quantity: int,
    *,
    freight: Decimal,
    tax_rate: Decimal,
    needs_vat_invoice: bool,
) -> LandedCost:
    """Goods (`unit_price` x `quantity`) + `freight` + the invoice surcharge on the goods.

    The surcharge applies only when the request needs a VAT invoice, and only to the goods: the
    seller's invoice covers what it sells, the freight is the courier's.
    """
    goods, tax, total, per_unit = landed_figures(
        unit_price, quantity, freight=freight, tax_rate=tax_rate, needs_vat_invoice=needs_vat_invoice
    )
    return LandedCost(
        quantity=quantity,
        unit_price=unit_price,
        goods_total=goods,
        freight=freight,
        tax=tax,
        total=total,
        per_unit=per_unit,
    )


def landed_figures(
    unit_price: Decimal,
    quantity: int,
    *,
    freight: Decimal,
    tax_rate: Decimal,
    needs_vat_invoice: bool,
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(goods_total, tax, total, per_unit) as `landed_cost` computes them, without the model:
    ranking computes 10,000 of these per large request and keeps few."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    # The context's own methods compute exactly what the operators do inside
    # `localcontext(ARITHMETIC)`, without entering and leaving a context 10,000 times.
    goods = _multiply(unit_price, quantity)
    tax = _multiply(goods, tax_rate) if needs_vat_invoice else _NO_TAX
    total = _add(_add(goods, freight), tax)
    return goods, tax, total, _divide(total, quantity)


_multiply, _add, _divide = ARITHMETIC.multiply, ARITHMETIC.add, ARITHMETIC.divide
_NO_TAX = Decimal("0.00")
