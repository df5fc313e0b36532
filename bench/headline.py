"""The seed's headline cases, each at a stated quota on a real stack:

- 200 offers screened and ranked: a 4-line request whose keywords match 50 offers each (40
  suppliers), with `search_pages` and `details_per_line` raised so every offer is read; timed from
  the start until the procurement leaves SOURCING, with the 1688 calls it made by then;
- a 50-line batch order to one supplier: 50 goods sold only by that supplier; timed from the start
  until every order is paid (what 1688 holds, read from the simulator), with the calls by then.

    .venv/bin/python -m bench.headline [--quota 1000] [--offers-per-line 50] [--batch-lines 50]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import results
from bench.stack import (
    AppCredentials, Stack, StackOptions, offer, purchase_request, running_stack, supplier, until,
)
from domain.progress import ProcurementState
from rel_stack import reliability_catalog

SCREEN_GOODS = ["纯棉T恤", "帆布包", "保温杯", "不锈钢勺"]
SCREEN_SUPPLIERS = 40
PAID_OR_LATER = {"paid", "in_transit", "awaiting_qc", "settling", "received"}


def screening_catalog(quota: int, per_line: int) -> dict[str, Any]:
    catalog = reliability_catalog(AppCredentials(), calls_per_minute=quota)
    catalog["suppliers"] = [supplier(f"b2b-S{n:03d}") for n in range(SCREEN_SUPPLIERS)]
    catalog["offers"] = [
        offer(f"62{g:02d}{n:06d}", f"b2b-S{(g * per_line + n) % SCREEN_SUPPLIERS:03d}", f"{good} 白色 款{n}",
              f"{15 + (n * 37 % 100) / 10:.2f}", freight=f"{(n * 7) % 30}.00")
        for g, good in enumerate(SCREEN_GOODS) for n in range(per_line)
    ]
    return catalog


def batch_catalog(quota: int, lines: int) -> dict[str, Any]:
    catalog = reliability_catalog(AppCredentials(), calls_per_minute=quota)
    catalog["suppliers"] = [supplier("b2b-BATCH")]
    catalog["offers"] = [offer(f"63{n:08d}", "b2b-BATCH", f"批发货品{n:03d} 白色", "12.00") for n in range(lines)]
    return catalog


async def calls_of(stack: Stack, workflow_id: str) -> Counter[str]:
    assert stack.pool is not None
    rows = await stack.pool.fetch("SELECT api FROM api_calls WHERE workflow_id = $1 OR workflow_id LIKE $2",
                                  workflow_id, f"{workflow_id}-order-%")
    return Counter(r["api"].split(":")[-1] for r in rows)


async def state_of(stack: Stack, workflow_id: str) -> ProcurementState:
    assert stack.client is not None
    return await stack.client.get_workflow_handle(workflow_id).query(
        "state", result_type=ProcurementState, rpc_timeout=timedelta(seconds=10))


async def screening(quota: int, per_line: int, timeout: float) -> list[str]:
    options = StackOptions(sim_calls_per_minute=quota, worker_calls_per_minute=quota,
                           catalog=screening_catalog(quota, per_line))
    async with running_stack(options, prefix="procure-bench-") as stack:
        stack.config = stack.config.model_copy(update={"search_pages": 10, "details_per_line": min(50, per_line)})
        request = purchase_request("BENCH-SCREEN", [(str(i + 1), good, 30) for i, good in enumerate(SCREEN_GOODS)])
        started = time.monotonic()
        handle = await stack.start_procurement(request)

        async def sourced() -> ProcurementState | None:
            state = await state_of(stack, handle.id)
            return state if state.stage.value != "SOURCING" else None

        state = await until(sourced, "sourcing to finish", timeout, every=0.2)
        seconds = time.monotonic() - started
        calls = await calls_of(stack, handle.id)
    ranked = sum(len(line.candidates) for line in state.lines)
    excluded = sum(line.excluded for line in state.lines)
    return [
        f"== {per_line * len(SCREEN_GOODS)} offers screened and ranked ({len(SCREEN_GOODS)} lines x {per_line} offers, "
        f"{SCREEN_SUPPLIERS} suppliers), quota {quota} calls a minute, 1 worker",
        f"from start to the end of sourcing: {seconds:.1f} s; stage then {state.stage.value}"
        + f"; {ranked} candidates kept, {excluded} excluded",
        f"1688 calls: {sum(calls.values())} (the quota allows {quota * seconds / 60:.0f} in that time)",
        *results.table(sorted(calls.items(), key=lambda i: -i[1]), ("api", "calls")),
        "",
    ]


async def batch(quota: int, lines: int, timeout: float) -> list[str]:
    options = StackOptions(sim_calls_per_minute=quota, worker_calls_per_minute=quota,
                           catalog=batch_catalog(quota, lines))
    async with running_stack(options, prefix="procure-bench-") as stack:
        request = purchase_request("BENCH-BATCH", [(str(n + 1), f"批发货品{n:03d}", 20) for n in range(lines)])
        started = time.monotonic()
        handle = await stack.start_procurement(request)

        async def all_paid() -> ProcurementState | None:
            state = await state_of(stack, handle.id)
            if state.stage.value in ("FAILED", "CANCELLED"):
                raise AssertionError(f"the batch ended {state.stage.value}")
            orders = state.orders
            if orders and all(o.status.value in PAID_OR_LATER for o in orders) and state.stage.value not in ("SOURCING", "ORDERING"):
                return state
            return None

        state = await until(all_paid, "every order of the batch to be paid", timeout, every=0.2)
        seconds = time.monotonic() - started
        calls = await calls_of(stack, handle.id)
        payments = [p for p in await stack.sim_get("payments")
                    if p["order_id"] in {o.order_id for o in state.orders}]
    return [
        f"== a {lines}-line batch order to one supplier, quota {quota} calls a minute, 1 worker",
        f"from start to every order paid: {seconds:.1f} s; {len(state.orders)} order(s), "
        f"{len(payments)} payment(s) at 1688, stage then {state.stage.value}",
        f"1688 calls: {sum(calls.values())} (the quota allows {quota * seconds / 60:.0f} in that time)",
        *results.table(sorted(calls.items(), key=lambda i: -i[1]), ("api", "calls")),
        "",
    ]


async def run(quota: int, per_line: int, lines: int, timeout: float) -> list[str]:
    return [*await screening(quota, per_line, timeout), *await batch(quota, lines, timeout)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quota", type=int, default=1000, help="calls a minute (1000: an enterprise app)")
    parser.add_argument("--offers-per-line", type=int, default=50)
    parser.add_argument("--batch-lines", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.quota, args.offers_per_line, args.batch_lines, args.timeout))
    results.write("headline", "Headline cases: 200 offers ranked, a 50-line batch paid (bench/headline.py)",
                  body, args.out)


if __name__ == "__main__":
    main()
