"""Big requests run to the end (`make bench-scale`; they do not fit in `make bench`'s ten minutes).

Two runs, each on its own stack:
- **limits**: 500 lines over 160 suppliers against the server's limits. Each line's keyword matches
  one offer; line n is sold by supplier n mod 160, so the plan has one order per supplier. While the
  driver moves shipments and answers QC, the procurement's pending activities and children are
  sampled from `describe`; at the end (or at the deadline) every history is fetched for its largest
  payload, largest search-attribute value and length, and the dev server's log is searched for
  writes it refused. A request larger than the request model accepts is reported as refused and
  the largest accepted size is run instead.
- **workflow tasks**: 200 lines with 8 offers each (the default `details_per_line`), every offer from
  another of 160 suppliers, so each line is really ranked. The worker is `bench/activation_timer.py`,
  which reads the CPU of every workflow activation: the largest is the figure (target 200 ms).

    .venv/bin/python -m bench.scale [--lines 500] [--suppliers 160] [--task-lines 200] [--timeout 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
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


def catalog(lines: int, suppliers: int, offers_per_line: int = 1) -> dict[str, Any]:
    data = reliability_catalog(AppCredentials())
    data["suppliers"] = [supplier(f"b2b-L{n:03d}") for n in range(suppliers)]
    # Offer k of line n: its own supplier and price, so every line's offers rank differently.
    data["offers"] = [
        offer(f"64{n:06d}{k:02d}", f"b2b-L{(n * offers_per_line + k) % suppliers:03d}",
              f"规模货品{n:04d} 白色 款{k}", f"{9.50 + ((n + 3 * k) % 7) * 0.25:.2f}")
        for n in range(lines) for k in range(offers_per_line)
    ]
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


async def run(lines: int, suppliers: int, timeout: float, offers_per_line: int = 1) -> list[str]:
    body: list[str] = []
    try:
        request = request_of(lines)
    except ValidationError as error:
        first = error.errors()[0]
        body += [f"a {lines}-line request is refused by the request model: {first['loc']}: {first['msg']}",
                 f"running the largest accepted request instead: {MAX_LINES} lines", ""]
        lines = MAX_LINES
        request = request_of(lines)
    activation_log = Path(tempfile.mkdtemp(prefix="procure-activations-")) / "activations.json"
    options = StackOptions(catalog=catalog(lines, suppliers, offers_per_line), worker_module="bench.activation_timer",
                           worker_env={"PROCURE_ACTIVATION_LOG": str(activation_log),
                                       "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    async with running_stack(options, prefix="procure-bench-") as stack:
        # Every offer of a line is read (one page holds them all), and the plan is what the issue describes.
        stack.config = stack.config.model_copy(update={"search_pages": 1, "details_per_line": offers_per_line})
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
    activations = json.loads(activation_log.read_text(encoding="utf-8")) if activation_log.exists() else {}
    shape = (f"one offer per line, line n sold by supplier n mod {suppliers}" if offers_per_line == 1 else
             f"{offers_per_line} offers per line, each from another supplier, all read and ranked")
    body = [
        f"request:  {lines} lines, {suppliers} suppliers ({shape}); "
        f"1 worker, simulator without a rate limit",
        f"outcome:  {'completed' if completed else 'stalled'} after {seconds:.0f} s; "
        f"{kinds.get('order', history_figures.KindFigures()).runs} order workflow runs",
        *body,
        "",
        *results.table(history_figures.against_limits(figures, peaks["activities"]),
                       ("figure", "largest", "server limit", "share of the limit, where"), left=(0, 3)),
        f"peak pending children of the procurement: {peaks['children']}",
        "",
        "workflow activations, CPU of the worker thread running each (decode results, workflow code, encode commands):",
        *[f"  {kind:<12} largest {a['cpu_ms']:7.1f} ms ({a['workflow_id']}); {a['activations']} activations, "
          f"{a['over_200_ms']} above 200 ms; {a.get('replays', 0)} replays from the first event"
          for kind, a in sorted(activations.items())],
        *[f"    {cpu:7.1f} ms: {jobs}" for kind, a in sorted(activations.items()) if kind == "procurement"
          for cpu, jobs in a.get("largest", [])],
        "why the worker dropped a procurement from its cache (each one not at its end is a replay):",
        *[f"    {n:4d} x {why}" for kind, a in sorted(activations.items()) if kind == "procurement"
          for why, n in sorted(a.get("evictions", {}).items(), key=lambda item: -item[1])],
        "",
        "workflow tasks timed out (history), by workflow and timeout: " + (", ".join(
            f"{kind} {timeout} x{n}" for kind, k in sorted(kinds.items()) for timeout, n in sorted(k.task_timeouts.items()))
            or "none"),
        f"writes the server refused (its log): {len(refused)}",
        *[f"  {line[:300]}" for line in refused[:5]],
        f"server warnings (not refusals): {', '.join(warned) or 'none'}",
        "",
        "targets (issue 13): the 500-line request completes with every figure below half of the server's limit;",
        "no workflow task above 200 ms of CPU for a 200-line request",
    ]
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--suppliers", type=int, default=160)
    parser.add_argument("--task-lines", type=int, default=200, help="lines of the workflow-task run (0: skip it)")
    parser.add_argument("--offers-per-line", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=1500)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = ["## limits", "", *asyncio.run(run(args.lines, args.suppliers, args.timeout))]
    if args.task_lines:
        body += ["", "## workflow tasks", "",
                 *asyncio.run(run(args.task_lines, args.suppliers, args.timeout, args.offers_per_line))]
    results.write("scale", "Big requests to the end: the server's limits and workflow-task CPU (bench/scale.py)", body, args.out)


if __name__ == "__main__":
    main()
