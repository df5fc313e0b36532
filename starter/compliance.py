"""The compliance refresh's Temporal Schedule, and what `procure compliance ...` shows.

`ensure_schedule` is idempotent: it creates the Schedule ``compliance-refresh`` or, when it
exists, updates it to the given settings, so `procure up` and `procure compliance schedule` can
run any number of times (on a laptop or against a cluster). Overlaps are skipped (a refresh
still running when the next is due lets that one go), and a run missed while Temporal was down
is started late if it is within the catch-up window.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.compliance import COMPLIANCE_WORKFLOW, ComplianceInput
from runtime.settings import Settings, parse_duration
from starter.exit_status import BadInput, Unreachable

SCHEDULE_ID = "compliance-refresh"
WORKFLOW_ID = "compliance-refresh"  # Temporal appends the scheduled time to each run's id


@dataclass(frozen=True)
class ScheduleChoice:
    every: timedelta
    catchup_window: timedelta
    procurement_task_queue: str
    alibaba_task_queue: str

    @classmethod
    def from_settings(cls, settings: Settings, every: timedelta | None = None) -> "ScheduleChoice":
        return cls(every=every or settings.compliance_every, catchup_window=settings.compliance_catchup_window,
                   procurement_task_queue=settings.procurement_task_queue,
                   alibaba_task_queue=settings.alibaba_task_queue)


def build_schedule(choice: ScheduleChoice) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            COMPLIANCE_WORKFLOW,
            ComplianceInput(alibaba_task_queue=choice.alibaba_task_queue),
            id=WORKFLOW_ID,
            task_queue=choice.procurement_task_queue,
            static_summary="Supplier compliance refresh",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=choice.every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=choice.catchup_window),
    )


async def ensure_schedule(client: Client, choice: ScheduleChoice) -> str:
    """Create the Schedule, or bring an existing one to ``choice``: "created" or "updated"."""
    schedule = build_schedule(choice)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            # The state (paused, notes) is the operator's: keep it, change only what we own.
            return ScheduleUpdate(schedule=Schedule(action=schedule.action, spec=schedule.spec,
                                                    policy=schedule.policy, state=current.description.schedule.state))

        await client.get_schedule_handle(SCHEDULE_ID).update(replace)
        return "updated"


async def run_now(client: Client) -> None:
    """Start a refresh at once (it still skips if one is running)."""
    await client.get_schedule_handle(SCHEDULE_ID).trigger(overlap=ScheduleOverlapPolicy.SKIP)


def describe_choice(choice: ScheduleChoice, outcome: str) -> str:
    return (f"compliance schedule {SCHEDULE_ID} {outcome}: every {_duration(choice.every)}, overlapping runs "
            f"skipped, missed runs caught up within {_duration(choice.catchup_window)}")


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def verdict_rows(records: list[Any]) -> list[dict[str, Any]]:
    return [{"supplier_id": r["supplier_id"], "company_name": r["company_name"], "status": r["status"],
             "reason": r["reason"],
             "license_expires_on": r["license_expires_on"].isoformat() if r["license_expires_on"] else None,
             "checked_at": r["checked_at"].isoformat()} for r in records]


def alert_rows(records: list[Any]) -> list[dict[str, Any]]:
    return [{"supplier_id": r["supplier_id"], "status": r["status"], "reason": r["reason"],
             "raised_at": r["raised_at"].isoformat()} for r in records]


def every_input(text: str | None) -> timedelta | None:
    """``--every``: None for the setting; at least a minute (the refresh is not a poller)."""
    if text is None:
        return None
    try:
        every = parse_duration(text)
    except (TypeError, ValueError):
        raise BadInput(f"--every {text!r}: give a duration such as 1d, 12h or 90m") from None
    if every < timedelta(minutes=1):
        raise BadInput(f"--every {text!r}: at least 1m")
    return every


async def show(settings: Settings, *, as_json: bool = False) -> str:
    from ledger import compliance as ledger_compliance
    from ledger.database import create_pool
    from starter.authorize import database_url

    try:
        pool = await create_pool(database_url(settings), min_size=1, max_size=1, timeout=10)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unreachable(f"cannot reach PostgreSQL: {type(exc).__name__}") from None
    try:
        verdicts = verdict_rows(await ledger_compliance.list_verdicts(pool))
        alerts = alert_rows(await ledger_compliance.list_alerts(pool))
    finally:
        await pool.close()
    if as_json:
        return json.dumps({"verdicts": verdicts, "alerts": alerts}, ensure_ascii=False, indent=2)
    if not verdicts:
        return ("no supplier verdicts yet: a refresh checks the suppliers we ordered from and the candidates of "
                "running procurements (procure compliance run starts one)")
    lines = [f"{v['status']:<14} {v['supplier_id']:<28} {v['company_name'][:24]:<24} {v['reason']}" for v in verdicts]
    lines.append(f"\n{len(alerts)} alerts raised" + (":" if alerts else ""))
    lines += [f"  {a['raised_at'][:19]}  {a['supplier_id']}: {a['reason']}" for a in alerts[:20]]
    return "\n".join(lines)
