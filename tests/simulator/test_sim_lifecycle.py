"""The order state machine over time: shipping, courier progress, receipt, refunds, seller knobs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_support import OFFER_A, OFFER_C, Gateway, admin, demo_data, running

WEB = {"webSite": "1688"}


@pytest.fixture
def catalog_data() -> dict[str, Any]:
    # These tests move the clock by days; keep the access token alive meanwhile.
    data = demo_data()
    data["app"]["access_token_ttl_seconds"] = 365 * 24 * 3600
    return data


async def paid_order(gw: Gateway, offer_id: str = OFFER_A, spec: str = "a1", quantity: int = 50) -> str:
    body = await gw.create([{"offerId": int(offer_id), "specId": spec, "quantity": quantity}], "PR-L-o1")
    order_id = body["result"]["orderId"]
    assert (await gw.pay(order_id))["result"]["success"] is True
    return order_id


async def status(gw: Gateway, order_id: str) -> str:
    return (await gw.order(order_id))["result"]["baseInfo"]["status"]


async def logistics_status(gw: Gateway, order_id: str) -> str:
    body = await gw.ok("alibaba.trade.getLogisticsInfos.buyerView", {"orderId": order_id, **WEB})
    return body["result"][0]["status"]


async def entries(gw: Gateway, order_id: str) -> list[int]:
    return [i["subItemID"] for i in (await gw.order(order_id))["result"]["productItems"]]


async def test_happy_path_by_steps(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)
    not_yet = await gw.ok("alibaba.trade.getLogisticsInfos.buyerView", {"orderId": order_id, **WEB})
    assert not_yet == {"success": False, "errorCode": "500_2", "errorMessage": not_yet["errorMessage"]}
    trace_early = await gw.ok("alibaba.trade.getLogisticsTraceInfo.buyerView", {"orderId": order_id, **WEB})
    assert trace_early["errorCode"] == "500_2"

    await admin(http, "advance", {"steps": 1})
    assert await status(gw, order_id) == "waitbuyerreceive"
    assert await logistics_status(gw, order_id) == "WAITACCEPT"
    for expected in ("ACCEPT", "TRANSPORT", "SIGN"):
        await admin(http, "advance", {"steps": 1})
        assert await logistics_status(gw, order_id) == expected
    trace = await gw.ok("alibaba.trade.getLogisticsTraceInfo.buyerView", {"orderId": order_id, **WEB})
    steps = trace["logisticsTrace"][0]["logisticsSteps"]
    assert len(steps) == 4 and "签收" in steps[-1]["remark"] and steps[0]["acceptTime"] == "2026-05-26 09:00:00"

    confirm = await gw.ok("trade.receivegoods.confirm", {"orderId": order_id, "orderEntryIds": await entries(gw, order_id)})
    assert confirm == {"result": {"success": True, "errorCode": None, "errorInfo": None}}
    assert await status(gw, order_id) == "confirm_goods"
    await admin(http, "advance", {"steps": 1})
    assert await status(gw, order_id) == "success"
    again = await gw.ok("trade.receivegoods.confirm", {"orderId": order_id, "orderEntryIds": await entries(gw, order_id)})
    assert again["result"]["errorCode"] == "ORDER_STATUS_ERROR"


async def test_shipping_follows_the_clock_in_hours(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)  # supplier A ships 24 h after payment
    await admin(http, "advance", {"hours": 23})
    assert await status(gw, order_id) == "waitsellersend"
    moved = await admin(http, "advance", {"hours": 1})
    assert moved["transitions"] == [{"order_id": order_id, "event": "shipped", "logistics_status": "WAITACCEPT"}]
    await admin(http, "advance", {"hours": 100})
    assert await logistics_status(gw, order_id) == "SIGN"
    trace = await gw.ok("alibaba.trade.getLogisticsTraceInfo.buyerView", {"orderId": order_id, **WEB})
    times = [s["acceptTime"] for s in trace["logisticsTrace"][0]["logisticsSteps"]]
    assert times == ["2026-05-27 09:00:00", "2026-05-27 11:00:00", "2026-05-27 17:00:00", "2026-05-29 17:00:00"]


async def test_a_shipment_stalls_where_the_supplier_says(catalog_data: dict[str, Any]) -> None:
    async with running(catalog_data) as (sim, gw):  # supplier C stalls at TRANSPORT
        order_id = await paid_order(gw, OFFER_C, "c1", 20)
        sim.market.step(20)
        assert await logistics_status(gw, order_id) == "TRANSPORT"
        await admin(gw.http, "advance", {"hours": 1000})
        assert await logistics_status(gw, order_id) == "TRANSPORT"
        assert await status(gw, order_id) == "waitbuyerreceive"


async def test_a_seller_that_closes_after_payment_refunds_everything() -> None:
    data = demo_data()
    data["suppliers"][0]["behaviour"]["cancel_after_pay"] = True
    async with running(data) as (_, gw):
        order_id = await paid_order(gw)
        await admin(gw.http, "advance", {"steps": 1})
        base = (await gw.order(order_id))["result"]["baseInfo"]
        assert base["status"] == "cancel" and base["closeOperateType"] == "CLOSE_TRADE_BY_SELLER"
        assert base["refund"] == "2350.00" and base["refundPayment"] == 235000 and base["refundStatus"] == "refundsuccess"
        refunds = await admin(gw.http, "refunds")
        assert [(r["order_id"], r["amount"], r["kind"]) for r in refunds] == [(order_id, "2350.00", "seller_close")]
        assert refunds[0]["reason"]


async def refund(gw: Gateway, order_id: str, **overrides: Any) -> dict[str, Any]:
    entry_ids = await entries(gw, order_id) if order_id != "1" else [2]
    params = {"orderId": order_id, "orderEntryIds": entry_ids, "disputeRequest": "refund",
              "applyPayment": 100000, "applyCarriage": 0, "applyReasonId": 20011, "description": "质检不合格 10 件",
              "goodsStatus": "refundBuyerReceived", **overrides}
    return (await gw.ok("alibaba.trade.createRefund", params))["result"]


async def test_refund_reasons_depend_on_goods_status(gw: Gateway) -> None:
    order_id = await paid_order(gw)
    body = await gw.ok("alibaba.trade.getRefundReasonList", {"orderId": order_id, "orderEntryIds": await entries(gw, order_id),
                                                              "goodsStatus": "refundBuyerReceived"})
    assert body["result"]["success"] is True
    assert {r["id"] for r in body["result"]["result"]["reasons"]} == {20011, 20012, 20013, 20014}
    not_received = await gw.ok("alibaba.trade.getRefundReasonList", {
        "orderId": order_id, "orderEntryIds": await entries(gw, order_id), "goodsStatus": "refundWaitSellerSend"})
    assert 20003 in {r["id"] for r in not_received["result"]["result"]["reasons"]}


async def test_partial_refund_after_qc_and_its_business_errors(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)
    assert (await refund(gw, order_id))["code"] == "5003"  # not shipped yet, goods cannot be received
    await admin(http, "advance", {"steps": 4})
    assert (await refund(gw, "1"))["code"] == "5001"
    assert (await refund(gw, order_id, applyReasonId=20001))["code"] == "5004"
    assert (await refund(gw, order_id, description="短"[:1]))["code"] == "5012"
    assert (await refund(gw, order_id, applyPayment=235001))["code"] == "5011"
    assert (await refund(gw, order_id, goodsStatus="refundWaitBuyerReceive", disputeRequest="returnRefund",
                         applyReasonId=20001))["code"] == "5010"
    ok = await refund(gw, order_id, disputeRequest="returnRefund")
    assert ok["success"] is True and ok["result"]["refundId"].startswith("TQ")
    base = (await gw.order(order_id))["result"]["baseInfo"]
    assert base["status"] == "waitbuyerreceive" and base["refund"] == "1000.00" and base["refundPayment"] == 100000
    assert (await refund(gw, order_id, applyPayment=135001))["code"] == "5011"  # only 1350.00 left
    refunds = await admin(http, "refunds")
    assert [(r["amount"], r["reason"]) for r in refunds] == [("1000.00", "质量问题")]


async def test_full_refund_before_shipping_cancels(gw: Gateway) -> None:
    order_id = await paid_order(gw)
    result = await refund(gw, order_id, applyPayment=225000, applyCarriage=10000, applyReasonId=20003,
                          goodsStatus="refundWaitSellerSend")
    assert result["success"] is True
    base = (await gw.order(order_id))["result"]["baseInfo"]
    assert base["status"] == "cancel" and base["refundStatus"] == "refundsuccess"
    assert (await gw.order(order_id))["result"]["tradeTerms"][0]["payStatus"] == "4"


async def test_full_refund_after_shipping_terminates(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)
    await admin(http, "advance", {"steps": 2})
    assert (await refund(gw, order_id, applyPayment=235000))["success"] is True
    assert await status(gw, order_id) == "terminated"


async def test_after_sale_refund(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)
    await admin(http, "advance", {"steps": 4})
    await gw.ok("trade.receivegoods.confirm", {"orderId": order_id, "orderEntryIds": await entries(gw, order_id)})
    await admin(http, "advance", {"steps": 1})
    assert (await refund(gw, order_id, goodsStatus="aftersaleBuyerReceived"))["success"] is True
    assert await status(gw, order_id) == "success"


async def test_confirm_receipt_errors(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = await paid_order(gw)
    early = await gw.ok("trade.receivegoods.confirm", {"orderId": order_id, "orderEntryIds": await entries(gw, order_id)})
    assert early["result"]["errorCode"] == "ORDER_STATUS_ERROR"
    await admin(http, "advance", {"steps": 1})
    wrong = await gw.ok("trade.receivegoods.confirm", {"orderId": order_id, "orderEntryIds": [1]})
    assert wrong["result"]["errorCode"] == "ORDER_ENTRY_NOT_FOUND"


async def test_reset_empties_the_books(gw: Gateway, http: httpx.AsyncClient) -> None:
    await paid_order(gw)
    await admin(http, "reset", {})
    assert await admin(http, "orders") == [] and await admin(http, "payments") == []
    assert await admin(http, "calls") == []
