"""Token lifecycle: on 401 refresh once and retry once; never loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

import samples_1688 as samples
from alibaba1688 import AuthError, TokenSet, TransportError
from alibaba1688.signing import sign
from fakes_1688 import (
    ACCESS_TOKEN,
    APP_KEY,
    APP_SECRET,
    REFRESH_TOKEN,
    FakeGateway,
    Recorder,
    gateway_error,
    make_client,
    ok,
)

SEARCH = "product.search.keywordQuery"
TOKEN = "getToken"
NEW_TOKEN = "access-token-new-111"
EXPIRED = gateway_error("401", "Request need user authorized", 401)


def token_reply(access: str = NEW_TOKEN) -> httpx.Response:
    return ok(
        {
            "access_token": access,
            "expires_in": "36000",
            "resource_owner": "buyer",
            "memberId": "b2b-buyer0001",
            "aliId": "2200000000001",
        }
    )


def only_with(token: str) -> object:
    """A search handler that accepts ``token`` and answers 401 to anything else."""

    def handle(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("access_token") == token:
            return ok(samples.search_result())
        return EXPIRED

    return handle


async def test_refresh_once_then_success() -> None:
    fake = FakeGateway().on(SEARCH, only_with(NEW_TOKEN)).on(TOKEN, token_reply())
    refreshed: list[TokenSet] = []
    recorder = Recorder()
    async with make_client(fake, on_token_refreshed=refreshed.append, on_call=recorder) as client:
        page = await client.search_offers("T恤")
        assert client.access_token.get_secret_value() == NEW_TOKEN
        assert client.tokens.refresh_token is not None
        assert client.tokens.refresh_token.get_secret_value() == REFRESH_TOKEN  # kept
        assert client.tokens.member_id == "b2b-buyer0001"
        assert client.tokens.access_token_expires_at is not None

    assert page.total_records == 1
    assert [sent.api for sent in fake.sent] == [SEARCH, TOKEN, SEARCH]
    refresh = fake.calls(TOKEN)[0]
    assert refresh.request.url.path == f"/openapi/param2/1/system.oauth2/getToken/{APP_KEY}"
    assert {k: refresh.form[k] for k in ("grant_type", "client_id", "client_secret",
                                         "refresh_token")} == {
        "grant_type": "refresh_token",
        "client_id": APP_KEY,
        "client_secret": APP_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    assert "access_token" not in refresh.form
    path = refresh.request.url.path.removeprefix("/openapi/")
    assert refresh.form["_aop_signature"] == sign(path, refresh.form, APP_SECRET)
    assert [tokens.access_token.get_secret_value() for tokens in refreshed] == [NEW_TOKEN]
    assert [(r.api, r.outcome, r.error_code) for r in recorder.records] == [
        ("com.alibaba.fenxiao.crossborder:product.search.keywordQuery", "error", "401"),
        ("system.oauth2:getToken", "ok", None),
        ("com.alibaba.fenxiao.crossborder:product.search.keywordQuery", "ok", None),
    ]


async def test_async_token_hook_is_awaited() -> None:
    fake = FakeGateway().on(SEARCH, only_with(NEW_TOKEN)).on(TOKEN, token_reply())
    seen: list[str] = []

    async def persist(tokens: TokenSet) -> None:
        await asyncio.sleep(0)
        seen.append(tokens.access_token.get_secret_value())

    async with make_client(fake, on_token_refreshed=persist) as client:
        await client.search_offers("T恤")
    assert seen == [NEW_TOKEN]


async def test_failed_refresh_does_not_loop() -> None:
    refused = ok({"error": "invalid_grant", "error_description": "refresh token expired"}, 400)
    fake = FakeGateway().on(SEARCH, EXPIRED).on(TOKEN, refused)
    async with make_client(fake) as client:
        with pytest.raises(AuthError) as caught:
            await client.search_offers("T恤")
        assert client.access_token.get_secret_value() == ACCESS_TOKEN
    assert [sent.api for sent in fake.sent] == [SEARCH, TOKEN]
    assert caught.value.message.startswith("1688 authorisation expired: run `procure authorize`")
    assert "[invalid_grant] refresh token expired" in str(caught.value)
    assert caught.value.api.endswith("product.search.keywordQuery")
    assert caught.value.code == "authorisation_expired"


async def test_still_rejected_after_refresh_does_not_loop() -> None:
    fake = FakeGateway().on(SEARCH, EXPIRED).on(TOKEN, token_reply())
    async with make_client(fake) as client:
        with pytest.raises(AuthError):
            await client.search_offers("T恤")
    assert [sent.api for sent in fake.sent] == [SEARCH, TOKEN, SEARCH]


async def test_without_refresh_token_the_401_surfaces() -> None:
    fake = FakeGateway().on(SEARCH, EXPIRED)
    async with make_client(fake, refresh_token=None) as client:
        with pytest.raises(AuthError):
            await client.search_offers("T恤")
        with pytest.raises(AuthError, match="no refresh token"):
            await client.refresh_access_token()
    assert [sent.api for sent in fake.sent] == [SEARCH]


async def test_refresh_transport_failure_stays_retryable() -> None:
    fake = FakeGateway().on(SEARCH, EXPIRED).on(TOKEN, httpx.ConnectError("refused"))
    async with make_client(fake) as client:
        with pytest.raises(TransportError) as caught:
            await client.search_offers("T恤")
    assert caught.value.retryable


async def test_concurrent_401s_share_one_refresh() -> None:
    # All five calls are rejected together, so each saw the old token: still one refresh.
    together = asyncio.Barrier(5)

    async def handle(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("access_token") == NEW_TOKEN:
            return ok(samples.search_result())
        await together.wait()
        return EXPIRED

    fake = FakeGateway().on(SEARCH, handle).on(TOKEN, token_reply())
    async with make_client(fake) as client:
        pages = await asyncio.wait_for(
            asyncio.gather(*(client.search_offers("T恤") for _ in range(5))), timeout=10
        )
    assert len(pages) == 5
    assert len(fake.calls(TOKEN)) == 1
    assert len(fake.calls(SEARCH)) == 10


async def test_known_expiry_refreshes_before_the_call() -> None:
    fake = FakeGateway().on(SEARCH, only_with(NEW_TOKEN)).on(TOKEN, token_reply())
    expired = datetime.now(UTC) - timedelta(seconds=1)
    async with make_client(fake, access_token_expires_at=expired) as client:
        await client.search_offers("T恤")
    assert [sent.api for sent in fake.sent] == [TOKEN, SEARCH]


async def test_a_fresh_token_that_is_refused_is_not_refreshed_again() -> None:
    fake = FakeGateway().on(SEARCH, EXPIRED).on(TOKEN, token_reply())
    expired = datetime.now(UTC) - timedelta(seconds=1)
    async with make_client(fake, access_token_expires_at=expired) as client:
        with pytest.raises(AuthError):
            await client.search_offers("T恤")
    assert [sent.api for sent in fake.sent] == [TOKEN, SEARCH]


async def test_explicit_refresh() -> None:
    fake = FakeGateway().on(TOKEN, token_reply("access-token-third-3"))
    async with make_client(fake) as client:
        tokens = await client.refresh_access_token()
    assert tokens.access_token.get_secret_value() == "access-token-third-3"
    assert tokens.access_token_expires_at is not None
