import asyncio

import asyncpg
import pytest

from ledger.migrations import MigrationError, apply_migrations, discover

SCHEMA_QUERY = """
    SELECT table_name, column_name, data_type, is_nullable
    FROM information_schema.columns WHERE table_schema = 'public'
    ORDER BY table_name, column_name
"""


async def test_migrations_are_idempotent(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        first = await apply_migrations(conn)
        schema = await conn.fetch(SCHEMA_QUERY)
        second = await apply_migrations(conn)
        assert first == [m.version for m in discover()]
        assert second == []
        assert await conn.fetch(SCHEMA_QUERY) == schema
        tables = {r["table_name"] for r in schema}
        assert {"purchase_requests", "sourcing_decisions", "orders", "order_lines", "payments",
                "shipments", "shipment_events", "qc_results", "refunds", "supplier_outcomes",
                "api_calls", "trace_events", "schema_migrations"} <= tables
    finally:
        await conn.close()


async def test_workers_starting_together_apply_each_migration_once(database_url):
    conns = [await asyncpg.connect(database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
        applied = [v for r in results for v in r]
        assert sorted(applied) == [m.version for m in discover()]
        count = await conns[0].fetchval("SELECT count(*) FROM schema_migrations")
        assert count == len(discover())
    finally:
        for c in conns:
            await c.close()


async def test_an_edited_migration_is_refused(database_url, tmp_path):
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE t (x int);")
    conn = await asyncpg.connect(database_url)
    try:
        assert await apply_migrations(conn, tmp_path) == [1]
        (tmp_path / "0001_first.sql").write_text("CREATE TABLE t (x bigint);")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await apply_migrations(conn, tmp_path)
        (tmp_path / "0001_first.sql").write_text("CREATE TABLE t (x int);")
        (tmp_path / "0002_second.sql").write_text("ALTER TABLE t ADD COLUMN y int;")
        assert await apply_migrations(conn, tmp_path) == [2]
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_behind(database_url, tmp_path):
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE ok_table (x int); SELECT no_such_function();")
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await apply_migrations(conn, tmp_path)
        assert await conn.fetchval("SELECT to_regclass('ok_table')") is None
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 0
    finally:
        await conn.close()


def test_badly_named_files_are_refused(tmp_path):
    (tmp_path / "first.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        discover(tmp_path)


async def test_a_missing_version_is_applied_when_its_file_arrives(database_url, tmp_path):
    # Two people add migrations at once: 0003 may land (and run) before 0002. Nothing refuses the
    # gap, and the late file is applied on the next start; each file must stand on its own.
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE t (x int);")
    (tmp_path / "0003_third.sql").write_text("CREATE TABLE u (y int);")
    conn = await asyncpg.connect(database_url)
    try:
        assert await apply_migrations(conn, tmp_path) == [1, 3]
        (tmp_path / "0002_second.sql").write_text("ALTER TABLE t ADD COLUMN z int;")
        assert await apply_migrations(conn, tmp_path) == [2]
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 3
    finally:
        await conn.close()
