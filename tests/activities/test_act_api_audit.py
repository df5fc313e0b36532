"""The audit trail rides out a database outage: rows wait in the worker, in order, and are
written once PostgreSQL answers again; none is lost or doubled. The outage is a real one: the
worker reaches the real PostgreSQL through a relay that the test cuts and restores."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest

from activities.api_audit import ApiAudit
from alibaba1688.audit import CallRecord
from ledger.api_calls import ApiCallRow, record_api_calls


Connect = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class Relay:
    """A PostgreSQL socket in a directory of its own that forwards to the real server, with a
    switch that drops every connection and refuses new ones."""

    def __init__(self, connect: Connect, directory: Path) -> None:
        self._connect = connect
        self.directory = directory
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, str(self.directory / ".s.PGSQL.5432"))

    @property
    def up(self) -> bool:
        return self._server is not None

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._connect()
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}


@pytest.fixture
async def relayed(database_url: str, db_pool: asyncpg.Pool) -> AsyncIterator[tuple[Relay, asyncpg.Pool]]:
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    port = parts.port or 5432
    if "host" in query:  # the embedded server: a Unix socket
        socket_path = f"{query['host'][0]}/.s.PGSQL.{port}"

        def connect():
            return asyncio.open_unix_connection(socket_path)
    else:
        def connect():
            return asyncio.open_connection(parts.hostname or "127.0.0.1", port)
    relay = Relay(connect, Path(tempfile.mkdtemp(prefix="procure-relay-")))
    await relay.start()
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    extra = {k: v[0] for k, v in query.items() if k != "host"}
    url = urlunsplit((parts.scheme, user, parts.path, urlencode({**extra, "host": str(relay.directory)}), ""))
    pool = await asyncpg.create_pool(url, min_size=0, max_size=2)
    try:
        yield relay, pool
    finally:
        pool.terminate()
        if relay.up:
            await relay.cut()


def call(n: int) -> CallRecord:
    return CallRecord(api=f"com.alibaba.trade:call-{n}", params_redacted={"n": n}, outcome="ok", latency_ms=3.0)


async def until(check, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_rows_written_while_the_database_is_down_arrive_once_it_is_back(relayed, db_pool):
    relay, pool = relayed
    audit = ApiAudit(pool, retry_every=0.05)
    await audit(call(1))
    await relay.cut()
    for n in (2, 3, 4):
        await audit(call(n))  # never raises: the 1688 call it records is done
    assert audit.waiting == 3
    await relay.start()
    await audit(call(5))  # behind the waiting rows, not before them

    async def all_written() -> bool:
        return audit.waiting == 0
    await until(all_written, "the waiting audit rows to be written")
    rows = await db_pool.fetch("SELECT api, params->>'n' AS n FROM api_calls ORDER BY called_at, id")
    assert [r["n"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert await db_pool.fetchval("SELECT count(DISTINCT call_id) FROM api_calls") == 5
    await audit.aclose()


async def test_stopping_during_an_outage_gives_up_after_its_deadline(relayed, caplog):
    relay, pool = relayed
    audit = ApiAudit(pool, retry_every=0.05)
    await relay.cut()
    await audit(call(1))
    await audit.aclose(timeout=0.5)
    assert audit.waiting == 1
    assert "1 audit rows could not be written" in caplog.text


async def test_a_row_written_twice_is_stored_once(db_pool):
    row = ApiCallRow(api="com.alibaba.trade:x", params={}, outcome="ok", error_code=None, latency_ms=1)
    await record_api_calls(db_pool, [row])
    await record_api_calls(db_pool, [row])  # a retry after a connection dropped past the commit
    assert await db_pool.fetchval("SELECT count(*) FROM api_calls") == 1
