"""Fault injection: 5xx, throttling, latency, and the reply lost after a commit (in-process and over HTTP)."""

from __future__ import annotations

import httpx
import pytest
from sim_support import ADDRESS, OFFER_A, Gateway, admin

from simulator import LostReply, SimClock, Simulator, demo_catalog
from simulator.server import serve

CREATE = "alibaba.trade.fastCreateOrder"
PAY = "alibaba.trade.pay.protocolPay.preparePay"
A50 = [{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}]


async def test_error_rate_answers_503_and_commits_nothing(gw: Gateway, http: httpx.AsyncClient) -> None:
    await admin(http, "faults", {"error_rate": 1.0})
    response = await gw.call(CREATE, {"flow": "general", "addressParam": ADDRESS, "cargoParamList": A50})
    assert response.status_code == 503 and response.json()["error_code"] == "gw.ServiceUnavailable"
    assert await admin(http, "orders") == []
    assert (await admin(http, "calls"))[-1] == {**(await admin(http, "calls"))[-1], "outcome": "fault"}


async def test_throttle_rate_and_clearing_faults(gw: Gateway, http: httpx.AsyncClient) -> None:
    described = await admin(http, "faults", {"throttle_rate": 1.0, "latency_ms": 1})
    assert described["throttle_rate"] == 1.0 and described["latency_ms"] == 1
    response = await gw.call("product.search.keywordQuery", {"offerQueryParam": {"keyword": "帆布包"}})
    assert response.json()["error_code"] == "gw.QosAppFrequencyLimit"
    assert await admin(http, "faults", {}) == {"latency_ms": 0, "error_rate": 0.0, "throttle_rate": 0.0,
                                                "lost_reply": {}, "malformed": {}, "seed": 0}
    assert (await gw.call("product.search.keywordQuery", {"offerQueryParam": {"keyword": "帆布包"}})).status_code == 200


async def test_rates_are_repeatable_for_a_seed(gw: Gateway, http: httpx.AsyncClient) -> None:
    async def pattern() -> list[int]:
        await admin(http, "faults", {"error_rate": 0.5, "seed": 42})
        return [(await gw.call("alibaba.trade.getBuyerOrderList")).status_code for _ in range(12)]

    first = await pattern()
    assert set(first) == {200, 503}
    assert await pattern() == first


async def test_bad_faults_are_refused(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"error_rate": 2})).status_code == 400
    assert (await http.post("/_sim/faults", json={"typo": 1})).status_code == 400


async def test_lost_create_reply_in_process_raises_a_timeout_but_the_order_exists(
        gw: Gateway, http: httpx.AsyncClient) -> None:
    await admin(http, "faults", {"lost_reply": {CREATE: 1}})
    with pytest.raises(httpx.ReadTimeout) as caught:
        await gw.create(A50, out_order_id="PR-LOST-o1")
    assert isinstance(caught.value, LostReply) and isinstance(caught.value, httpx.TransportError)
    [order] = await admin(http, "orders")
    assert order["out_order_id"] == "PR-LOST-o1"
    # the caller's recovery: look up by outOrderId instead of creating again
    found = await gw.ok("alibaba.trade.get.buyerView", {"webSite": "1688", "outOrderId": "PR-LOST-o1"})
    assert found["result"]["baseInfo"]["idOfStr"] == order["order_id"]
    # only one reply was to be lost
    assert (await gw.create(A50))["success"] is True
    assert (await admin(http, "calls"))[0]["outcome"] == "lost_reply"
    assert (await admin(http, "faults"))["lost_reply"] == {}


async def test_lost_pay_reply_charges_once(gw: Gateway, http: httpx.AsyncClient) -> None:
    order_id = (await gw.create(A50))["result"]["orderId"]
    await admin(http, "faults", {"lost_reply": {PAY: 1}})
    with pytest.raises(httpx.ReadTimeout):
        await gw.pay(order_id)
    assert (await gw.order(order_id))["result"]["baseInfo"]["status"] == "waitsellersend"
    assert (await gw.pay(order_id))["result"]["code"] == "ORDER_STATUS_ERROR"
    assert len(await admin(http, "payments")) == 1


async def test_failed_calls_do_not_consume_a_lost_reply(gw: Gateway, http: httpx.AsyncClient) -> None:
    await admin(http, "faults", {"lost_reply": {CREATE: 1}})
    too_few = await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": 1}])
    assert too_few["errorCode"] == "500_005"
    assert (await admin(http, "faults"))["lost_reply"] == {CREATE: 1}


async def test_lost_reply_without_raising_app_exceptions_is_an_empty_200(sim: Simulator) -> None:
    transport = httpx.ASGITransport(app=sim.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        gw = Gateway(client)
        await admin(client, "faults", {"lost_reply": {CREATE: 1}})
        response = await gw.call(CREATE, {"flow": "general", "addressParam": ADDRESS, "cargoParamList": A50})
        assert response.status_code == 200 and response.content == b""
        assert len(await admin(client, "orders")) == 1


async def test_lost_reply_over_real_http_drops_the_connection() -> None:
    sim = Simulator(demo_catalog(), clock=SimClock.frozen())
    async with serve(sim, "127.0.0.1", 0) as url, httpx.AsyncClient(base_url=url, timeout=5.0) as client:
        gw = Gateway(client)
        assert (await gw.ok("product.search.keywordQuery", {"offerQueryParam": {"keyword": "保温杯"}}))["result"]["success"]
        await admin(client, "faults", {"lost_reply": {CREATE: 1}})
        with pytest.raises(httpx.RemoteProtocolError):
            await gw.create(A50, out_order_id="PR-HTTP-o1")
        [order] = await admin(client, "orders")
        assert order["out_order_id"] == "PR-HTTP-o1" and order["status"] == "waitbuyerpay"
        assert (await gw.create(A50))["success"] is True  # the server is still healthy afterwards
