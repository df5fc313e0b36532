"""`procure payments pause|resume --reason`: the kill switch, stored in PostgreSQL.

Every order asks the ledger just before it pays (activity `check_payment`), so a pause reaches
every worker at once: payments not yet sent wait, each with an alert, until `resume`.
"""

from __future__ import annotations

import asyncio

import asyncpg

from ledger.database import create_pool
from ledger import spend
from starter.authorize import database_url
from starter.exit_status import BadInput, Unreachable
from starter.settings import Settings


async def ledger_pool(settings: Settings) -> asyncpg.Pool:
    """A one-connection pool for a command that edits the spend controls; Unreachable (exit 3) if not."""
    try:
        return await create_pool(database_url(settings), min_size=1, max_size=1, timeout=10)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unreachable(f"cannot reach PostgreSQL: {type(exc).__name__}: {exc}") from None


async def set_payments(settings: Settings, action: str, reason: str | None, by: str | None) -> str:
    if not reason or not reason.strip():
        raise BadInput(f"payments {action}: --reason is required (it is shown on every waiting order)")
    pool = await ledger_pool(settings)
    try:
        await spend.set_paused(pool, action == "pause", reason.strip(), by)
    finally:
        await pool.close()
    if action == "pause":
        return f"payments paused: {reason.strip()}; orders wait before paying until `procure payments resume`"
    return f"payments resumed: {reason.strip()}; waiting orders pay at their next check"
