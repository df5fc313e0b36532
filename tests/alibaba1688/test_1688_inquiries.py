"""Buyer inquiries and quotations: the client against the published field names (samples) and
against the simulator's factories (quote, revise, decline, never, after the expiry, after closing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from alibaba1688 import Alibaba1688Client
from alibaba1688.errors import Alibaba1688Error
from test_1688_conformance import serve
from simulator import SimClock, Simulator, parse_catalog

START = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


async def test_the_quotation_list_sample_reads_as_yuan_with_its_offer():
    quotations, platform = await serve("caigou.api.quotation.buyerGetQuotationListByBuyOfferId",
                                       lambda c: c.list_quotations("2300000001"))
    assert platform.forms[0]["buyOfferId"] == "2300000001"
    [quote] = quotations
    assert quote.quotation_id == "230000000101" and quote.supplier_member_id == "b2b-1001"
    assert quote.freight == Decimal("50.00") and quote.created_at == datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
    assert [(i.amount, i.unit_price, i.product_id) for i in quote.items] == [(100, Decimal("20.00"), "610000000001")]
    assert quote.lead_days is None and not quote.refused  # fields no source shows stay empty


async def test_posting_an_inquiry_sends_the_integrations_parameters():
    buy_offer_id, platform = await serve("caigou.api.buyoffer.postBuyoffer", lambda c: c.post_buy_offer(
        pr_id="RFQ-7", subject="铝合金支架", description="图纸 DWG-1", items=[{"prItemId": "tier-100", "purchaseAmount": 100}],
        login_ids=["supplier-a"], quotation_expires_at=START + timedelta(hours=2)))
    assert buy_offer_id == "2300000001"
    form = platform.forms[0]
    assert form["gmtQuotationExpire"] == "20261128120000000+0800"
    assert json.loads(form["supplierLoginIds"]) == ["supplier-a"]
    assert form["sourceMethodType"] == "selectedmysupplier" and form["prId"] == "RFQ-7"
    assert json.loads(form["items"]) == [{"prItemId": "tier-100", "purchaseAmount": 100}]
    closed, platform = await serve("caigou.api.buyoffer.closeBuyOffer", lambda c: c.close_buy_offer("2300000001", "done"))
    assert closed is None and platform.forms[0]["buyOfferId"] == "2300000001"


def _factory(member_id: str, **quote: Any) -> dict[str, Any]:
    return {"member_id": member_id, "login_id": f"login-{member_id}", "company_name": member_id, "years": 5,
            "repurchase_rate": 0.3, "on_time_ship_rate": 0.9, "dispute_rate": 0.01, "license_expires_on": "2030-01-01",
            "province": "浙江省", "city": "义乌市", "behaviour": {"quote": quote}}


CATALOG = {
    "app": {"app_key": "1000000", "app_secret": "test123", "access_token": "TEST-TOKEN", "refresh_token": "TEST-REFRESH",
            "calls_per_minute": 100000},
    "suppliers": [_factory("f1", reply_after_minutes=10, lead_days=12, capacity=800, freight="30.00"),
                  _factory("f2", answer="twice", reply_after_minutes=5, revise_after_minutes=20,
                           revised_price_factor="0.90"),
                  _factory("f3", answer="decline", reply_after_minutes=1), _factory("f4", answer="never"),
                  _factory("f5", reply_after_minutes=200)],
    "offers": [{"offer_id": f"61000000000{i}", "supplier_id": f"f{i}", "subject": "铝合金支架", "category_id": 1,
                "price_ranges": [{"start_quantity": 1, "price": "20.00"}, {"start_quantity": 500, "price": "18.00"}],
                "skus": [{"spec_id": "s", "attributes": {}, "stock": 10000}], "freight": {"free": True}}
               for i in range(1, 6)],
}


@pytest.fixture
async def factories():
    clock = SimClock.frozen(START)
    sim = Simulator(parse_catalog(CATALOG), clock=clock)
    async with Alibaba1688Client("http://sim/openapi/", "1000000", "test123", "TEST-TOKEN", "TEST-REFRESH",
                                 transport=httpx.ASGITransport(app=sim.app), clock=lambda: START.timestamp()) as client:
        yield client, clock


async def test_factories_answer_on_the_clock_and_nothing_after_the_expiry_or_the_close(factories):
    client, clock = factories
    buy_offer_id = await client.post_buy_offer(
        pr_id="RFQ-9", subject="铝合金支架", description="", login_ids=[f"login-f{i}" for i in range(1, 6)],
        items=[{"prItemId": "tier-100", "purchaseAmount": 100}, {"prItemId": "tier-500", "purchaseAmount": 500}],
        quotation_expires_at=START + timedelta(hours=2))
    # Posting again with the same prId is the same inquiry: no factory is asked twice.
    assert await client.post_buy_offer(
        pr_id="RFQ-9", subject="铝合金支架", description="", login_ids=["login-f1"],
        items=[{"prItemId": "tier-100", "purchaseAmount": 100}], quotation_expires_at=START + timedelta(hours=2)) == buy_offer_id
    assert await client.list_quotations(buy_offer_id) == []

    clock.advance(timedelta(minutes=11))
    early = await client.list_quotations(buy_offer_id)
    assert {(q.supplier_login_id, q.refused) for q in early} == {("login-f1", False), ("login-f2", False), ("login-f3", True)}
    f1 = next(q for q in early if q.supplier_login_id == "login-f1")
    assert [(i.amount, i.unit_price) for i in f1.items] == [(100, Decimal("20.00")), (500, Decimal("18.00"))]
    assert (f1.freight, f1.lead_days, f1.items[0].capacity, f1.items[0].product_id) == (Decimal("30.00"), 12, 800, "610000000001")

    clock.advance(timedelta(minutes=20))
    revisions = [q for q in await client.list_quotations(buy_offer_id) if q.supplier_login_id == "login-f2"]
    assert [i.unit_price for q in revisions for i in q.items[:1]] == [Decimal("20.00"), Decimal("18.00")]

    clock.advance(timedelta(hours=5))  # f5 would answer at 200 minutes: after the 2 h expiry
    assert "login-f5" not in {q.supplier_login_id for q in await client.list_quotations(buy_offer_id)}
    assert all(q.supplier_login_id != "login-f4" for q in await client.list_quotations(buy_offer_id))


async def test_closing_stops_the_quotations_and_an_unknown_inquiry_is_refused(factories):
    client, clock = factories
    buy_offer_id = await client.post_buy_offer(
        pr_id="RFQ-10", subject="铝合金支架", description="", login_ids=["login-f1", "login-f5"],
        items=[{"prItemId": "tier-100", "purchaseAmount": 100}], quotation_expires_at=START + timedelta(hours=8))
    await client.close_buy_offer(buy_offer_id, "enough")
    clock.advance(timedelta(hours=4))
    assert await client.list_quotations(buy_offer_id) == []
    with pytest.raises(Alibaba1688Error, match="BUYOFFER_NOT_EXIST"):
        await client.list_quotations("999")
    with pytest.raises(Alibaba1688Error, match="BUYOFFER_EXPIRE_INVALID"):
        await client.post_buy_offer(pr_id="RFQ-11", subject="x", description="", login_ids=["login-f1"],
                                    items=[{"purchaseAmount": 1}], quotation_expires_at=START - timedelta(minutes=1))
