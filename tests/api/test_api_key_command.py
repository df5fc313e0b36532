"""`procure api-key create|link|list|revoke` against a real PostgreSQL, as ops run it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from api import key_command
from api.keys import holder, key_hash

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command in this process (the same code `procure api-key` runs, without the start-up)."""
    try:
        status = key_command.main(list(argv))
    except SystemExit as exc:  # argparse
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


async def _query(database_url: str, sql: str) -> list[dict[str, object]]:
    conn = await asyncpg.connect(database_url)
    try:
        return [dict(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


async def _holder(database_url: str, key: str) -> object:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        return await holder(pool, key)
    finally:
        await pool.close()


def test_keys_are_printed_once_stored_hashed_listed_and_revoked(database_url: str, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("PROCURE_API_URL", "https://api.example.test")

    # Through the real command line once: the key alone on stdout.
    made = subprocess.run([*PROCURE, "api-key", "create", "--role", "erp", "--name", "erp-main"],
                          capture_output=True, text=True, env=dict(os.environ), cwd=ROOT, timeout=60)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert made.stdout == key + "\n" and key.startswith("prk_") and len(key) == 47

    status, _, err = run(capsys, "create", "--role", "ops", "--name", "erp-main")
    assert status == 1 and "already called 'erp-main'" in err
    status, _, err = run(capsys, "create", "--role", "boss", "--name", "x")
    assert status == 2 and "invalid choice: 'boss'" in err
    status, _, err = run(capsys, "create", "--role", "erp", "--name", "two words")
    assert status == 2 and "is not a key name" in err

    status, out, err = run(capsys, "link", "--name", "dock-3", "--expires", "8h")
    assert status == 0, err
    assert out.startswith("https://api.example.test/qc/#key=prk_") and "valid for 8:00:00" in err

    status, out, _ = run(capsys, "list", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert {name: row["role"] for name, row in rows.items()} == {"erp-main": "erp", "dock-3": "warehouse"}
    assert rows["erp-main"]["key_prefix"] == key[:10] and rows["erp-main"]["expires_at"] is None
    assert rows["dock-3"]["expires_at"] is not None
    assert key not in out

    stored = asyncio.run(_query(database_url, "SELECT * FROM api_keys"))
    assert key not in repr(stored)  # only its hash is kept
    assert next(r for r in stored if r["name"] == "erp-main")["key_hash"] == key_hash(key)

    status, out, _ = run(capsys, "revoke", "erp-main")
    assert status == 0 and "revoked erp-main" in out
    assert run(capsys, "revoke", "erp-main")[0] == 1
    assert asyncio.run(_holder(database_url, key)) is None  # a revoked key opens nothing
    _, out, _ = run(capsys, "list", "--all")
    assert "erp-main" in out and "revoked" in out
    assert run(capsys, "create", "--role", "erp", "--name", "erp-main")[0] == 0  # the name is free again
