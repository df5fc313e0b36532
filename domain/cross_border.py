"""Received goods as marketplace listings: the price from the landed cost, and what is missing.

Pure rules for `procure export` (starter/export.py): a listing's price is the landed unit cost
(goods, freight and invoice surcharge per piece, in yuan) plus the margin, converted at the
exchange rate and rounded up to the cent, so a listing never sells below cost plus margin. A
good that lacks what a marketplace requires is reported with every missing field, never
skipped in silence.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Marketplace(StrEnum):
    AMAZON = "amazon"
    SHOPEE = "shopee"


class ExportOptions(BaseModel):
    """How prices are made: ``margin`` 0.35 adds 35 % to the landed cost; ``exchange_rate`` is
    units of ``currency`` per yuan (0.14 USD per CNY)."""

    model_config = ConfigDict(frozen=True)

    margin: Annotated[Decimal, Field(ge=0, le=10)]
    exchange_rate: Annotated[Decimal, Field(gt=0, le=10_000)]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    brand: Annotated[str, Field(min_length=1, max_length=50)] = "Generic"
    required_attributes: tuple[str, ...] = ()
    """Attribute names (as 1688 names them, e.g. 材质) every good must have: the shop's rule."""


class ReceivedGood(BaseModel):
    """One received line of a procurement, with what 1688's product detail says about it."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    line_id: str
    offer_id: str
    spec_id: str | None = None
    quantity: Annotated[int, Field(ge=0)]
    landed_unit_cost: Decimal  # yuan
    title: str = ""
    description: str = ""
    images: list[str] = []
    attributes: dict[str, str] = {}  # the product's and the chosen variant's together
    weight_grams: float | None = None

    @property
    def sku(self) -> str:
        """Our seller SKU: stable per procurement line, so a second export updates, not duplicates."""
        return f"{self.request_id}-{self.line_id}"[:40]

    @property
    def label(self) -> str:
        return f"{self.request_id} line {self.line_id} (offer {self.offer_id})"


class Listing(BaseModel):
    """A good ready for a marketplace file: text already translated, price in ``currency``."""

    model_config = ConfigDict(frozen=True)

    sku: str
    title: str
    description: str
    images: list[str]
    attributes: dict[str, str]
    weight_grams: float
    quantity: int
    price: Decimal
    currency: str
    brand: str


def listing_price(landed_unit_cost: Decimal, options: ExportOptions) -> Decimal:
    """Landed cost x (1 + margin) x exchange rate, rounded up to the cent."""
    raw = landed_unit_cost * (1 + options.margin) * options.exchange_rate
    return raw.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def missing(good: ReceivedGood, options: ExportOptions) -> list[str]:
    """Every field a listing needs that this good lacks, in words for the person exporting."""
    problems: list[str] = []
    if not good.title.strip():
        problems.append("no title")
    if not good.description.strip():
        problems.append("no description")
    if not [url for url in good.images if url.startswith(("http://", "https://"))]:
        problems.append("no image URL")
    if good.weight_grams is None or good.weight_grams <= 0:
        problems.append("no weight")
    if good.quantity <= 0:
        problems.append("nothing received")
    if good.landed_unit_cost <= 0:
        problems.append("no landed cost")
    for name in options.required_attributes:
        if not good.attributes.get(name, "").strip():
            problems.append(f"attribute {name} missing")
    return problems
