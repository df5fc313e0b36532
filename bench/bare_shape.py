"""A bare temporalio program with the shape of one procurement: a parent that runs its activities
one after another and then one child that runs its own, every activity a no-op. The throughput
benchmark runs it on the same dev server as the real workflows, so the ratio between the two is
what our workflows cost above the SDK itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow


@dataclass
class BareShape:
    parent_activities: int
    child_activities: int


@activity.defn
async def bare_step(n: int) -> int:
    return n


@workflow.defn
class BareOrderWorkflow:
    @workflow.run
    async def run(self, activities: int) -> int:
        for n in range(activities):
            await workflow.execute_activity(bare_step, n, start_to_close_timeout=timedelta(seconds=30))
        return activities


@workflow.defn
class BareProcurementWorkflow:
    @workflow.run
    async def run(self, shape: BareShape) -> int:
        for n in range(shape.parent_activities):
            await workflow.execute_activity(bare_step, n, start_to_close_timeout=timedelta(seconds=30))
        child = await workflow.execute_child_workflow(
            BareOrderWorkflow.run, shape.child_activities, id=f"{workflow.info().workflow_id}-order-1")
        return shape.parent_activities + child
