"""Activities of the replenishment workflows: the batch's ledger row, and the daily sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.stock_reports import ReplenishmentSetup, load_config, report_stock_levels
from domain.replenishment import Batch, InvalidReplenishment, StockLevel, StockLevels
from ledger import replenishment


class ReplenishmentActivities:
    def __init__(self, pool: asyncpg.Pool, client: Client, config_path: Path | None, setup: ReplenishmentSetup,
                 quiet_after: timedelta) -> None:
        self._pool = pool
        self._client = client
        self._config_path = config_path
        self._setup = setup
        self._quiet_after = quiet_after

    @activity.defn
    async def record_replenishment_batch(self, batch: Batch) -> None:
        await replenishment.record_batch(
            self._pool, batch.request_id, batch.store_id,
            [{"sku": s.sku, "quantity": s.quantity, "on_hand": s.on_hand} for s in batch.skus],
            batch.low_at, batch.started_at,
        )

    @activity.defn
    async def sweep_quiet_stores(self) -> list[str]:
        """Each configured store whose POS went quiet is checked again on its last known levels;
        returns the stores that had low SKUs (their workflows were signalled)."""
        try:
            config = load_config(self._config_path)
        except InvalidReplenishment as error:
            raise ApplicationError("; ".join(error.problems), type="InvalidReplenishment", non_retryable=True) from None
        signalled = []
        now = datetime.now(UTC)
        for store_id, rows in (await replenishment.quiet_stores(self._pool, self._quiet_after)).items():
            if store_id not in config.stores:
                continue
            levels = StockLevels(store_id=store_id, levels=[
                StockLevel(sku=r["sku"], on_hand=r["on_hand"], sold_since_last=0) for r in rows])
            # Not recorded as a new report: the store stays quiet until its POS speaks again.
            receipt = await report_stock_levels(self._client, self._pool, config, levels, self._setup, now,
                                                record=False)
            if receipt.low:
                signalled.append(store_id)
        return signalled

