"""A big request run to the end: 500 lines over more than 150 suppliers, against the server's
limits (`make bench-scale`; it does not fit in `make bench`'s ten minutes).

Each line's keyword matches one offer; line n is sold by supplier n mod 160, so the plan has one
order per supplier. While the driver moves shipments and answers QC, the procurement's pending
activities and children are sampled from `describe`; at the end (or at the deadline) every
history is fetched for its largest payload, largest search-attribute value and length, and the
dev server's log is searched for writes it refused. A request larger than the request model
accepts is reported as refused and the largest accepted size is run instead.

    .venv/bin/python -m bench.scale [--lines 500] [--suppliers 160] [--timeout 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bench import history_figures, results
from bench.stack import (
    AppCredentials, DriveReport, Stack, StackOptions, accept, drive, histories, offer, purchase_request,
    running_stack, supplier,
)
from domain.request import MAX_LINES, PurchaseRequest
from rel_stack import reliability_catalog


def catalog(lines: int, suppliers: int) -> dict[str, Any]:
    data = reliability_catalog(AppCredentials())
    data["suppliers"] = [supplier(f"b2b-L{n:03d}") for n in range(suppliers)]
    data["offers"] = [offer(f"64{n:08d}", f"b2b-L{n % suppliers:03d}", f"规模货品{n:04d} 白色", "9.50")
                      for n in range(lines)]
    return data


def request_of(lines: int) -> PurchaseRequest:
    return purchase_request("BENCH-SCALE", [(str(n + 1), f"规模货品{n:04d}", 10) for n in range(lines)])


async def sample_pending(stack: Stack, workflow_id: str, peaks: dict[str, int], stop: asyncio.Event) -> None:
    assert stack.client is not None
    handle = stack.client.get_workflow_handle(workflow_id)
    while not stop.is_set():
        with contextlib.suppress(Exception):
            raw = (await handle.describe(rpc_timeout=timedelta(seconds=5))).raw_description
            peaks["activities"] = max(peaks["activities"], len(raw.pending_activities))
            peaks["children"] = max(peaks["children"], len(raw.pending_children))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)  # the sampling period


async def run(lines: int, suppliers: int, timeout: float) -> list[str]:
    body: list[str] = []
    try:
        request = request_of(lines)
    except ValidationError as error:
        first = error.errors()[0]
        body += [f"a {lines}-line request is refused by the request model: {first['loc']}: {first['msg']}",
                 f"running the largest accepted request instead: {MAX_LINES} lines", ""]
        lines = MAX_LINES
        request = request_of(lines)
    options = StackOptions(catalog=catalog(lines, suppliers))
    async with running_stack(options, prefix="procure-bench-") as stack:
        # One offer per line: one detail read is enough, and the plan is what the issue describes.
        stack.config = stack.config.model_copy(update={"search_pages": 1, "details_per_line": 1})
        started = time.monotonic()
        handle = await stack.start_procurement(request)
        peaks = {"activities": 0, "children": 0}
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_pending(stack, handle.id, peaks, stop))
        report = DriveReport()
        completed = True
        try:
            await drive(stack, [handle.id], timeout=timeout, qc_plan=accept, advance_every=1.0, report=report)
        except AssertionError as error:
            completed = False
            body += [f"DID NOT COMPLETE within {timeout:.0f} s: {str(error).splitlines()[0][:300]}"]
        finally:
            stop.set()
            await sampler
        seconds = time.monotonic() - started
        assert stack.client is not None
        with contextlib.suppress(Exception):
            from domain.progress import ProcurementState

            state = await handle.query("state", result_type=ProcurementState, rpc_timeout=timedelta(seconds=30))
            received = sum(1 for line in state.lines if line.status.value == "received")
            body += [f"state: {state.stage.value}; {received} of {len(state.lines)} lines received; "
                     f"{len(state.orders)} orders"]
        figures = history_figures.read(await histories(stack))
        log = [line for line in (stack.logs / "temporal.log").read_text(errors="replace").splitlines()
               if "exceeds" in line and "limit" in line]
        # The server also warns before its limits (10,240 events, 512 KB blobs): warnings, not refusals.
        def warning(line: str) -> bool:
            return "level=WARN" in line and ("warn limit" in line or "warning limit" in line)

        refused = [line for line in log if not warning(line)]
        warned = sorted({line.split('msg="')[1].split('"')[0] for line in log if warning(line) and 'msg="' in line})
    kinds = figures.kinds
    body = [
        f"request:  {lines} lines, {suppliers} suppliers (one offer per line, line n sold by supplier n mod {suppliers}); "
        f"1 worker, simulator without a rate limit",
        f"outcome:  {'completed' if completed else 'stalled'} after {seconds:.0f} s; "
        f"{kinds.get('order', history_figures.KindFigures()).runs} order workflow runs",
        *body,
        "",
        *results.table(history_figures.against_limits(figures, peaks["activities"]),
                       ("figure", "largest", "server limit", "share of the limit, where"), left=(0, 3)),
        f"peak pending children of the procurement: {peaks['children']}",
        "",
        f"writes the server refused (its log): {len(refused)}",
        *[f"  {line[:300]}" for line in refused[:5]],
        f"server warnings (not refusals): {', '.join(warned) or 'none'}",
        "",
        "target (issue 13): the 500-line request completes with every figure below half of the server's limit",
    ]
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--suppliers", type=int, default=160)
    parser.add_argument("--timeout", type=float, default=1500)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.lines, args.suppliers, args.timeout))
    results.write("scale", "A 500-line request over 160 suppliers (bench/scale.py)", body, args.out)


if __name__ == "__main__":
    main()
