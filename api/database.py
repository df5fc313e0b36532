"""The ledger for the API process and `procure api-key`: DATABASE_URL, or the embedded server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from ledger.database import EmbeddedPostgres, create_pool, ensure_database
from runtime.settings import Settings


def _running(pgdata: Path) -> bool:
    try:
        os.kill(int((pgdata / "postmaster.pid").read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


@asynccontextmanager
async def ledger_pool(settings: Settings, *, max_size: int = 5) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the ledger, schema up to date. Without DATABASE_URL it attaches to the embedded
    PostgreSQL of the data directory (as `procure worker` does); one started here is stopped again."""
    started_here: EmbeddedPostgres | None = None
    if settings.database_url is not None:
        url = settings.database_url.get_secret_value()
    else:
        embedded = EmbeddedPostgres(settings.procure_data_dir)
        was_running = _running(embedded.pgdata)
        admin_url = await asyncio.to_thread(embedded.start)
        started_here = None if was_running else embedded
        await ensure_database(admin_url)
        url = embedded.url()
    try:
        pool = await create_pool(url, max_size=max_size)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        if started_here is not None:
            await asyncio.to_thread(started_here.stop)
