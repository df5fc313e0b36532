"""The Web UI's current details: what the person on call reads first on a procurement's page."""

from __future__ import annotations

from domain.progress import LineState, OrderSnapshot, OrderStatus, ProcurementState, Stage
from workflows.details import procurement_details


def state(*orders: OrderSnapshot, alerts: list[str] | None = None) -> ProcurementState:
    return ProcurementState(request_id="PR-1", workflow_id="pr-PR-1", stage=Stage.AWAITING_QC,
                            lines=[LineState(line_id="1", keyword="纯棉T恤", quantity=60)],
                            orders=list(orders), alerts=alerts or [])


def test_an_open_orders_latest_alert_shows_on_the_procurement():
    stuck = OrderSnapshot(out_order_id="pr-PR-1-1", order_id="111", supplier_id="s1", status=OrderStatus.IN_TRANSIT,
                          alerts=["order 111: the shipment has not moved since 2026-01-01 10:00 UTC (status SHIPPED)"])
    waiting = OrderSnapshot(out_order_id="pr-PR-1-2", order_id="222", supplier_id="s2", status=OrderStatus.AWAITING_QC,
                            alerts=["order 222 waits for a QC result since the goods arrived",
                                    "order 222 escalated: still no QC result since the goods arrived"])
    text = procurement_details(state(stuck, waiting))
    assert "\n**Alerts**\n\n- order 111" in text  # the Web UI's renderer starts a list only after a blank line
    alerts = text.split("**Alerts**", 1)[1].strip().splitlines()
    assert alerts == [
        "- order 111: the shipment has not moved since 2026-01-01 10:00 UTC (status SHIPPED)",
        "- order 222 escalated: still no QC result since the goods arrived",
    ]


def test_a_finished_orders_alerts_are_history_and_stay_on_its_own_page():
    done = OrderSnapshot(out_order_id="pr-PR-1-1", order_id="111", supplier_id="s1", status=OrderStatus.RECEIVED,
                         alerts=["order 111 waits for a QC result since the goods arrived"])
    assert "Alerts" not in procurement_details(state(done))
    partial = procurement_details(state(done, alerts=["partially fulfilled: line 1: out of stock"]))
    assert partial.split("**Alerts**", 1)[1].strip() == "- partially fulfilled: line 1: out of stock"


def test_the_baskets_savings_show_on_the_procurement():
    from decimal import Decimal

    from domain.progress import Savings

    shown = state().model_copy(update={"savings": Savings(
        total=Decimal("430.00"), headline_total=Decimal("400.00"), own_best_total=Decimal("440.00"),
        per_line_plan_total=Decimal("440.00"))})
    text = procurement_details(shown)
    assert "\n**Savings**\n\n- basket 430.00 yuan: saves 10.00 yuan (2.3 %)" in text
    assert "**Savings**" not in procurement_details(state())


def test_kept_texts_follow_every_change():
    # The procurement keeps each line's and order's text while it is unchanged; a change shows at once.
    from decimal import Decimal

    from domain.progress import LineStatus
    from workflows.details import TextCache

    texts = TextCache()
    order = OrderSnapshot(out_order_id="pr-PR-1-1", order_id="111", supplier_id="s1", status=OrderStatus.PLACED,
                          amount=Decimal("100.00"))
    shown = state(order)
    assert procurement_details(shown, "pay", texts) == procurement_details(shown, "pay")
    shown.lines[0].status = LineStatus.ORDERED
    shown.lines[0].received_qty = 60
    order.status, order.amount = OrderStatus.PAID, Decimal("98.50")
    again = procurement_details(shown, "", texts)
    assert again == procurement_details(shown)
    assert "ordered, 60 received" in again and "paid, 98.50 yuan" in again
