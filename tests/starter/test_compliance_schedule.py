"""The compliance Schedule: created once, updated (not duplicated) when asked again, overlap
skipped, a catch-up window; and `procure compliance` refuses a bad --every before connecting."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import ScheduleOverlapPolicy

from domain.compliance import COMPLIANCE_WORKFLOW
from runtime.settings import load_settings
from starter.cli import run
from starter.compliance import SCHEDULE_ID, ScheduleChoice, ensure_schedule, run_now


async def test_schedule_is_idempotent_and_skips_overlaps(dev_env):
    client = dev_env.client
    choice = ScheduleChoice(every=timedelta(days=1), catchup_window=timedelta(hours=12),
                            procurement_task_queue="compliance-sched-test", alibaba_task_queue="alibaba-sched-test")
    try:
        assert await ensure_schedule(client, choice) == "created"
        again = ScheduleChoice(**{**choice.__dict__, "every": timedelta(hours=12)})
        assert await ensure_schedule(client, again) == "updated"
        ids = [s.id async for s in await client.list_schedules()]
        assert ids.count(SCHEDULE_ID) == 1

        described = await client.get_schedule_handle(SCHEDULE_ID).describe()
        schedule = described.schedule
        assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
        assert schedule.policy.catchup_window == timedelta(hours=12)
        assert [i.every for i in schedule.spec.intervals] == [timedelta(hours=12)]
        assert schedule.action.workflow == COMPLIANCE_WORKFLOW
        assert schedule.action.task_queue == "compliance-sched-test"

        # Run now: one workflow starts (no worker serves that queue, so it stays running); a
        # second trigger while it runs is skipped.
        await run_now(client)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            info = (await client.get_schedule_handle(SCHEDULE_ID).describe()).info
            if info.num_actions >= 1:
                break
            await asyncio.sleep(0.2)
        assert info.num_actions == 1
        await run_now(client)
        deadline = loop.time() + 30
        while loop.time() < deadline:
            info = (await client.get_schedule_handle(SCHEDULE_ID).describe()).info
            if info.num_actions_skipped_overlap >= 1:
                break
            await asyncio.sleep(0.2)
        assert info.num_actions_skipped_overlap == 1 and info.num_actions == 1
        for running in info.running_actions:
            await client.get_workflow_handle(running.workflow_id).terminate("test done")
    finally:
        await client.get_schedule_handle(SCHEDULE_ID).delete()


def test_bad_every_is_refused_with_exit_2_before_connecting(capsys, monkeypatch):
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # nothing there: must not be reached
    load_settings()
    assert run(["compliance", "schedule", "--every", "soon"]) == 2
    assert "--every 'soon'" in capsys.readouterr().err
    assert run(["compliance", "schedule", "--every", "10s"]) == 2
    assert "at least 1m" in capsys.readouterr().err
