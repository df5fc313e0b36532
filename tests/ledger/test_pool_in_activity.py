"""The asyncpg pin works inside a running activity (asyncpg issue 1292: 0.31.0 segfaulted there)."""

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from activities.ledger import LedgerActivities
    from domain.records import TraceEvent as TraceEventInput


@workflow.defn
class RecordTwiceWorkflow:
    @workflow.run
    async def run(self, step: str) -> list[bool]:
        results = []
        for _ in range(2):
            results.append(
                await workflow.execute_activity_method(
                    LedgerActivities.record_trace_event,
                    TraceEventInput(workflow_id=workflow.info().workflow_id, step=step, kind="smoke",
                                    detail={"text": "纯棉T恤 ' ; DROP TABLE orders; --"}),
                    start_to_close_timeout=timedelta(seconds=30),
                )
            )
        return results


async def test_an_activity_writes_through_the_pool_inside_a_real_worker(time_env, db_pool):
    task_queue = f"smoke-{uuid.uuid4()}"
    activities = LedgerActivities(db_pool)
    async with Worker(time_env.client, task_queue=task_queue, workflows=[RecordTwiceWorkflow],
                      activities=[activities.record_trace_event]):
        workflow_id = f"smoke-{uuid.uuid4()}"
        result = await time_env.client.execute_workflow(
            RecordTwiceWorkflow.run, "sourcing:line-1", id=workflow_id, task_queue=task_queue
        )
    # The second write is the same step: idempotent, no second row.
    assert result == [True, False]
    rows = await db_pool.fetch("SELECT step, detail->>'text' AS text FROM trace_events WHERE workflow_id = $1", workflow_id)
    assert [(r["step"], r["text"]) for r in rows] == [("sourcing:line-1", "纯棉T恤 ' ; DROP TABLE orders; --")]
