"""Workers SIGKILLed at random moments while many procurements run: nothing lost, nothing doubled.

The CI run is small (10 procurements, 25 s of kills by default); `make chaos` runs the full count (60).
Knobs, all from the environment: CHAOS_PROCUREMENTS, CHAOS_KILL_EVERY (seconds between kills,
on average), CHAOS_WORKERS (workers alive at once), CHAOS_DURATION (seconds of killing; then the
stack is left alone to finish), CHAOS_SEED (repeat a run's choice of victims and timings).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter

import pytest

from rel_stack import (
    DriveReport, Stack, StackOptions, all_histories, check_nothing_doubled, drive, mixed_requests, read_books,
    reject_first_order_of, running_stack,
)

PROCUREMENTS = int(os.environ.get("CHAOS_PROCUREMENTS", "10"))
KILL_EVERY = float(os.environ.get("CHAOS_KILL_EVERY", "4"))
WORKERS = int(os.environ.get("CHAOS_WORKERS", "2"))
DURATION = float(os.environ.get("CHAOS_DURATION", "25"))
LATENCY_MS = int(os.environ.get("CHAOS_LATENCY_MS", "150"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.SystemRandom().randrange(10**6))))

pytestmark = pytest.mark.reliability


async def kill_workers(stack: Stack, stop: asyncio.Event, rng: random.Random, log: list[dict]) -> None:
    """Every KILL_EVERY seconds (0.5x..1.5x), SIGKILL one live worker and start a replacement."""
    began = time.monotonic()
    while time.monotonic() - began < DURATION:
        try:
            await asyncio.wait_for(stop.wait(), KILL_EVERY * rng.uniform(0.5, 1.5))
            return
        except asyncio.TimeoutError:
            pass
        alive = [w for w in stack.workers if w.alive]
        if not alive:
            continue
        victim = rng.choice(alive)
        stack.kill_worker(victim)
        replacement = stack.start_worker()
        log.append({"at": round(time.monotonic() - began, 1), "killed": victim.name,
                    "after": round(time.monotonic() - victim.started_at, 1), "started": replacement.name})


async def test_workers_killed_at_random_never_lose_or_double_anything():
    print(f"chaos: {PROCUREMENTS} procurements, {WORKERS} workers, a kill every ~{KILL_EVERY} s "
          f"for {DURATION} s, seed {SEED}")
    rng = random.Random(SEED)
    async with running_stack(StackOptions(workers=WORKERS), prefix="procure-rel-crash-") as stack:
        requests = mixed_requests("CRASH", PROCUREMENTS, seed=SEED)
        # Every 1688 call takes a while, as on the internet: a kill often lands while a call is in
        # flight, also after 1688 committed an order or a payment and before the worker heard.
        await stack.sim_post("faults", {"latency_ms": LATENCY_MS})
        stop = asyncio.Event()
        kills: list[dict] = []
        chaos = asyncio.create_task(kill_workers(stack, stop, rng, kills))
        ids = []
        for request in requests:  # spread the starts, so the kills land at every stage
            ids.append((await stack.start_procurement(request)).id)
            await asyncio.sleep(0.25)
        report = DriveReport()
        try:
            await drive(stack, ids, timeout=DURATION + 120 + PROCUREMENTS * 3,
                        qc_plan=reject_first_order_of(4), report=report)
        finally:
            stop.set()
            await chaos
        books = await read_books(stack)
        histories = await all_histories(stack)
    counts = check_nothing_doubled(books, report, ids)
    retried = retried_activities(histories)
    workflow_task_timeouts = sum(1 for h in histories for e in h.events
                                 if e.HasField("workflow_task_timed_out_event_attributes"))
    lookups = sum(1 for c in books.calls if c["api"] == "alibaba.trade.getBuyerOrderList")
    figures = {
        **counts, "seed": SEED, "workers": WORKERS, "kills": stack.kills, "seconds": round(report.seconds),
        "activities_retried": sum(retried.values()), "retried_by_type": dict(retried),
        "workflow_task_timeouts": workflow_task_timeouts, "create_lookups_by_out_order_id": lookups,
        "transient_driver_errors": sum(report.errors.values()),
    }
    print("chaos figures:", json.dumps(figures, ensure_ascii=False))
    print("kills:", kills)
    assert stack.kills >= min(3, int(DURATION / KILL_EVERY) - 1), "the chaos did not happen"
    assert retried, "no kill ever hit an activity in flight: the test proved nothing"


def retried_activities(histories) -> Counter:
    """Activities that completed on an attempt after the first (the earlier one died with its worker)."""
    retried: Counter = Counter()
    for history in histories:
        names = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
                 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")}
        for event in history.events:
            if event.HasField("activity_task_started_event_attributes"):
                started = event.activity_task_started_event_attributes
                if started.attempt > 1:
                    retried[names[started.scheduled_event_id]] += 1
    return retried
