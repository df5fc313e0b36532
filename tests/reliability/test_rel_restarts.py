"""The Temporal dev server and PostgreSQL die mid-run and come back: procurements resume, and the
ledger ends complete."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import pytest

from rel_stack import (
    StackOptions, all_histories, check_nothing_doubled, drive, mixed_requests, read_books, running_stack, until,
)

pytestmark = pytest.mark.reliability

DOWN_SECONDS = 5.0
LEDGER_ACTIVITIES = {"record_request", "record_stage", "record_sourcing", "record_order", "record_trace_event",
                     "record_supplier_outcome", "load_supplier_history"}


async def outage(stack, seconds: float) -> None:
    """Let an outage last ``seconds`` (a schedule, not a synchronisation); the courier keeps moving."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await stack.sim_post("advance", {"steps": 1})
        await asyncio.sleep(1)


async def orders_placed(stack, at_least: int) -> bool:
    return len(await stack.sim_get("orders")) >= at_least


async def test_procurements_resume_after_the_temporal_server_is_killed_and_restarted():
    async with running_stack(StackOptions(workers=2), prefix="procure-rel-temporal-") as stack:
        ids = [(await stack.start_procurement(r)).id for r in mixed_requests("TSRV", 6, seed=21)]
        # Mid-run: some orders placed, others still being sourced or paid.
        await until(lambda: orders_placed(stack, 3), "three orders on 1688", 60)
        orders_before = len(await stack.sim_get("orders"))
        stack.kill_temporal(signal.SIGKILL)
        await outage(stack, DOWN_SECONDS)
        await stack.start_temporal()  # same port, same SQLite file
        back_at = time.monotonic()
        report = await drive(stack, ids, timeout=240)
        books = await read_books(stack)
        histories = await all_histories(stack)
        alive = all(w.alive for w in stack.workers)
    counts = check_nothing_doubled(books, report, ids)
    assert alive, "the workers rode out the outage without restarting"
    workflows = {h.workflow_id for h in histories}
    assert len(workflows) == counts["procurements"] + counts["orders"], "a workflow was lost or started twice"
    print("temporal restart figures:", json.dumps({
        **counts, "orders_before_the_kill": orders_before, "down_seconds": DOWN_SECONDS,
        "seconds_to_finish_after_restart": round(time.monotonic() - back_at),
        "transient_driver_errors": sum(report.errors.values())}))


async def test_ledger_writes_retry_through_a_postgresql_crash_and_the_ledger_ends_complete():
    async with running_stack(StackOptions(workers=2), prefix="procure-rel-pg-") as stack:
        *early, late = mixed_requests("PGSQL", 7, seed=22)
        ids = [(await stack.start_procurement(r)).id for r in early]
        await until(lambda: orders_placed(stack, 3), "three orders on 1688", 60)
        assert stack.pool is not None
        rows_before = await stack.pool.fetchval("SELECT count(*) FROM api_calls")
        calls_before = len(await stack.sim_get("calls"))
        await stack.stop_postgres("immediate")  # a crash: no shutdown checkpoint, recovery at start
        # A procurement started now writes its request to the ledger first: at least one ledger
        # write meets the outage by construction, whatever the others happen to be doing.
        ids.append((await stack.start_procurement(late)).id)
        await outage(stack, DOWN_SECONDS)
        calls_during = len(await stack.sim_get("calls")) - calls_before
        await stack.start_postgres()
        report = await drive(stack, ids, timeout=240)
        gateway_calls = len(await stack.sim_get("calls"))

        async def audit_complete() -> bool:
            # Rows kept by the workers during the outage are written soon after it ends.
            return await stack.pool.fetchval("SELECT count(*) FROM api_calls") >= gateway_calls
        await until(audit_complete, "an audit row for every gateway call", 60)
        books = await read_books(stack)
        histories = await all_histories(stack)
    counts = check_nothing_doubled(books, report, ids)  # the ledger holds every order, payment, QC...
    retried = ledger_retries(histories)
    audit_rows = len(books.ledger["api_calls"])
    figures = {**counts, "down_seconds": DOWN_SECONDS, "gateway_calls_during_outage": calls_during,
               "ledger_activities_retried": retried, "gateway_calls": len(books.calls),
               "audit_rows": audit_rows, "audit_rows_missing": len(books.calls) - audit_rows,
               "audit_rows_before_outage": rows_before}
    print("postgres restart figures:", json.dumps(figures))
    assert retried > 0, "no ledger write met the outage: the test proved nothing"
    assert calls_during > 0, "no 1688 call was made during the outage: the audit trail was not tested"
    assert audit_rows == len(books.calls), "an audit row was lost or doubled"
    assert len({r["call_id"] for r in books.ledger["api_calls"]}) == audit_rows


def ledger_retries(histories) -> int:
    """Ledger steps that needed more than one attempt: regular activities (histories from before
    the `lean-history-1` patch) and local activities (their marker names the step and attempt)."""
    retried = 0
    for history in histories:
        for event in history.events:
            if event.HasField("marker_recorded_event_attributes") and \
                    event.marker_recorded_event_attributes.marker_name == "core_local_activity":
                data = json.loads(event.marker_recorded_event_attributes.details["data"].payloads[0].data)
                retried += data["activity_type"] in LEDGER_ACTIVITIES and data["attempt"] > 1
        names = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
                 for e in history.events if e.HasField("activity_task_scheduled_event_attributes")}
        retried += sum(1 for e in history.events if e.HasField("activity_task_started_event_attributes")
                       and names[e.activity_task_started_event_attributes.scheduled_event_id] in LEDGER_ACTIVITIES
                       and e.activity_task_started_event_attributes.attempt > 1)
    return retried
