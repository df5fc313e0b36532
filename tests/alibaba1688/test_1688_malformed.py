"""A reply that is not what the API promises is a MalformedReplyError for every method, never a
KeyError, TypeError or pydantic ValidationError leaking out."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

import samples_1688 as samples
from alibaba1688 import Address, Alibaba1688Client, CargoLine, MalformedReplyError
from fakes_1688 import FakeGateway, make_client, nested, ok, raw

ADDRESS = Address(
    full_name="张三", mobile="15251667788", province_text="浙江省", city_text="杭州市",
    address="网商路699号",
)
CARGO = [CargoLine(offer_id="610000000001", spec_id="a1", quantity=50)]

Call = Callable[[Alibaba1688Client], Awaitable[Any]]
REFUND = {"refundId": "TQ1", "orderId": int(samples.ORDER_ID), "status": "waitselleragree", "applyPayment": 100}

# Every method, with its API name and a good reply to spoil.
METHODS: dict[str, tuple[str, dict[str, Any], Call]] = {
    "search": ("product.search.keywordQuery", samples.search_result(),
               lambda c: c.search_offers("T恤")),
    "detail": ("product.search.queryProductDetail", samples.detail_result(),
               lambda c: c.get_offer_detail("610000000001")),
    "freight": ("product.freight.estimate", samples.freight_result(),
                lambda c: c.estimate_freight("610000000001", "330000", "330100", 50)),
    "profile": ("alibaba.account.agent.crossBasic",
                {"success": True, "result": {"loginId": "a", "memberId": "b", "tpYear": 3}},
                lambda c: c.get_supplier_profile("b")),
    "preview": ("alibaba.createOrder.preview", samples.preview_result(),
                lambda c: c.preview_order(ADDRESS, CARGO)),
    "create": ("alibaba.trade.fastCreateOrder", samples.create_result(),
               lambda c: c.create_order(ADDRESS, CARGO, "o-1")),
    "get_order": ("alibaba.trade.get.buyerView", samples.order_result(),
                  lambda c: c.get_order(samples.ORDER_ID)),
    "find_order": ("alibaba.trade.getBuyerOrderList",
                   {"result": [samples.order_view()], "totalRecord": 1},
                   lambda c: c.find_order_by_out_order_id("PR-1-o1")),
    "isopen": ("alibaba.trade.pay.protocolPay.isopen",
               nested({"paymentAgreements": [{"payChannel": "ALIPAY", "bindingStatus": "true",
                                              "signedStatus": "true"}]}),
               lambda c: c.is_protocol_pay_open()),
    "pay": ("alibaba.trade.pay.protocolPay.preparePay",
            nested({"payChannel": "ALIPAY", "paySuccess": True}),
            lambda c: c.prepare_pay(samples.ORDER_ID, Decimal("1.00"))),
    "pay_url": ("alibaba.alipay.url.get", {"success": True, "payUrl": "https://x"},
                lambda c: c.get_payment_url([samples.ORDER_ID])),
    "logistics": ("alibaba.trade.getLogisticsInfos.buyerView", samples.logistics_result(),
                  lambda c: c.get_logistics_info(samples.ORDER_ID)),
    "trace": ("alibaba.trade.getLogisticsTraceInfo.buyerView", samples.trace_result(),
              lambda c: c.get_logistics_trace(samples.ORDER_ID)),
    "confirm": ("trade.receivegoods.confirm", {"result": {"success": True}},
                lambda c: c.confirm_receipt(samples.ORDER_ID, [samples.ENTRY_ID])),
    "reasons": ("alibaba.trade.getRefundReasonList",
                nested({"reasons": [{"id": 1, "name": "质量问题"}]}),
                lambda c: c.get_refund_reasons(samples.ORDER_ID, [samples.ENTRY_ID],
                                               "refundBuyerReceived")),
    "refund": ("alibaba.trade.createRefund", nested({"refundId": "TQ1"}),
               lambda c: c.create_refund(samples.ORDER_ID, [samples.ENTRY_ID],
                                         dispute_request="refund",
                                         apply_payment=Decimal("1.00"), apply_reason_id="1",
                                         description="不想要了", goods_status="refundWaitSellerSend")),
    "cancel": ("alibaba.trade.cancel", {"success": True},
               lambda c: c.cancel_order(samples.ORDER_ID)),
    "list_refunds": ("alibaba.trade.refund.buyer.queryOrderRefundList",
                     {"result": {"opOrderRefundModels": [REFUND], "totalCount": 1, "currentPageNum": 0},
                      "success": True},
                     lambda c: c.list_refunds(samples.ORDER_ID)),
    "get_refund": ("alibaba.trade.refund.OpQueryOrderRefund", {"result": {"opOrderRefundModelDetail": REFUND}},
                   lambda c: c.get_refund("TQ1")),
    "return_goods": ("alibaba.trade.refund.returnGoods", {"result": {"success": True}},
                     lambda c: c.return_goods("TQ1", "SF", "SF1234567890")),
}

# Spoiling one field per API: a missing required field or a value of the wrong type.
SPOILERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "search": lambda b: b["result"]["result"].update(totalRecords="many"),
    "detail": lambda b: b["result"]["result"].pop("productSaleInfo"),
    "freight": lambda b: b["result"]["result"].update(freight="free!"),
    "profile": lambda b: b.update(result=["not", "an", "object"]),
    "preview": lambda b: b["orderPreviewResuslt"][0].update(sumPayment="12.5"),
    "create": lambda b: b["result"].pop("orderId"),
    "get_order": lambda b: b["result"]["baseInfo"].pop("status"),
    "find_order": lambda b: b["result"][0]["baseInfo"].update(totalAmount=None),
    "isopen": lambda b: b["result"]["result"].update(paymentAgreements="yes"),
    "pay": lambda b: b["result"]["result"].pop("paySuccess"),
    "pay_url": lambda b: b.pop("payUrl"),
    "logistics": lambda b: b["result"][0].pop("logisticsId"),
    "trace": lambda b: b["logisticsTrace"][0]["logisticsSteps"][0].update(acceptTime="yesterday"),
    "confirm": lambda b: b.update(result="ok"),
    "reasons": lambda b: b["result"]["result"]["reasons"][0].pop("name"),
    "refund": lambda b: b["result"].update(result=None),
    "cancel": lambda b: b.update(success="perhaps"),
    "list_refunds": lambda b: b["result"].pop("totalCount"),
    "get_refund": lambda b: b["result"]["opOrderRefundModelDetail"].update(status="unheard-of"),
    "return_goods": lambda b: b.update(result="done"),
}


@pytest.mark.parametrize("method", sorted(METHODS))
async def test_the_good_reply_is_accepted(method: str) -> None:
    api, body, call = METHODS[method]
    async with make_client(FakeGateway().on(api, ok(body))) as client:
        await call(client)


@pytest.mark.parametrize("method", sorted(METHODS))
async def test_missing_field_or_wrong_type(method: str) -> None:
    api, body, call = METHODS[method]
    spoiled = copy.deepcopy(body)
    SPOILERS[method](spoiled)
    await _expect_malformed(api, ok(spoiled), call, retryable=False)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize(
    "reply",
    [
        raw(b'{"result": {"success": true, "result": {"totalRe', content_type="application/json"),
        raw("<html><head><title>Error</title></head><body>系统繁忙</body></html>"),
        raw(b""),
    ],
    ids=["truncated-json", "html-page", "empty-body"],
)
async def test_unreadable_bodies(method: str, reply: httpx.Response) -> None:
    api, _, call = METHODS[method]
    await _expect_malformed(api, reply, call, retryable=True)


@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"42", b"null"])
async def test_json_that_is_not_an_object(body: bytes) -> None:
    api, _, call = METHODS["get_order"]
    await _expect_malformed(api, raw(body, content_type="application/json"), call, retryable=False)


async def _expect_malformed(api: str, reply: httpx.Response, call: Call, retryable: bool) -> None:
    async with make_client(FakeGateway().on(api, reply)) as client:
        try:
            await call(client)
        except MalformedReplyError as error:
            assert error.api.endswith(api)
            assert error.outcome_unknown
            assert error.retryable is retryable
            assert error.__cause__ is None and error.__context__ is None
        except (KeyError, TypeError, AttributeError, ValidationError) as leaked:
            pytest.fail(f"{type(leaked).__name__} leaked: {leaked}")
        else:
            pytest.fail("a malformed reply was accepted")


def test_an_order_list_without_its_payload_is_malformed_not_empty():
    from alibaba1688 import replies
    from alibaba1688.errors import MalformedReplyError

    with pytest.raises(MalformedReplyError) as caught:
        replies.order_page({}, 200)
    assert caught.value.outcome_unknown
    assert replies.order_page({"result": [], "totalRecord": 0}, 200).orders == []
