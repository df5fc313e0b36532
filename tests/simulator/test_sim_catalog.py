"""Catalog loading and validation, the seeded generator, and the shipped demo catalog."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sim_support import demo_data

from simulator import CatalogError, demo_catalog, generate_catalog, load_catalog, parse_catalog


def problems(data: Any) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(data)
    return caught.value.problems


def test_unknown_supplier_is_named_with_its_path() -> None:
    data = demo_data()
    data["offers"][3]["supplier_id"] = "b2b-9999"
    assert problems(data) == ["offers[3].supplier_id: unknown supplier b2b-9999"]


def test_field_errors_name_the_field() -> None:
    data = demo_data()
    data["offers"][0]["price_ranges"][0]["price"] = 45.0
    data["suppliers"][1]["repurchase_rate"] = 1.5
    del data["offers"][2]["freight"]
    data["suppliers"][0]["behaviour"]["stall_at"] = "LOST"
    data["offers"][1]["behaviour"]["stock_at_ordr"] = 0
    found = "\n".join(problems(data))
    assert "offers[0].price_ranges[0].price: Value error, money must be a decimal string" in found
    assert "suppliers[1].repurchase_rate: Input should be less than or equal to 1" in found
    assert "offers[2].freight: Field required" in found
    assert "suppliers[0].behaviour.stall_at: Input should be 'WAITACCEPT', 'ACCEPT', 'TRANSPORT' or 'SIGN'" in found
    assert "offers[1].behaviour.stock_at_ordr: Extra inputs are not permitted" in found


def test_freight_must_be_one_form() -> None:
    data = demo_data()
    data["offers"][0]["freight"] = {"flat": "10.00", "free": True}
    data["offers"][1]["freight"] = {"first_unit": 1, "first_fee": "8.00"}
    found = problems(data)
    assert found[0].startswith("offers[0].freight: Value error, freight must be exactly one of")
    assert found[1].startswith("offers[1].freight: Value error, per-piece freight needs")


def test_cross_checks() -> None:
    data = demo_data()
    data["offers"][1]["offer_id"] = data["offers"][0]["offer_id"]
    data["offers"][2]["price_ranges"] = [{"start_quantity": 10, "price": "2.00"}, {"start_quantity": 5, "price": "1.00"}]
    data["offers"][3]["skus"].append(dict(data["offers"][3]["skus"][0]))
    data["suppliers"].append(dict(data["suppliers"][0]))
    found = problems(data)
    assert "suppliers[7].member_id: duplicate supplier b2b-1001" in found
    assert "offers[1].offer_id: duplicate offer 610000000001" in found
    assert "offers[2].price_ranges: start_quantity must be strictly increasing, got [10, 5]" in found
    assert "offers[3].skus: duplicate spec_id in ['d1', 'd2', 'd1']" in found


def test_file_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"app": ', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"broken.json: not valid JSON: line 1 column 9"):
        load_catalog(broken)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.json")
    with pytest.raises(CatalogError, match=r"app: Field required"):
        parse_catalog({"suppliers": [], "offers": []})


def test_the_generator_is_deterministic_by_seed() -> None:
    first, again, other = generate_catalog(3), generate_catalog(3), generate_catalog(4)
    assert first.model_dump() == again.model_dump()
    assert first.model_dump() != other.model_dump()


def test_the_generated_catalog_is_varied_and_valid() -> None:
    catalog = generate_catalog(1)
    parse_catalog(catalog.model_dump(mode="json"))  # round-trips through validation
    assert 200 <= len(catalog.offers) <= 500
    assert len(Counter(o.category_id for o in catalog.offers)) >= 5
    assert {"flat", "per_piece", "free"} == {o.freight.kind for o in catalog.offers}
    assert any(len(o.price_ranges) > 1 for o in catalog.offers)
    bad = [s for s in catalog.suppliers if s.years <= 2 and s.dispute_rate >= 0.05]
    good = [s for s in catalog.suppliers if s.years >= 4 and s.on_time_ship_rate >= 0.9]
    assert bad and good
    assert any(s.behaviour.stall_at for s in catalog.suppliers) or any(s.behaviour.cancel_after_pay for s in catalog.suppliers)
    assert any("纯棉T恤" in o.subject for o in catalog.offers)


def test_the_demo_catalog_has_the_a_b_case_and_two_suppliers_per_keyword() -> None:
    catalog = demo_catalog()
    a, b = catalog.offer("610000000001"), catalog.offer("610000000002")
    assert a and b
    assert (str(a.price_ranges[0].price), a.min_order_quantity, str(a.freight.flat)) == ("45.00", 50, "100.00")
    assert (str(b.price_ranges[0].price), b.min_order_quantity, str(b.freight.flat)) == ("48.00", 30, "50.00")
    for keyword in ("纯棉T恤", "帆布包", "保温杯"):
        sellers = {o.supplier_id for o in catalog.offers if keyword in o.subject and o.status == "published"}
        assert len(sellers) >= 2, keyword
    assert json.loads(json.dumps(demo_data()))["app"]["app_secret"] == "test123"
