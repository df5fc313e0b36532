"""Gateway behaviour: signature, check order, every gateway error code, tokens, rate limit."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import httpx

from alibaba1688.signing import sign
from simulator import SimClock

from sim_support import ADDRESS, APP_KEY, Gateway, admin, demo_data, running

SEARCH = "product.search.keywordQuery"
SEARCH_PARAMS = {"offerQueryParam": {"keyword": "纯棉T恤"}}


def error_code(response: httpx.Response) -> str:
    return response.json()["error_code"]


async def test_accepts_a_correctly_signed_request(gw: Gateway) -> None:
    body = await gw.ok(SEARCH, SEARCH_PARAMS)
    assert body["result"]["success"] is True


async def test_the_official_signature_example_is_what_the_gateway_checks(gw: Gateway) -> None:
    # 1688-PROTOCOL.md section 2: the official worked example, through the shared signing code.
    assert sign("param2/1/system/currentTime/1000000", {"b": "2", "a": "1"}, "test123") == \
        "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"


async def test_rejects_a_tampered_request(gw: Gateway, http: httpx.AsyncClient) -> None:
    path, form = gw.form(SEARCH, SEARCH_PARAMS)
    form["offerQueryParam"] = form["offerQueryParam"].replace("纯棉T恤", "帆布包")
    response = await http.post(f"/openapi/{path}", data=form)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "gw.SignatureInvalid"
    assert set(body) == {"error_code", "error_message", "exception", "request_id"}


async def test_rejects_a_missing_signature_and_a_wrong_secret(gw: Gateway, http: httpx.AsyncClient) -> None:
    path, form = gw.form(SEARCH, SEARCH_PARAMS)
    del form["_aop_signature"]
    assert error_code(await http.post(f"/openapi/{path}", data=form)) == "gw.SignatureInvalid"
    wrong = Gateway(http, secret="not-the-secret")
    assert error_code(await wrong.call(SEARCH, SEARCH_PARAMS)) == "gw.SignatureInvalid"


async def test_signature_sorts_joined_name_value_strings(gw: Gateway, http: httpx.AsyncClient) -> None:
    # With "a"="2" and "a1"="x", sorting the joined strings ("a1x" < "a2") differs from sorting
    # by name ("a" < "a1"): the gateway must follow the official, joined rule.
    path, form = gw.form("alibaba.trade.getBuyerOrderList", {"a": "2", "a1": "x"})
    assert (await http.post(f"/openapi/{path}", data=form)).status_code == 200
    by_name = path + "".join(f"{k}{form[k]}" for k in sorted(form) if k != "_aop_signature")
    form["_aop_signature"] = hmac.new(b"test123", by_name.encode(), hashlib.sha1).hexdigest().upper()
    assert error_code(await http.post(f"/openapi/{path}", data=form)) == "gw.SignatureInvalid"


async def test_bad_app_key_beats_bad_signature(gw: Gateway) -> None:
    response = await Gateway(gw.http, secret="wrong").call(SEARCH, SEARCH_PARAMS, app_key="9999999")
    assert response.status_code == 400
    assert error_code(response) == "gw.AppKeyNotFound"


async def test_unsupported_api_beats_bad_signature(gw: Gateway) -> None:
    wrong = Gateway(gw.http, secret="wrong")
    assert error_code(await wrong.call("alibaba.product.search", {}, namespace="com.alibaba.product")) == \
        "gw.APIUnsupported"
    # the right name in the wrong namespace is unsupported too
    assert error_code(await gw.call("alibaba.trade.cancel", {}, namespace="com.alibaba.logistics")) == \
        "gw.APIUnsupported"


async def test_bad_signature_beats_missing_token(gw: Gateway) -> None:
    wrong = Gateway(gw.http, secret="wrong", token=None)
    assert error_code(await wrong.call(SEARCH, SEARCH_PARAMS)) == "gw.SignatureInvalid"


async def test_missing_or_unknown_token_is_401(gw: Gateway) -> None:
    for token in (None, "NOT-A-TOKEN"):
        response = await gw.call(SEARCH, SEARCH_PARAMS, token=token)
        assert response.status_code == 401
        assert response.json()["error_code"] == "401"
        assert response.json()["error_message"] == "Request need user authorized"


async def test_token_beats_acl_and_acl_beats_missing_params() -> None:
    data = demo_data()
    data["app"]["denied_apis"] = ["alibaba.trade.cancel"]
    async with running(data) as (_, gw):
        assert error_code(await gw.call("alibaba.trade.cancel", {}, token=None)) == "401"
        assert error_code(await gw.call("alibaba.trade.cancel", {})) == "gw.APIACLDecline"
        assert (await gw.call("alibaba.trade.getBuyerOrderList", {})).status_code == 200


async def test_missing_parameter(gw: Gateway) -> None:
    response = await gw.call("alibaba.trade.fastCreateOrder", {"addressParam": ADDRESS,
                                                               "cargoParamList": [{"offerId": 1, "quantity": 1}]})
    assert response.status_code == 400
    assert error_code(response) == "gw.ParamMissing"
    assert "flow" in response.json()["error_message"]


async def test_unparsable_json_parameter(gw: Gateway, http: httpx.AsyncClient) -> None:
    path, form = gw.form(SEARCH, {"offerQueryParam": "{not json"})
    response = await http.post(f"/openapi/{path}", data=form)
    assert error_code(response) == "gw.ParamInvalid"


async def test_rate_limit_is_a_sliding_window_per_app() -> None:
    data = demo_data()
    data["app"]["calls_per_minute"] = 3
    clock = SimClock.frozen()
    async with running(data, clock) as (_, gw):
        for _ in range(3):
            assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
        clock.advance(timedelta(seconds=30))
        throttled = await gw.call(SEARCH, SEARCH_PARAMS)
        assert throttled.status_code == 400 and error_code(throttled) == "gw.QosAppFrequencyLimit"
        clock.advance(timedelta(seconds=30))  # the first three calls leave the window now
        assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200


async def test_no_usage_left_is_its_own_error() -> None:
    data = demo_data()
    data["app"]["usage_quota"] = 2
    async with running(data) as (_, gw):
        assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
        assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
        assert error_code(await gw.call(SEARCH, SEARCH_PARAMS)) == "gw.NoUsageLeftError"


async def _refresh(http: httpx.AsyncClient, refresh_token: str = "TEST-REFRESH", secret: str = "test123") -> httpx.Response:
    return await http.post(f"/openapi/param2/1/system.oauth2/getToken/{APP_KEY}", data={
        "grant_type": "refresh_token", "client_id": APP_KEY, "client_secret": secret, "refresh_token": refresh_token})


async def test_expired_token_gives_401_until_refreshed(gw: Gateway, http: httpx.AsyncClient) -> None:
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
    assert (await admin(http, "tokens/expire", {}))["expired_access_tokens"] == 1
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 401
    response = await _refresh(http)
    assert response.status_code == 200
    grant = response.json()
    assert grant["expires_in"] == "36000" and grant["access_token"] != "TEST-TOKEN"
    gw.token = grant["access_token"]
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200


async def test_tokens_expire_with_the_clock(sim, gw: Gateway, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    sim.clock.advance(timedelta(hours=9, minutes=59))
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
    sim.clock.advance(timedelta(minutes=1))
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 401


async def test_refresh_errors(http: httpx.AsyncClient) -> None:
    bad_secret = await _refresh(http, secret="nope")
    assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
    bad_token = await _refresh(http, refresh_token="nope")
    assert bad_token.status_code == 400 and bad_token.json()["error"] == "invalid_grant"
    await admin(http, "tokens/expire", {"refresh": True})
    assert (await _refresh(http)).json()["error"] == "invalid_grant"


async def test_refresh_with_a_wrong_signature_is_refused(gw: Gateway, http: httpx.AsyncClient) -> None:
    form = {"grant_type": "refresh_token", "client_id": APP_KEY, "client_secret": "test123",
            "refresh_token": "TEST-REFRESH", "_aop_signature": "0" * 40}
    response = await http.post(f"/openapi/param2/1/system.oauth2/getToken/{APP_KEY}", data=form)
    assert error_code(response) == "gw.SignatureInvalid"
    form["_aop_signature"] = sign(f"param2/1/system.oauth2/getToken/{APP_KEY}", form, "test123")
    assert (await http.post(f"/openapi/param2/1/system.oauth2/getToken/{APP_KEY}", data=form)).status_code == 200


async def test_authorization_code_exchange_is_unsigned_and_single_use(gw: Gateway, http: httpx.AsyncClient) -> None:
    code = (await admin(http, "tokens/code", {}))["code"]
    form = {"grant_type": "authorization_code", "need_refresh_token": "true", "client_id": APP_KEY,
            "client_secret": "test123", "redirect_uri": "http://localhost/cb", "code": code}
    response = await http.post(f"/openapi/http/1/system.oauth2/getToken/{APP_KEY}", data=form)
    assert response.status_code == 200, response.text
    grant = response.json()
    assert grant["refresh_token"] == "TEST-REFRESH" and grant["refresh_token_timeout"].endswith("+0800")
    gw.token = grant["access_token"]
    assert (await gw.call(SEARCH, SEARCH_PARAMS)).status_code == 200
    again = await http.post(f"/openapi/http/1/system.oauth2/getToken/{APP_KEY}", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    unknown_app = await http.post("/openapi/http/1/system.oauth2/getToken/42", data=form)
    assert error_code(unknown_app) == "gw.AppKeyNotFound"


async def test_calls_are_logged_with_outcome_and_error_code(gw: Gateway, http: httpx.AsyncClient) -> None:
    await gw.call(SEARCH, SEARCH_PARAMS)
    await gw.call(SEARCH, SEARCH_PARAMS, token=None)
    await gw.ok("alibaba.trade.cancel", {"webSite": "1688", "tradeID": "1", "cancelReason": "other"})
    calls = await admin(http, "calls")
    assert [(c["api"], c["outcome"], c["error_code"]) for c in calls] == [
        (SEARCH, "ok", None),
        (SEARCH, "gateway_error", "401"),
        ("alibaba.trade.cancel", "business_error", "ORDER_NOT_FOUND"),
    ]


async def test_routes_without_the_openapi_prefix(gw: Gateway, http: httpx.AsyncClient) -> None:
    path, form = gw.form(SEARCH, SEARCH_PARAMS)
    assert (await http.post(f"/{path}", data=form)).status_code == 200
