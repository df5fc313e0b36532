"""Pacing: the spacing that keeps any 60-second window inside the quota, the in-process pacer,
and the client asking its pacer before every business call (and never before a token exchange)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alibaba1688 import Alibaba1688Client, ThrottledError
from alibaba1688.pacing import JITTER_GUARD_SECONDS, LocalPacer, call_interval
from simulator import SimClock, Simulator, parse_catalog

CATALOG = json.loads((Path(__file__).parents[2] / "simulator" / "demo_catalog.json").read_text(encoding="utf-8"))
APP = CATALOG["app"]


def most_in_a_minute(times: list[float]) -> int:
    """The most calls in any closed 60-second window (how the gateway's sliding window counts)."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while times[start] < moment - 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best


@given(quota=st.integers(min_value=1, max_value=3000),
       late=st.lists(st.floats(min_value=0.0, max_value=JITTER_GUARD_SECONDS * 0.99), min_size=1, max_size=400))
def test_turns_keep_every_minute_inside_the_quota_even_when_calls_arrive_late(quota, late):
    interval = call_interval(quota)
    # The worst case: turns back to back, each call reaching the gateway up to the guard late.
    arrivals = sorted(k * interval + late[k % len(late)] for k in range(min(quota * 3, 3000)))
    assert most_in_a_minute(arrivals) <= quota


def test_spacing_wastes_little_of_the_quota():
    assert math.floor(60 / call_interval(600)) + 1 >= 0.96 * 600
    assert call_interval(1) > 60


def test_the_local_pacer_spaces_turns_and_refuses_beyond_its_wait():
    now = [100.0]
    pacer = LocalPacer(interval=2.0, max_wait=5.0, clock=lambda: now[0])
    assert [pacer.take() for _ in range(4)] == [0.0, 2.0, 4.0, None]
    assert pacer.refused_for() == pytest.approx(1.0)  # the turn at +6 is in reach again at +1
    now[0] += 1.0
    assert pacer.take() == 5.0
    now[0] += 60.0
    assert pacer.take() == 0.0  # an idle pacer does not save up turns for a burst


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(parse_catalog(CATALOG), clock=SimClock.frozen())


class Booking:
    """A pacer that lets everything through and remembers what it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, api: str) -> None:
        self.asked.append(api)


async def gateway_calls(simulator: Simulator) -> list[tuple[str, str | None]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), base_url="http://sim") as admin:
        return [(c["api"], c["error_code"]) for c in (await admin.get("/_sim/calls")).json()]


async def test_the_client_asks_its_pacer_before_each_business_call_but_not_a_token_exchange(simulator):
    pacer = Booking()
    async with Alibaba1688Client(
        "http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"], APP["refresh_token"],
        transport=httpx.ASGITransport(app=simulator.app), pace=pacer,
    ) as client:
        await client.search_offers("纯棉T恤")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), base_url="http://sim") as admin:
            (await admin.post("/_sim/tokens/expire", json={})).raise_for_status()
        await client.get_offer_detail("610000000001")
    assert await gateway_calls(simulator) == [
        ("product.search.keywordQuery", None), ("product.search.queryProductDetail", "401"),
        ("getToken", None), ("product.search.queryProductDetail", None),
    ]
    # The refused call and its retry each took a turn: the gateway counted both.
    assert pacer.asked == [
        "com.alibaba.fenxiao.crossborder:product.search.keywordQuery",
        "com.alibaba.fenxiao.crossborder:product.search.queryProductDetail",
        "com.alibaba.fenxiao.crossborder:product.search.queryProductDetail",
    ]


async def test_a_call_the_pacer_refuses_is_never_sent(simulator):
    now = [0.0]
    pacer = LocalPacer(interval=30.0, max_wait=0.0, clock=lambda: now[0])
    async with Alibaba1688Client(
        "http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"],
        transport=httpx.ASGITransport(app=simulator.app), pace=pacer,
    ) as client:
        await client.search_offers("纯棉T恤")
        with pytest.raises(ThrottledError) as refused:
            await client.search_offers("纯棉T恤")
    assert refused.value.code == "local.CallQuota" and refused.value.retryable
    assert refused.value.retry_after == pytest.approx(30.0)
    assert len(await gateway_calls(simulator)) == 1


async def test_a_token_refreshed_while_a_call_waits_for_its_turn_is_the_one_sent(simulator):
    """Another call refreshes the token (the old one expired) while this one waits: no 401."""
    client: Alibaba1688Client

    async def meanwhile(api: str) -> None:
        if api.endswith("queryProductDetail"):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), base_url="http://sim") as admin:
                (await admin.post("/_sim/tokens/expire", json={})).raise_for_status()
            await client.refresh_access_token()

    async with Alibaba1688Client(
        "http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"], APP["refresh_token"],
        transport=httpx.ASGITransport(app=simulator.app), pace=meanwhile,
    ) as client:
        await client.get_offer_detail("610000000001")
    assert await gateway_calls(simulator) == [("getToken", None), ("product.search.queryProductDetail", None)]
