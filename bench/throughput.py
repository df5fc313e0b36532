"""Throughput against the bare SDK: N single-line procurements run to the end on a real stack
(one worker), then a bare temporalio program of the same shape (the same activity counts per
parent and child, measured from this run's histories; no-op activities) on the same dev server.

Figures: activity executions per second over the wall clock of each phase, and server and worker
CPU per activity (from /proc, through psutil). The real phase also waits for shipments (the
driver moves them every 0.5 s; logistics polls every 1 s) and QC, so the wall-clock ratio includes
that waiting; the CPU figures do not.

    .venv/bin/python -m bench.throughput [--procurements 30] [--out bench/results/throughput.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench import history_figures, results
from bench.bare_shape import BareOrderWorkflow, BareProcurementWorkflow, BareShape, bare_step
from bench.stack import StackOptions, accept, drive, histories, process_use, purchase_request, running_stack


async def run(procurements: int, timeout: float) -> list[str]:
    async with running_stack(StackOptions(workers=1), prefix="procure-bench-") as stack:
        assert stack.temporal is not None and stack.workers
        worker = stack.workers[0]
        requests = [purchase_request(f"BENCH-TP-{n:03d}", [("1", "纯棉T恤", 30)]) for n in range(procurements)]
        server_before, worker_before = process_use(stack.temporal), process_use(worker)
        started = time.monotonic()
        ids = [(await stack.start_procurement(r)).id for r in requests]
        report = await drive(stack, ids, timeout=timeout, qc_plan=accept, advance_every=0.5)
        real_seconds = time.monotonic() - started
        server_after, worker_after = process_use(stack.temporal), process_use(worker)
        assert not report.failures, report.failures
        figures = history_figures.read(await histories(stack))
        parent = figures.kinds["procurement"]
        child = figures.kinds["order"]
        real_activities = sum(parent.activities.values()) + sum(child.activities.values())
        shape = BareShape(round(sum(parent.activities.values()) / parent.runs),
                          round(sum(child.activities.values()) / child.runs))

        bare = await Client.connect(stack.temporal_address)
        queue = f"bare-{os.urandom(3).hex()}"
        server_before_bare = process_use(stack.temporal)
        cpu_before_bare = time.process_time()
        async with Worker(bare, task_queue=queue, workflows=[BareProcurementWorkflow, BareOrderWorkflow],
                          activities=[bare_step]):
            bare_started = time.monotonic()
            handles = [await bare.start_workflow(BareProcurementWorkflow.run, shape, id=f"bare-{queue}-{n}",
                                                 task_queue=queue) for n in range(procurements)]
            done = await asyncio.gather(*(h.result() for h in handles))
            bare_seconds = time.monotonic() - bare_started
        bare_cpu = time.process_time() - cpu_before_bare
        bare_server_cpu = process_use(stack.temporal).cpu_seconds - server_before_bare.cpu_seconds
        bare_activities = sum(done)

    real_rate = real_activities / real_seconds
    bare_rate = bare_activities / bare_seconds
    real_server_cpu = server_after.cpu_seconds - server_before.cpu_seconds
    real_worker_cpu = worker_after.cpu_seconds - worker_before.cpu_seconds
    per = lambda cpu, n: f"{cpu / n * 1000:.1f} ms"  # noqa: E731
    return [
        f"stack:    1 worker process, dev server on SQLite (WAL), simulator latency 0, no pushes",
        f"shape:    per procurement {shape.parent_activities} activities in the parent, one child with "
        f"{shape.child_activities} (means over this run's histories)",
        "",
        *results.table([
            ("procurements", procurements, procurements),
            ("activity executions", real_activities, bare_activities),
            ("wall clock", f"{real_seconds:.1f} s", f"{bare_seconds:.1f} s"),
            ("activity executions per second", f"{real_rate:.1f}", f"{bare_rate:.1f}"),
            ("server CPU per activity", per(real_server_cpu, real_activities), per(bare_server_cpu, bare_activities)),
            ("worker CPU per activity", per(real_worker_cpu, real_activities), per(bare_cpu, bare_activities)),
            ("history events per procurement", round((parent.events + child.events) / procurements), "-"),
        ], ("figure", "our workflows", "bare temporalio")),
        "",
        f"throughput ratio (ours / bare, activities per second): {real_rate / bare_rate:.2f}   (target >= 0.6)",
        f"CPU ratio (bare / ours, server + worker per activity): "
        f"{((bare_server_cpu + bare_cpu) / bare_activities) / ((real_server_cpu + real_worker_cpu) / real_activities):.2f}",
        "",
        "The bare worker runs inside the benchmark process, so its CPU includes the little the driver",
        "does; the real worker's CPU is its own process only. Ours also waits for shipments and QC.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procurements", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.procurements, args.timeout))
    results.write("throughput", "Throughput against the bare SDK (bench/throughput.py)", body, args.out)


if __name__ == "__main__":
    main()
