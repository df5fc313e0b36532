"""The money an ended order keeps committed against the request's budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.budget import committed_by
from domain.progress import OrderSnapshot, OrderStatus, Refund


def order(status: OrderStatus, *, order_id: str | None = "3701", amount: str = "500.00",
          refund: Refund | None = None) -> OrderSnapshot:
    return OrderSnapshot(out_order_id="pr-X-1", order_id=order_id, supplier_id="b2b-A", status=status,
                         amount=Decimal(amount), refund=refund)


@pytest.mark.parametrize(("snapshot", "held"), [
    (order(OrderStatus.CANCELLED), "0"),  # 1688 confirmed the close
    (order(OrderStatus.FAILED, order_id=None), "0"),  # nothing was ordered
    (order(OrderStatus.RECEIVED), "500.00"),
    # A refund only requested is not money back; a completed one is.
    (order(OrderStatus.RECEIVED, refund=Refund(amount=Decimal("100"), reason="QC", status="requested")), "500.00"),
    (order(OrderStatus.RECEIVED, refund=Refund(amount=Decimal("100"), reason="QC", status="completed",
                                               refunded=Decimal("100"))), "400.00"),
    (order(OrderStatus.REJECTED, refund=Refund(amount=Decimal("500"), reason="QC", status="refused")), "500.00"),
    # A failed order that was placed may have been paid: it holds everything.
    (order(OrderStatus.FAILED), "500.00"),
    (order(OrderStatus.PAYING), "500.00"),
    (order(OrderStatus.FAILED, amount="0"), "480.00"),  # no figure from 1688: the plan's
], ids=["cancelled", "never-placed", "received", "refund-requested", "refund-completed", "refund-refused",
        "failed", "paying", "failed-no-amount"])
def test_money_counts_until_1688_shows_it_back(snapshot: OrderSnapshot, held: str):
    assert committed_by(snapshot, Decimal("480.00")) == Decimal(held)
