"""The RFQ rows (migration 0010): the RFQ as it stands, and every quote read from 1688.

Idempotent: an RFQ row is replaced by its id, a quote is written once by its quotation id, so a
retried write never doubles anything.
"""

from __future__ import annotations

import json

import asyncpg

from domain.rfq import RfqRecord


async def record_rfq(pool: asyncpg.Pool, record: RfqRecord) -> None:
    state = record.state
    comparison = json.dumps(state.comparison.model_dump(mode="json"), ensure_ascii=False) if state.comparison else None
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO rfqs (rfq_id, workflow_id, subject, requester, stage, buy_offer_id, factories, awarded_to,
                                 awarded_by, award_total, procurement_workflow_id, reason, comparison, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, now())
               ON CONFLICT (rfq_id) DO UPDATE SET
                 stage = EXCLUDED.stage, buy_offer_id = EXCLUDED.buy_offer_id, factories = EXCLUDED.factories,
                 awarded_to = EXCLUDED.awarded_to, awarded_by = EXCLUDED.awarded_by,
                 award_total = EXCLUDED.award_total, procurement_workflow_id = EXCLUDED.procurement_workflow_id,
                 reason = EXCLUDED.reason, comparison = EXCLUDED.comparison, updated_at = now()""",
            state.rfq_id, state.workflow_id, record.subject, record.requester, state.stage.value, state.buy_offer_id,
            [f.supplier_id for f in state.factories], state.awarded_to, state.awarded_by, state.award_total,
            state.procurement_workflow_id, state.reason, comparison,
        )
        await conn.executemany(
            """INSERT INTO rfq_quotes (quotation_id, rfq_id, supplier_id, quoted_at, declined, decline_reason, offer_id,
                                       unit_prices, freight, lead_days, capacity)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
               ON CONFLICT (quotation_id) DO NOTHING""",
            [(q.quotation_id, state.rfq_id, q.supplier_id, q.created_at, q.declined, q.decline_reason, q.offer_id,
              json.dumps({str(k): str(v) for k, v in q.unit_prices.items()}), q.freight, q.lead_days, q.capacity)
             for q in state.quotes],
        )
