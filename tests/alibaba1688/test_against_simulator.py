"""The client against the local gateway simulator: every method, in process and over real HTTP.

In process the simulator's ASGI app is mounted with ``httpx.ASGITransport``; over HTTP it runs in
uvicorn on 127.0.0.1 with an ephemeral port. The simulator's clock is frozen and moved only through
its admin endpoints, so nothing here waits on real time.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from alibaba1688 import (
    Address,
    Alibaba1688Client,
    AuthError,
    BelowMinimumOrderError,
    CargoLine,
    CloseOrderTooFastError,
    MixedBatchNotMetError,
    OrderNotFoundError,
    OrderStatusError,
    OutOfStockError,
    ProductOfflineError,
    ServerError,
    SignatureError,
    ThrottledError,
    TokenSet,
    TransportError,
)
from fakes_1688 import Recorder
from simulator import SimClock, Simulator, parse_catalog
from simulator.server import serve

APP = {
    "app_key": "1000000",
    "app_secret": "test123",
    "access_token": "TEST-TOKEN",
    "refresh_token": "TEST-REFRESH",
    "calls_per_minute": 600,
}
SUPPLIER = {
    "repurchase_rate": 0.32,
    "on_time_ship_rate": 0.95,
    "dispute_rate": 0.01,
    "credit_level": "L3",
    "license_expires_on": "2027-06-30",
    "province": "广东省",
    "city": "广州市",
}
CATALOG: dict[str, Any] = {
    "app": APP,
    "suppliers": [
        {**SUPPLIER, "member_id": "b2b-1001", "login_id": "supplier-a", "company_name": "A 服饰",
         "years": 5, "mix_batch": {"min_amount": "100.00", "min_quantity": 10},
         "behaviour": {"ship_after_hours": 24}},
        {**SUPPLIER, "member_id": "b2b-2001", "login_id": "supplier-b", "company_name": "B 箱包",
         "years": 2, "repurchase_rate": 0.2},
    ],
    "offers": [
        {"offer_id": "610000000001", "supplier_id": "b2b-1001", "subject": "纯棉T恤 男款",
         "category_id": 1031910, "min_order_quantity": 50,
         "price_ranges": [{"start_quantity": 50, "price": "45.00"},
                          {"start_quantity": 200, "price": "42.50"}],
         "skus": [{"spec_id": "a1", "attributes": {"颜色": "白色"}, "stock": 1000},
                  {"spec_id": "a2", "attributes": {"颜色": "黑色"}, "stock": 1000}],
         "freight": {"flat": "100.00"}, "month_sold": 1200},
        {"offer_id": "610000000002", "supplier_id": "b2b-1001", "subject": "纯棉T恤 女款",
         "category_id": 1031910, "min_order_quantity": 50,
         "price_ranges": [{"start_quantity": 50, "price": "46.00"}],
         "skus": [{"spec_id": "b1", "stock": 500}], "freight": {"flat": "100.00"},
         "behaviour": {"stock_at_order": 0}},
        {"offer_id": "610000000003", "supplier_id": "b2b-1001", "subject": "纯棉T恤 童装",
         "category_id": 1031910, "min_order_quantity": 30,
         "price_ranges": [{"start_quantity": 30, "price": "20.00"}],
         "skus": [{"spec_id": "c1", "stock": 100}], "freight": {"flat": "10.00"}},
        {"offer_id": "610000000004", "supplier_id": "b2b-2001", "subject": "帆布包 单肩",
         "category_id": 1040, "min_order_quantity": 20,
         "price_ranges": [{"start_quantity": 20, "price": "12.50"}],
         "skus": [{"spec_id": "f1", "stock": 100}],
         "freight": {"first_unit": 1, "first_fee": "8.00", "next_unit": 1, "next_fee": "2.00"}},
        {"offer_id": "610000000005", "supplier_id": "b2b-2001", "subject": "帆布包 旧款",
         "category_id": 1040, "status": "expired", "min_order_quantity": 1,
         "price_ranges": [{"start_quantity": 1, "price": "9.00"}],
         "skus": [{"spec_id": "g1", "stock": 10}], "freight": {"free": True}},
    ],
}
ADDRESS = Address(
    full_name="张三",
    mobile="15251667788",
    province_text="浙江省",
    city_text="杭州市",
    area_text="滨江区",
    address="网商路699号",
)
TSHIRTS = [CargoLine(offer_id="610000000001", spec_id="a1", quantity=50)]


def make_simulator(**app: Any) -> Simulator:
    catalog = parse_catalog({**CATALOG, "app": {**APP, **app}})
    return Simulator(catalog, clock=SimClock.frozen())


@dataclass
class Sim:
    """One simulator, a client on it and an admin connection to its ``/_sim/`` endpoints."""

    simulator: Simulator
    client: Alibaba1688Client
    admin: httpx.AsyncClient
    calls: Recorder
    refreshed: list[TokenSet]

    async def get(self, what: str) -> Any:
        response = await self.admin.get(f"/_sim/{what}")
        response.raise_for_status()
        return response.json()

    async def post(self, what: str, body: dict[str, Any]) -> Any:
        response = await self.admin.post(f"/_sim/{what}", json=body)
        response.raise_for_status()
        return response.json()

    async def orders(self) -> list[dict[str, Any]]:
        return await self.get("orders")


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    simulator = make_simulator()
    transport = httpx.ASGITransport(app=simulator.app)
    recorder = Recorder()
    refreshed: list[TokenSet] = []
    client = Alibaba1688Client(
        "http://sim/openapi/",
        APP["app_key"],
        APP["app_secret"],
        APP["access_token"],
        APP["refresh_token"],
        transport=transport,
        on_call=recorder,
        on_token_refreshed=refreshed.append,
    )
    async with client, httpx.AsyncClient(transport=transport, base_url="http://sim") as admin:
        yield Sim(simulator, client, admin, recorder, refreshed)


# --- products ---------------------------------------------------------------------------------


async def test_search_detail_freight(sim: Sim) -> None:
    page = await sim.client.search_offers("纯棉T恤", page_size=2, sort={"price": "asc"})
    assert page.total_records == 3 and page.total_pages == 2 and len(page.offers) == 2
    assert [offer.price for offer in page.offers] == [Decimal("20.00"), Decimal("45.00")]
    assert all("纯棉T恤" in offer.subject for offer in page.offers)
    filtered = await sim.client.search_offers("T恤 男款", price_start="40", price_end="45.00")
    assert [offer.offer_id for offer in filtered.offers] == ["610000000001"]
    summary = filtered.offers[0]
    assert summary.min_order_quantity == 50 and summary.seller is not None
    assert summary.seller.tp_year == 5 and summary.repurchase_rate == Decimal("0.32")
    assert (await sim.client.search_offers("帆布包 旧款")).offers == []  # expired: not found

    detail = await sim.client.get_offer_detail("610000000001")
    assert detail.is_published and detail.min_order_quantity == 50
    assert detail.tier_price(200) == Decimal("42.50")
    assert {sku.spec_id: sku.stock for sku in detail.skus} == {"a1": 1000, "a2": 1000}
    assert detail.sku("a2") is not None and detail.sku("a2").attributes == {"颜色": "黑色"}
    assert detail.mix_batch is not None and detail.mix_batch.enabled
    assert detail.mix_batch.min_quantity == 10 and detail.mix_batch.min_amount == Decimal(100)
    # The detail names the seller by open id only (it used to read a sellerMemberId the platform
    # does not send); this catalog sets no open_id, so the simulator uses the member id.
    assert detail.seller_open_id == "b2b-1001" and detail.company_name == "A 服饰"
    # The figures a buyer's supplier policy sets thresholds on.
    assert detail.seller is not None
    assert detail.seller.on_time_ship_rate == Decimal("0.95")
    assert detail.seller.dispute_rate == Decimal("0.01")
    assert detail.tax_rate is None  # the platform publishes no surcharge rate (it was an extension)

    expired = await sim.client.get_offer_detail("610000000005")
    assert expired.status == "expired" and not expired.is_published
    with pytest.raises(ProductOfflineError):
        await sim.client.get_offer_detail("610000000099")

    flat = await sim.client.estimate_freight("610000000001", "330000", "330100", 60)
    assert flat.freight == Decimal("100.00") and not flat.free_postage
    sku_id = detail.skus[0].sku_id
    assert sku_id is not None
    per_piece = await sim.client.estimate_freight(
        "610000000004", "330000", "330100", 20, {sku_id: 20}, to_area_code="330108"
    )
    assert per_piece.freight == Decimal("46.00")  # 8.00 + 19 x 2.00
    free = await sim.client.estimate_freight("610000000005", "330000", "330100", 1)
    assert free.free_postage and free.freight == Decimal("0.00")


async def test_supplier_profile(sim: Sim) -> None:
    # crossBasic answers by login id with the published fields only (no member id, years or
    # rates: those were simulator extensions); the seller by open id comes from four real APIs.
    profile = await sim.client.get_supplier_profile("supplier-a")
    assert (profile.login_id, profile.company_name) == ("supplier-a", "A 服饰")
    seller = await sim.client.get_seller("b2b-1001")
    assert (seller.login_id, seller.company_name) == ("supplier-a", "A 服饰")
    assert seller.on_time_ship_rate == Decimal("0.95") and seller.dispute_rate == Decimal("0.01")
    assert seller.repurchase_rate == Decimal("0.32") and seller.years is None


# --- preview and create -------------------------------------------------------------------------


async def test_preview_prices_in_yuan(sim: Sim) -> None:
    preview = await sim.client.preview_order(ADDRESS, TSHIRTS)
    assert preview.total_payment == Decimal("2350.00")
    assert preview.total_carriage == Decimal("100.00")
    assert preview.orders[0].lines[0].unit_price == Decimal("45.00")
    assert await sim.orders() == []  # a preview commits nothing


@pytest.mark.parametrize(
    ("cargo", "error"),
    [
        ([CargoLine(offer_id="610000000002", spec_id="b1", quantity=50)], OutOfStockError),
        ([CargoLine(offer_id="610000000004", spec_id="f1", quantity=5)], BelowMinimumOrderError),
        (
            [CargoLine(offer_id="610000000001", spec_id="a1", quantity=5),
             CargoLine(offer_id="610000000003", spec_id="c1", quantity=3)],
            MixedBatchNotMetError,
        ),
        ([CargoLine(offer_id="610000000005", spec_id="g1", quantity=1)], ProductOfflineError),
        ([CargoLine(offer_id="610000000001", spec_id="zz", quantity=50)], ProductOfflineError),
    ],
    ids=["out-of-stock", "below-moq", "mixed-batch", "offline", "unknown-spec"],
)
async def test_preview_refusals_are_typed(sim: Sim, cargo: list[CargoLine], error: type) -> None:
    with pytest.raises(error) as caught:
        await sim.client.preview_order(ADDRESS, cargo)
    assert not caught.value.retryable
    assert caught.value.api == "com.alibaba.trade:alibaba.createOrder.preview"
    assert sim.calls.records[-1].error_code == caught.value.code


async def test_mixed_batch_that_is_met_waives_the_moq(sim: Sim) -> None:
    cargo = [CargoLine(offer_id="610000000001", spec_id="a1", quantity=6),
             CargoLine(offer_id="610000000003", spec_id="c1", quantity=5)]
    preview = await sim.client.preview_order(ADDRESS, cargo)
    assert preview.orders[0].sum_payment_no_carriage == Decimal("370.00")  # 6x45 + 5x20


async def test_create_with_partial_failure_then_lookup(sim: Sim) -> None:
    cargo = [*TSHIRTS, CargoLine(offer_id="610000000002", spec_id="b1", quantity=50)]
    created = await sim.client.create_order(ADDRESS, cargo, "PR-7-o1", "请尽快发货")
    assert created.is_partial
    assert [(f.offer_id, f.error_code) for f in created.failed_offers] == [
        ("610000000002", "500_004")
    ]
    assert created.total_success_amount == Decimal("2350.00")
    assert created.post_fee == Decimal("100.00")
    assert int(created.order_id) > 2**53

    order = await sim.client.get_order(created.order_id)
    assert order.order_id == created.order_id and order.status == "waitbuyerpay"
    assert order.out_order_id == "PR-7-o1" and order.seller_member_id == "b2b-1001"
    assert order.total_amount == Decimal("2350.00") and order.shipping_fee == Decimal("100.00")
    assert [(line.offer_id, line.spec_id, line.quantity) for line in order.lines] == [
        ("610000000001", "a1", Decimal(50))
    ]

    found = await sim.client.find_order_by_out_order_id("PR-7-o1")
    assert found is not None and found.order_id == created.order_id
    assert await sim.client.find_order_by_out_order_id("PR-7-o2") is None
    listing = await sim.client.list_orders(status="waitbuyerpay")
    assert [o.order_id for o in listing.orders] == [created.order_id] and listing.total == 1

    with pytest.raises(OrderNotFoundError):
        await sim.client.get_order("3701234567999999999")
    [booked] = await sim.orders()
    assert (booked["order_id"], booked["amount"]) == (created.order_id, "2350.00")


async def test_create_where_every_line_fails_is_an_error(sim: Sim) -> None:
    cargo = [CargoLine(offer_id="610000000002", spec_id="b1", quantity=50)]
    with pytest.raises(OutOfStockError):
        await sim.client.create_order(ADDRESS, cargo, "PR-8-o1")
    assert await sim.orders() == []


# --- pay, ship, confirm, refund -------------------------------------------------------------


async def test_order_lifecycle(sim: Sim) -> None:
    created = await sim.client.create_order(ADDRESS, TSHIRTS, "PR-9-o1")
    order_id = created.order_id

    url = await sim.client.get_payment_url([order_id])
    assert order_id in url

    assert await sim.client.is_protocol_pay_open()
    paid = await sim.client.prepare_pay(order_id, Decimal("2350.00"), "pay-PR-9-o1")
    assert paid.pay_success and paid.order_id == order_id
    assert (await sim.client.get_order(order_id)).status == "waitsellersend"
    with pytest.raises(OrderStatusError):  # paying twice is refused, never charged twice
        await sim.client.prepare_pay(order_id, Decimal("2350.00"), "pay-PR-9-o1")
    payments = await sim.get("payments")
    assert [(p["order_id"], p["amount"]) for p in payments] == [(order_id, "2350.00")]

    before = await sim.client.get_logistics_info(order_id)
    assert before.shipped is False and before.shipments == []
    assert (await sim.client.get_logistics_trace(order_id)).shipped is False

    await sim.post("advance", {"steps": 1})  # the seller ships
    shipped = await sim.client.get_logistics_info(order_id)
    assert shipped.shipped and shipped.shipments[0].status == "WAITACCEPT"
    entry_id = (await sim.client.get_order(order_id)).lines[0].entry_id
    assert shipped.shipments[0].order_entry_ids == [entry_id]

    await sim.post("advance", {"steps": 2})
    info = await sim.client.get_logistics_info(order_id)
    assert info.shipments[0].status == "TRANSPORT"
    trace = await sim.client.get_logistics_trace(order_id, info.shipments[0].logistics_id)
    steps = trace.shipments[0].steps
    assert trace.shipped and len(steps) >= 3
    assert all(step.accepted_at is not None and step.remark for step in steps)

    order = await sim.client.get_order(order_id)
    assert order.status == "waitbuyerreceive" and order.is_paid
    reasons = await sim.client.get_refund_reasons(order_id, [entry_id], "refundBuyerReceived")
    assert {reason.name for reason in reasons} >= {"质量问题"}
    quality = next(reason for reason in reasons if reason.name == "质量问题")
    refund = await sim.client.create_refund(
        order_id,
        [entry_id],
        dispute_request="returnRefund",
        apply_payment=Decimal("90.00"),
        apply_reason_id=quality.reason_id,
        description="两件有破洞, 退货退款",
        goods_status="refundBuyerReceived",
    )
    assert refund.refund_id
    [recorded] = await sim.get("refunds")
    assert (recorded["order_id"], recorded["amount"]) == (order_id, "90.00")
    assert (await sim.client.get_order(order_id)).refunded == Decimal("90.00")

    await sim.client.confirm_receipt(order_id, [entry_id])
    assert (await sim.client.get_order(order_id)).status == "confirm_goods"
    with pytest.raises(OrderStatusError):
        await sim.client.confirm_receipt(order_id, [entry_id])


async def test_refund_over_the_paid_amount_is_refused(sim: Sim) -> None:
    created = await sim.client.create_order(ADDRESS, TSHIRTS, "PR-10-o1")
    await sim.client.prepare_pay(created.order_id, created.total_success_amount, "pay-10")
    entry_id = (await sim.client.get_order(created.order_id)).lines[0].entry_id
    reasons = await sim.client.get_refund_reasons(
        created.order_id, [entry_id], "refundWaitSellerSend"
    )
    with pytest.raises(Exception) as caught:
        await sim.client.create_refund(
            created.order_id, [entry_id], dispute_request="refund",
            apply_payment=Decimal("9999.00"), apply_reason_id=reasons[0].reason_id,
            description="不想要了", goods_status="refundWaitSellerSend",
        )
    assert caught.value.code == "5011" and not caught.value.retryable


async def test_cancel_unpaid_order(sim: Sim) -> None:
    created = await sim.client.create_order(ADDRESS, TSHIRTS, "PR-11-o1")
    with pytest.raises(CloseOrderTooFastError) as too_fast:
        await sim.client.cancel_order(created.order_id)
    assert too_fast.value.retryable and too_fast.value.retry_after == 10.0

    await sim.post("clock", {"advance_seconds": 11})
    await sim.client.cancel_order(created.order_id, "other", "改买别家")
    assert (await sim.client.get_order(created.order_id)).status == "cancel"
    with pytest.raises(OrderStatusError):
        await sim.client.cancel_order(created.order_id)
    with pytest.raises(OrderNotFoundError):
        await sim.client.cancel_order("3701234567999999999")


# --- tokens, throttling, faults -------------------------------------------------------------


async def test_token_refresh_after_forced_expiry(sim: Sim) -> None:
    await sim.post("tokens/expire", {})
    page = await sim.client.search_offers("纯棉T恤")
    assert page.total_records == 3
    assert sim.client.access_token.get_secret_value() != APP["access_token"]
    assert len(sim.refreshed) == 1
    outcomes = [(c["api"], c["outcome"], c["error_code"]) for c in await sim.get("calls")]
    assert outcomes == [
        ("product.search.keywordQuery", "gateway_error", "401"),
        ("getToken", "ok", None),
        ("product.search.keywordQuery", "ok", None),
    ]
    tokens = await sim.client.refresh_access_token()  # an explicit refresh works as well
    assert tokens.access_token.get_secret_value() not in (APP["access_token"], "")
    assert len(sim.refreshed) == 2
    assert (await sim.client.get_offer_detail("610000000001")).offer_id == "610000000001"


async def test_expired_refresh_token_fails_once_without_looping(sim: Sim) -> None:
    await sim.post("tokens/expire", {"refresh": True})
    with pytest.raises(AuthError):
        await sim.client.get_offer_detail("610000000001")
    calls = [(c["api"], c["error_code"]) for c in await sim.get("calls")]
    assert calls == [("product.search.queryProductDetail", "401"), ("getToken", "invalid_grant")]
    assert sim.refreshed == []


async def test_wrong_secret_is_a_signature_error(sim: Sim) -> None:
    async with Alibaba1688Client(
        "http://sim/openapi/", APP["app_key"], "not-the-secret", APP["access_token"],
        transport=httpx.ASGITransport(app=sim.simulator.app),
    ) as client:
        with pytest.raises(SignatureError):
            await client.search_offers("T恤")


async def test_throttling_and_server_errors_are_retryable(sim: Sim) -> None:
    await sim.post("faults", {"throttle_rate": 1.0})
    with pytest.raises(ThrottledError) as throttled:
        await sim.client.search_offers("纯棉T恤")
    assert throttled.value.retryable and throttled.value.retry_after

    await sim.post("faults", {"error_rate": 1.0})
    with pytest.raises(ServerError) as failing:
        await sim.client.get_offer_detail("610000000001")
    assert failing.value.retryable and failing.value.http_status == 503

    await sim.post("faults", {})
    assert (await sim.client.search_offers("纯棉T恤")).total_records == 3


async def test_rate_limit_window_throttles() -> None:
    simulator = make_simulator(calls_per_minute=2)
    async with Alibaba1688Client(
        "http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"],
        transport=httpx.ASGITransport(app=simulator.app),
    ) as client:
        await client.search_offers("纯棉T恤")
        await client.search_offers("纯棉T恤")
        with pytest.raises(ThrottledError) as caught:
            await client.search_offers("纯棉T恤")
    assert caught.value.code == "gw.QosAppFrequencyLimit"


async def test_lost_create_reply_is_retryable_and_the_order_is_found(sim: Sim) -> None:
    await sim.post("faults", {"lost_reply": {"alibaba.trade.fastCreateOrder": 1}})
    with pytest.raises(TransportError) as lost:
        await sim.client.create_order(ADDRESS, TSHIRTS, "PR-12-o1")
    assert lost.value.retryable and lost.value.outcome_unknown
    # The recovery the protocol prescribes: look up by outOrderId before creating again.
    found = await sim.client.find_order_by_out_order_id("PR-12-o1")
    assert found is not None and found.status == "waitbuyerpay"
    assert [o["out_order_id"] for o in await sim.orders()] == ["PR-12-o1"]


async def test_lost_pay_reply_then_reread_shows_paid(sim: Sim) -> None:
    created = await sim.client.create_order(ADDRESS, TSHIRTS, "PR-13-o1")
    await sim.post("faults", {"lost_reply": {"alibaba.trade.pay.protocolPay.preparePay": 1}})
    with pytest.raises(TransportError) as lost:
        await sim.client.prepare_pay(created.order_id, Decimal("2350.00"), "pay-13")
    assert lost.value.outcome_unknown
    assert (await sim.client.get_order(created.order_id)).is_paid
    assert len(await sim.get("payments")) == 1


async def test_every_call_is_audited(sim: Sim) -> None:
    await sim.client.search_offers("纯棉T恤")
    with pytest.raises(OutOfStockError):
        await sim.client.preview_order(
            ADDRESS, [CargoLine(offer_id="610000000002", spec_id="b1", quantity=50)]
        )
    search, preview = sim.calls.records
    assert (search.outcome, preview.outcome, preview.error_code) == ("ok", "error", "500_004")
    assert json.loads(preview.params_redacted["addressParam"])["mobile"] == "152****7788"
    assert preview.params_redacted["access_token"] == "***"


# --- over real HTTP -----------------------------------------------------------------------------


@dataclass
class HttpSim:
    simulator: Simulator
    client: Alibaba1688Client
    admin: httpx.AsyncClient


@pytest.fixture
async def http_sim() -> AsyncIterator[HttpSim]:
    simulator = make_simulator()
    # serve() binds an ephemeral port first, then waits (with a deadline) for uvicorn to start.
    async with serve(simulator, "127.0.0.1", 0, ready_timeout=10) as base_url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        client = Alibaba1688Client(
            f"{base_url}/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"],
            APP["refresh_token"], timeout=10,
        )
        async with client, httpx.AsyncClient(base_url=base_url, timeout=10) as admin:
            yield HttpSim(simulator, client, admin)


async def test_over_http_search_detail_freight_and_refresh(http_sim: HttpSim) -> None:
    client = http_sim.client
    page = await client.search_offers("纯棉T恤 男款")
    assert [offer.offer_id for offer in page.offers] == ["610000000001"]
    detail = await client.get_offer_detail("610000000001")
    assert detail.subject == "纯棉T恤 男款"
    freight = await client.estimate_freight("610000000001", "330000", "330100", 50)
    assert freight.freight == Decimal("100.00")

    (await http_sim.admin.post("/_sim/tokens/expire", json={})).raise_for_status()
    assert (await client.get_supplier_profile("supplier-a")).company_name == "A 服饰"
    assert client.access_token.get_secret_value() != APP["access_token"]


async def test_over_http_lost_reply_is_a_retryable_transport_error(http_sim: HttpSim) -> None:
    faults = {"lost_reply": {"alibaba.trade.fastCreateOrder": 1}}
    (await http_sim.admin.post("/_sim/faults", json=faults)).raise_for_status()
    with pytest.raises(TransportError) as lost:
        await http_sim.client.create_order(ADDRESS, TSHIRTS, "PR-14-o1")
    assert lost.value.retryable and lost.value.outcome_unknown
    found = await http_sim.client.find_order_by_out_order_id("PR-14-o1")
    assert found is not None
    orders = (await http_sim.admin.get("/_sim/orders")).json()
    assert [order["order_id"] for order in orders] == [found.order_id]


async def test_the_alibaba_sim_command_serves_the_client(tmp_path: Path) -> None:
    """The quickstart path: ``alibaba-sim --port 0`` in a subprocess, ready when it says so."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    command = Path(sys.executable).with_name("alibaba-sim")
    process = await asyncio.create_subprocess_exec(
        str(command), "--catalog", str(catalog), "--port", "0",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=20)).decode()
        match = re.search(r"(http://127\.0\.0\.1:\d+/openapi/)", line)
        assert match, f"unexpected first line from alibaba-sim: {line!r}"
        async with Alibaba1688Client(
            match.group(1), APP["app_key"], APP["app_secret"], APP["access_token"], timeout=10
        ) as client:
            page = await client.search_offers("帆布包")
        assert [offer.offer_id for offer in page.offers] == ["610000000004"]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=20)
