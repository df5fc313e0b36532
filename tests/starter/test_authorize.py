"""`procure authorize CODE` against the simulator over HTTP and a real PostgreSQL.

The worker's own wiring (`worker.alibaba_client`) meets a dead refresh token, fails with the
message that names the command, and the same client instance works again on its next call once
`procure authorize` (a real subprocess) has stored tokens from a fresh code. Bad input exits 2
before anything is contacted; an unreachable PostgreSQL or 1688 exits 3; a code 1688 refuses
exits 1 with the platform's reason.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

import worker
from activities.api_audit import ApiAudit
from alibaba1688 import AUTHORISATION_EXPIRED, AuthError
from ledger.database import create_pool
from simulator import SimClock, Simulator, demo_catalog
from simulator.server import serve
from starter.cli import run
from starter.settings import load_settings

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
APP_KEY, APP_SECRET = "1000000", "test123"
REDIRECT = "https://buyer.example.com/1688/authorized"
VARIABLES = ("ALIBABA_GATEWAY_URL", "ALIBABA_APP_KEY", "ALIBABA_APP_SECRET", "ALIBABA_ACCESS_TOKEN",
             "ALIBABA_REFRESH_TOKEN", "ALIBABA_REDIRECT_URI", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL",
             "PROCURE_DATA_DIR")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def exit_status_of(argv: list[str]) -> int:
    try:
        return run(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)


# --- checked before anything is contacted -------------------------------------------------------

REAL_GATEWAY = {"ALIBABA_GATEWAY_URL": "https://gw.open.1688.com/openapi/", "ALIBABA_APP_KEY": "123456",
                "ALIBABA_APP_SECRET": "real-app-secret-x"}
BAD = [
    (["authorize"], {}, "CODE"),
    (["authorize", ""], {}, "CODE: an authorisation code is 1 to 256 printable characters"),
    (["authorize", "two words"], {}, "without spaces"),
    (["authorize", "c" * 257], {}, "1 to 256"),
    (["authorize", "SIM-CODE-1", "--redirect-uri", "ftp://example.com/"], {}, "--redirect-uri: must be an http(s)"),
    (["authorize", "abc-123"], REAL_GATEWAY, "give --redirect-uri URL or set ALIBABA_REDIRECT_URI"),
    (["authorize", "abc-123", "--redirect-uri", REDIRECT], {**REAL_GATEWAY, "ALIBABA_APP_SECRET": ""},
     "ALIBABA_APP_SECRET: required"),
    (["authorize", "abc-123"], {"TOKEN_ENCRYPTION_KEY": "k1:c2hvcnQ="}, "TOKEN_ENCRYPTION_KEY: decodes to 5 bytes"),
]


@pytest.mark.parametrize(("argv", "env", "expected"), BAD, ids=[" ".join(b[0])[:40] + str(i) for i, b in enumerate(BAD)])
def test_bad_input_exits_2_before_anything_is_contacted(clean, monkeypatch, capsys, argv, env, expected):
    # Both PostgreSQL and 1688 point at closed ports: getting past the checks would exit 3.
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u@127.0.0.1:{closed_port()}/x")
    monkeypatch.setenv("ALIBABA_GATEWAY_URL", f"http://127.0.0.1:{closed_port()}/openapi/")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert exit_status_of(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "c2hvcnQ" not in err and "real-app-secret-x" not in err


def test_an_unreachable_postgresql_exits_3(clean, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://u:pw-in-url@127.0.0.1:{closed_port()}/x")
    assert exit_status_of(["authorize", "SIM-CODE-1"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach PostgreSQL" in err and "pw-in-url" not in err


def test_without_database_url_a_stopped_local_stack_exits_3_and_starts_no_server(clean, monkeypatch, capsys):
    monkeypatch.setenv("PROCURE_DATA_DIR", str(clean / "data"))
    assert exit_status_of(["authorize", "SIM-CODE-1"]) == 3
    assert "no PostgreSQL to store the tokens in" in capsys.readouterr().err
    assert not (clean / "data" / "postgres").exists()


# --- against the simulator over HTTP and a real PostgreSQL ----------------------------------------


@dataclass
class Stage:
    base_url: str
    admin: httpx.AsyncClient
    database_url: str
    env: dict[str, str]

    async def post(self, what: str, body: dict) -> dict:
        response = await self.admin.post(f"/_sim/{what}", json=body)
        response.raise_for_status()
        return response.json()

    async def token_calls(self) -> int:
        return sum(1 for call in (await self.admin.get("/_sim/calls")).json() if call["api"] == "getToken")

    async def procure(self, *argv: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            *PROCURE, *argv, env=self.env, cwd=self.env["HOME_FOR_TEST"],
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def stage(clean, monkeypatch, database_url) -> AsyncIterator[Stage]:
    simulator = Simulator(demo_catalog(), clock=SimClock.frozen())
    async with serve(simulator, "127.0.0.1", 0, ready_timeout=10) as base_url, \
            httpx.AsyncClient(base_url=base_url, timeout=10) as admin:
        variables = {"ALIBABA_GATEWAY_URL": f"{base_url}/openapi/", "ALIBABA_APP_KEY": APP_KEY,
                     "ALIBABA_APP_SECRET": APP_SECRET, "ALIBABA_ACCESS_TOKEN": "TEST-TOKEN",
                     "ALIBABA_REFRESH_TOKEN": "TEST-REFRESH", "ALIBABA_REDIRECT_URI": REDIRECT,
                     "DATABASE_URL": database_url}
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
        env.update(variables, HOME_FOR_TEST=str(clean))
        yield Stage(base_url, admin, database_url, env)


async def test_a_dead_refresh_token_then_procure_authorize_revives_the_same_client(stage, caplog):
    settings = load_settings()
    pool = await create_pool(stage.database_url)
    audit = ApiAudit(pool)
    client = worker.alibaba_client(settings, pool, audit)  # exactly what a worker runs
    try:
        assert (await client.search_offers("纯棉T恤")).total_records > 0  # seeds the store

        await stage.post("tokens/expire", {"refresh": True})
        for _ in range(3):
            with pytest.raises(AuthError) as caught:
                await client.search_offers("纯棉T恤")
            assert AUTHORISATION_EXPIRED in str(caught.value)
        assert await stage.token_calls() == 1
        assert sum(AUTHORISATION_EXPIRED in r.getMessage() for r in caplog.records if r.levelname == "ERROR") == 1

        code = (await stage.post("tokens/code", {}))["code"]
        status, out, err = await stage.procure("authorize", code)
        assert status == 0, err
        assert "Authorised 1688 member b2b-buyer0001 for app 1000000" in out
        assert "access token   expires" in out and "refresh token  expires" in out and "version 2" in out
        for secret in ("TEST-TOKEN", "TEST-REFRESH", APP_SECRET, code):
            assert secret not in out and secret not in err

        # The same instance, no restart, still inside its 60 s back-off: the new version is used.
        assert (await client.search_offers("纯棉T恤")).total_records > 0
        assert client.tokens.version == 2 and client.tokens.member_id == "b2b-buyer0001"

        # The code cannot be used twice; an unknown one is refused the same way.
        for spent in (code, "SIM-CODE-999"):
            status, out, err = await stage.procure("authorize", spent)
            assert status == 1
            assert "1688 refused the code: [invalid_grant] authorization code is invalid or expired" in err
            assert spent not in err
        assert client.tokens.version == 2  # a refused code stores nothing

        row = await pool.fetchrow("SELECT t::text AS text, version, obtained_by, member_id FROM api_tokens t")
        assert (row["version"], row["obtained_by"], row["member_id"]) == (2, "authorize", "b2b-buyer0001")
        exchanges = await pool.fetch("SELECT params::text AS params, outcome, error_code FROM api_calls "
                                     "WHERE api = 'system.oauth2:getToken' AND params ? 'code' ORDER BY id")
        assert [(e["outcome"], e["error_code"]) for e in exchanges] == [("ok", None), ("error", "invalid_grant"),
                                                                        ("error", "invalid_grant")]
        for text in [row["text"], *(e["params"] for e in exchanges)]:
            assert "TEST-TOKEN" not in text and "TEST-REFRESH" not in text and code not in text and APP_SECRET not in text
    finally:
        await client.aclose()
        await audit.aclose()
        await pool.close()


async def test_an_unreachable_1688_exits_3_and_stores_nothing(stage):
    env = {**stage.env, "ALIBABA_GATEWAY_URL": f"http://127.0.0.1:{closed_port()}/openapi/"}
    process = await asyncio.create_subprocess_exec(*PROCURE, "authorize", "SIM-CODE-1", env=env, cwd=env["HOME_FOR_TEST"],
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 3
    assert "cannot reach 1688" in err.decode()
    conn = await asyncpg.connect(stage.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM api_tokens") == 0
    finally:
        await conn.close()
