"""The full order check before paying: what differs between the plan and the order 1688 made."""

from __future__ import annotations

from decimal import Decimal

from domain.order import OrderEntry, OrderView, PlacedPart, order_differences, planned_freight_of_part
from domain.progress import OrderLine

D = Decimal
TOLERANCE = D("0.02")
PLAN = [
    OrderLine(line_id="1", offer_id="610000000001", spec_id="s-white", quantity=20, unit_price=D("10.00")),
    OrderLine(line_id="2", offer_id="610000000002", quantity=30, unit_price=D("5.00")),
]
QUOTED = {"1": D("10.00"), "2": D("5.00")}  # goods 350.00


def view(entries: list[tuple[str, str | None, int]], *, freight: str = "20.00", total: str | None = None) -> OrderView:
    rows = [OrderEntry(entry_id=str(n), offer_id=o, spec_id=s, quantity=q,
                       price=QUOTED["1"] if o == "610000000001" else QUOTED["2"]) for n, (o, s, q) in enumerate(entries)]
    goods = sum((r.price * r.quantity for r in rows), D(0))
    return OrderView(order_id="1", status="waitbuyerpay", freight=D(freight),
                     total=D(total) if total is not None else goods + D(freight), entries=rows)


def differences(v: OrderView, planned_freight: str | None = "20.00", **kw) -> list[str]:
    return order_differences(PLAN, QUOTED, v, TOLERANCE, planned_freight=None if planned_freight is None else D(planned_freight),
                             quoted_amount=D("370.00"), **kw)


def test_the_order_as_planned_has_no_difference():
    assert differences(view([("610000000001", "s-white", 20), ("610000000002", None, 30)])) == []


def test_a_cheaper_order_is_no_difference():
    assert differences(view([("610000000001", "s-white", 20), ("610000000002", None, 30)], freight="0.00")) == []


def test_another_quantity_is_named():
    assert differences(view([("610000000001", "s-white", 25), ("610000000002", None, 30)])) == [
        "line 1: 25 pieces of offer 610000000001 on the order, 20 planned"]


def test_another_sku_is_named():
    assert differences(view([("610000000001", "s-black", 20), ("610000000002", None, 30)])) == [
        "line 1: SKU s-black of offer 610000000001 on the order, SKU s-white planned"]


def test_a_missing_line_and_an_unplanned_offer_are_named():
    assert differences(view([("610000000001", "s-white", 20), ("610000000009", None, 30)])) == [
        "line 2: offer 610000000002 is not on the order",
        "offer 610000000009 x30 is on the order but was not planned",
    ]


def test_freight_above_the_plan_is_named_beyond_the_tolerance():
    # 2 % of the planned 370.00 is 7.40: 27.00 freight passes, 28.00 does not.
    lines = [("610000000001", "s-white", 20), ("610000000002", None, 30)]
    assert differences(view(lines, freight="27.00")) == []
    assert differences(view(lines, freight="28.00")) == ["freight 28.00 yuan on the order, 20.00 planned"]


def test_without_the_previewed_freight_the_plan_total_gives_it():
    lines = [("610000000001", "s-white", 20), ("610000000002", None, 30)]
    assert differences(view(lines, freight="40.00"), planned_freight=None) == ["freight 40.00 yuan on the order, 20.00 planned"]


def test_the_total_is_the_catch_all_named_once():
    lines = [("610000000001", "s-white", 20), ("610000000002", None, 30)]
    # A charge nothing else explains (a fee on no line): the total names it.
    assert differences(view(lines, total="400.00")) == ["total 400.00 yuan on the order, 370.00 planned (8.1% more)"]
    # When the unit prices already moved, the approver reads that cause, not the total again.
    assert differences(view(lines, total="400.00"), prices_moved=True) == []
    # Another cause named: the total is not repeated.
    assert differences(view([("610000000001", "s-white", 25), ("610000000002", None, 30)], total="420.00")) == [
        "line 1: 25 pieces of offer 610000000001 on the order, 20 planned"]


def test_entries_1688_does_not_describe_are_left_to_the_total():
    anonymous = OrderView(order_id="1", status="waitbuyerpay", freight=D("20.00"), total=D("370.00"),
                          entries=[OrderEntry(entry_id="1", quantity=50)])
    assert differences(anonymous) == []


def test_a_split_may_share_the_previewed_freight_however_it_likes():
    parts = [PlacedPart(order_id="a", total=D(100), freight=D("15.00")), PlacedPart(order_id="b", total=D(100), freight=D("15.00"))]
    assert [planned_freight_of_part(D("30.00"), parts, k) for k in (0, 1)] == [D("15.00"), D("15.00")]
    # More than the preview said: the first part holds the preview's figure, the second none.
    assert [planned_freight_of_part(D("20.00"), parts, k) for k in (0, 1)] == [D("20.00"), D("0")]
    assert planned_freight_of_part(D("20.00"), parts[:1], 0) == D("20.00")
