"""How every process of ours reaches the ledger's PostgreSQL: `DATABASE_URL`, or the embedded one."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import asyncpg

from ledger.database import EmbeddedPostgres, create_pool, ensure_database
from runtime.connection import DatabaseUnreachable
from runtime.settings import Settings

# How long a single connection attempt may take before a process gives up at start.
DATABASE_CONNECT_TIMEOUT = 10.0


async def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    # No DATABASE_URL: attach to (or start) the embedded PostgreSQL in the data directory.
    embedded = EmbeddedPostgres(settings.procure_data_dir)
    admin_url = await asyncio.to_thread(embedded.start)
    await ensure_database(admin_url)
    return embedded.url()


def database_target(url: str) -> str:
    """host:port/database of a PostgreSQL URL, never its password."""
    parts = urlsplit(url)
    host = parts.hostname or "local socket"
    return f"{host}:{parts.port or 5432}{parts.path or ''}"


async def open_ledger(settings: Settings, **pool_options) -> asyncpg.Pool:
    url = await database_url(settings)
    try:
        return await create_pool(url, timeout=DATABASE_CONNECT_TIMEOUT, **pool_options)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        if isinstance(exc, ConnectionRefusedError):
            reason = "connection refused"
        else:
            reason = getattr(exc, "strerror", None) or (str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise DatabaseUnreachable(f"cannot reach PostgreSQL at {database_target(url)}: {reason.lower()}") from None
