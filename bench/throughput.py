"""Throughput against the bare SDK: N single-line procurements run to the end on a real stack
(one worker), then a bare temporalio program of the same shape (the same activity counts per
parent and child, measured from this run's histories; no-op activities) on the same dev server.

Figures: activity executions per second over the wall clock of each phase, and server and worker
CPU per activity (from /proc, through psutil). The real phase also waits for shipments (the
driver moves them every 0.5 s; logistics polls every 1 s) and QC, so the wall-clock ratio includes
that waiting; the CPU figures do not.

    .venv/bin/python -m bench.throughput [--procurements 30] [--rounds 3] [--out bench/results/throughput.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from bench import history_figures, results
from bench.bare_shape import BareOrderWorkflow, BareProcurementWorkflow, BareShape, bare_step
from bench.stack import StackOptions, accept, drive, histories, process_use, purchase_request, running_stack


@dataclass
class Phase:
    activities: int
    seconds: float
    server_cpu: float
    worker_cpu: float

    @property
    def rate(self) -> float:
        return self.activities / self.seconds

    def per(self, cpu: float) -> str:
        return f"{cpu / self.activities * 1000:.1f} ms"


async def bare_phase(stack, shape: BareShape, procurements: int) -> Phase:
    """The bare program of ``shape`` on the stack's dev server, its worker in this process."""
    bare = await Client.connect(stack.temporal_address)
    queue = f"bare-{os.urandom(3).hex()}"
    server_before = process_use(stack.temporal)
    cpu_before = time.process_time()
    async with Worker(bare, task_queue=queue, workflows=[BareProcurementWorkflow, BareOrderWorkflow],
                      activities=[bare_step]):
        started = time.monotonic()
        handles = [await bare.start_workflow(BareProcurementWorkflow.run, shape, id=f"bare-{queue}-{n}",
                                             task_queue=queue) for n in range(procurements)]
        done = await asyncio.gather(*(h.result() for h in handles))
        seconds = time.monotonic() - started
    return Phase(sum(done), seconds, process_use(stack.temporal).cpu_seconds - server_before.cpu_seconds,
                 time.process_time() - cpu_before)


async def real_phase(stack, round_no: int, procurements: int, timeout: float):
    """Our workflows: ``procurements`` single-line procurements started at once, run to the end."""
    worker = stack.workers[0]
    requests = [purchase_request(f"BENCH-TP-{round_no}-{n:03d}", [("1", "纯棉T恤", 30)]) for n in range(procurements)]
    server_before, worker_before = process_use(stack.temporal), process_use(worker)
    started = time.monotonic()
    ids = [(await stack.start_procurement(r)).id for r in requests]
    report = await drive(stack, ids, timeout=timeout, qc_plan=accept, advance_every=0.5, long_poll=True)
    seconds = time.monotonic() - started
    server_after, worker_after = process_use(stack.temporal), process_use(worker)
    assert not report.failures, report.failures
    prefix = f"pr-BENCH-TP-{round_no}-"
    figures = history_figures.read([h for h in await histories(stack) if h.workflow_id.startswith(prefix)])
    parent, child = figures.kinds["procurement"], figures.kinds["order"]
    # An activity execution is a step run, as a regular or a local activity (ledger writes).
    parent_steps = sum(parent.activities.values()) + parent.local_activities
    child_steps = sum(child.activities.values()) + child.local_activities
    phase = Phase(parent_steps + child_steps, seconds, server_after.cpu_seconds - server_before.cpu_seconds,
                  worker_after.cpu_seconds - worker_before.cpu_seconds)
    # The comparison: the same number of steps, every one a regular activity; and the same
    # steps with our split of regular and local activities, to show what is left of our overhead.
    shape = BareShape(round(parent_steps / parent.runs), round(child_steps / child.runs))
    split = BareShape(shape.parent_activities, shape.child_activities,
                      round(parent.local_activities / parent.runs), round(child.local_activities / child.runs))
    return phase, shape, split, round((parent.events + child.events) / procurements)


async def run(procurements: int, timeout: float, rounds: int) -> list[str]:
    """Rounds of (ours, bare all regular, bare with our split) one after another on one stack: the
    machine's speed drifts over a minute (a shared VM), and alternating the phases lets each
    round's ratio compare phases run side by side; the median round is the figure."""
    table_rows = []
    ratios: list[tuple[float, float, float, float]] = []
    async with running_stack(StackOptions(workers=1), prefix="procure-bench-") as stack:
        assert stack.temporal is not None and stack.workers
        for round_no in range(1, rounds + 1):
            real, shape, split, events = await real_phase(stack, round_no, procurements, timeout)
            bare = await bare_phase(stack, shape, procurements)
            bare_split = await bare_phase(stack, split, procurements)

            def cpu_ratio(other: Phase) -> float:
                return (((other.server_cpu + other.worker_cpu) / other.activities)
                        / ((real.server_cpu + real.worker_cpu) / real.activities))

            ratios.append((real.rate / bare.rate, real.rate / bare_split.rate, cpu_ratio(bare), cpu_ratio(bare_split)))
            table_rows += [
                (f"round {round_no}: activity executions (regular + local)", real.activities, bare.activities, bare_split.activities),
                ("  wall clock", f"{real.seconds:.1f} s", f"{bare.seconds:.1f} s", f"{bare_split.seconds:.1f} s"),
                ("  activity executions per second", f"{real.rate:.1f}", f"{bare.rate:.1f}", f"{bare_split.rate:.1f}"),
                ("  server CPU per activity", real.per(real.server_cpu), bare.per(bare.server_cpu), bare_split.per(bare_split.server_cpu)),
                ("  worker CPU per activity", real.per(real.worker_cpu), bare.per(bare.worker_cpu), bare_split.per(bare_split.worker_cpu)),
                ("  history events per procurement", events, "-", "-"),
                ("  throughput ratio (ours / bare)", "", f"{ratios[-1][0]:.2f}", f"{ratios[-1][1]:.2f}"),
            ]

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    all_regular = [r[0] for r in ratios]
    return [
        "stack:    1 worker process, dev server on SQLite (WAL), simulator latency 0, no pushes",
        f"shape:    per procurement {shape.parent_activities} steps in the parent ({split.parent_local} of them "
        f"local activities in ours), one child with {shape.child_activities} ({split.child_local} local); "
        "means over the last round's histories",
        f"rounds:   {rounds}, each {procurements} procurements of ours, then the bare program twice",
        "",
        *results.table(table_rows, ("figure", "our workflows", "bare, all regular", "bare, our split")),
        "",
        f"throughput ratio (ours / bare with every step a regular activity): median {median(all_regular):.2f} "
        f"(rounds: {', '.join(f'{r:.2f}' for r in all_regular)})   (target >= 0.6)",
        f"throughput ratio (ours / bare with our regular/local split):        median {median([r[1] for r in ratios]):.2f}",
        f"CPU ratio (bare / ours, server + worker per activity): median {median([r[2] for r in ratios]):.2f} all regular, "
        f"{median([r[3] for r in ratios]):.2f} our split",
        "",
        "The bare worker runs inside the benchmark process, so its CPU includes the little the driver",
        "does; the real worker's CPU is its own process only. Ours also waits for shipments and QC.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procurements", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    body = asyncio.run(run(args.procurements, args.timeout, args.rounds))
    results.write("throughput", "Throughput against the bare SDK (bench/throughput.py)", body, args.out)


if __name__ == "__main__":
    main()
