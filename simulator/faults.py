"""Fault injection: latency, 5xx, throttling, and a reply lost after the change was committed.

The lost reply is the fault that matters most: the order or payment exists, but the caller cannot
know it. In-process (``httpx.ASGITransport``) the app raises :class:`LostReply`, a subclass of
``httpx.ReadTimeout``, so a client sees exactly the exception a real timeout gives it. Over real
HTTP the same raise happens after the status line was sent, so uvicorn drops the connection
mid-response and the client gets ``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import random
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(default=0, ge=0, le=120_000)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    throttle_rate: float = Field(default=0.0, ge=0, le=1)
    # apiName -> how many of its next successful calls lose their reply after committing.
    lost_reply: dict[str, int] = Field(default_factory=dict)
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

    def describe(self) -> dict[str, Any]:
        data = self.settings.model_dump()
        data["lost_reply"] = dict(self._lost_left)
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


class LostReplyResponse(Response):
    """Starts the response, then fails: the committed result never reaches the caller."""

    def __init__(self, api: str) -> None:
        super().__init__(content=b'{"lost": true}', media_type="application/json")
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raise LostReply(self.api)
