"""A scripted stand-in for the gateway (``httpx.MockTransport``) for unit-level client tests.

Replies are queued per API name; the last reply of a queue repeats. Every request is kept with
its parsed form, so a test can check exactly what went on the wire.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from alibaba1688 import Alibaba1688Client, CallRecord

APP_KEY = "1000000"
APP_SECRET = "test-secret-value-123"
ACCESS_TOKEN = "access-token-abc-987"
REFRESH_TOKEN = "refresh-token-xyz-654"
GATEWAY = "https://gw.example.test/openapi/"

Reply = httpx.Response | Callable[[httpx.Request], Any] | Exception


def ok(payload: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def raw(content: bytes | str, status: int = 200, content_type: str = "text/html") -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return httpx.Response(status, content=data, headers={"Content-Type": content_type})


def gateway_error(code: str, message: str = "refused", status: int = 400) -> httpx.Response:
    return ok(
        {"error_code": code, "error_message": message, "exception": message, "request_id": "rq"},
        status,
    )


def nested(result: Any) -> dict[str, Any]:
    return {"result": {"success": True, "code": "200", "message": "成功", "result": result}}


def nested_error(code: str, message: str = "no") -> dict[str, Any]:
    return {"result": {"success": False, "code": code, "message": message, "result": None}}


@dataclass
class Sent:
    request: httpx.Request
    api: str
    form: dict[str, str]


@dataclass
class FakeGateway:
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)

    def on(self, api_name: str, *replies: Reply) -> FakeGateway:
        self.replies.setdefault(api_name, []).extend(replies)
        return self

    async def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        api_name = parts[-2]
        form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        self.sent.append(Sent(request, api_name, form))
        queue = self.replies.get(api_name)
        if not queue:
            return gateway_error("gw.APIUnsupported", f"no reply scripted for {api_name}")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            outcome = reply(request)
            return await outcome if inspect.isawaitable(outcome) else outcome
        return reply

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls(self, api_name: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.api == api_name]


def make_client(fake: FakeGateway, **kwargs: Any) -> Alibaba1688Client:
    options: dict[str, Any] = {
        "gateway_url": GATEWAY,
        "app_key": APP_KEY,
        "app_secret": APP_SECRET,
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "transport": fake.transport,
    }
    options.update(kwargs)
    return Alibaba1688Client(**options)


class Recorder:
    """An ``on_call`` hook that keeps the records."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def __call__(self, record: CallRecord) -> None:
        self.records.append(record)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
