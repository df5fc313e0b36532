"""What rejected pieces are worth on the 1688 order, where a refund stands, and which refund
already filed stops a second one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.progress import OrderLine, QcLine
from domain.refund import (
    ChargedEntry,
    RefundLine,
    RefundRequest,
    RefundState,
    RefundView,
    order_charge,
    refund_amount,
    refund_amount_from_order,
    refund_in_force,
    refund_state,
)

SHIRTS = ChargedEntry(entry_id="e1", offer_id="610000000001", spec_id="a1", quantity=50, unit_price="45.00",
                      paid="2250.00")
SHIRTS_BLACK = ChargedEntry(entry_id="e2", offer_id="610000000001", spec_id="a2", quantity=20, unit_price="45.00",
                            paid="900.00")
BAGS = ChargedEntry(entry_id="e3", offer_id="610000000004", quantity=30, unit_price="12.50", paid="375.00")


@pytest.mark.parametrize(("status", "state"), [
    ("waitselleragree", RefundState.REQUESTED),
    ("waitbuyermodify", RefundState.REFUSED),
    ("waitbuyersend", RefundState.RETURN_REQUESTED),
    ("waitsellerreceive", RefundState.RETURN_SENT),
    ("refundsuccess", RefundState.COMPLETED),
    ("refundclose", RefundState.REFUSED),
    (" RefundSuccess ", RefundState.COMPLETED),
])
def test_every_1688_refund_status_has_a_state(status: str, state: RefundState) -> None:
    assert refund_state(status) == state


def test_an_unknown_refund_status_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="waitplatform"):
        refund_state("waitplatform")
    assert {s for s in RefundState if s.is_final} == {RefundState.REFUSED, RefundState.COMPLETED}


# --- the amount ---------------------------------------------------------------------------------


def test_the_price_the_order_charged_not_the_plan() -> None:
    # The seller changed the price to 44.00 before payment; the plan said 45.00.
    repriced = SHIRTS.model_copy(update={"unit_price": Decimal("44.00"), "paid": Decimal("2200.00")})
    amount = refund_amount_from_order([repriced], [RefundLine(offer_id="610000000001", spec_id="a1", quantity=10)])
    assert (amount.goods, amount.tax, amount.total) == (Decimal("440.00"), Decimal("0.00"), Decimal("440.00"))
    assert amount.counts == {"e1": 10}


def test_the_entry_discount_comes_off_each_piece() -> None:
    discounted = SHIRTS.model_copy(update={"paid": Decimal("2200.00")})  # 50 yuan off the entry
    amount = refund_amount_from_order([discounted], [RefundLine(offer_id="610000000001", quantity=5)])
    assert amount.total == Decimal("220.00")  # 44.00 a piece, not 45.00


def test_without_a_paid_amount_the_entry_price_applies() -> None:
    plain = BAGS.model_copy(update={"paid": None})
    assert refund_amount_from_order([plain], [RefundLine(offer_id="610000000004", quantity=3)]).total == Decimal("37.50")
    with pytest.raises(ValueError, match="neither"):
        refund_amount_from_order([plain.model_copy(update={"unit_price": None})],
                                 [RefundLine(offer_id="610000000004", quantity=3)])


def test_the_tax_share_rides_with_the_goods() -> None:
    lines = [RefundLine(offer_id="610000000001", spec_id="a1", quantity=10)]
    # A surcharge the entry prices do not include yet (6 %).
    surcharged = refund_amount_from_order([SHIRTS], lines, tax_rate=Decimal("0.06"))
    assert (surcharged.goods, surcharged.tax, surcharged.total) == (
        Decimal("450.00"), Decimal("27.00"), Decimal("477.00"))
    # A tax billed on the whole order (outside the entries): its share by value, 450 of 3525.
    entries = [SHIRTS, SHIRTS_BLACK, BAGS]
    billed = order_charge(Decimal("3525.00") + Decimal("211.50") + Decimal("100.00"), Decimal("100.00"), entries)
    assert billed == Decimal("211.50")
    shared = refund_amount_from_order(entries, lines, order_charge=billed)
    assert (shared.tax, shared.total) == (Decimal("27.00"), Decimal("477.00"))
    # An order-wide discount is a negative charge: the refund gives back what was really paid.
    discount = order_charge(Decimal("3425.00"), Decimal("100.00"), entries)
    assert discount == Decimal("-200.00")
    assert refund_amount_from_order(entries, lines, order_charge=discount).total == Decimal("424.47")


def test_rejected_pieces_fill_the_entries_of_their_offer() -> None:
    entries = [SHIRTS, SHIRTS_BLACK, BAGS]
    amount = refund_amount_from_order(entries, [
        RefundLine(offer_id="610000000001", quantity=55),  # no spec: a1's 50, then 5 of a2
        RefundLine(offer_id="610000000004", quantity=2),
    ])
    assert amount.counts == {"e1": 50, "e2": 5, "e3": 2}
    assert amount.entry_ids == ["e1", "e2", "e3"]
    assert amount.total == Decimal("2250.00") + Decimal("225.00") + Decimal("25.00")


def test_more_rejected_pieces_than_ordered_is_an_error() -> None:
    with pytest.raises(ValueError, match="holds 20 of the 21"):
        refund_amount_from_order([SHIRTS, SHIRTS_BLACK], [RefundLine(offer_id="610000000001", spec_id="a2", quantity=21)])
    with pytest.raises(ValueError, match="holds 0 of the 1"):
        refund_amount_from_order([SHIRTS], [RefundLine(offer_id="610000000099", quantity=1)])
    with pytest.raises(ValueError):
        refund_amount_from_order([SHIRTS], [RefundLine(offer_id="610000000001", quantity=1)], tax_rate=Decimal(-1))


def test_rounding_to_the_fen() -> None:
    odd = ChargedEntry(entry_id="e", offer_id="1", quantity=3, paid="100.00")  # 33.333... a piece
    assert refund_amount_from_order([odd], [RefundLine(offer_id="1", quantity=1)]).total == Decimal("33.33")
    assert refund_amount_from_order([odd], [RefundLine(offer_id="1", quantity=2)]).total == Decimal("66.67")
    assert refund_amount_from_order([odd], [RefundLine(offer_id="1", quantity=3)]).total == Decimal("100.00")


@given(
    prices=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999"), places=2), min_size=1, max_size=5),
    quantities=st.lists(st.integers(min_value=1, max_value=500), min_size=5, max_size=5),
    share=st.floats(min_value=0, max_value=1),
    charge=st.decimals(min_value=Decimal("-100"), max_value=Decimal("1000"), places=2),
)
def test_a_refund_never_exceeds_what_the_order_charged_for_its_goods(
    prices: list[Decimal], quantities: list[int], share: float, charge: Decimal
) -> None:
    entries = [ChargedEntry(entry_id=f"e{i}", offer_id=f"o{i}", quantity=q, paid=p * q)
               for i, (p, q) in enumerate(zip(prices, quantities))]
    whole = sum((e.paid for e in entries), Decimal(0))  # type: ignore[misc]
    charge = max(charge, -whole)  # a discount cannot exceed what was charged
    rejected = [RefundLine(offer_id=e.offer_id, quantity=max(1, int(e.quantity * share))) for e in entries]
    every_piece = [RefundLine(offer_id=e.offer_id, quantity=e.quantity) for e in entries]
    part = refund_amount_from_order(entries, rejected, order_charge=charge)
    everything = refund_amount_from_order(entries, every_piece, order_charge=charge)
    assert everything.total == (whole + charge).quantize(Decimal("0.01"))
    assert Decimal(0) <= part.total <= everything.total
    assert sum(part.counts.values()) == sum(r.quantity for r in rejected)


def test_the_older_rule_still_prices_at_the_plan() -> None:
    lines = [OrderLine(line_id="l1", offer_id="610000000001", quantity=50, unit_price="45.00")]
    assert refund_amount(lines, [QcLine(line_id="l1", accepted_qty=40, rejected_qty=10)]) == Decimal("450.00")


# --- the request ----------------------------------------------------------------------------------


def test_a_request_names_lines_or_in_the_older_form_offers_and_an_amount() -> None:
    new = RefundRequest(order_id="1", refund_key="qc-1", reason="QC", lines=[RefundLine(offer_id="o", quantity=2)])
    assert new.amount is None
    old = RefundRequest(order_id="1", refund_key="qc-1", reason="QC", offer_ids=["o"], amount="90.00")
    assert old.amount == Decimal("90.00") and old.lines == []
    with pytest.raises(ValidationError, match="rejected lines"):
        RefundRequest(order_id="1", refund_key="qc-1", reason="QC")
    with pytest.raises(ValidationError, match="needs an amount"):
        RefundRequest(order_id="1", refund_key="qc-1", reason="QC", offer_ids=["o"])
    with pytest.raises(ValidationError):
        RefundLine(offer_id="o", quantity=0)
    # What an older history holds still loads.
    assert RefundRequest.model_validate_json(old.model_dump_json()) == old


# --- the refund already filed ---------------------------------------------------------------------

T0 = datetime(2026, 5, 27, 9, tzinfo=UTC)


def view(refund_id: str, status: str, entries: list[str], *, closed_by_buyer: bool = False,
         hours: int = 0) -> RefundView:
    return RefundView(refund_id=refund_id, order_id="1", state=refund_state(status), status=status, applied="90.00",
                      entry_ids=entries, closed_by_buyer=closed_by_buyer, changed_at=T0 + timedelta(hours=hours))


def test_a_refund_in_force_stops_a_second_one() -> None:
    waiting = view("TQ1", "waitselleragree", ["e1"])
    assert refund_in_force([waiting], ["e1", "e2"]) == waiting
    assert refund_in_force([waiting], ["e2"]) is None  # other entries: not this one
    done = view("TQ2", "refundsuccess", ["e2"])
    assert refund_in_force([waiting, done], ["e2"]) == done  # money back: nothing to file again
    refused = view("TQ3", "refundclose", ["e3"])
    assert refund_in_force([refused], ["e3"]) == refused  # a refusal goes to a person, not to a new request
    withdrawn = view("TQ4", "refundclose", ["e4"], closed_by_buyer=True)
    assert refund_in_force([withdrawn], ["e4"]) is None
    later = view("TQ5", "waitselleragree", ["e4"], hours=5)
    assert refund_in_force([withdrawn, later, view("TQ6", "refundsuccess", ["e4"], hours=1)], ["e4"]) == later
    assert refund_in_force([], ["e1"]) is None
