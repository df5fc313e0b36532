"""Offers (1688 product listings) with their price tiers, SKUs and freight."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from domain.money import Yuan
from domain.supplier import PLATFORM_DATA, Rate, SupplierProfile

# Per-unit prices and fees stay below a billion yuan, so that every total computed from them
# fits the Yuan type (see money._LIMIT).
MAX_UNIT_AMOUNT = 10**9
Fee = Annotated[Yuan, Field(ge=0, le=MAX_UNIT_AMOUNT)]
UnitPrice = Annotated[Yuan, Field(gt=0, le=MAX_UNIT_AMOUNT)]


class FlatFreight(BaseModel):
    """One fee per order, whatever the quantity."""

    model_config = PLATFORM_DATA

    kind: Literal["flat"] = "flat"
    amount: Fee

    def cost(self, pieces: int) -> Decimal:
        return self.amount


class PieceFreight(BaseModel):
    """A freight template by pieces: `first_fee` covers the first `first_unit` pieces, then every
    started block of `next_unit` pieces adds `next_fee`."""

    model_config = PLATFORM_DATA

    kind: Literal["by_pieces"] = "by_pieces"
    first_unit: Annotated[int, Field(ge=1)] = 1
    first_fee: Fee
    next_unit: Annotated[int, Field(ge=1)] = 1
    next_fee: Fee

    def cost(self, pieces: int) -> Decimal:
        extra = max(0, pieces - self.first_unit)
        blocks = -(-extra // self.next_unit)
        return self.first_fee + self.next_fee * blocks


class FreeFreight(BaseModel):
    """Free shipping (包邮, `freePostage`)."""

    model_config = PLATFORM_DATA

    kind: Literal["free"] = "free"

    def cost(self, pieces: int) -> Decimal:
        return Decimal("0.00")


class EstimatedFreight(BaseModel):
    """The amount `product.freight.estimate` returned for this offer, quantity and address.

    The workflow passes it when it has asked the API; it wins over the offer's template because it
    knows the destination. It is the fee for one order whatever the pieces, so estimate with the
    quantity you will order.
    """

    model_config = PLATFORM_DATA

    kind: Literal["estimate"] = "estimate"
    amount: Fee
    quantity: Annotated[int, Field(ge=1)] | None = None

    def cost(self, pieces: int) -> Decimal:
        return self.amount


def _from_catalog_shape(value: Any) -> Any:
    # The simulator catalog writes {"flat": "100.00"}, {"free": true} or the by-pieces fields
    # without a `kind`; read those as the tagged forms.
    if isinstance(value, dict) and "kind" not in value:
        if "flat" in value:
            return {"kind": "flat", "amount": value["flat"]}
        if value.get("free") is True:
            return {"kind": "free"}
        if "first_fee" in value:
            return {"kind": "by_pieces", **value}
    return value


Freight = Annotated[
    FlatFreight | PieceFreight | FreeFreight | EstimatedFreight,
    Field(discriminator="kind"),
    BeforeValidator(_from_catalog_shape),
]
"""How an order's freight is known: flat per order, by pieces, free, or an API estimate."""


class PriceTier(BaseModel):
    """One row of `priceRangeList`: `price` per unit from `start_quantity` pieces on."""

    model_config = PLATFORM_DATA

    start_quantity: Annotated[int, Field(ge=1)] = Field(
        validation_alias=AliasChoices("start_quantity", "startQuantity")
    )
    price: UnitPrice


class Sku(BaseModel):
    """One variant (colour, size...) with its stock (`amountOnSale`) and, when the seller quotes
    per SKU (1688 quoteType 0), its own price."""

    model_config = PLATFORM_DATA

    spec_id: str = Field(min_length=1, validation_alias=AliasChoices("spec_id", "specId"))
    attributes: dict[str, str] = Field(default_factory=dict)
    stock: Annotated[int, Field(ge=0)] = Field(
        default=0, validation_alias=AliasChoices("stock", "amountOnSale")
    )
    price: UnitPrice | None = None


class Offer(BaseModel):
    """A 1688 product listing (`queryProductDetail`)."""

    model_config = PLATFORM_DATA

    offer_id: str = Field(min_length=1, max_length=64)
    supplier_id: str = Field(min_length=1, max_length=64)
    subject: str = ""
    category_id: int | None = None
    status: str = "published"  # published, expired or deleted; only published can be ordered
    unit: str = "件"
    min_order_quantity: Annotated[int, Field(ge=1)] = 1
    price_tiers: Annotated[list[PriceTier], Field(min_length=1)] = Field(
        validation_alias=AliasChoices("price_tiers", "price_ranges")
    )
    skus: list[Sku] = Field(default_factory=list)
    stock: Annotated[int, Field(ge=0)] | None = None  # for offers without SKUs; None = not known
    freight: Freight | None = None
    tax_rate: Rate = Decimal(0)  # surcharge for a VAT invoice, as a fraction of the goods
    month_sold: Annotated[int, Field(ge=0)] = 0

    @field_validator("price_tiers")
    @classmethod
    def _tiers_in_order(cls, tiers: list[PriceTier]) -> list[PriceTier]:
        starts = [tier.start_quantity for tier in tiers]
        if len(set(starts)) != len(starts):
            raise ValueError("two price tiers start at the same quantity")
        return sorted(tiers, key=lambda tier: tier.start_quantity)


class Listing(BaseModel):
    """An offer found for a request line, with its seller and, when asked, the freight estimate."""

    model_config = PLATFORM_DATA

    offer: Offer
    supplier: SupplierProfile
    freight: Freight | None = None  # the API's estimate; overrides the offer's own freight rule

    @model_validator(mode="after")
    def _same_supplier(self) -> Self:
        if self.offer.supplier_id != self.supplier.supplier_id:
            raise ValueError("the offer belongs to another supplier than the one given")
        return self

    def freight_rule(self) -> Freight | None:
        return self.freight if self.freight is not None else self.offer.freight
