"""Tokens shared through a token source: seeded, written back after a refresh, picked up by other
clients, and a refused refresh token that says what to do once instead of asking again and again.

Unit tests script the gateway (``fakes_1688``); the others run the simulator in process with the
PostgreSQL store the workers use (``ledger/credentials.py``) and count ``getToken`` calls at the
simulator.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import samples_1688 as samples
from alibaba1688 import (
    AUTHORISATION_EXPIRED,
    Alibaba1688Client,
    AuthError,
    MemoryTokenSource,
    TokenSet,
)
from fakes_1688 import (
    ACCESS_TOKEN,
    APP_KEY,
    APP_SECRET,
    REFRESH_TOKEN,
    FakeGateway,
    gateway_error,
    make_client,
    ok,
)
from ledger.credentials import CredentialStore, TokenCipher
from simulator import SimClock, Simulator, parse_catalog
from test_against_simulator import APP, CATALOG

SEARCH = "product.search.keywordQuery"
TOKEN = "getToken"
EXPIRED = gateway_error("401", "Request need user authorized", 401)
DEAD = ok({"error": "invalid_grant", "error_description": "refresh token is invalid or expired"}, 400)


class Clock:
    """A clock the test moves by hand: the client's back-off is measured on it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def accepting(*tokens: str) -> object:
    def handle(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        return ok(samples.search_result()) if form.get("access_token") in tokens else EXPIRED

    return handle


def stored(access: str, refresh: str | None = "stored-refresh-token") -> TokenSet:
    return TokenSet(access_token=SecretStr(access), refresh_token=SecretStr(refresh) if refresh else None)


def expiry_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and AUTHORISATION_EXPIRED in r.getMessage()]


# --- with a scripted gateway ---------------------------------------------------------------------


async def test_an_empty_source_is_seeded_with_the_constructor_tokens() -> None:
    source = MemoryTokenSource()
    fake = FakeGateway().on(SEARCH, accepting(ACCESS_TOKEN))
    async with make_client(fake, token_source=source) as client:
        await client.search_offers("T恤")
    seed = await source.load()
    assert seed is not None and seed.version == 1
    assert seed.access_token.get_secret_value() == ACCESS_TOKEN
    assert seed.refresh_token is not None and seed.refresh_token.get_secret_value() == REFRESH_TOKEN


async def test_stored_tokens_win_over_the_constructor_and_newer_ones_are_picked_up_per_call() -> None:
    source = MemoryTokenSource(stored("stored-token-1"))
    fake = FakeGateway().on(SEARCH, accepting("stored-token-1", "stored-token-2"))
    async with make_client(fake, token_source=source) as client:
        await client.search_offers("T恤")
        source.replace(stored("stored-token-2"))  # what `procure authorize` does, for this source
        await client.search_offers("T恤")
        assert client.tokens.version == 2
    assert [s.form["access_token"] for s in fake.calls(SEARCH)] == ["stored-token-1", "stored-token-2"]
    assert fake.calls(TOKEN) == []


async def test_a_refresh_is_written_back_and_another_client_uses_it_without_refreshing() -> None:
    source = MemoryTokenSource()
    fake = FakeGateway().on(SEARCH, accepting("access-token-new-111")).on(
        TOKEN, ok({"access_token": "access-token-new-111", "expires_in": "36000", "memberId": "b2b-buyer0001"}))
    seen: list[TokenSet] = []
    async with make_client(fake, token_source=source, on_token_refreshed=seen.append) as first, \
            make_client(fake, token_source=source) as second:
        await first.search_offers("T恤")
        await second.search_offers("T恤")
    assert [s.form["access_token"] for s in fake.calls(SEARCH)] == [ACCESS_TOKEN, "access-token-new-111",
                                                                    "access-token-new-111"]
    assert len(fake.calls(TOKEN)) == 1
    assert [t.version for t in seen] == [2]  # the hook sees what was stored
    kept = await source.load()
    assert kept is not None and kept.version == 2 and kept.member_id == "b2b-buyer0001"
    assert kept.refresh_token is not None and kept.refresh_token.get_secret_value() == REFRESH_TOKEN


async def test_a_refused_refresh_says_what_to_do_once_and_waits_before_asking_again(caplog) -> None:
    caplog.set_level(logging.INFO, "alibaba1688")
    clock = Clock()
    source = MemoryTokenSource()
    fake = FakeGateway().on(SEARCH, accepting("fresh-token-after-authorize")).on(TOKEN, DEAD)
    async with make_client(fake, token_source=source, clock=clock) as client:
        for _ in range(4):
            with pytest.raises(AuthError) as caught:
                await client.search_offers("T恤")
            assert caught.value.message.startswith(AUTHORISATION_EXPIRED)
            assert "[invalid_grant] refresh token is invalid or expired" in caught.value.message
        assert [s.api for s in fake.sent] == [SEARCH, TOKEN]  # the three later calls sent nothing

        clock.now += 61  # after the back-off, one more try: still refused, not logged again
        with pytest.raises(AuthError, match="authorisation expired"):
            await client.search_offers("T恤")
        assert [s.api for s in fake.sent] == [SEARCH, TOKEN, SEARCH, TOKEN]
        assert len(expiry_errors(caplog)) == 1
        assert ACCESS_TOKEN not in caplog.text and REFRESH_TOKEN not in caplog.text

        source.replace(stored("fresh-token-after-authorize"))  # within the back-off: used at once
        await client.search_offers("T恤")
    assert fake.sent[-1].form["access_token"] == "fresh-token-after-authorize"


async def test_a_dead_refresh_token_met_by_many_calls_at_once_is_asked_about_once() -> None:
    together = asyncio.Barrier(5)

    async def rejected(request: httpx.Request) -> httpx.Response:
        await together.wait()  # all five are in flight with the same token
        return EXPIRED

    fake = FakeGateway().on(SEARCH, rejected).on(TOKEN, DEAD)
    async with make_client(fake, token_source=MemoryTokenSource()) as client:
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(client.search_offers("T恤") for _ in range(5)), return_exceptions=True), timeout=10)
    assert all(isinstance(o, AuthError) and AUTHORISATION_EXPIRED in o.message for o in outcomes)
    assert len(fake.calls(TOKEN)) == 1


async def test_a_wrong_app_secret_is_not_reported_as_an_expired_authorisation() -> None:
    wrong = ok({"error": "invalid_client", "error_description": "client_id or client_secret is wrong"}, 401)
    fake = FakeGateway().on(SEARCH, EXPIRED).on(TOKEN, wrong)
    async with make_client(fake) as client:
        with pytest.raises(AuthError) as caught:
            await client.search_offers("T恤")
    assert AUTHORISATION_EXPIRED not in caught.value.message
    assert "[invalid_client]" in caught.value.message


class Unreachable:
    """A token source whose database is down."""

    def __init__(self) -> None:
        self.loads = 0

    async def load(self) -> TokenSet | None:
        self.loads += 1
        raise OSError("connection refused")

    async def save(self, tokens: TokenSet) -> TokenSet:
        raise OSError("connection refused")


async def test_an_unreachable_source_is_logged_once_and_the_tokens_in_memory_are_used(caplog) -> None:
    source = Unreachable()
    fake = FakeGateway().on(SEARCH, accepting(ACCESS_TOKEN))
    async with make_client(fake, token_source=source) as client:
        for _ in range(3):
            await client.search_offers("T恤")
    assert source.loads == 3
    warnings = [r for r in caplog.records if "stored 1688 tokens cannot be read" in r.getMessage()]
    assert len(warnings) == 1


async def test_without_any_token_a_call_fails_before_it_is_sent() -> None:
    fake = FakeGateway().on(SEARCH, accepting(ACCESS_TOKEN))
    async with make_client(fake, access_token=None, refresh_token=None, token_source=MemoryTokenSource()) as client:
        with pytest.raises(AuthError, match="authorisation expired"):
            await client.search_offers("T恤")
    assert fake.sent == []


async def test_a_code_is_exchanged_over_http_1_unsigned_and_a_refusal_keeps_the_platform_reason() -> None:
    issued = {"access_token": "code-access-token-1", "expires_in": "36000", "refresh_token": "code-refresh-1",
              "refresh_token_timeout": "20270526174405000+0800", "memberId": "b2b-buyer0001", "aliId": "22"}
    fake = FakeGateway().on(TOKEN, ok(issued), ok({"error": "invalid_grant",
                                                   "error_description": "code SIM-CODE-77 is invalid or expired"}, 400))
    async with make_client(fake, access_token=None, refresh_token=None) as client:
        tokens = await client.exchange_code("SIM-CODE-76", "https://buyer.example.com/1688/callback")
        assert client.access_token.get_secret_value() == "code-access-token-1"
        with pytest.raises(AuthError) as caught:
            await client.exchange_code("SIM-CODE-77", "https://buyer.example.com/1688/callback")
    sent = fake.calls(TOKEN)[0]
    assert sent.request.url.path == f"/openapi/http/1/system.oauth2/getToken/{APP_KEY}"
    assert sent.form == {"grant_type": "authorization_code", "need_refresh_token": "true", "client_id": APP_KEY,
                         "client_secret": APP_SECRET, "redirect_uri": "https://buyer.example.com/1688/callback",
                         "code": "SIM-CODE-76"}
    assert tokens.member_id == "b2b-buyer0001" and tokens.refresh_token is not None
    assert tokens.refresh_token_expires_at is not None and tokens.refresh_token_expires_at.year == 2027
    assert caught.value.code == "invalid_grant"
    assert "SIM-CODE-77" not in str(caught.value)  # the code is a credential: scrubbed like tokens


# --- against the simulator, with the PostgreSQL store -------------------------------------------


@dataclass
class Gateway:
    simulator: Simulator
    transport: httpx.ASGITransport
    admin: httpx.AsyncClient

    async def post(self, what: str, body: dict[str, Any]) -> Any:
        response = await self.admin.post(f"/_sim/{what}", json=body)
        response.raise_for_status()
        return response.json()

    async def token_calls(self) -> int:
        calls = (await self.admin.get("/_sim/calls")).json()
        return sum(1 for call in calls if call["api"] == TOKEN)

    def client(self, pool: Any, **kwargs: Any) -> Alibaba1688Client:
        cipher = TokenCipher.for_app(SecretStr(APP["app_secret"]))
        return Alibaba1688Client(
            "http://sim/openapi/", APP["app_key"], APP["app_secret"], APP["access_token"], APP["refresh_token"],
            transport=self.transport, token_source=CredentialStore(pool, APP["app_key"], cipher), **kwargs,
        )


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    simulator = Simulator(parse_catalog(CATALOG), clock=SimClock.frozen())
    transport = httpx.ASGITransport(app=simulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as admin:
        yield Gateway(simulator, transport, admin)


async def test_two_workers_share_one_refresh_through_postgresql(gateway, db_pool) -> None:
    async with gateway.client(db_pool) as first, gateway.client(db_pool) as second:
        await first.search_offers("纯棉T恤")  # seeds the store with the environment's tokens
        await gateway.post("tokens/expire", {})
        await first.search_offers("纯棉T恤")  # 401, refresh, written back
        await second.search_offers("纯棉T恤")  # reads the refreshed tokens: no 401, no refresh
        assert second.access_token.get_secret_value() == first.access_token.get_secret_value() != APP["access_token"]
    calls = [(c["api"], c["outcome"]) for c in (await gateway.admin.get("/_sim/calls")).json()]
    assert calls == [(SEARCH, "ok"), (SEARCH, "gateway_error"), (TOKEN, "ok"), (SEARCH, "ok"), (SEARCH, "ok")]
    row = await db_pool.fetchrow("SELECT version, obtained_by FROM api_tokens WHERE app_key = $1", APP["app_key"])
    assert (row["version"], row["obtained_by"]) == (2, "refresh")


async def test_a_dead_refresh_token_then_new_tokens_in_the_store(gateway, db_pool, caplog) -> None:
    clock = Clock()
    async with gateway.client(db_pool, clock=clock) as client:
        await client.search_offers("纯棉T恤")
        await gateway.post("tokens/expire", {"refresh": True})
        for _ in range(3):
            with pytest.raises(AuthError, match="1688 authorisation expired: run `procure authorize`"):
                await client.get_offer_detail("610000000001")
        outcomes = await asyncio.gather(*(client.search_offers("纯棉T恤") for _ in range(5)), return_exceptions=True)
        assert all(isinstance(o, AuthError) for o in outcomes)
        assert await gateway.token_calls() == 1
        assert len(expiry_errors(caplog)) == 1

        clock.now += 61
        with pytest.raises(AuthError, match="authorisation expired"):
            await client.search_offers("纯棉T恤")
        assert await gateway.token_calls() == 2
        assert len(expiry_errors(caplog)) == 1

        # Someone authorises again (`procure authorize` over HTTP is tested in tests/starter).
        code = (await gateway.post("tokens/code", {}))["code"]
        async with Alibaba1688Client("http://sim/openapi/", APP["app_key"], APP["app_secret"], None,
                                     transport=gateway.transport) as authorizing:
            issued = await authorizing.exchange_code(code, "http://127.0.0.1/1688/authorized")
        cipher = TokenCipher.for_app(SecretStr(APP["app_secret"]))
        await CredentialStore(db_pool, APP["app_key"], cipher).replace(issued)

        page = await client.search_offers("纯棉T恤")  # the same client, still inside its back-off
        assert page.total_records == 3
        assert client.tokens.version == 2
