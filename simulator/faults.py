"""Fault injection: latency, 5xx, throttling, a reply lost after the change was committed, and a
reply that arrives malformed (truncated JSON, an HTML page, wrong types, a missing payload).

The lost reply is the fault that matters most: the order or payment exists, but the caller cannot
know it. In-process (``httpx.ASGITransport``) the app raises :class:`LostReply`, a subclass of
``httpx.ReadTimeout``, so a client sees exactly the exception a real timeout gives it. Over real
HTTP the same raise happens after the status line was sent, so uvicorn drops the connection
mid-response and the client gets ``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import json
import random
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

MalformedKind = Literal["truncated", "html", "wrong_type", "missing_field"]


def _count_or_spec(value: Any) -> Any:
    # `{"apiName": 2}` is short for `{"apiName": {"count": 2}}` (truncated), as lost_reply reads.
    if isinstance(value, int) and not isinstance(value, bool):
        return {"count": value}
    return value


class MalformedSpec(BaseModel):
    """How the next ``count`` replies of one API are spoiled (their change, if any, still commits)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: MalformedKind = "truncated"
    count: int = Field(default=1, ge=0, le=1_000_000)


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(default=0, ge=0, le=120_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    # apiName -> how many of its next successful calls lose their reply after committing.
    lost_reply: dict[str, int] = Field(default_factory=dict)
    # apiName -> the next replies of that API that arrive malformed (see MalformedSpec).
    malformed: dict[str, Annotated[MalformedSpec, BeforeValidator(_count_or_spec)]] = Field(default_factory=dict)
    # Rates draw from this seed so a failing run can be repeated exactly.
    seed: int = 0


class LostReply(httpx.ReadTimeout):
    """Raised by the simulator after committing a change whose reply it was told to lose."""

    def __init__(self, api: str) -> None:
        super().__init__(f"simulated lost reply: {api} was committed but the reply never arrived")
        self.api = api


class Faults:
    """The faults in force now; mutated by ``POST /_sim/faults``."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.configure(settings or FaultSettings())

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._random = random.Random(settings.seed)
        self._lost_left = {api: n for api, n in settings.lost_reply.items() if n > 0}
        self._malformed_left = {api: spec for api, spec in settings.malformed.items() if spec.count > 0}

    def describe(self) -> dict[str, Any]:
        data = self.settings.model_dump()
        data["lost_reply"] = dict(self._lost_left)
        data["malformed"] = {api: spec.model_dump() for api, spec in self._malformed_left.items()}
        return data

    def draw_error(self) -> bool:
        return self.settings.error_rate > 0 and self._random.random() < self.settings.error_rate

    def draw_throttle(self) -> bool:
        return self.settings.throttle_rate > 0 and self._random.random() < self.settings.throttle_rate

    def take_lost_reply(self, api: str) -> bool:
        """Consume one lost reply for ``api`` if any is pending (call only after a commit)."""
        left = self._lost_left.get(api, 0)
        if left <= 0:
            return False
        if left == 1:
            del self._lost_left[api]
        else:
            self._lost_left[api] = left - 1
        return True


    def take_malformed(self, api: str, body: dict[str, Any]) -> MalformedKind | None:
        """Consume one malformed reply for ``api`` if any is pending: the kind to serve, or None.

        A reply the kind cannot spoil (``wrong_type`` on an error reply without any object member,
        such as logistics' "not shipped yet") is served as it is and does not use up the fault:
        a test that asked for one spoiled reply gets one the client can notice.
        """
        spec = self._malformed_left.get(api)
        if spec is None or not can_spoil(spec.kind, body):
            return None
        if spec.count <= 1:
            del self._malformed_left[api]
        else:
            self._malformed_left[api] = spec.model_copy(update={"count": spec.count - 1})
        return spec.kind


HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>502 Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server."
    "</p><hr><address>Tengine</address></body></html>\n"
)
_KEEP_ON_MISSING = ("success",)


def can_spoil(kind: MalformedKind, body: dict[str, Any]) -> bool:
    """Whether ``kind`` changes this reply at all."""
    if kind == "wrong_type":
        return any(isinstance(v, (dict, list)) for v in body.values())
    if kind == "missing_field":
        return any(k not in _KEEP_ON_MISSING for k in body)
    return True


def malformed_response(kind: MalformedKind, body: dict[str, Any], status: int) -> Response:
    """The reply ``body`` (with its HTTP ``status``) spoiled as ``kind`` says.

    - ``truncated``: the first half of the JSON bytes (a connection cut mid-body by a proxy);
    - ``html``: a proxy's HTML error page, sent with HTTP 200 (as captive portals and some
      misconfigured proxies do; with a 5xx status it would be an ordinary server error);
    - ``wrong_type``: every object or array member of the top-level object becomes its JSON text;
    - ``missing_field``: only the ``success`` flag is kept; the payload (``result``...) is gone.
    """
    if kind == "html":
        return Response(HTML_ERROR_PAGE, status_code=200, media_type="text/html; charset=utf-8")
    if kind == "truncated":
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return Response(raw[: max(1, len(raw) // 2)], status_code=status, media_type="application/json")
    if kind == "wrong_type":
        spoiled = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in body.items()}
    else:
        spoiled = {k: v for k, v in body.items() if k in _KEEP_ON_MISSING}
    return Response(json.dumps(spoiled, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type="application/json")


class LostReplyResponse(Response):
    """Starts the response, then fails: the committed result never reaches the caller."""

    def __init__(self, api: str) -> None:
        super().__init__(content=b'{"lost": true}', media_type="application/json")
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raise LostReply(self.api)
