"""Activities beat while they run: a step that takes longer than its heartbeat timeout survives,
and the server sees its heartbeats (dev server, real time)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import WorkflowHandle
from temporalio.common import RetryPolicy
from temporalio.worker import Worker

from activities.liveness import KeepBeating

released = asyncio.Event()


@activity.defn
async def hold() -> str:
    await released.wait()  # one long await, like an HTTP call: nothing in here heartbeats
    return "done"


@workflow.defn
class HoldWorkflow:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(
            hold, start_to_close_timeout=timedelta(minutes=1), heartbeat_timeout=timedelta(seconds=1),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )


async def beaten_past_the_timeout(handle: WorkflowHandle) -> bool:
    pending = (await handle.describe()).raw_description.pending_activities
    if not pending or not pending[0].HasField("last_heartbeat_time"):
        return False
    started = pending[0].last_started_time.ToDatetime()
    beat = pending[0].last_heartbeat_time.ToDatetime()
    return (beat - started).total_seconds() > 2  # two heartbeat timeouts in, still the same attempt


async def test_a_long_step_keeps_beating_and_outlives_its_heartbeat_timeout(dev_env):
    released.clear()
    queue = f"liveness-{uuid.uuid4()}"
    async with Worker(dev_env.client, task_queue=queue, workflows=[HoldWorkflow], activities=[hold],
                      interceptors=[KeepBeating()]):
        handle = await dev_env.client.start_workflow(HoldWorkflow.run, id=f"hold-{uuid.uuid4()}", task_queue=queue)
        deadline = time.monotonic() + 30
        while not await beaten_past_the_timeout(handle):
            assert time.monotonic() < deadline, "the activity never heartbeated past its timeout"
            await asyncio.sleep(0.2)
        released.set()
        assert await handle.result() == "done"
