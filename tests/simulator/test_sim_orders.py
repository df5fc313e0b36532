"""Preview, create (incl. partial success), read by id and outOrderId, cancel, pay."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sim_support import ADDRESS, OFFER_A, OFFER_B, OFFER_C, Gateway, admin, demo_data, running

OFFER_D = "610000000004"  # supplier A, like OFFER_A: together they can make a mixed batch


def cargo(offer_id: str, spec_id: str | None, quantity: int) -> dict[str, Any]:
    line: dict[str, Any] = {"offerId": int(offer_id), "quantity": quantity}
    if spec_id:
        line["specId"] = spec_id
    return line


async def preview(gw: Gateway, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return await gw.ok("alibaba.createOrder.preview", {"addressParam": ADDRESS, "cargoParamList": list(lines), **extra})


async def test_preview_prices_in_fen_the_a_b_case(gw: Gateway) -> None:
    a = (await preview(gw, cargo(OFFER_A, "a1", 50)))["orderPreviewResuslt"][0]
    assert (a["sumPayment"], a["sumCarriage"], a["sumPaymentNoCarriage"]) == (235000, 10000, 225000)
    assert a["cargoList"][0]["finalUnitPrice"] == "45.00" and a["cargoList"][0]["amount"] == "2250.00"
    b = (await preview(gw, cargo(OFFER_B, "b1", 30)))["orderPreviewResuslt"][0]
    assert (b["sumPayment"], b["sumCarriage"]) == (149000, 5000)


async def test_preview_uses_the_price_tier_of_the_total_quantity(gw: Gateway) -> None:
    b = (await preview(gw, cargo(OFFER_B, "b1", 150), cargo(OFFER_B, "b2", 50)))["orderPreviewResuslt"][0]
    assert b["sumPaymentNoCarriage"] == 200 * 4600


async def test_preview_business_errors(gw: Gateway) -> None:
    cases = [
        ((cargo(OFFER_C, "c1", 301),), "500_004"),
        ((cargo(OFFER_A, "a1", 49),), "500_005"),
        ((cargo(OFFER_A, "a1", 1), cargo(OFFER_D, "d1", 1)), "500_006"),  # 91.00 yuan < 100.00
        ((cargo(OFFER_A, "a1", 2), cargo(OFFER_D, "d1", 1)), "500_006"),  # 3 pieces < 10
        ((cargo("610000000005", "e1", 20),), "500_001"),  # expired offer
        ((cargo(OFFER_A, "zz", 50),), "500_001"),  # unknown spec
        ((cargo(OFFER_A, "a1", 50), cargo(OFFER_B, "b1", 30)), "MULTIPLE_SELLERS"),
    ]
    for lines, code in cases:
        body = await preview(gw, *lines)
        assert body["success"] is False, (lines, body)
        assert body["errorCode"] == code, (lines, body)
        assert body["errorMsg"]


async def test_a_mixed_batch_waives_the_moq(gw: Gateway) -> None:
    body = await preview(gw, cargo(OFFER_A, "a1", 5), cargo(OFFER_D, "d1", 5))
    assert body["success"] is True
    assert body["orderPreviewResuslt"][0]["sumPaymentNoCarriage"] == 5 * 4500 + 5 * 4600
    assert body["orderPreviewResuslt"][0]["sumCarriage"] == 20000  # each offer's flat freight


async def test_vat_invoice_adds_the_tax_surcharge(gw: Gateway) -> None:
    body = await preview(gw, cargo("610000000201", "h1", 20), invoiceParam={"invoiceType": 1})
    result = body["orderPreviewResuslt"][0]
    assert result["cargoList"][0]["finalUnitPrice"] == "29.68"  # 28.00 x 1.06
    assert result["sumPayment"] == 20 * 2968


async def test_create_commits_an_order_and_takes_stock(gw: Gateway, http: httpx.AsyncClient) -> None:
    body = await gw.create([cargo(OFFER_A, "a1", 50)], out_order_id="PR-1-o1")
    assert body["success"] is True
    result = body["result"]
    assert result["totalSuccessAmount"] == 235000 and result["postFee"] == 10000
    assert result["failedOfferList"] == []
    assert isinstance(result["orderId"], str) and int(result["orderId"]) > 2**53
    detail = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": OFFER_A}})
    assert detail["result"]["result"]["productSkuInfos"][0]["amountOnSale"] == 950
    orders = await admin(http, "orders")
    assert orders == [{**orders[0], "order_id": result["orderId"], "out_order_id": "PR-1-o1", "supplier_id": "b2b-1001",
                       "status": "waitbuyerpay", "amount": "2350.00"}]
    assert orders[0]["lines"][0] | {"entry_id": "x"} == {"entry_id": "x", "offer_id": OFFER_A, "spec_id": "a1",
                                                        "quantity": 50, "unit_price": "45.00"}


async def test_create_is_partial_when_one_offer_sold_out_after_it_was_read() -> None:
    data = demo_data()
    next(o for o in data["offers"] if o["offer_id"] == OFFER_D)["behaviour"]["stock_at_order"] = 0
    async with running(data) as (sim, gw):
        body = await gw.create([cargo(OFFER_A, "a1", 50), cargo(OFFER_D, "d1", 50)])
        assert body["success"] is True
        assert body["result"]["totalSuccessAmount"] == 235000
        [failed] = body["result"]["failedOfferList"]
        assert failed["offerId"] == int(OFFER_D) and failed["specId"] == "d1" and failed["errorCode"] == "500_004"
        order = await gw.order(body["result"]["orderId"])
        assert [item["productID"] for item in order["result"]["productItems"]] == [int(OFFER_A)]
        # the listing still shows stock (the buyer read it before it sold out)
        detail = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": OFFER_D}})
        assert detail["result"]["result"]["productSaleInfo"]["amountOnSale"] == 1200

        nothing_left = await gw.create([cargo(OFFER_D, "d1", 50)])
        assert nothing_left["success"] is False and nothing_left["errorCode"] == "500_004"
        assert nothing_left["result"]["failedOfferList"][0]["offerId"] == int(OFFER_D)
        # dropping the sold-out line leaves the rest below its MOQ: no order at all
        below = await gw.create([cargo(OFFER_A, "a1", 5), cargo(OFFER_D, "d1", 5)])
        assert below["success"] is False and below["errorCode"] == "500_005"
        assert len(sim.market.orders) == 1


async def test_create_validates_its_input(gw: Gateway) -> None:
    too_many = [cargo(OFFER_A, "a1", 1)] * 51
    assert (await gw.create(too_many))["errorCode"] == "CARGO_LIST_TOO_LONG"
    assert (await gw.create([cargo(OFFER_A, "a1", 0)]))["errorCode"] == "QUANTITY_INVALID"
    incomplete = await gw.ok("alibaba.trade.fastCreateOrder", {
        "flow": "general", "addressParam": {"fullName": "张三"}, "cargoParamList": [cargo(OFFER_A, "a1", 50)]})
    assert incomplete["errorCode"] == "ADDRESS_INCOMPLETE"
    bad_flow = await gw.ok("alibaba.trade.fastCreateOrder", {
        "flow": "bogus", "addressParam": ADDRESS, "cargoParamList": [cargo(OFFER_A, "a1", 50)]})
    assert bad_flow["errorCode"] == "FLOW_NOT_SUPPORTED"


async def test_order_detail_shape_and_units(gw: Gateway) -> None:
    order_id = (await gw.create([cargo(OFFER_B, "b1", 30)], "PR-9-o1"))["result"]["orderId"]
    body = await gw.order(order_id)
    assert body["success"] == "true"
    base = body["result"]["baseInfo"]
    assert base["idOfStr"] == order_id and base["id"] == int(order_id)
    assert base["status"] == "waitbuyerpay" and base["outOrderId"] == "PR-9-o1"
    assert (base["totalAmount"], base["sumProductPayment"], base["shippingFee"]) == ("1490.00", "1440.00", "50.00")
    assert base["sellerID"] == "b2b-1002" and base["createTime"] == "20260526090000000+0800"
    item = body["result"]["productItems"][0]
    assert item["subItemIDString"] == str(int(order_id) + 1) and item["price"] == "48.00" and item["quantity"] == 30
    assert body["result"]["nativeLogistics"]["city"] == "杭州市"
    missing = await gw.ok("alibaba.trade.get.buyerView", {"webSite": "1688", "orderId": "1"})
    assert missing == {"success": "false", "errorCode": "ORDER_NOT_FOUND", "errorMessage": "订单不存在"}


async def test_out_order_id_lookups_see_every_duplicate(gw: Gateway, http: httpx.AsyncClient) -> None:
    first = (await gw.create([cargo(OFFER_A, "a1", 50)], "PR-7-o1"))["result"]["orderId"]
    await gw.create([cargo(OFFER_B, "b1", 30)], "PR-7-o2")
    # A blind retry of create is NOT rejected by the platform: it makes a second order.
    second = (await gw.create([cargo(OFFER_A, "a1", 50)], "PR-7-o1"))["result"]["orderId"]
    assert first != second
    view = await gw.ok("alibaba.trade.get.buyerView", {"webSite": "1688", "outOrderId": "PR-7-o1"})
    assert view["result"]["baseInfo"]["idOfStr"] == second  # the newest
    listing = await gw.ok("alibaba.trade.getBuyerOrderList", {"outOrderId": "PR-7-o1"})
    assert "success" not in listing and listing["totalRecord"] == 2
    assert [o["baseInfo"]["idOfStr"] for o in listing["result"]] == [second, first]
    everything = await gw.ok("alibaba.trade.getBuyerOrderList", {"page": 1, "pageSize": 2})
    assert everything["totalRecord"] == 3 and len(everything["result"]) == 2
    assert (await gw.ok("alibaba.trade.getBuyerOrderList", {"orderStatus": "cancel"}))["totalRecord"] == 0
    assert len([o for o in await admin(http, "orders") if o["out_order_id"] == "PR-7-o1"]) == 2


async def cancel(gw: Gateway, order_id: str, reason: str = "buyerCancel") -> dict[str, Any]:
    return await gw.ok("alibaba.trade.cancel", {"webSite": "1688", "tradeID": order_id, "cancelReason": reason})


async def test_cancel_unpaid_orders_only_and_not_too_fast(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = (await gw.create([cargo(OFFER_A, "a1", 50)]))["result"]["orderId"]
    too_fast = await cancel(gw, order_id)
    assert too_fast == {"success": False, "errorCode": "CLOSE_ORDER_TOO_FAST", "errorMessage": too_fast["errorMessage"]}
    await admin(http, "clock", {"advance_seconds": 10})
    assert (await cancel(gw, order_id, "nonsense"))["errorCode"] == "CANCEL_REASON_INVALID"
    assert await cancel(gw, order_id) == {"success": True}
    base = (await gw.order(order_id))["result"]["baseInfo"]
    assert base["status"] == "cancel" and base["closeOperateType"] == "CLOSE_TRADE_BY_BUYER"
    detail = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": OFFER_A}})
    assert detail["result"]["result"]["productSkuInfos"][0]["amountOnSale"] == 1000  # stock came back
    assert (await cancel(gw, order_id))["errorCode"] == "ORDER_STATUS_ERROR"
    assert (await cancel(gw, "1"))["errorCode"] == "ORDER_NOT_FOUND"


async def test_cancel_window_is_configurable() -> None:
    data = demo_data()
    data["app"]["close_order_min_seconds"] = 0
    async with running(data) as (_, gw):
        order_id = (await gw.create([cargo(OFFER_A, "a1", 50)]))["result"]["orderId"]
        assert await cancel(gw, order_id) == {"success": True}


async def test_protocol_pay(gw: Gateway, http: httpx.AsyncClient) -> None:
    isopen = await gw.ok("alibaba.trade.pay.protocolPay.isopen")
    alipay = isopen["result"]["result"]["paymentAgreements"][0]
    assert alipay["payChannel"] == "ALIPAY" and alipay["signedStatus"] == "true"
    order_id = (await gw.create([cargo(OFFER_A, "a1", 50)]))["result"]["orderId"]
    wrong = await gw.pay(order_id, payAmount=1)
    assert wrong["result"]["success"] is False and wrong["result"]["code"] == "PAY_AMOUNT_MISMATCH"
    paid = await gw.pay(order_id, payAmount=235000, payChannel="alipay", opRequestId="op-1")
    assert paid["result"] == {"success": True, "code": None, "message": None,
                              "result": {"payChannel": "ALIPAY", "paySuccess": True}}
    base = (await gw.order(order_id))["result"]["baseInfo"]
    assert base["status"] == "waitsellersend" and base["payTime"] == "20260526090000000+0800"
    again = await gw.pay(order_id)
    assert again["result"]["code"] == "ORDER_STATUS_ERROR"
    assert await admin(http, "payments") == [{"order_id": order_id, "amount": "2350.00", "channel": "ALIPAY",
                                              "op_request_id": "op-1", "paid_at": "2026-05-26T09:00:00+08:00"}]
    assert (await gw.pay("1"))["result"]["code"] == "ORDER_NOT_FOUND"
    assert (await cancel(gw, order_id))["errorCode"] == "ORDER_STATUS_ERROR"


async def test_protocol_pay_not_open() -> None:
    data = demo_data()
    data["app"]["protocol_pay_open"] = False
    async with running(data) as (_, gw):
        isopen = await gw.ok("alibaba.trade.pay.protocolPay.isopen")
        assert isopen["result"]["result"]["paymentAgreements"][0]["signedStatus"] == "false"
        order_id = (await gw.create([cargo(OFFER_A, "a1", 50)]))["result"]["orderId"]
        assert (await gw.pay(order_id))["result"]["code"] == "PROTOCOL_PAY_NOT_OPEN"


async def test_payment_link_for_people(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = (await gw.create([cargo(OFFER_A, "a1", 50)]))["result"]["orderId"]
    link = await gw.ok("alibaba.alipay.url.get", {"orderIdList": [int(order_id)]})
    assert link["success"] is True and link["payUrl"].endswith(f"/_sim/cashier?orderIds={order_id}")
    assert (await http.get(link["payUrl"])).json()["orders"][0]["order_id"] == order_id
    assert (await http.post(f"/_sim/orders/{order_id}/pay")).status_code == 200
    assert (await gw.order(order_id))["result"]["baseInfo"]["status"] == "waitsellersend"
    refused = await gw.ok("alibaba.alipay.url.get", {"orderIdList": [int(order_id)]})
    assert refused["success"] is False and refused["erroMsg"] and refused["payFailureOrderList"] == [order_id]


async def test_concurrent_creates_never_oversell(gw: Gateway, http: httpx.AsyncClient) -> None:
    # Offer C has 300 in stock: of ten concurrent orders of 40, exactly seven fit.
    results = await asyncio.gather(*(gw.create([cargo(OFFER_C, "c1", 40)]) for _ in range(10)))
    assert sorted(r["success"] for r in results) == [False] * 3 + [True] * 7
    assert {r["errorCode"] for r in results if not r["success"]} == {"500_004"}
    assert len(await admin(http, "orders")) == 7
    detail = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": OFFER_C}})
    assert detail["result"]["result"]["productSaleInfo"]["amountOnSale"] == 20
