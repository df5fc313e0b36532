"""The malformed-reply fault: truncated JSON, an HTML page, wrong types, a missing payload.

The change behind a spoiled reply still commits (as with a lost reply); the call log says
`malformed`; and the real client reads every kind as a typed `MalformedReplyError`.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sim_support import ADDRESS, OFFER_A, Gateway, admin

from alibaba1688 import Alibaba1688Client, MalformedReplyError
from simulator import SimClock, Simulator, demo_catalog
from simulator.server import serve

CREATE = "alibaba.trade.fastCreateOrder"
SEARCH = "product.search.keywordQuery"
A50 = [{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}]
CREATE_PARAMS = {"flow": "general", "addressParam": ADDRESS, "cargoParamList": A50, "outOrderId": "PR-MAL-o1"}


async def test_truncated_cuts_the_json_in_half_and_the_order_still_exists(gw: Gateway, http: httpx.AsyncClient):
    await admin(http, "faults", {"malformed": {CREATE: {"kind": "truncated"}}})
    response = await gw.call(CREATE, CREATE_PARAMS)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(response.content)
    assert response.content.startswith(b'{"success": true')
    [order] = await admin(http, "orders")
    assert order["out_order_id"] == "PR-MAL-o1"  # committed although the reply was garbage
    assert [c["outcome"] for c in await admin(http, "calls")] == ["malformed"]
    assert (await gw.call(CREATE, CREATE_PARAMS)).json()["success"] is True  # only one was spoiled


async def test_html_is_a_proxy_error_page_with_status_200(gw: Gateway, http: httpx.AsyncClient):
    await admin(http, "faults", {"malformed": {SEARCH: {"kind": "html"}}})
    response = await gw.call(SEARCH, {"offerQueryParam": {"keyword": "帆布包"}})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>") and "502 Bad Gateway" in response.text


async def test_wrong_type_turns_objects_and_lists_into_json_text(gw: Gateway, http: httpx.AsyncClient):
    await admin(http, "faults", {"malformed": {SEARCH: {"kind": "wrong_type"}}})
    body = (await gw.call(SEARCH, {"offerQueryParam": {"keyword": "帆布包"}})).json()
    assert isinstance(body["result"], str)
    assert json.loads(body["result"])["success"] is True  # the real payload, as a string


async def test_missing_field_keeps_only_the_success_flag(gw: Gateway, http: httpx.AsyncClient):
    await admin(http, "faults", {"malformed": {CREATE: {"kind": "missing_field"},
                                               "alibaba.trade.getBuyerOrderList": {"kind": "missing_field"}}})
    assert (await gw.call(CREATE, CREATE_PARAMS)).json() == {"success": True}
    assert (await gw.call("alibaba.trade.getBuyerOrderList")).json() == {}  # no success flag to keep
    assert len(await admin(http, "orders")) == 1


async def test_counts_shorthand_describe_and_clearing(gw: Gateway, http: httpx.AsyncClient):
    described = await admin(http, "faults", {"malformed": {SEARCH: 2}})
    assert described["malformed"] == {SEARCH: {"kind": "truncated", "count": 2}}
    for left in ({SEARCH: {"kind": "truncated", "count": 1}}, {}):
        await gw.call(SEARCH, {"offerQueryParam": {"keyword": "帆布包"}})
        assert (await admin(http, "faults"))["malformed"] == left
    assert (await gw.call(SEARCH, {"offerQueryParam": {"keyword": "帆布包"}})).json()["result"]["success"] is True
    await admin(http, "faults", {"malformed": {SEARCH: 5}})
    assert (await admin(http, "faults", {}))["malformed"] == {}


async def test_gateway_refusals_do_not_consume_a_malformed_reply(gw: Gateway, http: httpx.AsyncClient):
    await admin(http, "faults", {"malformed": {SEARCH: 1}})
    refused = await gw.call(SEARCH, {"offerQueryParam": {"keyword": "帆布包"}}, token="WRONG")
    assert refused.status_code == 401
    assert (await admin(http, "faults"))["malformed"] == {SEARCH: {"kind": "truncated", "count": 1}}


@pytest.mark.parametrize("body", [
    {"malformed": {SEARCH: {"kind": "gibberish"}}},
    {"malformed": {SEARCH: {"kind": "html", "count": -1}}},
    {"malformed": {SEARCH: {"kind": "html", "typo": 1}}},
    {"malformed": {SEARCH: "html"}},
])
async def test_bad_malformed_settings_are_refused(http: httpx.AsyncClient, body):
    assert (await http.post("/_sim/faults", json=body)).status_code == 400


@pytest.mark.parametrize(("kind", "retryable"), [("truncated", True), ("html", True), ("wrong_type", False),
                                                 ("missing_field", False)])
async def test_the_client_reads_every_kind_as_a_typed_error(sim: Simulator, http: httpx.AsyncClient, kind, retryable):
    transport = httpx.ASGITransport(app=sim.app)
    async with Alibaba1688Client("http://sim/openapi/", "1000000", "test123", "TEST-TOKEN", "TEST-REFRESH",
                                 transport=transport) as client:
        await admin(http, "faults", {"malformed": {SEARCH: {"kind": kind}}})
        with pytest.raises(MalformedReplyError) as caught:
            await client.search_offers("帆布包")
    assert caught.value.retryable is retryable
    assert caught.value.outcome_unknown  # the platform may have acted: writes look up before retrying


async def test_malformed_over_real_http() -> None:
    sim = Simulator(demo_catalog(), clock=SimClock.frozen())
    async with serve(sim, "127.0.0.1", 0) as url, httpx.AsyncClient(base_url=url, timeout=5.0) as http:
        gw = Gateway(http)
        await admin(http, "faults", {"malformed": {CREATE: {"kind": "html"}}})
        response = await gw.call(CREATE, CREATE_PARAMS)
        assert response.status_code == 200 and "502 Bad Gateway" in response.text
        assert len(await admin(http, "orders")) == 1


async def test_a_reply_the_kind_cannot_spoil_is_served_as_is_and_keeps_the_fault(gw: Gateway, http: httpx.AsyncClient):
    """Logistics' "not shipped yet" is an error reply with no object member: `wrong_type` would
    change nothing, so it must not use the fault up (a test asking for one spoiled logistics reply
    otherwise got none, about one run in three, depending on when the parcel left)."""
    logistics = "alibaba.trade.getLogisticsInfos.buyerView"
    await admin(http, "faults", {"malformed": {logistics: {"kind": "wrong_type"}}})
    created = (await gw.call(CREATE, CREATE_PARAMS)).json()
    order_id = created["result"]["orderId"]
    reply = await gw.call(logistics, {"orderId": order_id, "webSite": "1688"})
    assert reply.json()["success"] is False and "errorCode" in reply.json()  # unshipped: an error reply
    assert (await admin(http, "faults"))["malformed"] == {logistics: {"kind": "wrong_type", "count": 1}}
    assert [c["outcome"] for c in await admin(http, "calls")][-1] != "malformed"
