"""Calls and events per procurement: a 1-line and a 3-line sample run to the end on a real stack.

1688 calls come from the ledger's `api_calls` audit (one row per call attempt), split by API and
by the workflow that made them; history events from the fetched histories of each procurement
and its order children.

Two runs, each on its own stack:
- with pushes: the push receiver runs and the simulator pushes order and logistics messages to it,
  as `procure up` wires them; polling at the product's interval (4 h, once a day after a push),
  so in this run only pushes move an order on. This is the figure the issue's target is about.
- without pushes: shipments are found by polling (interval 1 s) while the driver moves every
  shipment one step each 0.5 s, so the polling figure depends on that ratio and is stated with it.

    .venv/bin/python -m bench.calls_events [--out bench/results/calls_events.txt]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench import history_figures, results
from bench.stack import (
    RELIABILITY_TIMING, StackOptions, accept, drive, histories, purchase_request, running_stack,
)

# With pushes the order polls at the product's pace: only pushes can move it on within the run.
PUSH_TIMING = RELIABILITY_TIMING.model_copy(update={"logistics_poll_interval": timedelta(hours=4),
                                                   "push_fallback_poll_interval": timedelta(hours=24)})

REPEATS = 4
SAMPLES = {
    "1-line": [("1", "纯棉T恤", 30)],
    "3-line": [("1", "纯棉T恤", 30), ("2", "帆布包", 20), ("3", "保温杯", 50)],
}


async def run(timeout: float) -> list[str]:
    body: list[str] = []
    for pushes in (True, False):
        options = StackOptions(workers=1, timing=PUSH_TIMING if pushes else RELIABILITY_TIMING)
        async with running_stack(options, prefix="procure-bench-") as stack:
            if pushes:
                await stack.start_push_receiver()
            ids = {}
            for name, lines in SAMPLES.items():
                request = purchase_request(f"BENCH-CE-{name}", lines)
                handle = await stack.start_procurement(request)
                ids[name] = handle.id
            # The same 1-line request again: where pushes land between workflow tasks varies from
            # run to run, and so do the event counts; the repeats show by how much.
            repeats = [(await stack.start_procurement(purchase_request(f"BENCH-CE-1-line-again-{n}", SAMPLES["1-line"]))).id
                       for n in range(REPEATS)]
            report = await drive(stack, [*ids.values(), *repeats], timeout=timeout, qc_plan=accept, long_poll=True)
            assert not report.failures, report.failures
            all_histories = await histories(stack)
            pushed = (await stack.sim_get("push"))["delivered"] if pushes else 0
            body += ["=" * 100,
                     f"stack:    1 worker, dev server on SQLite (WAL), simulator at speed 1, latency 0; driver advances "
                     f"shipments every 0.5 s;",
                     (f"          WITH PUSHES: push receiver on, {pushed} push messages delivered; logistics poll "
                      f"interval 4 h (24 h after a push)" if pushes else
                      "          WITHOUT PUSHES: logistics poll interval 1 s"), ""]
            for name, workflow_id in ids.items():
                body += await _sample(stack, name, workflow_id, report, all_histories)
            spread = []
            for workflow_id in [ids["1-line"], *repeats]:
                figures = history_figures.read([h for h in all_histories if h.workflow_id.split("-order-")[0] == workflow_id])
                calls = sum(n for _, _, n in await _calls_of(stack, workflow_id))
                spread.append((workflow_id, calls, sum(k.events for k in figures.kinds.values())))
            events = sorted(e for _, _, e in spread)
            body += ["the 1-line request, run again in the same stack at the same time:"]
            body += results.table(spread, ("procurement", "1688 calls", "history events"))
            body += [f"history events: median {events[len(events) // 2]}, min {events[0]}, max {events[-1]}", ""]
    body += ["targets (issue 13): single-line happy path with pushes working <= 40 1688 calls and <= 250 history "
             "events in all"]
    return body


async def _sample(stack, name: str, workflow_id: str, report, all_histories) -> list[str]:
    body: list[str] = []
    state = report.results[workflow_id]
    rows = await _calls_of(stack, workflow_id)
    figures = history_figures.read([h for h in all_histories if h.workflow_id.split("-order-")[0] == workflow_id])
    total_calls = sum(n for _, _, n in rows)
    total_events = sum(k.events for k in figures.kinds.values())
    body += [f"== {name} sample ({workflow_id}): {state.stage.value}, {len(state.orders)} order(s)", ""]
    body += [f"1688 calls: {total_calls}"]
    by_api: dict[str, Counter[str]] = {}
    for kind, api, n in rows:
        by_api.setdefault(api, Counter())[kind] += n
    body += results.table(
        [(api, c["procurement"], c["order"], sum(c.values())) for api, c in sorted(by_api.items())],
        ("api", "procurement wf", "order wfs", "total"))
    body += ["", f"history events: {total_events}"]
    body += results.table(
        [(kind, k.runs, k.events, sum(k.activities.values()), k.local_activities, k.children, k.timers, k.upserts)
         for kind, k in sorted(figures.kinds.items())],
        ("workflow", "runs", "events", "activities", "local acts", "children", "timers", "SA upserts"))
    body += [f"largest payload {figures.largest_payload[0]:,} bytes ({figures.largest_payload[1]}); "
             f"largest search-attribute value {figures.largest_search_attribute[0]:,} bytes"]
    body += ["", "history events, by type:"]
    kinds = sorted(figures.kinds)
    types = sorted({t for k in figures.kinds.values() for t in k.event_types},
                   key=lambda t: -sum(figures.kinds[k].event_types[t] for k in kinds))
    body += results.table([(t, *(figures.kinds[k].event_types[t] for k in kinds)) for t in types],
                          ("event type", *kinds))
    body += ["", "activities scheduled, by type:"]
    activity_rows = Counter()
    for kind, k in figures.kinds.items():
        for activity, n in k.activities.items():
            activity_rows[(kind, activity)] += n
    body += results.table([(f"{kind}: {activity}", n) for (kind, activity), n in sorted(activity_rows.items())],
                          ("workflow: activity", "scheduled"))
    body.append("")
    return body


async def _calls_of(stack, workflow_id: str) -> list[tuple[str, str, int]]:
    assert stack.pool is not None
    rows = await stack.pool.fetch(
        "SELECT CASE WHEN workflow_id LIKE '%-order-%' THEN 'order' ELSE 'procurement' END AS kind, api, count(*) AS n "
        "FROM api_calls WHERE workflow_id = $1 OR workflow_id LIKE $2 GROUP BY 1, 2 ORDER BY 2, 1",
        workflow_id, f"{workflow_id}-order-%")
    return [(r["kind"], r["api"], r["n"]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.timeout))
    results.write("calls_events", "Calls and events per procurement (bench/calls_events.py)", body, args.out)


if __name__ == "__main__":
    main()
