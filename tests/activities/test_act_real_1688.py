"""The 1688 activities on the platform's real shapes (issue 11), against the simulator in-process:
a split create fills PlacedOrder.parts and a lost create reply finds every part; every parcel is
followed, and "no tracking yet" is an empty trace; a seller known by its open id is resolved once
and then read from the ledger."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from temporalio.testing import ActivityEnvironment

from activities.ordering import OrderingActivities
from activities.shipment import ShipmentActivities
from activities.sourcing import SourcingActivities
from alibaba1688 import Alibaba1688Client
from domain.order import OrderRequest
from domain.progress import OrderLine
from domain.request import DeliveryAddress
from domain.search import SearchQuery
from simulator import SimClock, Simulator, parse_catalog

DELIVERY = DeliveryAddress(full_name="张三", mobile="15251667788", province="浙江省", city="杭州市", area="滨江区",
                           address="网商路699号")
OPEN_ID = "BBBgGWh2O6JFI6v1aQuZVgRIA"
APP = {"app_key": "1000000", "app_secret": "test123", "access_token": "TEST-TOKEN", "refresh_token": "TEST-REFRESH",
       "calls_per_minute": 100000, "close_order_min_seconds": 0}


def catalog(**behaviour: Any) -> dict[str, Any]:
    supplier = {"member_id": "b2b-1001", "open_id": OPEN_ID, "login_id": "supplier-a", "company_name": "A 服饰",
                "years": 6, "repurchase_rate": 0.32, "on_time_ship_rate": 0.95, "dispute_rate": 0.01,
                "license_expires_on": "2030-01-01", "province": "广东省", "city": "广州市",
                "behaviour": {"ship_after_hours": 1, **behaviour}}

    def offer(offer_id: str, warehouse: str, price: str) -> dict[str, Any]:
        return {"offer_id": offer_id, "supplier_id": "b2b-1001", "subject": f"纯棉T恤 {offer_id[-1]}",
                "category_id": 1, "min_order_quantity": 10, "price_ranges": [{"start_quantity": 10, "price": price}],
                "skus": [{"spec_id": f"s{offer_id[-1]}", "stock": 500}], "freight": {"flat": "10.00"},
                "warehouse": warehouse}

    return {"app": APP, "suppliers": [supplier],
            "offers": [offer("610000000001", "广州仓", "45.00"), offer("610000000002", "义乌仓", "20.00")]}


def attempt(n: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=n, started_time=datetime.now(UTC),
                                   scheduled_time=datetime.now(UTC), start_to_close_timeout=timedelta(seconds=90),
                                   schedule_to_close_timeout=None)
    return env


@asynccontextmanager
async def stack(data: dict[str, Any]) -> AsyncIterator[tuple[Simulator, Alibaba1688Client, httpx.AsyncClient]]:
    sim = Simulator(parse_catalog(data), clock=SimClock.frozen())
    transport = httpx.ASGITransport(app=sim.app)
    async with Alibaba1688Client("http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"],
                                 APP["refresh_token"], transport=transport) as client, \
            httpx.AsyncClient(transport=transport, base_url="http://sim") as admin:
        yield sim, client, admin


def two_warehouses(out_order_id: str = "pr-SPLIT-1") -> OrderRequest:
    return OrderRequest(out_order_id=out_order_id, supplier_id=OPEN_ID, delivery=DELIVERY, lines=[
        OrderLine(line_id="1", offer_id="610000000001", spec_id="s1", quantity=10, unit_price=Decimal("45")),
        OrderLine(line_id="2", offer_id="610000000002", spec_id="s2", quantity=10, unit_price=Decimal("20"))])


async def test_a_split_create_fills_the_parts() -> None:
    async with stack(catalog()) as (sim, client, _):
        placed = await attempt(1).run(OrderingActivities(client).create_order, two_warehouses())
    assert len(sim.market.orders) == 2
    assert [p.offer_ids for p in placed.parts] == [["610000000001"], ["610000000002"]]
    assert placed.order_id == placed.parts[0].order_id and not placed.refused
    assert [p.total for p in placed.parts] == [Decimal("460.00"), Decimal("210.00")]
    assert placed.total == Decimal("670.00") and placed.freight == Decimal("20.00")


async def test_a_lost_split_reply_finds_every_part_and_creates_nothing_more() -> None:
    async with stack(catalog()) as (sim, client, admin):
        (await admin.post("/_sim/faults", json={"lost_reply": {"alibaba.trade.fastCreateOrder": 1}})).raise_for_status()
        activities = OrderingActivities(client)
        try:
            await attempt(1).run(activities.create_order, two_warehouses())
        except Exception:  # noqa: BLE001 - the reply was lost: the attempt fails, retryable
            pass
        placed = await attempt(2).run(activities.create_order, two_warehouses())
    assert len(sim.market.orders) == 2  # created once
    assert placed.found_existing and {p.order_id for p in placed.parts} == {str(i) for i in sim.market.orders}
    assert placed.total == Decimal("670.00") and not placed.refused


async def test_every_parcel_is_followed_and_no_tracking_yet_is_empty() -> None:
    async with stack(catalog(parcels=2, trace_after_hours=3)) as (sim, client, admin):
        placed = await attempt(1).run(OrderingActivities(client).create_order, two_warehouses())
        order_id = placed.parts[0].order_id
        sim.market.orders[int(order_id)].paid_at = sim.clock.now()
        sim.market.orders[int(order_id)].status = "waitsellersend"
        (await admin.post("/_sim/advance", json={"hours": 1})).raise_for_status()
        shipment = ShipmentActivities(client)
        view = await attempt(1).run(shipment.track_shipment, order_id)
        assert view.status == "WAITACCEPT" and len(view.parcels) == 1  # one line: one parcel
        assert view.parcels[0].events == []  # the 404 "no tracking information": an empty trace
        (await admin.post("/_sim/advance", json={"hours": 100})).raise_for_status()
        view = await attempt(1).run(shipment.track_shipment, order_id)
    assert view.delivered and view.parcels[0].events


async def test_two_parcels_deliver_when_both_are_signed() -> None:
    data = catalog(parcels=2)
    for offer in data["offers"]:
        offer["warehouse"] = "广州仓"
    async with stack(data) as (sim, client, admin):
        placed = await attempt(1).run(OrderingActivities(client).create_order, two_warehouses())
        assert not placed.parts and placed.order_id is not None
        order = sim.market.orders[int(placed.order_id)]
        order.paid_at, order.status = sim.clock.now(), "waitsellersend"
        (await admin.post("/_sim/advance", json={"hours": 1})).raise_for_status()
        # The courier takes 56 h to sign for a parcel; the second was picked up 3 h after the first.
        (await admin.post("/_sim/advance", json={"hours": 57})).raise_for_status()
        shipment = ShipmentActivities(client)
        view = await attempt(1).run(shipment.track_shipment, placed.order_id)
        assert len(view.parcels) == 2 and {p.status for p in view.parcels} == {"SIGN", "TRANSPORT"}
        assert not view.delivered and view.status == "TRANSPORT"  # the headline is the slower parcel
        (await admin.post("/_sim/advance", json={"hours": 5})).raise_for_status()
        view = await attempt(1).run(shipment.track_shipment, placed.order_id)
    assert view.delivered and all(p.tracking_no for p in view.parcels)


async def test_a_seller_is_resolved_once_then_read_from_the_ledger(db_pool) -> None:
    async with stack(catalog()) as (sim, client, admin):
        sourcing = SourcingActivities(client, db_pool)
        result = await attempt(1).run(sourcing.search_offers, SearchQuery(keyword="纯棉T恤"))
        assert {hit.supplier_id for hit in result.hits} == {OPEN_ID}
        first = await attempt(1).run(sourcing.fetch_supplier, OPEN_ID)
        second = await attempt(1).run(SourcingActivities(client, db_pool).fetch_supplier, OPEN_ID)
        calls = [c["api"] for c in (await admin.get("/_sim/calls")).json()]
    assert first == second
    assert (first.supplier_id, first.login_id, first.company_name, first.years) == (OPEN_ID, "supplier-a", "A 服饰", 6)
    assert (first.repurchase_rate, first.on_time_ship_rate, first.dispute_rate) == (
        Decimal("0.32"), Decimal("0.95"), Decimal("0.01"))
    assert calls.count("wangwangnick.openuid.decrypt") == 1 and calls.count("alibaba.account.agent.crossBasic") == 1


async def test_one_poll_reads_the_order_and_asks_for_logistics_only_once_it_has_shipped() -> None:
    async with stack(catalog(parcels=1)) as (sim, client, admin):
        placed = await attempt(1).run(OrderingActivities(client).create_order, two_warehouses())
        order_id = placed.parts[0].order_id
        sim.market.orders[int(order_id)].paid_at = sim.clock.now()
        sim.market.orders[int(order_id)].status = "waitsellersend"
        shipment = ShipmentActivities(client)

        async def apis() -> list[str]:
            return [c["api"].rsplit(":", 1)[-1] for c in (await admin.get("/_sim/calls")).json()]

        before = len(await apis())
        poll = await attempt(1).run(shipment.poll_order, order_id)
        assert poll.view.status == "waitsellersend" and poll.shipment.status == "NOT_SHIPPED"
        assert (await apis())[before:] == ["alibaba.trade.get.buyerView"], "no logistics call before the goods leave"
        (await admin.post("/_sim/advance", json={"hours": 100})).raise_for_status()
        before = len(await apis())
        poll = await attempt(1).run(shipment.poll_order, order_id)
        assert poll.shipment.delivered and poll.view.is_paid
        called = (await apis())[before:]
        assert called[0] == "alibaba.trade.get.buyerView" and len(called) >= 2, called
