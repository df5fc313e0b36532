"""The outbox: each event a procurement's ledger writes carry is queued once, in the same
transaction as its row, whatever the retries (real PostgreSQL; migration 0009)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).parents[1] / "activities"))
from procurement_events import EXPECTED, WORKFLOW, write_every_event  # noqa: E402

from ledger import orders, requests, trace  # noqa: E402


async def test_each_event_is_queued_once_with_its_type_and_requester(db_pool: asyncpg.Pool) -> None:
    await write_every_event(db_pool, twice=True)
    rows = await db_pool.fetch("SELECT event_key, event_type, request_id, requester, detail FROM notification_events")
    assert {r["event_key"]: r["event_type"] for r in rows} == EXPECTED
    assert {(r["request_id"], r["requester"]) for r in rows} == {("PR-NOTIFY", "store-17")}
    finished = next(json.loads(r["detail"]) for r in rows if r["event_type"] == "finished")
    assert finished["stage"] == "COMPLETED" and finished["outcome"]["orders"][0]["amount"] == "110.00"


async def test_an_event_is_queued_in_the_transaction_of_its_row(db_pool: asyncpg.Pool) -> None:
    await requests.record_purchase_request(db_pool, "PR-TX", "pr-PR-TX", None, {})
    async with db_pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("UPDATE purchase_requests SET stage = 'AWAITING_APPROVAL' WHERE workflow_id = 'pr-PR-TX'")
        await tx.rollback()
    # The stage write rolled back: so did its event.
    assert await db_pool.fetchval("SELECT count(*) FROM notification_events") == 0
    await requests.set_stage(db_pool, "pr-PR-TX", "AWAITING_APPROVAL")
    assert await db_pool.fetchval("SELECT count(*) FROM notification_events") == 1


async def test_a_stage_without_a_person_to_tell_queues_nothing(db_pool: asyncpg.Pool) -> None:
    await requests.record_purchase_request(db_pool, "PR-Q", "pr-PR-Q", None, {})
    for stage in ("SOURCING", "ORDERING", "PAYING", "IN_TRANSIT", "SETTLING"):
        await requests.set_stage(db_pool, "pr-PR-Q", stage)
    assert await db_pool.fetchval("SELECT count(*) FROM notification_events") == 0
    assert WORKFLOW  # the helper's workflow is another one


async def test_an_alert_of_a_workflow_the_ledger_does_not_know_is_still_queued(db_pool: asyncpg.Pool) -> None:
    # A ledger write must never fail because of its notification: no purchase_requests row here.
    await trace.record_trace_event(db_pool, "pr-UNKNOWN", "o9:stuck-shipment", "alert", {"text": "stuck"})
    await orders.record_shipment(db_pool, order_id="999", status="SIGN", company=None, tracking_no=None, events=[])
    rows = await db_pool.fetch("SELECT event_key, request_id FROM notification_events ORDER BY event_key")
    assert [(r["event_key"], r["request_id"]) for r in rows] == [
        ("alert:pr-UNKNOWN:o9:stuck-shipment", None), ("signed:999", None)]
