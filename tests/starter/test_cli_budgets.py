"""`procure budgets set|show` against a real PostgreSQL: what it stores, what it shows, and bad
input refused with exit 2 and nothing stored."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal

import pytest

from ledger import spend

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]


async def procure(database_url: str, *argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(*PROCURE, *argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_budget_set_is_used_and_shown_with_what_is_committed(database_url, db_pool):
    status, out, _ = await procure(database_url, "budgets", "set", "store-17", "month", "3000.00")
    assert status == 0 and "monthly budget of requester store-17: 3000.00 yuan" in out
    assert await spend.budgets_of(db_pool, "store-17") == {"month": Decimal("3000.00")}
    await db_pool.execute("""INSERT INTO payment_commitments (out_order_id, request_id, requester, amount, committed_at)
                             VALUES ('pr-PR-1-1', 'PR-1', 'store-17', 1200.00, now())""")
    status, out, _ = await procure(database_url, "budgets", "show", "store-17")
    assert status == 0
    assert "budget      3000.00  committed      1200.00  left      1800.00" in out


@pytest.mark.parametrize(("argv", "expected"), [
    (["budgets", "set", "store-17", "fortnight", "100"], "period 'fortnight' is not one of week, month, quarter, year"),
    (["budgets", "set", "store-17", "month", "-5"], "must be 0 or more yuan"),
    (["budgets", "set", "store-17", "month", "12.345"], "at most two decimals"),
    (["budgets", "set", "store-17", "month", "lots"], "is not a number of yuan"),
    (["budgets", "set", " ", "month", "10"], "the requester is empty"),
])
async def test_bad_input_exits_2_and_stores_nothing(database_url, db_pool, argv, expected):
    status, _, err = await procure(database_url, *argv)
    assert status == 2 and expected in err
    assert await db_pool.fetchval("SELECT count(*) FROM requester_budgets") == 0
