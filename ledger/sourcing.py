"""Every candidate considered for a line, with its figures and why it won or lost."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from pydantic import BaseModel


class SourcingDecision(BaseModel):
    offer_id: str
    supplier_id: str
    rank: int | None = None
    unit_price: Decimal | None = None
    landed_total: Decimal | None = None
    landed_unit_cost: Decimal | None = None
    score: Decimal | None = None
    chosen: bool = False
    reason: str


async def record_sourcing_decisions(
    pool: asyncpg.Pool, workflow_id: str, line_id: str, sourcing_round: int, decisions: list[SourcingDecision]
) -> None:
    await pool.executemany(
        """INSERT INTO sourcing_decisions (workflow_id, line_id, sourcing_round, offer_id, supplier_id, rank,
               unit_price, landed_total, landed_unit_cost, score, chosen, reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           ON CONFLICT (workflow_id, line_id, sourcing_round, offer_id)
           DO UPDATE SET chosen = EXCLUDED.chosen, reason = EXCLUDED.reason""",
        [
            (workflow_id, line_id, sourcing_round, d.offer_id, d.supplier_id, d.rank, d.unit_price,
             d.landed_total, d.landed_unit_cost, d.score, d.chosen, d.reason)
            for d in decisions
        ],
    )
