"""Conformance: every reply sample from the platform (samples/, published_1688.py) served through
the real client method over HTTP (an httpx transport that checks the signature and answers the
sample's bytes): signing, envelope, wire model, units and error mapping, and what key fields mean.

These replies are the platform's, not the simulator's: a client that reads them reads the real
gateway. Issue 11: on the client before it, the seller identity (sellerOpenId) and the split
order (multiOrders) fail here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

import published_1688 as published
from alibaba1688 import Address, Alibaba1688Client, CargoLine, OutOfStockError
from alibaba1688.signing import sign
from fakes_1688 import ACCESS_TOKEN, APP_KEY, APP_SECRET, GATEWAY, REFRESH_TOKEN

SAMPLES = Path(__file__).with_name("samples")
ADDRESS = Address(full_name="张三", mobile="15251667788", province_text="浙江省", city_text="杭州市",
                  address="网商路699号")
# The detail page's example prints placeholders where numbers go; these are the only edits.
PLACEHOLDERS = {'"price":"价格"': '"price":"12.50"', '"jxhyPrice":"精选货源价格"': '"jxhyPrice":"12.00"'}


def sample(name: str) -> tuple[str, bytes]:
    doc = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    text = json.dumps(doc["reply"], ensure_ascii=False, separators=(",", ":"))
    for placeholder, number in PLACEHOLDERS.items():
        text = text.replace(placeholder, number)
    return doc["api"], text.encode("utf-8")


def every_sample_names_its_source() -> None:
    for path in SAMPLES.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["origin"] in ("published", "derived") and doc["source"].startswith("https://"), path.name
        assert doc["note"] and path.name.startswith(doc["api"].split(":")[1]), path.name


def test_every_sample_names_its_source() -> None:
    every_sample_names_its_source()


class Platform(httpx.AsyncBaseTransport):
    """Answers one sample for one API, after checking the request the way the gateway does."""

    def __init__(self, api: str, body: bytes) -> None:
        self.api, self.body = api, body
        self.forms: list[dict[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl((await request.aread()).decode("utf-8"), keep_blank_values=True))
        self.forms.append(form)
        namespace, name = self.api.split(":")
        path = request.url.path.split("/openapi/", 1)[1]
        assert path.endswith(f"/{namespace}/{name}/{APP_KEY}"), path
        if "_aop_signature" in form:  # the code exchange is unsigned, everything else is signed
            expected = sign(path, {k: v for k, v in form.items() if k != "_aop_signature"}, APP_SECRET)
            assert form["_aop_signature"] == expected
        return httpx.Response(200, content=self.body, headers={"Content-Type": "application/json;charset=UTF-8"})


async def serve(name: str, call: Callable[[Alibaba1688Client], Awaitable[Any]]) -> tuple[Any, Platform]:
    api, body = sample(name)
    platform = Platform(api, body)
    async with Alibaba1688Client(GATEWAY, APP_KEY, APP_SECRET, ACCESS_TOKEN, REFRESH_TOKEN,
                                 transport=platform) as client:
        result = await call(client)
    return result, platform


async def test_search_rows_name_the_seller_by_open_id_and_years_in_percent_units() -> None:
    page, platform = await serve("product.search.keywordQuery", lambda c: c.search_offers("饼干"))
    row = page.offers[0]
    assert row.offer_id == "2" and row.price == Decimal("10")
    assert row.seller_open_id == "BBBgGWh2O6JFI6v1aQuZVgRIA"  # the seller: only its open id
    assert row.repurchase_rate == Decimal("0.10")  # "10%"
    assert row.seller is not None and row.seller.tp_year == 1
    assert row.seller.repeat_purchase_rate == Decimal("0.11")  # "11": percent in search rows
    assert json.loads(platform.forms[0]["offerQueryParam"])["keyword"] == "饼干"


async def test_detail_names_the_seller_by_open_id_and_writes_rates_per_field() -> None:
    detail, _ = await serve("product.search.queryProductDetail", lambda c: c.get_offer_detail("34513534353434"))
    assert detail.offer_id == "34513534353434" and detail.is_published
    assert detail.seller_open_id == "23tsdvcdsjngp3oj4j3i5" and detail.company_name == "杭州宜路发发电子商务有限公司"
    assert detail.seller is not None and detail.seller.tp_year is None  # detail states no years
    assert detail.seller.repeat_purchase_rate == Decimal("0.4666")  # a fraction in detail
    assert detail.seller.on_time_ship_rate == Decimal("0.01")  # "1": percent
    assert detail.seller.dispute_rate == Decimal("0.02")  # "2": percent, not 200 %
    assert detail.mix_batch is not None and detail.mix_batch.min_amount == Decimal(100)
    assert [(t.start_quantity, t.price) for t in detail.price_tiers] == [(10, Decimal("10"))]
    assert detail.unit == "盒" and detail.skus[0].stock == 123


async def test_a_sellers_listings_carry_no_figures() -> None:
    page, platform = await serve("product.search.querySellerOfferList",
                                 lambda c: c.search_seller_offers("BBBgGWh2O6JFI6v1aQuZVgRIA", page_size=1))
    assert [o.offer_id for o in page.offers] == ["2"] and page.offers[0].seller is None
    assert json.loads(platform.forms[0]["offerQueryParam"])["sellerOpenId"] == "BBBgGWh2O6JFI6v1aQuZVgRIA"


async def test_cross_basic_is_an_account_without_member_id() -> None:
    profile, platform = await serve("alibaba.account.agent.crossBasic",
                                    lambda c: c.get_supplier_profile("alitestforisv01"))
    assert (profile.login_id, profile.company_name, profile.category_name) == (
        "alitestforisv01", "AOP对外测试账号01", "办公、文教")
    assert platform.forms[0]["loginId"] == "alitestforisv01"


async def test_open_id_decrypts_to_the_login_name() -> None:
    login, platform = await serve("wangwangnick.openuid.decrypt", lambda c: c.login_id_of("BBBgGWh2O6JFI6v1aQuZVgRIA"))
    assert login == "alitestforisv01" and platform.forms[0]["openUid"] == "BBBgGWh2O6JFI6v1aQuZVgRIA"


async def test_freight_is_yuan() -> None:
    freight, _ = await serve("product.freight.estimate",
                             lambda c: c.estimate_freight("554456348334", "330000", "330100", 3))
    assert freight.freight == Decimal("12.00") and not freight.free_postage


async def test_preview_discount_is_a_positive_reduction_in_fen() -> None:
    preview, _ = await serve("alibaba.createOrder.preview",
                             lambda c: c.preview_order(ADDRESS, [CargoLine(offer_id="554456348334", quantity=50)]))
    order = preview.orders[0]
    assert (order.sum_payment, order.sum_carriage, order.discount) == (
        Decimal("2300.00"), Decimal("100.00"), Decimal("50.00"))


async def test_one_created_order() -> None:
    created, _ = await serve("alibaba.trade.fastCreateOrder",
                             lambda c: c.create_order(ADDRESS, [CargoLine(offer_id="1", quantity=1)], "o-1"))
    assert created.order_id == "60241415417789305" and not created.is_split
    assert (created.total_success_amount, created.post_fee) == (Decimal("2350.00"), Decimal("100.00"))


async def test_a_split_create_returns_every_order() -> None:
    created, platform = await serve("alibaba.trade.fastCreateOrder.split",
                                    lambda c: c.create_order(ADDRESS, [CargoLine(offer_id="1", quantity=1)], "o-1"))
    assert created.is_split
    assert [p.order_id for p in created.orders] == ["3701234567000010007", "3701234567000020014"]
    assert created.order_id == "3701234567000010007"  # the first part's
    assert created.total_success_amount == Decimal("3500.00") and created.post_fee is None
    assert [p.total for p in created.orders] == [Decimal("2350.00"), Decimal("1150.00")]
    assert platform.forms[0]["outOrderId"] == "o-1"


async def test_a_create_refusal_in_code_and_message() -> None:
    with pytest.raises(OutOfStockError) as refused:
        await serve("alibaba.trade.fastCreateOrder.code_error",
                    lambda c: c.create_order(ADDRESS, [CargoLine(offer_id="1", quantity=1)], "o-1"))
    assert refused.value.code == "500_004" and refused.value.message == "库存不足"


async def test_order_detail_amounts_ids_and_negative_discount() -> None:
    order, _ = await serve("alibaba.trade.get.buyerView", lambda c: c.get_order("3701234567000010007"))
    assert order.order_id == "3701234567000010007" and order.lines[0].entry_id == "3701234567000010008"
    assert order.total_amount == Decimal("2300.00") and order.discount == Decimal("50.00")  # -5000 fen


async def test_every_order_of_one_out_order_id() -> None:
    orders, platform = await serve("alibaba.trade.getBuyerOrderList", lambda c: c.find_orders_by_out_order_id("PR-7-o1"))
    assert [o.order_id for o in orders] == ["3701234567000010007", "3701234567000020014"]
    assert [o.discount for o in orders] == [Decimal("50.00"), Decimal("0.00")]
    assert platform.forms[0]["outOrderId"] == "PR-7-o1"


async def test_payment_samples() -> None:
    is_open, _ = await serve("alibaba.trade.pay.protocolPay.isopen", lambda c: c.is_protocol_pay_open())
    paid, _ = await serve("alibaba.trade.pay.protocolPay.preparePay",
                          lambda c: c.prepare_pay("3701234567000010007", Decimal("2300.00"), "op-1"))
    url, _ = await serve("alibaba.alipay.url.get", lambda c: c.get_payment_url(["3701234567000010007"]))
    assert is_open and paid.pay_success and url.startswith("https://")


async def test_every_parcel_is_listed() -> None:
    info, _ = await serve("alibaba.trade.getLogisticsInfos.buyerView", lambda c: c.get_logistics_info("1"))
    assert info.shipped and [(s.logistics_id, s.status) for s in info.shipments] == [
        ("BX111841674232006", "SIGN"), ("BX111841674232007", "TRANSPORT")]
    assert info.shipments[0].order_entry_ids == ["149989279191615400"]
    not_yet, _ = await serve("alibaba.trade.getLogisticsInfos.buyerView.not_shipped",
                             lambda c: c.get_logistics_info("1"))
    assert not not_yet.shipped


async def test_trace_and_no_tracking_yet() -> None:
    trace, _ = await serve("alibaba.trade.getLogisticsTraceInfo.buyerView", lambda c: c.get_logistics_trace("1"))
    steps = trace.shipments[0].steps
    assert trace.shipped and steps[0].remark.startswith("在广东广州") and steps[-1].accepted_at is not None
    empty, _ = await serve("alibaba.trade.getLogisticsTraceInfo.buyerView.no_tracking",
                           lambda c: c.get_logistics_trace("1"))
    assert empty.shipped and empty.shipments == []  # an empty trace, not a failed poll


async def test_receipt_cancel_and_refund_reasons() -> None:
    await serve("trade.receivegoods.confirm", lambda c: c.confirm_receipt("1", ["2"]))
    await serve("alibaba.trade.cancel", lambda c: c.cancel_order("1"))
    reasons, _ = await serve("alibaba.trade.getRefundReasonList",
                             lambda c: c.get_refund_reasons("1", ["2"], "refundBuyerReceived"))
    assert [(r.reason_id, r.name) for r in reasons] == [("20011", "质量问题")]


async def test_token_expiry_without_milliseconds() -> None:
    tokens, _ = await serve("getToken", lambda c: c.refresh_access_token())
    assert tokens.refresh_token_expires_at is not None and tokens.refresh_token_expires_at.year == 2012


@pytest.mark.parametrize(
    ("api", "text", "call", "check"),
    [
        ("com.alibaba.trade:alibaba.trade.refund.buyer.queryOrderRefundList", published.REFUND_LIST,
         lambda c: c.list_refunds("177681528398969811"), lambda r: r[0].refund_id == "TQ10426553019961198"),
        ("com.alibaba.trade:alibaba.trade.refund.OpQueryOrderRefund", published.REFUND_DETAIL,
         lambda c: c.get_refund("TQ8651493722961198"), lambda r: r.status == "refundsuccess"),
        ("com.alibaba.trade:alibaba.trade.createRefund", published.CREATE_REFUND,
         lambda c: c.create_refund("1", ["2"], dispute_request="refund", apply_payment=Decimal("0.01"),
                                   apply_reason_id="20028", description="不想要了", goods_status="refundWaitSellerSend"),
         lambda r: r.refund_id == "TQ34931008034741532"),
    ],
)
async def test_published_refund_samples(api: str, text: str, call: Any, check: Any) -> None:
    platform = Platform(api, text.encode("utf-8"))
    async with Alibaba1688Client(GATEWAY, APP_KEY, APP_SECRET, ACCESS_TOKEN, REFRESH_TOKEN,
                                 transport=platform) as client:
        assert check(await call(client))
