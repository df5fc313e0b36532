"""Reading a gateway reply: gateway errors first, then one of the three business shapes.

1688 has no common result envelope (1688-PROTOCOL.md, section 4):

- gateway errors: ``{"error_code", "error_message", "exception", "request_id"}``, usually with HTTP
  400/401 but sometimes with 2xx, so the body is always checked;
- top-level: ``{"success", "errorCode", "errorMessage", ...payload}`` (trade, logistics);
- nested: ``{"result": {"success", "code", "message", "result": payload}}`` (search, detail,
  freight);
- bare objects (tokens, some profile APIs).

Each function here either returns the payload or raises a typed :mod:`errors` class; a body that is
not JSON, or not the promised shape, is a :class:`MalformedReplyError`, never a ``KeyError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import (
    Alibaba1688Error,
    AuthError,
    GatewayError,
    MalformedReplyError,
    ServerError,
    ThrottledError,
    error_for,
)


def _preview(content: bytes) -> str:
    """A short, printable hint of what came back, for error messages (never the request)."""
    text = content[:80].decode("utf-8", errors="replace").replace("\n", " ").strip()
    return text + ("..." if len(content) > 80 else "")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _flag(value: Any) -> bool | None:
    """``success`` arrives as a JSON boolean or as the strings ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def decode(
    api: str, status: int, content: bytes, headers: Mapping[str, str] | None = None
) -> Any:
    """Parse a reply body and raise for gateway errors and HTTP failures.

    Floats are read as :class:`~decimal.Decimal` so no amount ever passes through binary
    floating point; integers stay exact (order ids exceed 2^53).
    """
    headers = headers or {}
    try:
        body = json.loads(content.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        if status >= 400:
            raise _http_error(api, status, content, headers) from None
        raise MalformedReplyError(
            f"HTTP {status}, reply is not JSON: {_preview(content)!r}",
            api=api,
            http_status=status,
            outcome_unknown=True,
            retryable=True,
        ) from None

    if isinstance(body, dict):
        gateway_code = body.get("error_code")
        if gateway_code not in (None, ""):
            raise error_for(
                _text(gateway_code),
                _text(body.get("error_message")),
                api=api,
                gateway=True,
                http_status=status,
                request_id=_text(body.get("request_id")) or None,
                retry_after=_retry_after(headers),
            )
        oauth_error = body.get("error")
        if isinstance(oauth_error, str) and oauth_error:
            # The OAuth endpoint answers RFC 6749 style: {"error", "error_description"}.
            raise AuthError(
                _text(body.get("error_description")) or oauth_error,
                api=api,
                code=oauth_error,
                http_status=status,
            )

    if status >= 400 and isinstance(body, dict):
        # A business refusal sent with an HTTP error status is still a business refusal.
        inner = body.get("result")
        for container in (body, inner if isinstance(inner, dict) else {}):
            if container.get("errorCode") or (
                _flag(container.get("success")) is False and container.get("code")
            ):
                raise _business_error(api, container, status)
    if status >= 400:
        raise _http_error(api, status, content, headers)
    return body


def _http_error(
    api: str, status: int, content: bytes, headers: Mapping[str, str]
) -> Alibaba1688Error:
    """An HTTP failure whose body names no platform code (a proxy's page, an empty body)."""
    hint = f"HTTP {status} without an error code: {_preview(content)!r}"
    if status >= 500:
        return ServerError(hint, api=api, http_status=status, outcome_unknown=True)
    if status == 429:
        return ThrottledError(
            hint, api=api, code="http_429", http_status=status, retry_after=_retry_after(headers)
        )
    return GatewayError(hint, api=api, code=f"http_{status}", http_status=status)


def _business_error(api: str, container: Mapping[str, Any], status: int) -> Alibaba1688Error:
    code = _text(container.get("errorCode") or container.get("code") or "unknown")
    message = _text(
        container.get("errorMessage")
        or container.get("errorMsg")
        or container.get("erroMsg")  # sic, alibaba.alipay.url.get
        or container.get("message")
        or container.get("errorInfo")
    )
    return error_for(code, message, api=api, http_status=status)


def malformed(api: str, why: str, status: int | None = None) -> MalformedReplyError:
    """A reply that is JSON but not the shape the API promises: asking again will not help."""
    return MalformedReplyError(
        why, api=api, http_status=status, outcome_unknown=True, retryable=False
    )


def unwrap_top_level(api: str, body: Any, status: int = 200) -> dict[str, Any]:
    """``{"success", "errorCode", "errorMessage", ...}``: the body itself, once it says success.

    A reply with an ``errorCode`` and no ``success`` flag is an error too; one with neither is
    taken as success (several trade APIs omit the flag when all went well).
    """
    if not isinstance(body, dict):
        raise malformed(api, f"expected a JSON object, got {type(body).__name__}", status)
    success = _flag(body.get("success"))
    if success is False or (success is None and body.get("errorCode") not in (None, "")):
        raise _business_error(api, body, status)
    if success is None and body.get("success") is not None:
        raise malformed(api, "'success' is neither true nor false", status)
    return body


def unwrap_nested(api: str, body: Any, status: int = 200) -> Any:
    """``{"result": {"success", "code", "message", "result": payload}}``: the inner payload."""
    if not isinstance(body, dict):
        raise malformed(api, f"expected a JSON object, got {type(body).__name__}", status)
    outer = body.get("result")
    if not isinstance(outer, dict):
        # Some failures come back flat even on nested APIs.
        if _flag(body.get("success")) is False or body.get("errorCode"):
            raise _business_error(api, body, status)
        raise malformed(api, "missing the 'result' envelope", status)
    success = _flag(outer.get("success"))
    if success is False:
        raise _business_error(api, outer, status)
    if success is None:
        raise malformed(api, "the 'result' envelope has no 'success' flag", status)
    return outer.get("result")


def unwrap_bare(api: str, body: Any, status: int = 200) -> dict[str, Any]:
    """A bare object: only checked to be an object."""
    if not isinstance(body, dict):
        raise malformed(api, f"expected a JSON object, got {type(body).__name__}", status)
    return body
