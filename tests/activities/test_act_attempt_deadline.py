"""An attempt that has too little time left sends nothing 1688 cannot take twice.

If a pay or create attempt were still sending when its start-to-close timeout fired, the next
attempt's look-up could miss the send and make a second one. Here an attempt that started 60 s
into a 90 s start-to-close (its reads were slow) must refuse to send; a fresh attempt sends once.
Real simulator over HTTP, real client, the real activities.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from attempts import attempt

from activities.attempt_deadline import NO_TIME_TO_SEND, WORST_CALL
from activities.ordering import OrderingActivities
from activities.payment import PaymentActivities
from alibaba1688 import Alibaba1688Client
from domain.order import OrderRequest, PaymentRequest
from domain.progress import OrderLine
from domain.request import DeliveryAddress
from simulator import SimClock, Simulator, parse_catalog
from simulator.catalog import DEMO_CATALOG_PATH
from simulator.server import serve

SHIRTS = "610000000001"
DELIVERY = DeliveryAddress(full_name="张三", mobile="15251667788", province="浙江省", city="杭州市", area="滨江区",
                           address="网商路699号")


@asynccontextmanager
async def simulator() -> AsyncIterator[tuple[Alibaba1688Client, httpx.AsyncClient]]:
    data = json.loads(DEMO_CATALOG_PATH.read_text(encoding="utf-8"))
    app = data["app"]
    sim = Simulator(parse_catalog(data), clock=SimClock.frozen())
    async with serve(sim, "127.0.0.1", 0, ready_timeout=10) as url:
        client = Alibaba1688Client(f"{url}/openapi/", app["app_key"], app["app_secret"], app["access_token"],
                                   app["refresh_token"], timeout=10)
        async with client, httpx.AsyncClient(base_url=url, timeout=10) as admin:
            yield client, admin


def order_request() -> OrderRequest:
    return OrderRequest(out_order_id="pr-DL-1", supplier_id="b2b-2201234567", delivery=DELIVERY,
                        lines=[OrderLine(line_id="1", offer_id=SHIRTS, spec_id="a1", quantity=50, unit_price=Decimal("45"))])


async def calls(admin: httpx.AsyncClient, api: str) -> int:
    return sum(1 for c in (await admin.get("/_sim/calls")).json() if c["api"] == api)


def test_the_worst_call_fits_in_the_start_to_close_with_room_for_the_reads():
    assert WORST_CALL < timedelta(seconds=90)


async def test_a_late_create_attempt_sends_nothing_and_a_fresh_one_creates_once():
    async with simulator() as (client, admin):
        activities = OrderingActivities(client)
        with pytest.raises(ApplicationError) as refused:
            await attempt(60).run(activities.create_order, order_request())
        assert refused.value.type == NO_TIME_TO_SEND and not refused.value.non_retryable
        assert await calls(admin, "alibaba.trade.fastCreateOrder") == 0
        placed = await attempt(1, number=2).run(activities.create_order, order_request())
        assert placed.order_id and not placed.found_existing
        assert await calls(admin, "alibaba.trade.fastCreateOrder") == 1


async def test_a_late_pay_attempt_sends_nothing_and_a_fresh_one_pays_once():
    async with simulator() as (client, admin):
        placed = await attempt(1).run(OrderingActivities(client).create_order, order_request())
        payment = PaymentActivities(client)
        request = PaymentRequest(order_id=placed.order_id, amount=placed.total, op_request_id="pay-pr-DL-1")
        with pytest.raises(ApplicationError) as refused:
            await attempt(60).run(payment.pay_order, request)
        assert refused.value.type == NO_TIME_TO_SEND
        assert await calls(admin, "alibaba.trade.pay.protocolPay.preparePay") == 0
        paid = await attempt(1, number=2).run(payment.pay_order, request)
        assert paid.paid
        assert len((await admin.get("/_sim/payments")).json()) == 1
