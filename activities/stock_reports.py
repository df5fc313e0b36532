"""A POS's stock levels in: record them, find the low SKUs, and signal-with-start the store's
replenishment workflow. Shared by `procure stock-levels`, `POST /v1/stock-levels` and the daily
sweep, so a report behaves the same whoever sends it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client

from domain.procurement import ProcurementConfig
from domain.replenishment import (
    REPLENISHMENT_WORKFLOW, STOCK_SIGNAL, InvalidReplenishment, LowSku, ReplenishmentConfig, ReplenishmentInput,
    StockLevels, StockReport, low_skus, parse_replenishment_config, store_workflow_id,
)
from ledger import replenishment


class StockReceipt(BaseModel):
    """The answer to a stock report (the API's 202 body and `procure stock-levels --json`)."""

    store_id: str
    workflow_id: str | None = Field(description="the store's replenishment workflow; null when nothing is low")
    low: list[LowSku] = Field(default_factory=list)
    unknown_skus: list[str] = Field(default_factory=list, description="SKUs the store's configuration does not name")


class ReplenishmentSetup(BaseModel):
    """What starting a store's workflow needs, from settings."""

    batch_window: timedelta
    procurement: ProcurementConfig
    task_queue: str


def load_config(path: Path | None) -> ReplenishmentConfig:
    if path is None:
        raise InvalidReplenishment(["no store configuration: set REPLENISHMENT_CONFIG to the stores file"])
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidReplenishment([f"{path}: cannot read it ({type(error).__name__})"]) from None
    return parse_replenishment_config(text)


async def report_stock_levels(client: Client, pool: asyncpg.Pool, config: ReplenishmentConfig, levels: StockLevels,
                              setup: ReplenishmentSetup, received_at: datetime, *,
                              record: bool = True) -> StockReceipt:
    store = config.stores.get(levels.store_id)
    if store is None:
        raise InvalidReplenishment([f"store_id: {levels.store_id} is not in the store configuration"])
    if record:
        await replenishment.record_stock_levels(
            pool, store.store_id, [(l.sku, l.on_hand, l.sold_since_last) for l in levels.levels], received_at)
    check = low_skus(store, levels, received_at)
    receipt = StockReceipt(store_id=store.store_id, workflow_id=None, low=check.low, unknown_skus=check.unknown)
    if not check.low:
        return receipt
    workflow_id = store_workflow_id(store.store_id)
    await client.start_workflow(
        REPLENISHMENT_WORKFLOW,
        ReplenishmentInput(store_id=store.store_id, batch_window=setup.batch_window, procurement=setup.procurement,
                           procurement_task_queue=setup.task_queue, store=store),
        id=workflow_id,
        task_queue=setup.task_queue,
        start_signal=STOCK_SIGNAL,
        start_signal_args=[StockReport(store=store, low=check.low)],
        static_summary=f"replenishment of store {store.store_id}",
    )
    receipt.workflow_id = workflow_id
    return receipt
