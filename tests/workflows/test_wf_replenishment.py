"""A store's replenishment end to end on a real Temporal server (time-skipping), the real
activities, a real PostgreSQL ledger and the 1688 simulator: a POS report with two low SKUs
starts one procurement for both, a SKU being bought is not asked for again, and the time from
the low-stock report to the paid orders is recorded. Plus the daily sweep and its Schedule
(dev server: the test server has no Schedules)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.api_audit import ApiAudit
from activities.replenishment import ReplenishmentActivities
from activities.stock_reports import ReplenishmentSetup, report_stock_levels
from alibaba1688 import Alibaba1688Client
from domain.procurement import ProcurementConfig
from domain.progress import ProcurementState
from domain.replenishment import (
    SWEEP_SCHEDULE_ID, SWEEP_WORKFLOW, ReplenishmentConfig, ReplenishmentState, parse_replenishment_config,
    parse_stock_levels, store_workflow_id,
)
from ledger import replenishment
from runtime.settings import load_settings
from simulator import SimClock, Simulator, parse_catalog
from starter.replenish import batch_times, ensure_sweep_schedule
from wf_harness import FollowTemporalTime, catalog_with, offer, supplier
from worker import INTERCEPTORS, WORKFLOWS, alibaba_activities, workflow_queue_activities

WINDOW = timedelta(minutes=10)


def store_file(store_id: str) -> str:
    return f"""
stores:
  - store_id: {store_id}
    delivery: {{full_name: 张三, mobile: "15251667788", province: 浙江省, city: 杭州市, area: 滨江区, address: 网商路699号}}
    skus:
      - {{sku: TEE-WHITE, reorder_point: 20, order_up_to: 120, keyword: 纯棉T恤, price_max: "60.00"}}
      - {{sku: BAG-CANVAS, reorder_point: 10, order_up_to: 110, keyword: 帆布包}}
      - {{sku: CUP-STEEL, reorder_point: 5, order_up_to: 30, keyword: 保温杯}}
"""


CATALOG = catalog_with(
    [supplier("b2b-2001"), supplier("b2b-2002")],
    [offer("610000002001", "b2b-2001", "纯棉T恤 白色 男款", "45.00", 50),
     offer("610000002002", "b2b-2002", "帆布包 大容量", "12.00", 100),
     offer("610000002003", "b2b-2002", "保温杯 不锈钢", "20.00", 10)],
)


@dataclass
class StoreStack:
    client: Client
    pool: asyncpg.Pool
    config: ReplenishmentConfig
    setup: ReplenishmentSetup
    env: WorkflowEnvironment

    async def report(self, store_id: str, **on_hand: int) -> list[str]:
        levels = parse_stock_levels({"store_id": store_id, "levels": [
            {"sku": sku.replace("_", "-"), "on_hand": n} for sku, n in on_hand.items()]})
        receipt = await report_stock_levels(self.client, self.pool, self.config, levels, self.setup, datetime.now(UTC))
        return [low.sku for low in receipt.low]

    async def store_state(self, store_id: str) -> ReplenishmentState:
        return await self.client.get_workflow_handle(store_workflow_id(store_id)).query(
            "state", result_type=ReplenishmentState)

    async def until(self, check, what: str, rounds: int = 200):
        for _ in range(rounds):
            found = await check()
            if found:
                return found
            await self.env.sleep(timedelta(minutes=5))   # time-skipping: five minutes of Temporal time
        raise AssertionError(f"no {what} after {rounds} rounds")


@asynccontextmanager
async def store_stack(env: WorkflowEnvironment, pool: asyncpg.Pool, store_id: str,
                      stores: str | None = None) -> AsyncIterator[StoreStack]:
    client = env.client
    clock = SimClock.frozen(datetime.now(UTC))
    sim = Simulator(parse_catalog(CATALOG), clock=clock)
    transport = httpx.ASGITransport(app=sim.app)
    queue, alibaba_queue = f"procurement-{uuid.uuid4().hex[:8]}", f"alibaba-{uuid.uuid4().hex[:8]}"
    app = CATALOG["app"]
    gateway = Alibaba1688Client("http://sim/openapi/", app["app_key"], app["app_secret"], app["access_token"],
                                app["refresh_token"], transport=transport, on_call=ApiAudit(pool))
    setup = ReplenishmentSetup(batch_window=WINDOW, task_queue=queue,
                               procurement=ProcurementConfig(alibaba_task_queue=alibaba_queue))
    follow = FollowTemporalTime(clock)
    replenish = ReplenishmentActivities(pool, client, None, setup, timedelta(hours=24))
    async with gateway, \
            Worker(client, task_queue=queue, workflows=WORKFLOWS, interceptors=[follow, *INTERCEPTORS],
                   activities=[*workflow_queue_activities(pool), replenish.record_replenishment_batch,
                               replenish.sweep_quiet_stores]), \
            Worker(client, task_queue=alibaba_queue, activities=alibaba_activities(gateway),
                   interceptors=[follow, *INTERCEPTORS]):
        yield StoreStack(client, pool, parse_replenishment_config(stores or store_file(store_id)), setup, env)


async def test_two_low_skus_make_one_procurement_and_a_sku_being_bought_is_not_asked_again(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool,
) -> None:
    async with store_stack(time_env, db_pool, "store-17") as stack:
        assert await stack.report("store-17", TEE_WHITE=3, BAG_CANVAS=10, CUP_STEEL=6) == ["TEE-WHITE", "BAG-CANVAS"]
        # Within the window the same SKU again: it is already gathering.
        assert await stack.report("store-17", TEE_WHITE=2) == ["TEE-WHITE"]

        async def one_batch() -> ReplenishmentState | None:
            state = await stack.store_state("store-17")
            return state if state.batches else None
        state = await stack.until(one_batch, "batch")
        batch = state.batches[0]
        assert sorted(s.sku for s in batch.skus) == ["BAG-CANVAS", "TEE-WHITE"]
        assert {s.sku: s.quantity for s in batch.skus} == {"TEE-WHITE": 117, "BAG-CANVAS": 100}
        assert set(state.in_flight) == {"TEE-WHITE", "BAG-CANVAS"}

        procurement = stack.client.get_workflow_handle(f"pr-{batch.request_id}")
        bought = await procurement.query("state", result_type=ProcurementState)
        assert sorted(l.line_id for l in bought.lines) == ["BAG-CANVAS", "TEE-WHITE"]
        requester = await stack.until(lambda: db_pool.fetchval(
            "SELECT requester FROM purchase_requests WHERE request_id = $1", batch.request_id), "ledger row")
        assert requester == "store-17"

        # The procurement runs: the POS says TEE-WHITE is low again, and CUP-STEEL now too.
        assert await stack.report("store-17", TEE_WHITE=1, CUP_STEEL=5) == ["TEE-WHITE", "CUP-STEEL"]

        async def second_batch() -> ReplenishmentState | None:
            state = await stack.store_state("store-17")
            return state if len(state.batches) == 2 else None
        state = await stack.until(second_batch, "second batch")
        assert [s.sku for s in state.batches[1].skus] == ["CUP-STEEL"]      # TEE-WHITE is being bought
        assert state.skipped >= 2
        rows = await db_pool.fetch("SELECT request_id FROM replenishment_batches WHERE store_id = 'store-17'")
        assert len(rows) == 2

        async def paid() -> list | None:
            times = await batch_times(db_pool, "store-17")
            first = next(t for t in times if t.request_id == batch.request_id)
            return times if first.low_to_paid_hours is not None else None
        times = await stack.until(paid, "paid orders of the first batch")
        first = next(t for t in times if t.request_id == batch.request_id)
        assert first.paid == first.orders >= 1
        # Real seconds pass here while Temporal's clock skips; the seed's goal is 24 hours.
        assert 0 <= first.low_to_paid_hours < 24


async def test_a_large_batch_starts_its_procurement_with_a_minute_per_workflow_task(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool,
) -> None:
    # 21 low SKUs make a 21-line procurement: like `procure start`, the store gives it a minute per
    # workflow task (a cold worker replays a large procurement's history in one task).
    skus = [f"SKU-{n:02d}" for n in range(21)]
    stores = store_file("store-big").split("    skus:")[0] + "    skus:\n" + "".join(
        f"      - {{sku: {sku}, reorder_point: 5, order_up_to: 30, keyword: 保温杯}}\n" for sku in skus)
    async with store_stack(time_env, db_pool, "store-big", stores) as stack:
        assert await stack.report("store-big", **{sku.replace("-", "_"): 0 for sku in skus}) == skus

        async def one_batch() -> ReplenishmentState | None:
            state = await stack.store_state("store-big")
            return state if state.batches else None
        [batch] = (await stack.until(one_batch, "batch")).batches
        described = await stack.client.get_workflow_handle(f"pr-{batch.request_id}").describe()
        assert described.raw_description.execution_config.default_workflow_task_timeout.ToSeconds() == 60


async def test_the_daily_sweep_checks_stores_that_went_quiet(
    time_env: WorkflowEnvironment, db_pool: asyncpg.Pool, tmp_path: Path,
) -> None:
    path = tmp_path / "stores.yaml"
    path.write_text(store_file("store-9"), encoding="utf-8")
    async with store_stack(time_env, db_pool, "store-9") as stack:
        levels = [("TEE-WHITE", 50, 0), ("BAG-CANVAS", 4, 0), ("CUP-STEEL", 30, 0)]
        await replenishment.record_stock_levels(db_pool, "store-9", levels, datetime.now(UTC) - timedelta(hours=30))
        await replenishment.record_stock_levels(db_pool, "store-loud", [("X", 0, 0)], datetime.now(UTC))
        sweep = ReplenishmentActivities(db_pool, stack.client, path, stack.setup, timedelta(hours=24))
        assert await ActivityEnvironment().run(sweep.sweep_quiet_stores) == ["store-9"]
        state = await stack.store_state("store-9")
        assert list(state.pending) == ["BAG-CANVAS"]
        # The sweep does not count as the store speaking: its last report stays 30 hours old.
        assert list(await replenishment.quiet_stores(db_pool, timedelta(hours=24))) == ["store-9"]

        # Once a batch bought BAG-CANVAS, its stale level is not read again: tomorrow's sweep
        # orders nothing until the POS reports again.
        async def bought() -> bool:
            return bool(await db_pool.fetchval("SELECT count(*) FROM replenishment_batches WHERE store_id = 'store-9'"))
        await stack.until(bought, "the sweep's batch")
        assert await ActivityEnvironment().run(sweep.sweep_quiet_stores) == []


async def test_the_sweep_schedule_is_created_once(dev_env: WorkflowEnvironment) -> None:
    settings = load_settings(procurement_task_queue=f"procurement-{uuid.uuid4().hex[:6]}")
    client = dev_env.client
    try:
        assert await ensure_sweep_schedule(client, settings) is True
        assert await ensure_sweep_schedule(client, settings) is False
        described = await client.get_schedule_handle(SWEEP_SCHEDULE_ID).describe()
        assert described.schedule.action.workflow == SWEEP_WORKFLOW
        assert described.schedule.action.task_queue == settings.procurement_task_queue
        ids = [s.id async for s in await client.list_schedules()]
        assert ids.count(SWEEP_SCHEDULE_ID) <= 1
    finally:
        await client.get_schedule_handle(SWEEP_SCHEDULE_ID).delete()
