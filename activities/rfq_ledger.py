"""The RFQ's ledger step: write the RFQ as it stands and the quotes read so far (ledger/rfqs.py)."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from domain.rfq import RfqRecord
from ledger import rfqs


class RfqLedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_rfq(self, record: RfqRecord) -> None:
        await rfqs.record_rfq(self._pool, record)
