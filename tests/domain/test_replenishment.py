"""Store replenishment rules: the store file (one message per bad row), low SKUs, batching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.replenishment import (
    InvalidReplenishment, LowSku, ReplenishmentState, StockLevels, admit, batch_problems, batch_request,
    batch_request_id,
    low_skus, parse_replenishment_config, parse_stock_levels,
)

T0 = datetime(2026, 11, 28, 8, tzinfo=UTC)
GOOD = """
stores:
  - store_id: store-17
    delivery: {full_name: 张三, mobile: "15251667788", province: 浙江省, city: 杭州市, area: 滨江区, address: 网商路699号}
    skus:
      - {sku: TEE-WHITE, reorder_point: 20, order_up_to: 120, keyword: 纯棉T恤, price_min: "30.00", price_max: "50.00"}
      - {sku: BAG-CANVAS, reorder_point: 10, order_up_to: 60, keyword: 帆布包}
      - {sku: CUP-STEEL, reorder_point: 5, order_up_to: 30, keyword: 保温杯, max_moq: 100}
"""


def test_a_good_file_reads_into_stores_and_skus() -> None:
    config = parse_replenishment_config(GOOD)
    store = config.stores["store-17"]
    assert list(store.skus) == ["TEE-WHITE", "BAG-CANVAS", "CUP-STEEL"]
    assert store.skus["TEE-WHITE"].price_max == 50


def test_each_bad_row_is_refused_with_its_reason() -> None:
    bad = GOOD.replace("reorder_point: 10, order_up_to: 60", "reorder_point: 60, order_up_to: 10") \
              .replace("keyword: 保温杯, max_moq: 100", "keyword: 保温杯, max_moq: 0") \
              + "      - {sku: TEE-WHITE, reorder_point: 1, order_up_to: 2, keyword: x}\n" \
              + "      - {sku: 'bad sku!', reorder_point: 1, order_up_to: 2}\n"
    with pytest.raises(InvalidReplenishment) as caught:
        parse_replenishment_config(bad)
    problems = caught.value.problems
    assert "store store-17, skus row 2 (BAG-CANVAS): order_up_to (10) must be above reorder_point (60)" in problems
    assert any(p.startswith("store store-17, skus row 3 (CUP-STEEL): max_moq") for p in problems), problems
    assert "store store-17, skus row 4 (TEE-WHITE): sku TEE-WHITE appears twice in this store" in problems
    assert any(p.startswith("store store-17, skus row 5 (bad sku!): sku:") for p in problems), problems
    assert any(p.startswith("store store-17, skus row 5 (bad sku!): keyword") for p in problems), problems
    assert not any("row 1 " in p for p in problems)


def test_a_store_without_delivery_and_a_file_that_is_not_yaml_are_refused() -> None:
    with pytest.raises(InvalidReplenishment, match="store s1: delivery: is required"):
        parse_replenishment_config("stores:\n  - store_id: s1\n    skus: [{sku: A, reorder_point: 1, order_up_to: 5, keyword: k}]\n")
    with pytest.raises(InvalidReplenishment, match="not valid YAML"):
        parse_replenishment_config("stores: [\n")
    with pytest.raises(InvalidReplenishment, match="stores"):
        parse_replenishment_config("shops: []\n")


def test_at_or_below_the_reorder_point_a_sku_is_ordered_up_to_its_level() -> None:
    store = parse_replenishment_config(GOOD).stores["store-17"]
    levels = parse_stock_levels({"store_id": "store-17", "levels": [
        {"sku": "TEE-WHITE", "on_hand": 20, "sold_since_last": 3}, {"sku": "BAG-CANVAS", "on_hand": 11},
        {"sku": "CUP-STEEL", "on_hand": 0}, {"sku": "UNKNOWN-1", "on_hand": 0}]})
    check = low_skus(store, levels, T0)
    assert [(l.sku, l.quantity) for l in check.low] == [("TEE-WHITE", 100), ("CUP-STEEL", 30)]
    assert check.unknown == ["UNKNOWN-1"]


def test_a_bad_stock_report_names_each_problem() -> None:
    with pytest.raises(InvalidReplenishment) as caught:
        parse_stock_levels({"store_id": "s 1", "levels": [{"sku": "A", "on_hand": -1}, {"sku": "B"}], "extra": 1})
    assert set(caught.value.problems) >= {"levels[0].on_hand: must be at least 0", "store_id: must be 1 to 64 letters, digits, '.', '_' or '-'",
                                          "levels[1].on_hand: is required", "extra: is not a known field"}


def low(sku: str, minutes: int = 0) -> LowSku:
    return LowSku(sku=sku, on_hand=1, quantity=10, low_at=T0 + timedelta(minutes=minutes))


def test_a_sku_gathering_or_being_bought_is_never_asked_for_twice() -> None:
    state = ReplenishmentState(store_id="store-17", in_flight={"CUP-STEEL": "RPL-store-17-1"})
    assert admit(state, [low("TEE-WHITE"), low("BAG-CANVAS"), low("CUP-STEEL")]) == ["TEE-WHITE", "BAG-CANVAS"]
    assert admit(state, [low("TEE-WHITE", minutes=5)]) == []
    assert state.pending["TEE-WHITE"].low_at == T0          # the clock runs from the first report
    assert state.skipped == 2


def test_the_batch_is_one_request_with_a_line_per_sku_for_the_store() -> None:
    store = parse_replenishment_config(GOOD).stores["store-17"]
    request = batch_request(store, batch_request_id("store-17", T0), [low("TEE-WHITE"), low("CUP-STEEL")])
    assert request.request_id == "RPL-store-17-20261128080000"
    assert request.requester == "store-17" and request.delivery.city == "杭州市"
    assert [(l.line_id, l.keyword, l.quantity, l.max_moq) for l in request.lines] == [
        ("TEE-WHITE", "纯棉T恤", 10, None), ("CUP-STEEL", "保温杯", 10, 100)]
    assert StockLevels.model_json_schema()["required"] == ["store_id", "levels"]


def test_a_batch_a_purchase_request_cannot_hold_is_named_not_raised() -> None:
    config = parse_replenishment_config(GOOD.replace('price_max: "50.00"', 'price_max: "99999999.00"')
                                        .replace("order_up_to: 120", "order_up_to: 9000000"))
    store = config.stores["store-17"]
    huge = LowSku(sku="TEE-WHITE", on_hand=0, quantity=9_000_000, low_at=T0)
    problems = batch_problems(store, "RPL-store-17-1", [huge])
    assert problems and "above the limit" in problems[0]
    assert batch_problems(store, "RPL-store-17-1", [low("BAG-CANVAS")]) == []
