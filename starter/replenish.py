"""`procure stock-levels FILE` and `procure replenish ...`: the POS's stock levels from the command
line (the same body as `POST /v1/stock-levels`), the store file's check, the daily sweep's
Schedule (created idempotently) and the time each batch took from low stock to paid orders."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import BaseModel
from temporalio.client import (
    Client, Schedule, ScheduleActionStartWorkflow, ScheduleAlreadyRunningError, ScheduleCalendarSpec, ScheduleRange,
    ScheduleSpec,
)

from activities.stock_reports import ReplenishmentSetup, StockReceipt, load_config, report_stock_levels
from domain.replenishment import (
    SWEEP_SCHEDULE_ID, SWEEP_WORKFLOW, InvalidReplenishment, ReplenishmentConfig, StockLevels, parse_stock_levels,
)
from ledger import replenishment
from runtime.connection import DatabaseUnreachable, connect_temporal
from runtime.database import open_ledger
from runtime.settings import Settings
from starter.config import procurement_config
from starter.exit_status import BadInput, Unreachable

SWEEP_HOUR_UTC = 20  # 04:00 in China, before the stores open


def replenishment_setup(settings: Settings) -> ReplenishmentSetup:
    return ReplenishmentSetup(batch_window=settings.replenishment_batch_window,
                              procurement=procurement_config(settings), task_queue=settings.procurement_task_queue)


async def send_stock_levels(client: Client, pool: asyncpg.Pool, settings: Settings, document: Any) -> StockReceipt:
    """Raises InvalidReplenishment (bad body, unknown store, bad store file): nothing changed then."""
    levels = parse_stock_levels(document)
    config = load_config(settings.replenishment_config)
    return await report_stock_levels(client, pool, config, levels, replenishment_setup(settings), datetime.now(UTC))


async def ensure_sweep_schedule(client: Client, settings: Settings) -> bool:
    """Create the daily sweep's Schedule; False when it exists already (it is left as it is)."""
    try:
        await client.create_schedule(
            SWEEP_SCHEDULE_ID,
            Schedule(
                action=ScheduleActionStartWorkflow(SWEEP_WORKFLOW, id=f"{SWEEP_SCHEDULE_ID}-run",
                                                   task_queue=settings.procurement_task_queue),
                spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(SWEEP_HOUR_UTC)],
                                                                  minute=[ScheduleRange(0)], second=[ScheduleRange(0)])]),
            ),
        )
    except ScheduleAlreadyRunningError:
        return False
    return True


class BatchTime(BaseModel):
    request_id: str
    store_id: str
    skus: list[str]
    low_at: datetime
    started_at: datetime
    orders: int
    paid: int
    low_to_paid_hours: float | None


class BatchTimes(BaseModel):
    batches: list[BatchTime]


async def batch_times(pool: asyncpg.Pool, store_id: str | None = None) -> list[BatchTime]:
    rows = await replenishment.batch_times(pool, store_id)
    return [
        BatchTime(request_id=r["request_id"], store_id=r["store_id"], skus=[s["sku"] for s in json.loads(r["skus"])],
                  low_at=r["low_at"], started_at=r["started_at"], orders=r["orders"], paid=r["paid"],
                  low_to_paid_hours=(round(r["low_to_paid"] / timedelta(hours=1), 2)
                                     if r["low_to_paid"] is not None else None))
        for r in rows
    ]


def batch_times_text(times: list[BatchTime]) -> str:
    if not times:
        return "no replenishment batches yet"
    lines = [f"{'request':<36} {'store':<12} {'SKUs':<24} {'paid':>7}  low stock -> paid"]
    for t in times:
        took = f"{t.low_to_paid_hours:.2f} h" if t.low_to_paid_hours is not None else "not all paid yet"
        lines.append(f"{t.request_id:<36} {t.store_id:<12} {','.join(t.skus)[:24]:<24} {t.paid:>3}/{t.orders:<3}  {took}")
    return "\n".join(lines)


# --- the commands ------------------------------------------------------------------------------

def read_stock_levels(path: Path) -> StockLevels:
    """The body of `POST /v1/stock-levels` from a JSON file; BadInput names every problem."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror or type(error).__name__}") from None
    except ValueError as error:
        raise BadInput(f"{path}: not valid JSON ({str(error)[:120]})") from None
    try:
        return parse_stock_levels(document)
    except InvalidReplenishment as error:
        raise BadInput(f"{path}: the stock levels are not valid", details=error.problems) from None


def read_config(path: Path | None) -> ReplenishmentConfig:
    try:
        return load_config(path)
    except InvalidReplenishment as error:
        raise BadInput(f"the store configuration {path or ''} is not valid".replace("  ", " "),
                       details=error.problems) from None


@asynccontextmanager
async def _ledger(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    try:
        pool = await open_ledger(settings, min_size=1, max_size=2)
    except DatabaseUnreachable as error:
        raise Unreachable(str(error)) from None
    try:
        yield pool
    finally:
        await pool.close()


async def stock_levels_command(settings: Settings, path: Path, as_json: bool) -> str:
    levels = read_stock_levels(path)
    config = read_config(settings.replenishment_config)  # checked before anything is contacted
    client = await connect_temporal(settings)
    async with _ledger(settings) as pool:
        try:
            receipt = await report_stock_levels(client, pool, config, levels, replenishment_setup(settings),
                                                datetime.now(UTC))
        except InvalidReplenishment as error:
            raise BadInput("the stock levels were refused", details=error.problems) from None
    if as_json:
        return json.dumps(receipt.model_dump(mode="json"), ensure_ascii=False, indent=2)
    lines = [f"store {receipt.store_id}: {len(levels.levels)} levels recorded"]
    if receipt.low:
        lines.append("low: " + ", ".join(f"{l.sku} (on hand {l.on_hand}, order {l.quantity})" for l in receipt.low))
        lines.append(f"the store's replenishment workflow {receipt.workflow_id} gathers them for "
                     f"{settings.replenishment_batch_window}; SKUs already being bought are not asked for again")
    else:
        lines.append("nothing is at or below its reorder point")
    if receipt.unknown_skus:
        lines.append("not in the store configuration (ignored): " + ", ".join(receipt.unknown_skus))
    return "\n".join(lines)


def check_command(path: Path) -> str:
    config = read_config(path)
    skus = sum(len(s.skus) for s in config.stores.values())
    return f"{path}: {len(config.stores)} stores, {skus} SKUs, every row valid"


async def schedule_command(settings: Settings) -> str:
    client = await connect_temporal(settings)
    created = await ensure_sweep_schedule(client, settings)
    what = "created" if created else "already exists (left as it is)"
    return f"schedule {SWEEP_SCHEDULE_ID}: {what}; it runs the sweep daily at {SWEEP_HOUR_UTC:02d}:00 UTC"


async def times_command(settings: Settings, store_id: str | None, as_json: bool) -> str:
    async with _ledger(settings) as pool:
        times = await batch_times(pool, store_id)
    if as_json:
        return json.dumps(BatchTimes(batches=times).model_dump(mode="json"), ensure_ascii=False, indent=2)
    return batch_times_text(times)
