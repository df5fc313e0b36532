"""Small builders for the domain tests: a valid object with only the interesting fields named.

A plain module rather than fixtures, so hypothesis strategies can use the builders too.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from domain.offer import Listing, Offer
from domain.request import PurchaseRequest, RequestLine, SupplierPolicy
from domain.supplier import SupplierProfile

TODAY = date(2026, 3, 1)

DELIVERY = {
    "full_name": "张三",
    "mobile": "15251667788",
    "province": "浙江省",
    "city": "杭州市",
    "area": "滨江区",
    "address": "网商路699号",
}


def supplier(supplier_id: str = "S1", **fields: Any) -> SupplierProfile:
    data: dict[str, Any] = {
        "supplier_id": supplier_id,
        "login_id": f"login-{supplier_id}",
        "years": 5,
        "repurchase_rate": "0.32",
        "on_time_ship_rate": "0.95",
        "dispute_rate": "0.01",
        "credit_level": "L3",
        "license_expires_on": "2027-06-30",
    }
    data.update(fields)
    return SupplierProfile.model_validate(data)


def offer(
    offer_id: str = "O1",
    supplier_id: str = "S1",
    *,
    price: str = "45.00",
    moq: int = 1,
    freight: Any = None,
    **fields: Any,
) -> Offer:
    data: dict[str, Any] = {
        "offer_id": offer_id,
        "supplier_id": supplier_id,
        "subject": f"product {offer_id}",
        "min_order_quantity": moq,
        "price_tiers": [{"start_quantity": moq, "price": price}],
        "skus": [{"spec_id": f"{offer_id}-w", "attributes": {"颜色": "白色"}, "stock": 10_000}],
        "freight": freight if freight is not None else {"kind": "flat", "amount": "0.00"},
    }
    data.update(fields)
    return Offer.model_validate(data)


def listing(
    offer_id: str = "O1",
    supplier_id: str = "S1",
    *,
    supplier_fields: dict[str, Any] | None = None,
    estimate: Any = None,
    **offer_fields: Any,
) -> Listing:
    return Listing(
        offer=offer(offer_id, supplier_id, **offer_fields),
        supplier=supplier(supplier_id, **(supplier_fields or {})),
        freight=estimate,
    )


def line(line_id: str = "1", quantity: int = 30, **fields: Any) -> RequestLine:
    data: dict[str, Any] = {"line_id": line_id, "keyword": "纯棉T恤", "quantity": quantity}
    data.update(fields)
    return RequestLine.model_validate(data)


def request(*lines: RequestLine | dict[str, Any], **fields: Any) -> PurchaseRequest:
    data: dict[str, Any] = {
        "request_id": "PR-2026-0001",
        "lines": [
            item.model_dump(mode="json") if isinstance(item, RequestLine) else item for item in lines
        ],
        "delivery": DELIVERY,
    }
    data.update(fields)
    return PurchaseRequest.model_validate(data)


def policy(**fields: Any) -> SupplierPolicy:
    return SupplierPolicy.model_validate(fields)


def random_listing(rng: random.Random, offer_number: int, *, suppliers: int = 4) -> Listing:
    """A plausible listing, mostly eligible for `random_line`, with every awkward case possible:
    below MOQ, mixed batches, no stock, unpublished, freight kinds, tiers, a blocked supplier."""
    supplier_id = f"S{offer_number % suppliers}"
    moq = rng.choice([1, 1, 5, 10, 30, 50, 80])
    # Few distinct prices, fees and supplier years, so equal landed costs and scores (ties) are common.
    base = Decimal(rng.choice(["40.00", "45.00", "48.00", "52.50"]))
    tiers = [{"start_quantity": moq, "price": str(base)}]
    if rng.random() < 0.5:
        tiers.append({"start_quantity": moq + rng.randint(1, 60), "price": str(base - Decimal("1.50"))})
    freight = rng.choice([
        {"flat": rng.choice(["0.00", "50.00", "100.00"])},
        {"free": True},
        {"first_unit": rng.randint(1, 5), "first_fee": "8.00", "next_unit": rng.randint(1, 10), "next_fee": "2.00"},
    ])
    mix = rng.choice([None, {"min_amount": "100.00"}, {"min_quantity": 60},
                      {"min_amount": "3000.00", "min_quantity": 10}])
    return Listing(
        offer=offer(
            f"O{offer_number}",
            supplier_id,
            price_tiers=tiers,
            moq=moq,
            freight=freight,
            subject=rng.choice(["纯棉T恤", "纯棉T恤 男款", "纯棉 T恤", f"T恤 {offer_number}"]),
            status="published" if rng.random() < 0.9 else "expired",
            skus=[
                {"spec_id": f"O{offer_number}-w", "attributes": {"颜色": "白色"}, "stock": rng.choice([0, 40, 1000])},
                {"spec_id": f"O{offer_number}-b", "attributes": {"颜色": "黑色"}, "stock": rng.choice([0, 1000])},
            ],
            tax_rate=rng.choice(["0", "0.03", "0.06"]),
        ),
        supplier=supplier(
            supplier_id,
            years=rng.choice([1, 5]),
            repurchase_rate=rng.choice(["0.10", "0.32"]),
            mix_batch=mix,
        ),
    )


def random_line(rng: random.Random, line_id: str) -> RequestLine:
    return line(
        line_id,
        quantity=rng.choice([1, 10, 30, 50, 100]),
        spec=rng.choice([{}, {"颜色": "白色"}, {"颜色": "黑色"}]),
        price_max=rng.choice([None, "55.00", "60.00"]),
    )
