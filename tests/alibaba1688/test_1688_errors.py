"""Every gateway and business code maps to its typed error; HTTP status never hides the body."""

from __future__ import annotations

import json

import pytest

from alibaba1688 import errors
from alibaba1688.envelope import decode, unwrap_bare, unwrap_nested, unwrap_top_level

API = "com.example:some.api"


def gateway_body(code: str, message: str = "refused") -> bytes:
    return json.dumps(
        {"error_code": code, "error_message": message, "exception": message, "request_id": "r1"}
    ).encode()


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"),
    [
        ("gw.SignatureInvalid", 400, errors.SignatureError, False),
        ("gw.AppKeyNotFound", 400, errors.AppKeyNotFoundError, False),
        ("gw.APIUnsupported", 400, errors.ApiUnsupportedError, False),
        ("gw.APIACLDecline", 400, errors.AclError, False),
        ("gw.ParamMissing", 400, errors.ParamMissingError, False),
        ("401", 401, errors.AuthError, False),
        ("gw.QosAppFrequencyLimit", 400, errors.ThrottledError, True),
        ("gw.QosAPIFrequencyLimit", 400, errors.ThrottledError, True),
        ("gw.NoUsageLeftError", 400, errors.QuotaExhaustedError, False),
        ("gw.SomethingNew", 400, errors.GatewayError, False),
    ],
)
def test_gateway_codes(code: str, status: int, cls: type, retryable: bool) -> None:
    with pytest.raises(cls) as caught:
        decode(API, status, gateway_body(code))
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, errors.GatewayError)
    assert (error.code, error.api, error.retryable) == (code, API, retryable)
    assert error.request_id == "r1"
    assert error.http_status == status


@pytest.mark.parametrize("status", [200, 400, 401, 500])
def test_gateway_error_in_any_status_is_read_from_the_body(status: int) -> None:
    with pytest.raises(errors.AuthError):
        decode(API, status, gateway_body("401", "Request need user authorized"))


def test_throttled_carries_a_suggested_delay() -> None:
    with pytest.raises(errors.ThrottledError) as default:
        decode(API, 400, gateway_body("gw.QosAPIFrequencyLimit"))
    assert default.value.retry_after == errors.ThrottledError.default_delay > 0
    with pytest.raises(errors.ThrottledError) as told:
        decode(API, 429, gateway_body("gw.QosAppFrequencyLimit"), {"retry-after": "2.5"})
    assert told.value.retry_after == 2.5


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        ("500_004", errors.OutOfStockError, False),
        ("500_005", errors.BelowMinimumOrderError, False),
        ("500_006", errors.MixedBatchNotMetError, False),
        ("500_2", errors.NotShippedError, False),
        ("ORDER_NOT_EXIST", errors.OrderNotFoundError, False),
        ("ORDER_STATUS_ERROR", errors.OrderStatusError, False),
        ("CLOSE_ORDER_TOO_FAST", errors.CloseOrderTooFastError, True),
        ("400_3", errors.NotPermittedError, False),
        ("SOME_NEW_CODE", errors.BusinessError, False),
    ],
)
def test_business_codes_in_both_envelopes(code: str, cls: type, retryable: bool) -> None:
    top = {"success": False, "errorCode": code, "errorMessage": "no"}
    with pytest.raises(cls) as caught:
        unwrap_top_level(API, top)
    assert (caught.value.code, caught.value.retryable, caught.value.api) == (code, retryable, API)
    assert isinstance(caught.value, errors.BusinessError)

    nested = {"result": {"success": False, "code": code, "message": "no", "result": None}}
    with pytest.raises(cls):
        unwrap_nested(API, nested)


def test_close_too_fast_suggests_waiting_ten_seconds() -> None:
    with pytest.raises(errors.CloseOrderTooFastError) as caught:
        unwrap_top_level(API, {"success": False, "errorCode": "CLOSE_ORDER_TOO_FAST"})
    assert caught.value.retry_after == 10.0


def test_success_flags_as_strings_and_missing() -> None:
    assert unwrap_top_level(API, {"success": "true", "result": 1})["result"] == 1
    assert unwrap_top_level(API, {"result": 1})["result"] == 1
    with pytest.raises(errors.OrderStatusError):
        unwrap_top_level(API, {"success": "false", "errorCode": "ORDER_STATUS_ERROR"})
    with pytest.raises(errors.OrderStatusError):
        unwrap_top_level(API, {"errorCode": "ORDER_STATUS_ERROR", "errorMsg": "no"})
    assert unwrap_nested(API, {"result": {"success": "true", "code": "200", "result": [1]}}) == [1]


def test_business_error_sent_with_http_error_status() -> None:
    body = json.dumps({"success": False, "errorCode": "500_004", "errorMessage": "stock"})
    with pytest.raises(errors.OutOfStockError) as caught:
        decode(API, 400, body.encode())
    assert caught.value.http_status == 400


def test_oauth_error_shape_is_an_auth_error() -> None:
    body = json.dumps({"error": "invalid_grant", "error_description": "refresh token expired"})
    with pytest.raises(errors.AuthError) as caught:
        decode("system.oauth2:getToken", 400, body.encode())
    assert caught.value.code == "invalid_grant"
    assert "refresh token expired" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "content", "cls"),
    [
        (200, b'{"result": {"success": true, "res', errors.MalformedReplyError),
        (200, b"<html><body>502 Bad Gateway</body></html>", errors.MalformedReplyError),
        (200, b"", errors.MalformedReplyError),
        (200, b"\xff\xfe not utf-8", errors.MalformedReplyError),
        (502, b"<html><body>502 Bad Gateway</body></html>", errors.ServerError),
        (503, b"{}", errors.ServerError),
        (404, b"<html>not found</html>", errors.GatewayError),
    ],
)
def test_unreadable_or_failed_http(status: int, content: bytes, cls: type) -> None:
    with pytest.raises(cls) as caught:
        decode(API, status, content)
    assert type(caught.value) is cls
    if cls is not errors.GatewayError:
        assert caught.value.retryable
        assert caught.value.outcome_unknown


@pytest.mark.parametrize(
    "body", [[1, 2], "text", 3, None, {"result": "x"}, {"result": {"result": {}}}]
)
def test_wrong_envelope_is_malformed_not_a_crash(body: object) -> None:
    with pytest.raises(errors.MalformedReplyError) as caught:
        unwrap_nested(API, body)
    assert caught.value.retryable is False  # JSON that breaks the schema will not improve


@pytest.mark.parametrize("body", [[1], "x", None])
def test_top_level_and_bare_need_objects(body: object) -> None:
    with pytest.raises(errors.MalformedReplyError):
        unwrap_top_level(API, body)
    with pytest.raises(errors.MalformedReplyError):
        unwrap_bare(API, body)


def test_amounts_are_decoded_as_decimals_and_big_ids_stay_exact() -> None:
    body = decode(API, 200, b'{"price": 45.10, "orderId": 4384510372349654911}')
    assert str(body["price"]) == "45.10"
    assert body["orderId"] == 4384510372349654911


def test_every_error_has_one_base_and_readable_text() -> None:
    error = errors.OutOfStockError("only 3 left", api=API)
    assert isinstance(error, errors.Alibaba1688Error)
    assert str(error) == f"{API}: [500_004] only 3 left"
    assert "OutOfStockError" in repr(error)
