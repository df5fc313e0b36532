"""Fixtures for the simulator tests: one fresh Simulator (frozen clock) per test, mounted in-process."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sim_support import Gateway, demo_data

from simulator import SimClock, Simulator, parse_catalog


@pytest.fixture
def clock() -> SimClock:
    return SimClock.frozen()


@pytest.fixture
def catalog_data() -> dict[str, Any]:
    return demo_data()


@pytest.fixture
def sim(catalog_data: dict[str, Any], clock: SimClock) -> Simulator:
    return Simulator(parse_catalog(copy.deepcopy(catalog_data)), clock=clock)


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as client:
        yield client


@pytest.fixture
def gw(http: httpx.AsyncClient) -> Gateway:
    return Gateway(http)
