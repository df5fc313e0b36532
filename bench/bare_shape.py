"""A bare temporalio program with the shape of one procurement: a parent that runs its activities
one after another and then one child that runs its own, every activity a no-op. The throughput
benchmark runs it on the same dev server as the real workflows, so the ratio between the two is
what our workflows cost above the SDK itself. A shape may run some of its steps as local
activities, as ours run their ledger writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class BareShape:
    parent_activities: int
    child_activities: int
    parent_local: int = 0  # of which run as local activities
    child_local: int = 0


@dataclass
class _Steps:
    activities: int
    local: int = 0


async def _run_steps(steps: _Steps) -> None:
    for n in range(steps.activities - steps.local):
        await workflow.execute_activity(bare_step, n, start_to_close_timeout=timedelta(seconds=30))
    for n in range(steps.local):
        await workflow.execute_local_activity(bare_step, n, start_to_close_timeout=timedelta(seconds=30))


@activity.defn
async def bare_step(n: int) -> int:
    return n


@workflow.defn
class BareOrderWorkflow:
    @workflow.run
    async def run(self, steps: _Steps) -> int:
        await _run_steps(steps)
        return steps.activities


@workflow.defn
class BareProcurementWorkflow:
    @workflow.run
    async def run(self, shape: BareShape) -> int:
        await _run_steps(_Steps(shape.parent_activities, shape.parent_local))
        child = await workflow.execute_child_workflow(
            BareOrderWorkflow.run, _Steps(shape.child_activities, shape.child_local),
            id=f"{workflow.info().workflow_id}-order-1")
        return shape.parent_activities + child
