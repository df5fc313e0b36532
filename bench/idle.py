"""Idle cost: worker and server memory with procurements waiting for QC.

Procurements are started in steps and their shipments moved until every order waits for the
warehouse's QC (visibility: `ProcurementStage = 'AWAITING_QC'`); then the worker's and the dev
server's resident memory are read. The slope per waiting procurement extrapolates to 1,000 and
10,000. Each waiting procurement is two workflows (the procurement and its order), both in the
worker's sticky cache until `MAX_CACHED_WORKFLOWS` (the worker setting, 1000 by default) evicts
the oldest: past half the cache size in procurements the worker's memory stops growing, and a
waiting procurement costs a replay of its history when its QC arrives instead.

    .venv/bin/python -m bench.idle [--levels 0 25 75] [--cache 1000] [--out bench/results/idle.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench import results
from bench.stack import Stack, StackOptions, process_use, purchase_request, running_stack
from workflows import search_attributes


async def waiting_for_qc(stack: Stack) -> int:
    assert stack.client is not None
    query = (f"WorkflowType = 'SupplierOrderWorkflow' AND ExecutionStatus = 'Running' "
             f"AND {search_attributes.STAGE.name} = 'AWAITING_QC' AND TaskQueue = '{stack.task_queue}'")
    return (await stack.client.count_workflows(query)).count


async def settle_memory(stack: Stack) -> tuple[float, float]:
    """Worker and server RSS once both have stopped growing (three readings a second apart)."""
    assert stack.temporal is not None
    readings: list[tuple[float, float]] = []
    for _ in range(10):
        readings.append((process_use(stack.workers[0]).rss_mb, process_use(stack.temporal).rss_mb))
        if len(readings) >= 3 and abs(readings[-1][0] - readings[-3][0]) < 1 and abs(readings[-1][1] - readings[-3][1]) < 1:
            break
        await asyncio.sleep(1)  # between readings of memory, not a synchronisation
    return readings[-1]


async def run(levels: list[int], cache: int, timeout: float) -> list[str]:
    rows = []
    async with running_stack(StackOptions(workers=0), prefix="procure-bench-") as stack:
        stack.start_worker(env={"MAX_CACHED_WORKFLOWS": str(cache)})
        await stack.wait_for_workers()
        started = 0
        for level in sorted(levels):
            for n in range(started, level):
                await stack.start_procurement(purchase_request(f"BENCH-IDLE-{n:05d}", [("1", "纯棉T恤", 30)]))
            started = max(started, level)
            deadline = time.monotonic() + timeout
            while (waiting := await waiting_for_qc(stack)) < level:
                stack.check_children()
                if time.monotonic() > deadline:
                    raise AssertionError(f"only {waiting} of {level} procurements wait for QC after {timeout:.0f} s")
                await stack.sim_post("advance", {"steps": 1})
                await asyncio.sleep(0.5)  # the pace of shipments, as in the other benchmarks
            worker_mb, server_mb = await settle_memory(stack)
            rows.append((level, worker_mb, server_mb))
    # The first procurements also pay one-off costs (workflow modules loaded into the sandbox,
    # server caches warming), so the slope is taken between the lowest and the highest non-zero
    # level when there are two; from zero otherwise.
    low = rows[1] if len(rows) >= 3 else rows[0]
    top = rows[-1]
    span = top[0] - low[0]
    slope_worker = (top[1] - low[1]) / span if span else 0.0
    slope_server = (top[2] - low[2]) / span if span else 0.0
    base_worker = low[1] - slope_worker * low[0]
    base_server = low[2] - slope_server * low[0]
    capped_at = cache // 2  # two cached workflows per waiting procurement
    def worker_at(n: int) -> float:
        return base_worker + slope_worker * min(n, capped_at)
    body = [
        f"stack:    1 worker with MAX_CACHED_WORKFLOWS={cache} (a waiting procurement is 2 cached workflows), "
        f"dev server on SQLite (WAL)",
        "",
        *results.table([(n, f"{w:.0f} MB", f"{s:.0f} MB") for n, w, s in rows],
                       ("procurements waiting for QC", "worker RSS", "server RSS")),
        "",
        f"slope (from {low[0]} to {top[0]} waiting): worker {slope_worker:.2f} MB, server {slope_server:.2f} MB per waiting procurement",
        f"extrapolated, 1,000 waiting:  worker {worker_at(1000):.0f} MB, server {base_server + slope_server * 1000:.0f} MB",
        f"extrapolated, 10,000 waiting: worker {worker_at(10_000):.0f} MB, server {base_server + slope_server * 10_000:.0f} MB",
        f"(the worker's figure stops growing at {capped_at} waiting procurements, when the cache of {cache} is full;",
        " the server's grows with its SQLite cache and visibility rows and is a straight-line guess)",
    ]
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 25, 75])
    parser.add_argument("--cache", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if 0 not in args.levels:
        args.levels.append(0)
    body = asyncio.run(run(args.levels, args.cache, args.timeout))
    results.write("idle", "Idle cost: memory with procurements waiting for QC (bench/idle.py)", body, args.out)


if __name__ == "__main__":
    main()
