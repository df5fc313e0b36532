"""One signed exchange with the gateway: encode, sign, POST, time, read, record.

:class:`Gateway` knows the wire (form body, signature, timestamps, error mapping) and the
audit hook, and nothing about individual APIs or tokens; the client above it does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import ValidationError

from .apis import Api
from .audit import CallRecord, OnCall, redact_params
from .envelope import decode, malformed
from .errors import Alibaba1688Error, TransportError
from .signing import SIGNATURE_PARAM, encode_params, sign

log = logging.getLogger(__name__)

T = TypeVar("T")

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"

#: Reads a decoded body (and the HTTP status) into the API's result, or raises a typed error.
Reader = Callable[[Any, int], T]

# Connection-level failures where the request certainly never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def describe_validation_error(exc: ValidationError) -> str:
    """Where a reply broke its schema, without echoing the reply's values (they may be tokens)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False)[:5]:
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


class Gateway:
    """Signed POSTs to ``{gateway_url}{protocol}/{version}/{namespace}/{name}/{appKey}``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        app_key: str,
        app_secret: str,
        *,
        on_call: OnCall | None = None,
        scrub: Callable[[str], str] = lambda text: text,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._app_key = app_key
        self._app_secret = app_secret
        self._on_call = on_call
        self._scrub = scrub
        self._clock = clock

    def form(
        self, api: Api, params: Mapping[str, Any], *, access_token: str | None
    ) -> dict[str, str]:
        """The exact form fields to send: encoded once, then signed over those very strings."""
        fields = encode_params(params)
        if access_token:
            fields["access_token"] = access_token
        if api.signed:
            fields["_aop_timestamp"] = str(int(self._clock() * 1000))
            fields[SIGNATURE_PARAM] = sign(api.url_path(self._app_key), fields, self._app_secret)
        return fields

    async def call(
        self,
        api: Api,
        params: Mapping[str, Any],
        read: Reader[T],
        *,
        access_token: str | None,
    ) -> T:
        """POST one call and read its reply; every outcome is reported to ``on_call``."""
        fields = self.form(api, params, access_token=access_token)
        started = time.perf_counter()
        try:
            status, result, failure = await self._exchange(api, fields, read)
        except BaseException as exc:  # cancellation, or a bug: still audited, then re-raised
            await self._record(api, fields, None, exc, started)
            raise
        await self._record(api, fields, status, failure, started)
        if failure is not None:
            raise failure
        return result  # type: ignore[return-value]

    async def _exchange(
        self, api: Api, fields: Mapping[str, str], read: Reader[T]
    ) -> tuple[int | None, T | None, Alibaba1688Error | None]:
        """The HTTP round trip; a failure is returned, not raised, so it carries no context.

        httpx exceptions hold the request (and so the signed form body with the token), and
        validation errors hold the reply's values: neither may ride along on our errors.
        """
        try:
            response = await self._http.post(
                api.url_path(self._app_key),
                content=urlencode(fields).encode("utf-8"),
                headers={"Content-Type": FORM_CONTENT_TYPE, "Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            return None, None, self._clean(
                TransportError(
                    f"{type(exc).__name__}: {exc}".rstrip(": "),
                    api=api.key,
                    code="timeout" if isinstance(exc, httpx.TimeoutException) else "transport",
                    outcome_unknown=not isinstance(exc, _NOT_SENT),
                )
            )
        status = response.status_code
        try:
            decoded = decode(api.key, status, response.content, response.headers)
            return status, read(decoded, status), None
        except Alibaba1688Error as exc:
            return status, None, self._clean(exc)
        except ValidationError as exc:
            why = "reply breaks the API's schema: " + describe_validation_error(exc)
            return status, None, self._clean(malformed(api.key, why, status))
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            why = f"reply is not the promised shape ({type(exc).__name__})"
            return status, None, self._clean(malformed(api.key, why, status))

    def _clean(self, exc: Alibaba1688Error) -> Alibaba1688Error:
        """Scrub secrets out of the message and cut the exception chain."""
        exc.__cause__ = None
        exc.__context__ = None
        exc.__suppress_context__ = True
        clean = self._scrub(exc.message)
        if clean != exc.message:
            exc.message = clean
            exc.args = (clean,)
        return exc

    async def _record(
        self,
        api: Api,
        fields: Mapping[str, str],
        status: int | None,
        failure: BaseException | None,
        started: float,
    ) -> None:
        typed = failure if isinstance(failure, Alibaba1688Error) else None
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        log.debug(
            "1688 %s -> %s%s in %.0f ms",
            api.key,
            "ok" if failure is None else "error",
            f" [{typed.code}]" if typed is not None else "",
            latency_ms,
        )
        if self._on_call is None:
            return
        record = CallRecord(
            api=api.key,
            params_redacted=redact_params(fields),
            outcome="error" if failure is not None else "ok",
            error_code=typed.code if typed is not None else None,
            error_type=type(failure).__name__ if failure is not None else None,
            retryable=typed.retryable if typed is not None else None,
            http_status=status,
            latency_ms=latency_ms,
            request_id=typed.request_id if typed is not None else None,
        )
        try:
            await self._on_call(record)
        except Exception:  # noqa: BLE001 - an audit hook must never lose the call's result
            log.warning("on_call hook failed for %s", api.key, exc_info=True)
