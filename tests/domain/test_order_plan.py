"""Order plans: grouping by supplier, the 50-line limit, freight once per order, mixed batches,
fallback to the next candidate, and a reason for every line left out."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.offer import Listing
from domain.order_plan import OrderPlan, next_candidate, plan_orders
from domain.ranking import LineSourcing, source_request
from domain.request import PurchaseRequest
from sourcing_builders import TODAY, line, listing, random_line, random_listing, request

A = listing("A-offer", "A", price="45.00", moq=50, freight={"flat": "100.00"})
B = listing("B-offer", "B", price="48.00", moq=30, freight={"flat": "50.00"})
MIX = {"min_amount": "1000.00", "min_quantity": 40}


def plan(
    purchase: PurchaseRequest, listings: dict[str, list[Listing]], **kwargs: Any
) -> tuple[list[LineSourcing], OrderPlan]:
    sourcings = source_request(purchase, listings, today=TODAY)
    return sourcings, plan_orders(purchase, sourcings, **kwargs)


def offers_by_line(result: OrderPlan) -> dict[str, str]:
    return {planned.line_id: planned.offer_id for order in result.orders for planned in order.lines}


def test_the_article_for_30_and_50_pieces() -> None:
    _, for_30 = plan(request(line("1", quantity=30)), {"1": [A, B]})
    assert [(o.supplier_id, o.total) for o in for_30.orders] == [("B", Decimal("1490.00"))]
    _, for_50 = plan(request(line("1", quantity=50)), {"1": [A, B]})
    assert [(o.supplier_id, o.total) for o in for_50.orders] == [("A", Decimal("2350.00"))]
    assert for_50.total == Decimal("2350.00")


def test_lines_to_one_supplier_share_one_order_and_one_freight() -> None:
    purchase = request(line("1", quantity=50), line("2", quantity=60))
    _, result = plan(purchase, {"1": [A], "2": [A]})
    [order] = result.orders
    assert [planned.line_id for planned in order.lines] == ["1", "2"]
    assert order.goods_total == Decimal("4950.00")
    assert order.freight == Decimal("100.00")
    assert order.total == Decimal("5050.00")
    assert order.pieces == 110


def test_freight_by_pieces_is_counted_on_the_whole_order() -> None:
    by_pieces = {"first_unit": 10, "first_fee": "10.00", "next_unit": 10, "next_fee": "3.00"}
    purchase = request(line("1", quantity=10), line("2", quantity=15))
    _, result = plan(purchase, {
        "1": [listing("O1", "S1", freight=by_pieces)],
        "2": [listing("O2", "S1", freight=by_pieces)],
    })
    # 25 pieces: 10.00 for the first 10, then two started blocks of 10 at 3.00.
    assert result.orders[0].freight == Decimal("16.00")


def test_more_than_50_lines_to_one_supplier_are_split_into_orders_of_50() -> None:
    lines = [line(str(i), quantity=1) for i in range(120)]
    _, result = plan(request(*lines), {str(i): [listing(f"O{i}", "S1")] for i in range(120)})
    assert [(o.supplier_id, o.part, len(o.lines)) for o in result.orders] == [
        ("S1", 1, 50), ("S1", 2, 50), ("S1", 3, 20)
    ]


def test_orders_follow_the_request_and_lines_keep_their_order() -> None:
    purchase = request(line("1", quantity=50), line("2", quantity=50), line("3", quantity=50))
    _, result = plan(purchase, {"1": [B], "2": [A], "3": [B]})
    assert [(o.supplier_id, [planned.line_id for planned in o.lines]) for o in result.orders] == [
        ("B", ["1", "3"]), ("A", ["2"])
    ]


def test_below_moq_lines_go_together_when_the_mixed_batch_is_reached() -> None:
    mixed = {"mix_batch": MIX}
    purchase = request(line("1", quantity=20), line("2", quantity=25))
    _, result = plan(purchase, {
        "1": [listing("O1", "S1", moq=50, supplier_fields=mixed)],
        "2": [listing("O2", "S1", moq=50, supplier_fields=mixed)],
    })
    # 45 pieces and 2025.00 yuan together: above 40 pieces and 1000.00.
    assert offers_by_line(result) == {"1": "O1", "2": "O2"}
    assert all(planned.below_moq for planned in result.orders[0].lines)


def test_a_missed_mixed_batch_sends_the_line_to_its_next_candidate() -> None:
    mixed = {"mix_batch": MIX}
    purchase = request(line("1", quantity=20))
    _, result = plan(purchase, {"1": [
        listing("cheap", "S1", price="40.00", moq=50, supplier_fields=mixed),
        listing("dear", "S2", price="47.00"),
    ]})
    assert offers_by_line(result) == {"1": "dear"}
    assert result.orders[0].lines[0].rank == 2


def test_a_missed_mixed_batch_without_another_candidate_says_why() -> None:
    purchase = request(line("1", quantity=20))
    _, result = plan(purchase, {"1": [listing("O1", "S1", moq=50, supplier_fields={"mix_batch": MIX})]})
    assert result.orders == []
    [unplanned] = result.unplanned
    assert unplanned.line_id == "1"
    assert unplanned.reason == (
        "every shortlisted offer (1) is ruled out: offer O1 needs at least 50 unless the order to "
        "supplier S1 reaches its mixed-batch minimum (1000.00 yuan and 40 pieces); the lines going "
        "there come to 900.00 yuan and 20 pieces"
    )


def test_lines_at_moq_count_towards_the_mixed_batch() -> None:
    mixed = {"mix_batch": MIX}
    purchase = request(line("1", quantity=20), line("2", quantity=50))
    _, result = plan(purchase, {
        "1": [listing("O1", "S1", moq=50, supplier_fields=mixed)],
        "2": [listing("O2", "S1", moq=50, supplier_fields=mixed)],
    })
    assert offers_by_line(result) == {"1": "O1", "2": "O2"}


def test_a_failed_choice_moves_the_line_to_its_next_candidate() -> None:
    purchase = request(line("1", quantity=50))
    _, result = plan(purchase, {"1": [A, B]}, exclude=[["1", "A-offer"]])
    assert offers_by_line(result) == {"1": "B-offer"}
    _, nothing_left = plan(purchase, {"1": [A, B]}, exclude={("1", "A-offer"), ("1", "B-offer")})
    assert nothing_left.unplanned[0].reason == (
        "every shortlisted offer (2) is ruled out: offer A-offer failed earlier; offer B-offer failed earlier"
    )


def test_a_failed_supplier_is_left_for_every_line() -> None:
    purchase = request(line("1", quantity=50), line("2", quantity=50))
    _, result = plan(purchase, {"1": [A, B], "2": [A]}, exclude_suppliers=["A"])
    assert offers_by_line(result) == {"1": "B-offer"}
    assert result.unplanned[0].reason == "every shortlisted offer (1) is ruled out: supplier A failed earlier"


def test_a_failure_on_one_line_does_not_move_another_line_of_the_same_offer() -> None:
    purchase = request(line("1", quantity=50), line("2", quantity=50))
    _, result = plan(purchase, {"1": [A, B], "2": [A, B]}, exclude=[("1", "A-offer")])
    assert offers_by_line(result) == {"1": "B-offer", "2": "A-offer"}


def test_a_line_with_no_usable_offer_says_why() -> None:
    purchase = request(line("1", quantity=30), line("2", quantity=30), line("3", quantity=30))
    sold_out = [{"spec_id": "w", "attributes": {}, "stock": 0}]
    _, result = plan(purchase, {
        "1": [],
        "2": [A, listing("C", "S3", skus=sold_out), listing("D", "S4", skus=sold_out)],
    })
    assert [(u.line_id, u.reason) for u in result.unplanned] == [
        ("1", 'no offers were found for "纯棉T恤"'),
        ("2", "none of the 3 offers found can be used: not enough stock (2), "
              "your quantity is below the minimum order (1)"),
        ("3", 'no offers were found for "纯棉T恤"'),
    ]
    unsourced = plan_orders(purchase, [])
    assert {u.reason for u in unsourced.unplanned} == {"not sourced yet"}


def test_the_plan_says_when_it_is_over_budget() -> None:
    _, within = plan(request(line("1", quantity=50), budget="2350.00"), {"1": [A]})
    _, over = plan(request(line("1", quantity=50), budget="2349.99"), {"1": [A]})
    assert (within.over_budget, over.over_budget) == (False, True)


def test_the_plan_round_trips_through_json() -> None:
    _, result = plan(request(line("1", quantity=50), line("2", quantity=30)), {"1": [A, B], "2": [A, B]})
    assert OrderPlan.model_validate_json(result.model_dump_json()) == result


def test_next_candidate_skips_failures_and_respects_the_price_ceiling() -> None:
    [sourcing] = source_request(request(line("1", quantity=50)), {"1": [A, B]}, today=TODAY)
    first = next_candidate(sourcing, [])
    assert first is not None and first.offer_id == "A-offer"
    second = next_candidate(sourcing, ["A-offer"])
    assert second is not None and second.offer_id == "B-offer"
    assert next_candidate(sourcing, ["A-offer"], Decimal("47.99")) is None
    assert next_candidate(sourcing, {"A-offer", "B-offer"}) is None
    other = next_candidate(sourcing, [], failed_supplier_ids=["A"])
    assert other is not None and other.supplier_id == "B"


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[PurchaseRequest, dict[str, list[Listing]], list[tuple[str, str]]]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    line_count = draw(st.integers(1, 130))
    suppliers = draw(st.integers(1, 4))
    lines = [random_line(rng, str(i)) for i in range(line_count)]
    listings = {
        str(i): [random_listing(rng, rng.randint(0, 30), suppliers=suppliers) for _ in range(rng.randint(0, 5))]
        for i in range(line_count)
    }
    failed = [
        (str(i), item.offer.offer_id)
        for i in range(line_count)
        for item in listings[str(i)]
        if rng.random() < 0.15
    ]
    return request(*lines, top_n=draw(st.integers(1, 5))), listings, failed


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_every_line_is_planned_once_or_has_a_reason_and_no_order_exceeds_50_lines(
    scenario: tuple[PurchaseRequest, dict[str, list[Listing]], list[tuple[str, str]]],
) -> None:
    purchase, listings, failed = scenario
    sourcings, result = plan(purchase, listings, exclude=failed)
    planned = [p.line_id for order in result.orders for p in order.lines]
    unplanned = [u.line_id for u in result.unplanned]
    assert sorted(planned + unplanned) == sorted(line.line_id for line in purchase.lines)
    assert all(u.reason for u in result.unplanned)

    by_line = {s.line_id: s for s in sourcings}
    for order in result.orders:
        assert 1 <= len(order.lines) <= 50  # 1688's cargoParamList limit
        assert order.total == order.goods_total + order.freight + order.tax
        for p in order.lines:
            assert (p.line_id, p.offer_id) not in set(failed)
            candidate = next(c for c in by_line[p.line_id].ranked if c.offer_id == p.offer_id)
            assert candidate.supplier_id == order.supplier_id
            if candidate.below_moq:
                assert candidate.mix_batch is not None
                assert candidate.mix_batch.is_met(order.goods_total, order.pieces)
    assert result.total == sum((o.total for o in result.orders), Decimal(0))
