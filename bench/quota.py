"""Quota use: three workers against a 1688 app limited to N calls a minute (the simulator enforces
it as the gateway does), at two quotas, with more procurements waiting than the quota can serve.

Every procurement runs its whole flow (search, detail, seller, freight, preview, create, pay with
its two calls, tracking with its two calls, confirm) while the driver moves shipments and answers
QC, so the multi-call steps are in the mix. After a warm-up, the calls the simulator received in
a fixed window give the fraction of the quota reached and the gateway's throttles
(`gw.QosAppFrequencyLimit`).

    .venv/bin/python -m bench.quota [--quotas 120 600] [--window 60] [--out bench/results/quota.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path

from bench import results
from bench.stack import DriveReport, StackOptions, accept, drive, purchase_request, running_stack

THROTTLE = "gw.QosAppFrequencyLimit"


GOODS = [("纯棉T恤", 30), ("帆布包", 20), ("保温杯", 50)]
# A single-line procurement's whole flow once the sellers' profiles are cached from earlier ones
# (about 30 calls cold, bench/results/calls_events.txt; about 19 here).
CALLS_PER_PROCUREMENT = 20
OVER_DEMAND = 1.5


async def one_quota(quota: int, window: float, warmup: float) -> list[str]:
    """Procurements arrive steadily, half again faster than the quota can serve them, so the quota
    is the limit throughout and every stage (sourcing, paying, tracking, confirming) is in the mix
    at once; a few start together so the quota is used from the first second."""
    options = StackOptions(workers=3, sim_calls_per_minute=quota, worker_calls_per_minute=quota)
    every = 60 / (OVER_DEMAND * quota / CALLS_PER_PROCUREMENT)
    async with running_stack(options, prefix="procure-bench-") as stack:
        ids: list[str] = []

        async def start_one() -> None:
            n = len(ids)
            keyword, quantity = GOODS[n % 3]
            ids.append((await stack.start_procurement(purchase_request(f"BENCH-Q{quota}-{n:03d}",
                                                                        [("1", keyword, quantity)]))).id)

        for _ in range(3):
            await start_one()
        report = DriveReport()
        driver = asyncio.create_task(drive_open(stack, ids, report))
        try:
            begun = time.monotonic()
            first = None
            while time.monotonic() - begun < warmup + window:
                if first is None and time.monotonic() - begun >= warmup:
                    first = len(await stack.sim_get("calls"))
                    started = time.monotonic()
                await start_one()
                await asyncio.sleep(every)  # the arrival schedule, not a synchronisation
            calls = await stack.sim_get("calls")
            seconds = time.monotonic() - started
        finally:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError, AssertionError):
                await driver
        in_window = calls[first:]
        throttled = sum(1 for c in in_window if c["error_code"] == THROTTLE)
        throttled_all = sum(1 for c in calls if c["error_code"] == THROTTLE)
        served = sum(1 for c in in_window if c["outcome"] == "ok" or c["error_code"] not in (THROTTLE,))
        allowed = quota * seconds / 60
        by_api = Counter(c["api"] for c in in_window)
        finished = len(report.results)
    body = [
        f"== quota {quota} calls a minute: 3 workers; single-line procurements arriving one every {every:.1f} s "
        f"({OVER_DEMAND} x what the quota serves at {CALLS_PER_PROCUREMENT} calls each), {len(ids)} started, {finished} finished; "
        f"warm-up {warmup:.0f} s, window {seconds:.0f} s",
        f"calls in the window: {len(in_window)} ({served} answered, {throttled} throttled by the gateway); "
        f"the quota allows {allowed:.0f}",
        f"fraction of the quota reached: {served / allowed:.2f}   (target >= 0.95)",
        f"gateway throttles: {throttled} in the window, {throttled_all} in the whole run   (target 0)",
        "",
        *results.table(sorted(by_api.items(), key=lambda item: -item[1]), ("api", "calls in the window")),
        "",
    ]
    return body


async def drive_open(stack, ids: list[str], report: DriveReport) -> None:
    """Drive the procurements started so far, and those started later, until cancelled."""
    while True:
        await drive(stack, list(ids), timeout=3600, qc_plan=accept, advance_every=0.5, report=report, long_poll=True)
        await asyncio.sleep(0.5)


async def run(quotas: list[int], window: float, warmup: float) -> list[str]:
    body: list[str] = []
    for quota in quotas:
        body += await one_quota(quota, window, warmup)
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotas", type=int, nargs="+", default=[120, 600])
    parser.add_argument("--window", type=float, default=45)
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.quotas, args.window, args.warmup))
    results.write("quota", "Quota use with three workers (bench/quota.py)", body, args.out)


if __name__ == "__main__":
    main()
