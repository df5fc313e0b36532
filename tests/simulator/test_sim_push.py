"""Push messages: signed like the platform's, one per order change, retried then dropped."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
from sim_support import OFFER_A, Gateway, admin

from alibaba1688.signing import sign_push_message
from simulator import Simulator


async def test_order_changes_are_pushed_signed(sim: Simulator, gw: Gateway, http: httpx.AsyncClient) -> None:
    received: list[dict[str, str]] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "http://receiver.local/1688"
        received.append(dict(parse_qsl(request.content.decode("utf-8"))))
        return httpx.Response(200, text="success")

    sim.push.transport = httpx.MockTransport(receiver)
    await admin(http, "push", {"url": "http://receiver.local/1688"})
    order_id = (await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}]))["result"]["orderId"]
    await gw.pay(order_id)
    await admin(http, "advance", {"steps": 1})  # delivers what is pending: the payment, then the shipment
    for form in received:
        assert form["_aop_signature"] == sign_push_message(form["message"], "test123")
    messages = [json.loads(form["message"]) for form in received]
    assert [m["type"] for m in messages] == ["ORDER_BUYER_VIEW_ORDER_PAY", "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS",
                                             "LOGISTICS_BUYER_VIEW_TRACE"]
    assert {m["bizKey"] for m in messages} == {order_id}
    assert messages[0]["data"]["orderId"] == int(order_id) and messages[0]["data"]["currentStatus"] == "waitsellersend"
    assert messages[2]["data"]["statusChanged"] == "WAITACCEPT"


async def test_a_failing_receiver_is_retried_then_dropped(sim: Simulator, gw: Gateway, http: httpx.AsyncClient) -> None:
    attempts: list[int] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        return httpx.Response(500)

    sim.push.transport = httpx.MockTransport(receiver)
    await admin(http, "push", {"url": "http://receiver.local/1688"})
    order_id = (await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}]))["result"]["orderId"]
    await gw.pay(order_id)
    await sim.tick()
    assert len(attempts) == 3
    assert (await admin(http, "push"))["dropped"] == 1
