"""Supplier compliance in the ledger (migration 0011): who to check, verdicts, alerts once.

The refresh writes one verdict per supplier (newest wins) and each alert at most once, keyed by
`domain.compliance.Verdict.alert_key`, so running the refresh twice changes nothing the second
time; a new alert also queues an `alert` notification (migration 0009's outbox). Sourcing reads
the verdicts back (`verdict_of`).
"""

from __future__ import annotations

import json

import asyncpg

from domain.compliance import Verdict

# Stages after which a procurement buys nothing more (domain.progress.Stage).
_FINISHED = ["COMPLETED", "FAILED", "CANCELLED"]


async def suppliers_to_check(pool: asyncpg.Pool) -> list[str]:
    """Every supplier we ordered from, and every ranked candidate of a procurement still running."""
    rows = await pool.fetch(
        """SELECT supplier_id FROM orders
           UNION
           SELECT d.supplier_id FROM sourcing_decisions d
           JOIN purchase_requests r ON r.workflow_id = d.workflow_id
           WHERE d.rank IS NOT NULL AND r.stage <> ALL($1::text[])
           ORDER BY 1""",
        _FINISHED,
    )
    return [row["supplier_id"] for row in rows]


async def record_verdict(pool: asyncpg.Pool, verdict: Verdict, *, login_id: str, company_name: str,
                         permits: list[dict[str, str | None]], run_id: str) -> bool:
    """Write the verdict; if it asks for an alert not raised before, record the alert and return
    True (the caller then tells people). One transaction, so a retry never alerts twice."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO supplier_compliance (supplier_id, login_id, company_name, status, reason,
                   license_expires_on, permits, checked_at, run_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now(), $8)
               ON CONFLICT (supplier_id) DO UPDATE SET login_id = EXCLUDED.login_id,
                   company_name = EXCLUDED.company_name, status = EXCLUDED.status, reason = EXCLUDED.reason,
                   license_expires_on = EXCLUDED.license_expires_on, permits = EXCLUDED.permits,
                   checked_at = EXCLUDED.checked_at, run_id = EXCLUDED.run_id""",
            verdict.supplier_id, login_id, company_name, verdict.status.value, verdict.reason,
            verdict.license_expires_on, json.dumps(permits, ensure_ascii=False), run_id,
        )
        if verdict.alert_key is None:
            return False
        raised = await conn.fetchval(
            """INSERT INTO compliance_alerts (alert_key, supplier_id, status, reason, run_id)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (alert_key) DO NOTHING RETURNING alert_key""",
            verdict.alert_key, verdict.supplier_id, verdict.status.value, verdict.reason, run_id,
        )
        if raised is None:
            return False
        # Told where ops read alerts (docs/notifications.md routes the `alert` event type), once:
        # queued in the same transaction as the alert row it announces.
        who = company_name or login_id or verdict.supplier_id
        await conn.execute(
            """INSERT INTO notification_events (event_key, event_type, detail) VALUES ($1, 'alert', $2::jsonb)
               ON CONFLICT (event_key) DO NOTHING""",
            f"compliance:{verdict.alert_key}",
            json.dumps({"text": f"供应商合规 Supplier compliance: {who} ({verdict.supplier_id}): {verdict.reason}",
                        "supplier_id": verdict.supplier_id, "status": verdict.status.value}, ensure_ascii=False),
        )
        return True


async def verdict_of(pool: asyncpg.Pool, supplier_id: str) -> asyncpg.Record | None:
    return await pool.fetchrow(
        "SELECT status, reason, license_expires_on, checked_at FROM supplier_compliance WHERE supplier_id = $1",
        supplier_id,
    )


async def list_verdicts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT supplier_id, login_id, company_name, status, reason, license_expires_on, checked_at
           FROM supplier_compliance ORDER BY status <> 'non_compliant', status <> 'expiring', supplier_id"""
    )


async def list_alerts(pool: asyncpg.Pool, limit: int = 100) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT alert_key, supplier_id, status, reason, raised_at FROM compliance_alerts ORDER BY raised_at DESC LIMIT $1",
        limit,
    )


__all__ = ["list_alerts", "list_verdicts", "record_verdict", "suppliers_to_check", "verdict_of"]
