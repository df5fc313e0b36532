"""Whether an offer may serve a request line, and if not, every reason in words a buyer uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.offer import Listing, Offer, Sku
from domain.request import RequestLine, SupplierPolicy
from domain.supplier import SupplierProfile


class ExclusionCode(StrEnum):
    PRODUCT_NOT_PUBLISHED = "product_not_published"
    CATEGORY_MISMATCH = "category_mismatch"
    NO_MATCHING_VARIANT = "no_matching_variant"
    PRICE_BELOW_RANGE = "price_below_range"
    PRICE_ABOVE_RANGE = "price_above_range"
    MOQ_ABOVE_MAX = "moq_above_max"
    BELOW_MOQ = "below_moq"
    NOT_ENOUGH_STOCK = "not_enough_stock"
    FREIGHT_UNKNOWN = "freight_unknown"
    SUPPLIER_BLOCKED = "supplier_blocked"
    LICENCE_EXPIRED = "licence_expired"
    SUPPLIER_NON_COMPLIANT = "supplier_non_compliant"
    SUPPLIER_YEARS = "supplier_years"
    SUPPLIER_REPURCHASE_RATE = "supplier_repurchase_rate"
    SUPPLIER_ON_TIME_SHIP_RATE = "supplier_on_time_ship_rate"
    SUPPLIER_DISPUTE_RATE = "supplier_dispute_rate"
    SUPPLIER_SCORE = "supplier_score"
    DUPLICATE_LISTING = "duplicate_listing"
    OUTRANKED = "outranked"


LABELS: dict[ExclusionCode, str] = {
    ExclusionCode.PRODUCT_NOT_PUBLISHED: "product not on sale",
    ExclusionCode.CATEGORY_MISMATCH: "other category",
    ExclusionCode.NO_MATCHING_VARIANT: "no variant matches your spec",
    ExclusionCode.PRICE_BELOW_RANGE: "price below your range",
    ExclusionCode.PRICE_ABOVE_RANGE: "price above your range",
    ExclusionCode.MOQ_ABOVE_MAX: "minimum order above your limit",
    ExclusionCode.BELOW_MOQ: "your quantity is below the minimum order",
    ExclusionCode.NOT_ENOUGH_STOCK: "not enough stock",
    ExclusionCode.FREIGHT_UNKNOWN: "freight not known",
    ExclusionCode.SUPPLIER_BLOCKED: "supplier blocked",
    ExclusionCode.LICENCE_EXPIRED: "supplier licence expired",
    ExclusionCode.SUPPLIER_NON_COMPLIANT: "supplier not compliant",
    ExclusionCode.SUPPLIER_YEARS: "supplier too new on 1688",
    ExclusionCode.SUPPLIER_REPURCHASE_RATE: "supplier repurchase rate too low",
    ExclusionCode.SUPPLIER_ON_TIME_SHIP_RATE: "supplier ships late too often",
    ExclusionCode.SUPPLIER_DISPUTE_RATE: "supplier has too many disputes",
    ExclusionCode.SUPPLIER_SCORE: "supplier score too low",
    ExclusionCode.DUPLICATE_LISTING: "duplicate listing",
    ExclusionCode.OUTRANKED: "not in the shortlist",
}
"""A short phrase per code, for summaries such as "not enough stock (3)"."""


class Exclusion(BaseModel):
    """Why one offer cannot serve one line: a stable `code` for programs, a `message` for people."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: ExclusionCode
    message: str


@dataclass(frozen=True, slots=True)
class SkuChoice:
    """The variant picked for a line, or why none fits. `sku` is None for offers without SKUs.

    A plain dataclass: it never leaves a workflow task, and one is made per listing judged.
    """

    sku: Sku | None = None
    stock: int | None = None  # what is available of the chosen variant; None = not published
    problem: Exclusion | None = None


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def _describe_spec(spec: Mapping[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(spec.items()))


def matching_skus(offer: Offer, spec: Mapping[str, str]) -> list[Sku]:
    """The variants having every attribute the line asks for (all of them for an empty spec)."""
    if not spec:
        return list(offer.skus)
    wanted = spec.items()
    # One attribute looked up first turns most variants away at the cost of a dict lookup; the
    # full comparison then runs only on the few left (ranking calls this 10,000 times).
    key, value = next(iter(wanted))
    return [sku for sku in offer.skus if sku.attributes.get(key) == value and wanted <= sku.attributes.items()]


def trim_to_spec(offer: Offer, spec: Mapping[str, str]) -> Offer:
    """The offer with only the variants that `choose_sku` could pick for this spec.

    Sourcing gives the same result on the trimmed offer. An offer with dozens of SKUs is mostly
    variants the line did not ask for; trimming them in the activity that reads the offer keeps
    the workflow history and the workflow task's decoding small. With no match, one variant is
    kept so the exclusion still reads "no variant matches".
    """
    matching = matching_skus(offer, spec)
    if len(matching) == len(offer.skus):
        return offer
    return offer.model_copy(update={"skus": matching or offer.skus[:1]})


def choose_sku(offer: Offer, spec: Mapping[str, str], quantity: int) -> SkuChoice:
    """The variant with every attribute the line asks for and enough stock.

    Among those that fit: the cheapest, then the most stock, then the lowest spec_id, so the same
    offer always gives the same choice. If the attributes match but no variant has the stock, the
    one with the most stock is reported.
    """
    if not offer.skus:
        if spec:
            return SkuChoice(problem=Exclusion(
                code=ExclusionCode.NO_MATCHING_VARIANT,
                message=f"the product has no variants to match {_describe_spec(spec)}",
            ))
        if offer.stock is not None and offer.stock < quantity:
            return SkuChoice(stock=offer.stock, problem=_short_of_stock(offer.stock, quantity, offer.unit))
        return SkuChoice(stock=offer.stock)
    matching = matching_skus(offer, spec)
    if not matching:
        return SkuChoice(problem=Exclusion(
            code=ExclusionCode.NO_MATCHING_VARIANT,
            message=f"no variant matches {_describe_spec(spec)}",
        ))
    in_stock = [sku for sku in matching if sku.stock >= quantity]
    if not in_stock:
        best = min(matching, key=lambda sku: (-sku.stock, sku.spec_id))
        return SkuChoice(sku=best, stock=best.stock, problem=_short_of_stock(best.stock, quantity, offer.unit))
    if len(in_stock) == 1:  # the usual case once the spec has picked colour and size
        return SkuChoice(sku=in_stock[0], stock=in_stock[0].stock)
    sentinel = Decimal("Infinity")
    chosen = min(
        in_stock,
        key=lambda sku: (sku.price if sku.price is not None else sentinel, -sku.stock, sku.spec_id),
    )
    return SkuChoice(sku=chosen, stock=chosen.stock)


def _short_of_stock(stock: int, quantity: int, unit: str) -> Exclusion:
    return Exclusion(
        code=ExclusionCode.NOT_ENOUGH_STOCK,
        message=f"only {stock} {unit} in stock; you need {quantity}",
    )


def offer_exclusions(
    line: RequestLine,
    listing: Listing,
    *,
    choice: SkuChoice,
    unit_price: Decimal | None,
) -> list[Exclusion]:
    """Every reason the offer itself cannot serve the line (the supplier is judged separately).

    A quantity below the MOQ is allowed when the supplier accepts mixed batches; whether the
    lines going to that supplier reach its mixed-batch minimum is decided when orders are
    planned, because it depends on the other lines.
    """
    offer = listing.offer
    reasons: list[Exclusion] = []
    if offer.status != "published":
        reasons.append(Exclusion(
            code=ExclusionCode.PRODUCT_NOT_PUBLISHED,
            message=f"the product is not on sale (status: {offer.status[:20]})",
        ))
    if line.category_id is not None and offer.category_id != line.category_id:
        reasons.append(Exclusion(
            code=ExclusionCode.CATEGORY_MISMATCH,
            message=f"the product is in category {offer.category_id}, not {line.category_id}",
        ))
    if choice.problem is not None:
        reasons.append(choice.problem)
    if unit_price is not None:
        if line.price_min is not None and unit_price < line.price_min:
            reasons.append(Exclusion(
                code=ExclusionCode.PRICE_BELOW_RANGE,
                message=f"unit price {unit_price} is below your minimum of {line.price_min}",
            ))
        if line.price_max is not None and unit_price > line.price_max:
            reasons.append(Exclusion(
                code=ExclusionCode.PRICE_ABOVE_RANGE,
                message=f"unit price {unit_price} is above your maximum of {line.price_max}",
            ))
    if line.max_moq is not None and offer.min_order_quantity > line.max_moq:
        reasons.append(Exclusion(
            code=ExclusionCode.MOQ_ABOVE_MAX,
            message=f"minimum order {offer.min_order_quantity} is above your limit of {line.max_moq}",
        ))
    if line.quantity < offer.min_order_quantity and listing.supplier.mix_batch is None:
        reasons.append(Exclusion(
            code=ExclusionCode.BELOW_MOQ,
            message=(
                f"minimum order is {offer.min_order_quantity} {offer.unit}; you need "
                f"{line.quantity}, and the supplier does not take mixed batches"
            ),
        ))
    if listing.freight_rule() is None:
        reasons.append(Exclusion(
            code=ExclusionCode.FREIGHT_UNKNOWN,
            message="the freight to your address is not known yet",
        ))
    return reasons


def supplier_exclusions(
    supplier: SupplierProfile,
    policy: SupplierPolicy,
    *,
    score: Decimal,
    today: date,
) -> list[Exclusion]:
    """Every way the supplier falls short of the buyer's policy. A signal the platform does not
    publish fails a threshold the policy sets on it: we do not buy on an unknown."""
    reasons: list[Exclusion] = []
    if supplier.supplier_id in policy.blocked_suppliers or (
        supplier.login_id and supplier.login_id in policy.blocked_suppliers
    ):
        reasons.append(Exclusion(
            code=ExclusionCode.SUPPLIER_BLOCKED, message="the supplier is on your blocked list"
        ))
    if supplier.license_expires_on is not None and supplier.license_expires_on < today:
        reasons.append(Exclusion(
            code=ExclusionCode.LICENCE_EXPIRED,
            message=f"the supplier's business licence expired on {supplier.license_expires_on.isoformat()}",
        ))
    elif supplier.compliance_problem:
        reasons.append(Exclusion(code=ExclusionCode.SUPPLIER_NON_COMPLIANT, message=supplier.compliance_problem[:200]))
    if supplier.years < policy.min_years:
        reasons.append(Exclusion(
            code=ExclusionCode.SUPPLIER_YEARS,
            message=f"the supplier has {supplier.years} years on 1688; you require {policy.min_years}",
        ))
    if policy.min_repurchase_rate > 0:
        rate = supplier.repurchase_rate
        if rate is None:
            reasons.append(_unpublished(ExclusionCode.SUPPLIER_REPURCHASE_RATE, "repurchase rate"))
        elif rate < policy.min_repurchase_rate:
            reasons.append(Exclusion(
                code=ExclusionCode.SUPPLIER_REPURCHASE_RATE,
                message=(
                    f"repurchase rate {_percent(rate)} is below your minimum of "
                    f"{_percent(policy.min_repurchase_rate)}"
                ),
            ))
    if policy.min_on_time_ship_rate > 0:
        rate = supplier.on_time_ship_rate
        if rate is None:
            reasons.append(_unpublished(ExclusionCode.SUPPLIER_ON_TIME_SHIP_RATE, "on-time shipping rate"))
        elif rate < policy.min_on_time_ship_rate:
            reasons.append(Exclusion(
                code=ExclusionCode.SUPPLIER_ON_TIME_SHIP_RATE,
                message=(
                    f"ships on time {_percent(rate)} of the time; you require "
                    f"{_percent(policy.min_on_time_ship_rate)}"
                ),
            ))
    if policy.max_dispute_rate < 1:
        rate = supplier.dispute_rate
        if rate is None:
            reasons.append(_unpublished(ExclusionCode.SUPPLIER_DISPUTE_RATE, "dispute rate"))
        elif rate > policy.max_dispute_rate:
            reasons.append(Exclusion(
                code=ExclusionCode.SUPPLIER_DISPUTE_RATE,
                message=(
                    f"dispute rate {_percent(rate)} is above your maximum of "
                    f"{_percent(policy.max_dispute_rate)}"
                ),
            ))
    if score < policy.min_score:
        reasons.append(Exclusion(
            code=ExclusionCode.SUPPLIER_SCORE,
            message=f"supplier score {score} is below your minimum of {policy.min_score}",
        ))
    return reasons


def _unpublished(code: ExclusionCode, signal: str) -> Exclusion:
    return Exclusion(
        code=code,
        message=f"1688 does not publish this supplier's {signal}, and your policy sets a limit on it",
    )
