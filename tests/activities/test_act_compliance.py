"""The compliance refresh's 1688 calls take only idle turns of the shared quota, and the licence
register client reads what the register says (or that it does not know the company)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest

from activities.call_quota import SharedCallQuota
from activities.compliance import LicenceRegister, LowPriorityQuota
from alibaba1688 import ThrottledError
from alibaba1688.pacing import call_interval
from simulator import SimClock, Simulator, parse_catalog

API = "com.alibaba.account:alibaba.account.agent.crossBasic"


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_a_compliance_call_never_queues_behind_procurement_calls(db_pool):
    sleeps = Sleeps()
    procurement = SharedCallQuota(db_pool, "1000000", 6, max_wait=timedelta(seconds=60), sleep=sleeps)
    compliance = LowPriorityQuota(db_pool, "1000000", 6)
    await compliance(API)  # the quota is idle: it goes at once
    await procurement(API)  # a procurement call waits for the next turn
    assert len(sleeps.waits) == 1 and sleeps.waits[0] > 5
    with pytest.raises(ThrottledError) as refused:  # a call is queued: the compliance call is not sent
        await compliance(API)
    assert refused.value.retry_after and refused.value.retry_after > 0
    await procurement(API)  # and it took no turn a procurement could have had
    assert len(sleeps.waits) == 2 and sleeps.waits[1] == pytest.approx(2 * sleeps.waits[0], abs=1.0)


async def test_the_calls_of_one_refresh_follow_each_other_on_an_idle_quota(db_pool):
    # get_seller makes four calls in a row: each waits for the turn after the previous one (a
    # tenth of a second at 600 a minute) and none is refused.
    compliance = LowPriorityQuota(db_pool, "1000001", 600)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for _ in range(4):
        await compliance(API)
    assert loop.time() - began >= 3 * call_interval(600) - 0.05


async def test_register_client_reads_licence_permits_and_unknown_companies():
    data = {
        "app": {"app_key": "1000000", "app_secret": "test123", "access_token": "T", "refresh_token": "R"},
        "suppliers": [{"member_id": "b2b-1", "login_id": "maker-1", "company_name": "义乌制造", "years": 3,
                       "repurchase_rate": 0.3, "on_time_ship_rate": 0.9, "dispute_rate": 0.01,
                       "license_expires_on": "2027-01-31", "province": "浙江省", "city": "义乌市",
                       "permits": [{"name": "生产许可证", "expires_on": "2026-12-01"}]}],
        "offers": [{"offer_id": "610000000001", "supplier_id": "b2b-1", "subject": "杯子", "min_order_quantity": 1,
                    "category_id": 1, "skus": [{"spec_id": "s1", "stock": 10}],
                    "price_ranges": [{"start_quantity": 1, "price": "2.00"}], "freight": {"free": True}}],
    }
    sim = Simulator(parse_catalog(data), clock=SimClock.frozen())
    register = LicenceRegister("http://sim/licence-register/v1", transport=httpx.ASGITransport(app=sim.app))
    try:
        expiry, permits = await register.lookup("maker-1")
        assert expiry == date(2027, 1, 31)
        assert [(p.name, p.expires_on) for p in permits] == [("生产许可证", date(2026, 12, 1))]
        assert await register.lookup("someone-else") is None
    finally:
        await register.aclose()
