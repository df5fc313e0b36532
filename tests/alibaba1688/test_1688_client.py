"""What the client sends, and how it reads each API's reply (unit level, scripted gateway)."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import unquote_to_bytes

import httpx
import pytest

from alibaba1688 import (
    Address,
    CargoLine,
    OrderNotFoundError,
    OutOfStockError,
    ProductOfflineError,
    ThrottledError,
    TransportError,
)
from alibaba1688.signing import sign

import samples_1688 as samples
from fakes_1688 import (
    ACCESS_TOKEN,
    APP_KEY,
    APP_SECRET,
    FakeGateway,
    dumps,
    gateway_error,
    make_client,
    nested,
    nested_error,
    ok,
)

ADDRESS = Address(
    full_name="张三",
    mobile="15251667788",
    province_text="浙江省",
    city_text="杭州市",
    area_text="滨江区",
    address="网商路699号",
)


async def test_cjk_json_parameter_is_sent_compact_and_signed_exactly() -> None:
    fake = FakeGateway().on("product.search.keywordQuery", ok(samples.search_result()))
    async with make_client(fake) as client:
        await client.search_offers("纯棉T恤 男款", page=2, page_size=10, price_end="50.00")

    [sent] = fake.sent
    request = sent.request
    assert request.method == "POST"
    assert request.url.path == (
        f"/openapi/param2/1/com.alibaba.fenxiao.crossborder/product.search.keywordQuery/{APP_KEY}"
    )
    assert not request.url.query, "every parameter travels in the form body"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded; charset=UTF-8"

    query = sent.form["offerQueryParam"]
    assert query == dumps(
        {"keyword": "纯棉T恤 男款", "beginPage": 2, "pageSize": 10, "priceEnd": "50.00",
         "country": "en"}
    )
    # CJK travels as UTF-8 bytes (percent-encoded by the form), never as \\u escapes.
    assert "纯棉".encode() in unquote_to_bytes(request.content)
    assert b"\\u" not in unquote_to_bytes(request.content)

    # The signature covers exactly the strings that were sent, system parameters included.
    assert sent.form["access_token"] == ACCESS_TOKEN
    assert sent.form["_aop_timestamp"].isdigit()
    url_path = request.url.path.removeprefix("/openapi/")
    assert sent.form["_aop_signature"] == sign(url_path, sent.form, APP_SECRET)


async def test_search_page_is_typed() -> None:
    fake = FakeGateway().on("product.search.keywordQuery", ok(samples.search_result(2)))
    async with make_client(fake) as client:
        page = await client.search_offers("T恤", sort={"price": "asc"})
    assert json.loads(fake.sent[0].form["offerQueryParam"])["sort"] == '{"price":"asc"}'
    assert page.total_records == 2 and page.page == 1
    first = page.offers[0]
    assert first.offer_id == "610000000001"
    assert first.price == Decimal("45.00")
    assert first.repurchase_rate == Decimal("0.32")
    assert first.seller is not None and first.seller.tp_year == 5
    # Search rows write repeatPurchasePercent in percent ("32"); the row names the seller only
    # by its open id (it used to read a sellerMemberId that only our simulator sent).
    assert first.seller.repeat_purchase_rate == Decimal("0.32")
    assert first.seller_open_id == samples.SELLER_OPEN_ID


async def test_offer_detail() -> None:
    fake = FakeGateway().on("product.search.queryProductDetail", ok(samples.detail_result()))
    async with make_client(fake) as client:
        detail = await client.get_offer_detail("610000000001")
    assert json.loads(fake.sent[0].form["offerDetailParam"]) == {
        "offerId": 610000000001,
        "country": "en",
    }
    assert detail.is_published and detail.min_order_quantity == 50
    assert [(t.start_quantity, t.price) for t in detail.price_tiers] == [
        (50, Decimal("45.00")),
        (200, Decimal("42.50")),
    ]
    assert detail.tier_price(49) is None
    assert detail.tier_price(250) == Decimal("42.50")
    sku = detail.sku("a1")
    assert sku is not None and sku.stock == 1000 and sku.attributes == {"颜色": "白色"}
    assert sku.sku_id == "610000000001001"
    assert detail.mix_batch is not None
    assert (detail.mix_batch.enabled, detail.mix_batch.min_amount) == (True, Decimal(100))
    # The detail names the seller by open id; its figures are a fraction and two percents.
    assert detail.seller_open_id == samples.SELLER_OPEN_ID and detail.unit == "件"
    assert detail.seller is not None
    assert (detail.seller.repeat_purchase_rate, detail.seller.on_time_ship_rate, detail.seller.dispute_rate) == (
        Decimal("0.32"), Decimal("0.95"), Decimal("0.01"))


async def test_unknown_offer_is_product_offline() -> None:
    fake = FakeGateway().on(
        "product.search.queryProductDetail", ok(nested_error("OFFER_NOT_FOUND", "商品不存在"))
    )
    async with make_client(fake) as client:
        with pytest.raises(ProductOfflineError) as caught:
            await client.get_offer_detail("610000000099")
    assert caught.value.code == "OFFER_NOT_FOUND"
    assert caught.value.api == "com.alibaba.fenxiao.crossborder:product.search.queryProductDetail"


async def test_freight_estimate() -> None:
    fake = FakeGateway().on("product.freight.estimate", ok(samples.freight_result()))
    async with make_client(fake) as client:
        estimate = await client.estimate_freight(
            "610000000001", "330000", "330100", 60, {"610000000001001": 60}
        )
    assert json.loads(fake.sent[0].form["productFreightQueryParamsNew"]) == {
        "offerId": 610000000001,
        "toProvinceCode": "330000",
        "toCityCode": "330100",
        "totalNum": 60,
        "logisticsSkuNumModels": [{"skuId": "610000000001001", "number": 60}],
    }
    assert estimate.freight == Decimal("100.00") and not estimate.free_postage


async def test_preview_amounts_become_yuan() -> None:
    fake = FakeGateway().on("alibaba.createOrder.preview", ok(samples.preview_result()))
    async with make_client(fake) as client:
        preview = await client.preview_order(ADDRESS, [CargoLine(offer_id="610000000001",
                                                                   spec_id="a1", quantity=50)])
    form = fake.sent[0].form
    assert json.loads(form["cargoParamList"]) == [
        {"offerId": 610000000001, "specId": "a1", "quantity": 50}
    ]
    assert json.loads(form["addressParam"])["fullName"] == "张三"
    assert "张三" in form["addressParam"]  # compact UTF-8 JSON, not escaped
    [order] = preview.orders
    assert order.sum_payment == Decimal("2350.00")
    assert order.sum_carriage == Decimal("100.00")
    assert preview.total_payment == Decimal("2350.00")
    assert order.lines[0].unit_price == Decimal("45.00")


async def test_preview_refusal_is_typed() -> None:
    refusal = {"success": False, "errorCode": "500_004", "errorMsg": "库存不足"}
    fake = FakeGateway().on("alibaba.createOrder.preview", ok(refusal))
    async with make_client(fake) as client:
        with pytest.raises(OutOfStockError) as caught:
            await client.preview_order(ADDRESS, [CargoLine(offer_id="1", quantity=1)])
    assert caught.value.message == "库存不足" and not caught.value.retryable


async def test_create_order_partial_success_is_data() -> None:
    failed = [{"offerId": 610000000003, "specId": "c1", "errorCode": "500_004",
               "errorMessage": "库存不足"}]
    fake = FakeGateway().on("alibaba.trade.fastCreateOrder", ok(samples.create_result(failed)))
    cargo = [
        CargoLine(offer_id="610000000001", spec_id="a1", quantity=50),
        CargoLine(offer_id="610000000003", spec_id="c1", quantity=5),
    ]
    async with make_client(fake) as client:
        created = await client.create_order(ADDRESS, cargo, "PR-1-o1", "请尽快发货")
    form = fake.sent[0].form
    assert (form["flow"], form["outOrderId"], form["message"]) == ("general", "PR-1-o1", "请尽快发货")
    assert created.order_id == samples.ORDER_ID
    assert created.total_success_amount == Decimal("2350.01")
    assert created.post_fee == Decimal("100.00")
    assert created.is_partial
    assert created.failed_offers[0].offer_id == "610000000003"
    assert created.failed_offers[0].error_code == "500_004"


async def test_create_order_inner_failure_is_an_error() -> None:
    reply = {"success": True, "result": {"success": False, "code": "500_004", "message": "无货"}}
    fake = FakeGateway().on("alibaba.trade.fastCreateOrder", ok(reply))
    async with make_client(fake) as client:
        with pytest.raises(OutOfStockError):
            await client.create_order(ADDRESS, [CargoLine(offer_id="1", quantity=1)], "o-1")


async def test_create_order_limits_cargo_lines() -> None:
    fake = FakeGateway()
    async with make_client(fake) as client:
        with pytest.raises(ValueError, match="1 to 50"):
            await client.create_order(
                ADDRESS, [CargoLine(offer_id=str(i), quantity=1) for i in range(51)], "o-1"
            )
        with pytest.raises(ValueError):
            await client.create_order(ADDRESS, [], "o-1")
    assert fake.sent == []


async def test_order_ids_stay_exact_strings() -> None:
    view = samples.order_view()
    del view["baseInfo"]["idOfStr"], view["productItems"][0]["subItemIDString"]
    fake = FakeGateway().on("alibaba.trade.get.buyerView", ok({"success": "true", "result": view}))
    async with make_client(fake) as client:
        order = await client.get_order(samples.ORDER_ID)
    assert fake.sent[0].form["orderId"] == samples.ORDER_ID
    assert fake.sent[0].form["webSite"] == "1688"
    assert order.order_id == samples.ORDER_ID
    assert order.lines[0].entry_id == samples.ENTRY_ID
    assert order.total_amount == Decimal("2350.01")
    assert order.created_at is not None and order.created_at.utcoffset().total_seconds() == 28800
    assert order.status == "waitbuyerpay" and not order.is_paid


async def test_unknown_order_raises_not_found() -> None:
    fake = FakeGateway().on(
        "alibaba.trade.get.buyerView",
        ok({"success": "false", "errorCode": "ORDER_NOT_FOUND", "errorMessage": "订单不存在"}),
    )
    async with make_client(fake) as client:
        with pytest.raises(OrderNotFoundError):
            await client.get_order("1")


async def test_find_by_out_order_id() -> None:
    fake = FakeGateway().on(
        "alibaba.trade.getBuyerOrderList",
        ok({"result": [samples.order_view(out_order_id="PR-1-o1")], "totalRecord": 1}),
        ok({"result": [], "totalRecord": 0}),
    )
    async with make_client(fake) as client:
        found = await client.find_order_by_out_order_id("PR-1-o1")
        missing = await client.find_order_by_out_order_id("PR-1-o2")
    assert found is not None and found.order_id == samples.ORDER_ID
    assert missing is None
    assert fake.sent[0].form["outOrderId"] == "PR-1-o1"


async def test_payment_calls() -> None:
    agreements = nested({"paymentAgreements": [
        {"payChannel": "ALIPAY", "bindingStatus": "true", "signedStatus": "true"},
    ]})
    fake = (
        FakeGateway()
        .on("alibaba.trade.pay.protocolPay.isopen", ok(agreements))
        .on("alibaba.trade.pay.protocolPay.preparePay",
            ok(nested({"payChannel": "ALIPAY", "paySuccess": True})))
        .on("alibaba.alipay.url.get", ok({"success": True, "payUrl": "https://pay.example/x"}))
    )
    async with make_client(fake) as client:
        assert await client.is_protocol_pay_open()
        paid = await client.prepare_pay(samples.ORDER_ID, Decimal("2350.01"), "pay-PR-1-o1")
        url = await client.get_payment_url([samples.ORDER_ID])
    param = json.loads(fake.calls("alibaba.trade.pay.protocolPay.preparePay")[0].form[
        "tradeWithholdPreparePayParam"])
    assert param == {"orderId": int(samples.ORDER_ID), "payAmount": 235001,
                     "opRequestId": "pay-PR-1-o1"}
    assert paid.pay_success and paid.order_id == samples.ORDER_ID
    assert url == "https://pay.example/x"
    assert fake.calls("alibaba.alipay.url.get")[0].form["orderIdList"] == f"[{samples.ORDER_ID}]"


async def test_protocol_pay_not_open() -> None:
    agreements = nested({"paymentAgreements": [
        {"payChannel": "ALIPAY", "bindingStatus": "false", "signedStatus": "false"},
    ]})
    fake = FakeGateway().on("alibaba.trade.pay.protocolPay.isopen", ok(agreements))
    async with make_client(fake) as client:
        assert await client.is_protocol_pay_open() is False


async def test_sub_fen_amounts_are_refused_not_rounded() -> None:
    async with make_client(FakeGateway()) as client:
        with pytest.raises(ValueError, match="fen"):
            await client.prepare_pay("1", Decimal("1.005"))


async def test_logistics_before_and_after_shipping() -> None:
    fake = (
        FakeGateway()
        .on("alibaba.trade.getLogisticsInfos.buyerView",
            ok(samples.NOT_SHIPPED), ok(samples.logistics_result()))
        .on("alibaba.trade.getLogisticsTraceInfo.buyerView",
            ok(samples.NOT_SHIPPED), ok(samples.trace_result()))
    )
    async with make_client(fake) as client:
        before = await client.get_logistics_info(samples.ORDER_ID)
        trace_before = await client.get_logistics_trace(samples.ORDER_ID)
        after = await client.get_logistics_info(samples.ORDER_ID)
        trace_after = await client.get_logistics_trace(samples.ORDER_ID)
    assert (before.shipped, before.shipments) == (False, [])
    assert (trace_before.shipped, trace_before.shipments) == (False, [])
    assert after.shipped and after.shipments[0].status == "TRANSPORT"
    assert after.shipments[0].order_entry_ids == [samples.ENTRY_ID]
    steps = trace_after.shipments[0].steps
    assert [s.remark for s in steps] == ["卖家已发货", "快递员已揽件"]
    assert steps[0].accepted_at is not None and steps[0].accepted_at.hour == 9


async def test_receipt_refund_and_cancel() -> None:
    reasons = nested({"reasons": [{"id": 20011, "name": "质量问题", "needVoucher": False}]})
    fake = (
        FakeGateway()
        .on("trade.receivegoods.confirm", ok({"result": {"success": True, "errorCode": None}}))
        .on("alibaba.trade.getRefundReasonList", ok(reasons))
        .on("alibaba.trade.createRefund", ok(nested({"refundId": "TQ37000000000001"})))
        .on("alibaba.trade.cancel", ok({"success": True}))
    )
    async with make_client(fake) as client:
        await client.confirm_receipt(samples.ORDER_ID, [samples.ENTRY_ID])
        [reason] = await client.get_refund_reasons(
            samples.ORDER_ID, [samples.ENTRY_ID], "refundBuyerReceived"
        )
        refund = await client.create_refund(
            samples.ORDER_ID,
            [samples.ENTRY_ID],
            dispute_request="returnRefund",
            apply_payment=Decimal("450.00"),
            apply_reason_id=reason.reason_id,
            description="质量问题，退货退款",
            goods_status="refundBuyerReceived",
        )
        await client.cancel_order(samples.ORDER_ID, "other", "不要了")
    assert fake.calls("trade.receivegoods.confirm")[0].form["orderEntryIds"] == (
        f"[{samples.ENTRY_ID}]"
    )
    assert reason.reason_id == "20011" and reason.name == "质量问题"
    form = fake.calls("alibaba.trade.createRefund")[0].form
    assert (form["applyPayment"], form["applyCarriage"], form["applyReasonId"]) == (
        "45000", "0", "20011")
    assert refund.refund_id == "TQ37000000000001"
    cancel = fake.calls("alibaba.trade.cancel")[0].form
    assert (cancel["tradeID"], cancel["cancelReason"], cancel["webSite"]) == (
        samples.ORDER_ID, "other", "1688")


async def test_receipt_refusal_uses_error_info() -> None:
    refusal = {"result": {"success": False, "errorCode": "ORDER_STATUS_ERROR", "errorInfo": "状态"}}
    fake = FakeGateway().on("trade.receivegoods.confirm", ok(refusal))
    async with make_client(fake) as client:
        with pytest.raises(Exception) as caught:
            await client.confirm_receipt("1", ["2"])
    assert caught.value.code == "ORDER_STATUS_ERROR" and caught.value.message == "状态"


async def test_supplier_profile() -> None:
    # crossBasic is keyed by login id and answers no member id, years or rates (it used to be
    # called with a member id our simulator understood).
    profile = {"result": {"loginId": "supplier-a", "companyName": "A 服饰", "categoryName": "服装"}}
    fake = FakeGateway().on("alibaba.account.agent.crossBasic", ok(profile))
    async with make_client(fake) as client:
        supplier = await client.get_supplier_profile("supplier-a")
    assert fake.sent[0].form["loginId"] == "supplier-a" and "memberId" not in fake.sent[0].form
    assert (supplier.login_id, supplier.company_name, supplier.category_name) == ("supplier-a", "A 服饰", "服装")


async def test_seller_by_open_id() -> None:
    open_id = samples.SELLER_OPEN_ID
    listing = samples.search_result(1)
    fake = (
        FakeGateway()
        .on("wangwangnick.openuid.decrypt", ok({"wangwangNick": "supplier-a"}))
        .on("alibaba.account.agent.crossBasic", ok({"result": {"loginId": "supplier-a", "companyName": "A 服饰"}}))
        .on("product.search.querySellerOfferList", ok(listing))
        .on("product.search.queryProductDetail", ok(samples.detail_result()))
    )
    async with make_client(fake) as client:
        seller = await client.get_seller(open_id)
    assert [call.api for call in fake.sent] == [
        "wangwangnick.openuid.decrypt", "alibaba.account.agent.crossBasic",
        "product.search.querySellerOfferList", "product.search.queryProductDetail"]
    assert fake.sent[0].form["openUid"] == open_id
    assert json.loads(fake.sent[2].form["offerQueryParam"])["sellerOpenId"] == open_id
    assert (seller.open_id, seller.login_id, seller.company_name) == (open_id, "supplier-a", "A 服饰")
    assert (seller.repurchase_rate, seller.on_time_ship_rate, seller.dispute_rate) == (
        Decimal("0.32"), Decimal("0.95"), Decimal("0.01"))
    assert seller.years is None  # only search rows state tpYear


async def test_throttled_and_transport_failures_are_retryable() -> None:
    fake = (
        FakeGateway()
        .on("product.search.keywordQuery", gateway_error("gw.QosAppFrequencyLimit"))
        .on("product.search.queryProductDetail",
            httpx.ConnectError("connection refused"))
        .on("product.freight.estimate", httpx.ReadTimeout("timed out"))
    )
    async with make_client(fake) as client:
        with pytest.raises(ThrottledError) as throttled:
            await client.search_offers("T恤")
        with pytest.raises(TransportError) as refused:
            await client.get_offer_detail("1")
        with pytest.raises(TransportError) as timed_out:
            await client.estimate_freight("1", "330000", "330100", 1)
    assert throttled.value.retryable and throttled.value.retry_after
    assert refused.value.retryable and not refused.value.outcome_unknown
    assert timed_out.value.retryable and timed_out.value.outcome_unknown
    assert timed_out.value.code == "timeout"
    assert timed_out.value.__cause__ is None and timed_out.value.__context__ is None
