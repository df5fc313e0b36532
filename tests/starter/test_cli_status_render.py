"""`procure status`: the JSON shape of INTERFACES.md section 2 and the tables, from a hand-built state."""

from __future__ import annotations

import json
from decimal import Decimal

from domain.progress import (
    ChosenOffer, LineState, LineStatus, OrderLine, OrderSnapshot, OrderStatus, Payment, ProcurementState, Qc,
    QcLine, Refund, Shipment, Stage,
)
from starter.render import display_width, table
from starter.status import status_json, status_text


def _offer(offer_id: str, supplier: str, unit: str, landed: str, rank: int) -> ChosenOffer:
    return ChosenOffer(offer_id=offer_id, supplier_id=supplier, unit_price=Decimal(unit),
                       landed_unit_cost=Decimal(landed), landed_total=Decimal(landed) * 60, score=Decimal("4.64"), rank=rank)


def a_state() -> ProcurementState:
    best = _offer("610000000002", "b2b-1002", "48.00", "49.666666666666666666666667", 1)
    other = _offer("610000000001", "b2b-1001", "45.00", "51.20", 2)
    return ProcurementState(
        request_id="PR-2026-0001",
        workflow_id="pr-PR-2026-0001",
        stage=Stage.AWAITING_QC,
        lines=[
            LineState(line_id="1", keyword="纯棉T恤", quantity=30, status=LineStatus.ORDERED, chosen=best,
                      candidates=[best, other]),
            LineState(line_id="2", keyword="帆布包", quantity=100, status=LineStatus.UNFULFILLED,
                      reason="no offer on 1688 matches '帆布包' in the price range"),
        ],
        orders=[
            OrderSnapshot(
                out_order_id="pr-PR-2026-0001-1", order_id="3701234567000010007", supplier_id="b2b-1002",
                status=OrderStatus.AWAITING_QC, amount=Decimal("1490.00"), goods_amount=Decimal("1440.00"),
                freight=Decimal("50.00"),
                lines=[OrderLine(line_id="1", offer_id="610000000002", spec_id="b1", quantity=30, unit_price=Decimal("48.00"))],
                payment=Payment(amount=Decimal("1490.00"), method="protocol_pay", paid=True),
                shipment=Shipment(status="SIGN", company="顺丰速运", tracking_no="SF1000000001", polls=4),
            ),
            OrderSnapshot(
                out_order_id="pr-PR-2026-0001-2", order_id="3701234567000020014", supplier_id="b2b-1001",
                status=OrderStatus.RECEIVED, amount=Decimal("500.00"),
                lines=[OrderLine(line_id="1", offer_id="610000000001", quantity=10, unit_price=Decimal("45.00"))],
                qc=Qc(decision="reject", lines=[QcLine(line_id="1", accepted_qty=7, rejected_qty=3, reason="stains")]),
                refund=Refund(amount=Decimal("135.00"), reason="QC rejected 3: stains"),
            ),
        ],
        alerts=["order 3701234567000010007 waits for a QC result since the goods arrived"],
    )


def test_status_json_has_the_interface_shape():
    data = json.loads(json.dumps(status_json(a_state(), web_ui="http://ui/x")))
    assert {"request_id", "workflow_id", "stage", "lines", "orders"} <= set(data)
    assert (data["request_id"], data["workflow_id"], data["stage"]) == ("PR-2026-0001", "pr-PR-2026-0001", "AWAITING_QC")
    line = data["lines"][0]
    assert line["line_id"] == "1" and line["status"] == "ordered"
    assert line["chosen"] == {**line["chosen"], "offer_id": "610000000002", "supplier_id": "b2b-1002",
                              "unit_price": "48.00", "landed_unit_cost": "49.67"}
    assert [c["offer_id"] for c in line["candidates"]] == ["610000000002", "610000000001"]
    assert data["lines"][1]["chosen"] is None
    order = data["orders"][0]
    assert order["order_id"] == "3701234567000010007" and order["supplier_id"] == "b2b-1002"
    assert order["status"] == "awaiting_qc" and order["amount"] == "1490.00"
    assert order["lines"] == ["1"], "the interface lists line ids"
    assert order["line_details"][0]["offer_id"] == "610000000002"
    assert order["payment"]["paid"] is True and order["payment"]["amount"] == "1490.00"
    assert order["shipment"]["status"] == "SIGN"
    assert order["qc"] is None and order["refund"] is None
    assert data["orders"][1]["qc"]["decision"] == "reject"
    assert data["orders"][1]["refund"]["amount"] == "135.00"
    assert data["web_ui"] == "http://ui/x" and data["fully_received"] is False


def test_money_is_never_a_float_in_the_json():
    def walk(value, path="$"):
        assert not isinstance(value, float), path
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(json.loads(json.dumps(status_json(a_state()))))


def test_status_text_shows_lines_candidates_orders_and_notes():
    text = status_text(a_state(), web_ui="http://127.0.0.1:8233/namespaces/default/workflows/pr-PR-2026-0001")
    assert text.startswith("PR-2026-0001  AWAITING_QC  0/2 lines received, 2 orders, 1990.00 yuan paid")
    for heading in ("Lines", "Candidates", "Orders", "Notes"):
        assert f"\n{heading}\n" in text
    assert "Web UI: http://127.0.0.1:8233/namespaces/default/workflows/pr-PR-2026-0001" in text
    assert "49.67" in text and "chosen" in text
    assert "paid 1490.00" in text and "SIGN SF1000000001" in text and "waiting" in text
    assert "reject (3 rejected)" in text and "135.00 requested" in text
    assert "no offer on 1688 matches" in text
    assert "waits for a QC result" in text


def test_tables_align_chinese_text_by_display_columns():
    text = table(["keyword", "qty"], [["纯棉T恤", 30], ["bag", 100]], right=(1,))
    widths = {display_width(line) for line in text.splitlines()}
    assert len(widths) == 1, text
    assert display_width("纯棉T恤") == 7  # three wide characters and a T


def test_long_cells_stay_on_one_line_and_only_the_last_column_is_whole():
    long = "a reason\nwith a newline " + "x" * 200
    text = table(["offer", "note"], [[long, long]])
    assert len(text.splitlines()) == 2
    offer, note = text.splitlines()[1].split("  ", 1)
    assert offer.endswith("…") and display_width(offer) <= 48
    assert note.strip() == " ".join(long.split())


def test_status_shows_the_baskets_savings_in_words_and_json():
    from domain.progress import Savings

    state = a_state().model_copy(update={"savings": Savings(
        total=Decimal("430.00"), headline_total=Decimal("400.00"), own_best_total=Decimal("440.00"),
        per_line_plan_total=Decimal("440.00"))})
    text = status_text(state)
    assert "\nSavings\n" in text
    assert "basket 430.00 yuan: saves 10.00 yuan (2.3 %) against each line's own best landed cost (440.00)" in text
    assert "each line at its lowest headline price: 400.00 yuan; freight and invoice surcharge add 30.00" in text
    assert "proven the cheapest basket" in text
    data = json.loads(json.dumps(status_json(state)))
    assert data["savings"] == {**data["savings"], "total": "430.00", "own_best_total": "440.00", "optimal": True}
    assert status_json(a_state())["savings"] is None


def test_a_basket_not_proven_cheapest_says_how_far_it_may_be():
    from domain.progress import Savings

    state = a_state().model_copy(update={"savings": Savings(
        total=Decimal("450.00"), headline_total=Decimal("400.00"), own_best_total=Decimal("440.00"),
        per_line_plan_total=Decimal("450.00"), optimal=False, gap=Decimal("12.50"))})
    text = status_text(state)
    assert "costs 10.00 yuan more than each line's own best landed cost (440.00)" in text
    assert "at most 12.50 yuan from the cheapest" in text
