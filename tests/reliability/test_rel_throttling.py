"""Throttling and 5xx bursts, and the app's call quota shared by three workers.

The simulator enforces the app's quota as the real gateway does (a sliding 60-second window per
app key; a call over it is refused with `gw.QosAppFrequencyLimit`). The workers get the same
quota (`ALIBABA_CALLS_PER_MINUTE`): it becomes the 1688 task queue's server-side activity rate,
and each HTTP call books a turn in PostgreSQL shared by every worker (activities/call_quota.py).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from rel_stack import (
    AppCredentials, StackOptions, check_nothing_doubled, drive, mixed_requests, offer, purchase_request,
    read_books, reliability_catalog, running_stack, supplier, until,
)

pytestmark = pytest.mark.reliability

WORKERS = 3
BURST_SECONDS = 4.0


def busiest_window(times: list[datetime], window: timedelta = timedelta(seconds=60)) -> int:
    """The most calls in any window of this length (the gateway's sliding window)."""
    times = sorted(times)
    best = start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def counted_calls(calls: list[dict]) -> list[datetime]:
    """When the gateway counted a call against the quota: every call that passed its rate check."""
    return [datetime.fromisoformat(c["at"]) for c in calls
            if c["outcome"] != "fault" and c["error_code"] != "gw.QosAppFrequencyLimit" and c["api"] != "getToken"]


async def bursts(stack) -> None:
    """A burst of throttling, then a burst of 503s, then calm (a schedule, not a synchronisation)."""
    await stack.sim_post("faults", {"throttle_rate": 0.7, "seed": 3})
    await asyncio.sleep(BURST_SECONDS)
    await stack.sim_post("faults", {"error_rate": 0.7, "seed": 4})
    await asyncio.sleep(BURST_SECONDS)
    await stack.sim_post("faults", {})


async def test_bursts_of_throttling_and_5xx_back_off_then_every_procurement_completes():
    async with running_stack(StackOptions(workers=WORKERS), prefix="procure-rel-bursts-") as stack:
        schedule = asyncio.create_task(bursts(stack))
        try:
            ids = [(await stack.start_procurement(r)).id for r in mixed_requests("BURST", 5, seed=5)]
            report = await drive(stack, ids, timeout=180)
        finally:
            await schedule
        books = await read_books(stack)
    counts = check_nothing_doubled(books, report, ids)
    outcomes = Counter((c["outcome"], c["error_code"]) for c in books.calls)
    throttled = outcomes[("fault", "gw.QosAppFrequencyLimit")]
    failed_5xx = outcomes[("fault", "gw.ServiceUnavailable")]
    retried = sum(1 for r in books.ledger["api_calls"] if (r["attempt"] or 1) > 1)
    print("burst figures:", json.dumps({**counts, "workers": WORKERS, "injected_throttles": throttled,
                                        "injected_5xx": failed_5xx, "api_calls_on_a_retry": retried,
                                        "seconds": round(report.seconds)}))
    assert throttled > 0 and failed_5xx > 0, "the bursts did not hit any call"
    # Each refused call ended its activity's attempt, and every activity got through in the end:
    # so each refusal was followed by a later attempt, which made at least one call of its own.
    assert retried >= throttled + failed_5xx, "a refused call was not tried again"


QUOTA = 120  # calls per minute, on the simulator's app and in the workers' settings
STALLING = "马克杯"  # its supplier's shipments stop moving once shipped: the orders poll forever
STALLED = 8


async def test_three_workers_together_never_exceed_the_apps_call_quota():
    app = AppCredentials()
    catalog = reliability_catalog(app, calls_per_minute=QUOTA)
    catalog["suppliers"].append(supplier("b2b-E", behaviour={"ship_after_hours": 0, "stall_at": "WAITACCEPT",
                                                             "cancel_after_pay": False}))
    catalog["offers"].append(offer("610000000901", "b2b-E", f"{STALLING} 白色", "15.00"))
    options = StackOptions(workers=WORKERS, app=app, catalog=catalog, sim_calls_per_minute=QUOTA,
                           worker_calls_per_minute=QUOTA)
    async with running_stack(options, prefix="procure-rel-quota-") as stack:
        # Orders that keep polling logistics as fast as they are let: one call to read the order,
        # then two for the courier (its shipment and its trace), every second. Together they ask
        # for far more than the quota, so the 1688 queue runs at its rate limit.
        handles = [await stack.start_procurement(purchase_request(f"QUOTA-STALL-{n}", [("1", STALLING, 10)]))
                   for n in range(STALLED)]

        async def all_polling() -> bool:
            await stack.sim_post("advance", {"steps": 1})
            stack.check_children()
            orders = await stack.sim_get("orders")
            return len(orders) == STALLED and all(o["logistics_status"] == "WAITACCEPT" for o in orders)

        await until(all_polling, "every order shipped and stalled", 240, every=1.0)
        polling_from = datetime.fromisoformat((await stack.sim_get("clock"))["now"])

        async def measured() -> bool:
            """A full quota window of nothing but polling (or the first call refused for the quota)."""
            stack.check_children()
            calls = await stack.sim_get("calls")
            refused = any(c["outcome"] == "gateway_error" and c["error_code"] == "gw.QosAppFrequencyLimit" for c in calls)
            now = datetime.fromisoformat(calls[-1]["at"])
            return refused or (now - polling_from).total_seconds() > 62

        await until(measured, "a minute of polling at the quota", 120, every=1.0)
        for handle in handles:
            await handle.terminate("quota measured")
        calls = await stack.sim_get("calls")
        assert stack.pool is not None
        activities, http_calls = await stack.pool.fetchrow(
            "SELECT count(DISTINCT (workflow_id, activity_id, attempt)), count(*) FROM api_calls")
    outcomes = Counter((c["outcome"], c["error_code"]) for c in calls)
    counted = counted_calls(calls)
    polling = [t for t in counted if t >= polling_from]
    polling_seconds = (max(polling) - polling_from).total_seconds()
    refused = outcomes[("gateway_error", "gw.QosAppFrequencyLimit")]
    by_api = Counter(c["api"] for c in calls if c["error_code"] == "gw.QosAppFrequencyLimit")
    figures = {"workers": WORKERS, "quota_per_minute": QUOTA, "calls_counted": len(counted),
               "span_seconds": round((max(counted) - min(counted)).total_seconds()),
               "busiest_60s_window": busiest_window(counted), "refused_for_quota": refused,
               "refused_by_api": dict(by_api.most_common(5)), "activity_attempts": activities,
               "http_calls_per_activity_attempt": round(http_calls / max(1, activities), 2),
               "polling_seconds": round(polling_seconds),
               "polling_calls_per_minute": round(len(polling) / max(1.0, polling_seconds) * 60)}
    print("quota figures:", json.dumps(figures))
    assert refused == 0, f"the gateway refused {refused} calls for being over the app's quota: {figures}"
    assert polling_seconds >= 60 and len(polling) > 20, f"the orders did not poll for a minute: {figures}"
    assert figures["busiest_60s_window"] <= QUOTA
