"""`procure migrate`: bring the ledger's schema up to date, then exit (the deploy's migrations job).

Workers apply the same migrations when they start (under an advisory lock, so many at once are
safe); running them first as a job keeps a schema change out of the workers' start and makes a
failed migration stop the deploy before any new worker runs. Exit 0 done, 2 bad settings,
3 PostgreSQL cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ledger.migrations import apply_migrations
from runtime.connection import DatabaseUnreachable
from runtime.database import open_ledger
from runtime.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="procure migrate", description=__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"procure migrate: {exc}", file=sys.stderr)
        return 2
    if settings.database_url is None:
        print("procure migrate: set DATABASE_URL (the embedded PostgreSQL is migrated by `procure up`)", file=sys.stderr)
        return 2

    async def migrate() -> list[int]:
        pool = await open_ledger(settings, migrate=False, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                return await apply_migrations(conn)
        finally:
            await pool.close()

    try:
        applied = asyncio.run(migrate())
    except DatabaseUnreachable as exc:
        print(f"procure migrate: {exc}", file=sys.stderr)
        return 3
    print(f"ledger schema up to date ({'applied ' + ', '.join(f'{v:04d}' for v in applied) if applied else 'nothing to apply'})")
    return 0
