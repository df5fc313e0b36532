"""Local stand-ins for the WeCom, DingTalk and Feishu group robots and for an SMTP server.

Each robot checks what the real one checks, written from the platforms' published docs (not from
our sender): DingTalk's `timestamp`/`sign` query (HMAC-SHA256 keyed by the secret over
"timestamp\\nsecret", base64, url-encoded), Feishu's `timestamp`/`sign` body fields (HMAC-SHA256
keyed by "timestamp\\nsecret" over nothing, base64), WeCom's `key` query. A message that fails the
check is refused with the platform's error reply and not recorded. `dead` makes a robot answer 500.

Sources (the platforms' robot pages): DingTalk https://open.dingtalk.com/document/robots/customize-robot-security-settings
(加签; reply `{"errcode": 310000, "errmsg": "sign not match"}`), Feishu
https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot (签名校验; reply code 19021 "sign match
fail or timestamp is not within one hour from current time"; success `{"code": 0, "msg": "success"}`),
WeCom https://developer.work.weixin.qq.com/document/path/91770 (群机器人; `{"errcode": 0, "errmsg": "ok"}`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain.notifications import NotificationRoutes
from ports import free_port

WECOM_KEY = "wecom-key-0f3c"
DINGTALK_TOKEN = "ding-token-77aa"
DINGTALK_SECRET = "SECdingtalk-secret-5c1e"
FEISHU_SECRET = "feishu-secret-9d2b"


@dataclass
class Robots:
    base_url: str
    received: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"wecom": [], "dingtalk": [], "feishu": []})
    refused: list[str] = field(default_factory=list)
    dead: set[str] = field(default_factory=set)
    calls: dict[str, int] = field(default_factory=lambda: {"wecom": 0, "dingtalk": 0, "feishu": 0})


def _app(robots: Robots) -> Starlette:
    async def wecom(request: Request) -> JSONResponse:
        robots.calls["wecom"] += 1
        if "wecom" in robots.dead:
            return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=500)
        if request.query_params.get("key") != WECOM_KEY:
            robots.refused.append("wecom: bad key")
            return JSONResponse({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        if body.get("msgtype") not in ("text", "markdown") or not body.get(body["msgtype"], {}).get("content"):
            robots.refused.append("wecom: bad body")
            return JSONResponse({"errcode": 40008, "errmsg": "invalid message type"})
        robots.received["wecom"].append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def dingtalk(request: Request) -> JSONResponse:
        robots.calls["dingtalk"] += 1
        if "dingtalk" in robots.dead:
            return JSONResponse({"errcode": -1}, status_code=500)
        q = request.query_params
        timestamp, sign = q.get("timestamp", ""), q.get("sign", "")
        expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                                             hashlib.sha256).digest()).decode()
        # Starlette has already url-decoded the query: `sign` must equal the plain base64 value.
        fresh = timestamp.isdigit() and abs(int(timestamp) - time.time() * 1000) < 3600_000
        if q.get("access_token") != DINGTALK_TOKEN or sign != expected or not fresh:
            robots.refused.append("dingtalk: sign not match")
            return JSONResponse({"errcode": 310000, "errmsg": "sign not match"})
        body = await request.json()
        if body.get("msgtype") == "markdown" and not (body["markdown"].get("title") and body["markdown"].get("text")):
            robots.refused.append("dingtalk: bad markdown")
            return JSONResponse({"errcode": 40035, "errmsg": "missing parameter"})
        robots.received["dingtalk"].append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    async def feishu(request: Request) -> JSONResponse:
        robots.calls["feishu"] += 1
        if "feishu" in robots.dead:
            return JSONResponse({"code": -1}, status_code=500)
        body = await request.json()
        timestamp = str(body.get("timestamp", ""))
        expected = base64.b64encode(hmac.new(f"{timestamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 3600
        if body.get("sign") != expected or not fresh:
            robots.refused.append("feishu: sign match fail")
            return JSONResponse({"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
        if body.get("msg_type") != "text" or not body.get("content", {}).get("text"):
            robots.refused.append("feishu: bad body")
            return JSONResponse({"code": 9499, "msg": "Bad Request"})
        robots.received["feishu"].append(body)
        return JSONResponse({"code": 0, "msg": "success", "data": {}})

    return Starlette(routes=[
        Route("/cgi-bin/webhook/send", wecom, methods=["POST"]),
        Route("/robot/send", dingtalk, methods=["POST"]),
        Route("/open-apis/bot/v2/hook/{hook}", feishu, methods=["POST"]),
    ])


@contextlib.asynccontextmanager
async def robot_receivers() -> AsyncIterator[Robots]:
    port = free_port()
    robots = Robots(base_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(_app(robots), host="127.0.0.1", port=port, log_level="warning"))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 10
    while not server.started:
        if task.done():
            task.result()
        assert asyncio.get_running_loop().time() < deadline, "robot receivers did not start"
        await asyncio.sleep(0.01)
    try:
        yield robots
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server():
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, mailbox
    finally:
        controller.stop()


def routes_for(robots: Robots, smtp_host: str, smtp_port: int, **extra) -> NotificationRoutes:
    base = robots.base_url
    return NotificationRoutes.model_validate({
        "channels": {
            "buyers-wecom": {"kind": "wecom", "url": f"{base}/cgi-bin/webhook/send?key={WECOM_KEY}"},
            "ops-dingtalk": {"kind": "dingtalk", "url": f"{base}/robot/send?access_token={DINGTALK_TOKEN}",
                             "secret": DINGTALK_SECRET},
            "store-feishu": {"kind": "feishu", "url": f"{base}/open-apis/bot/v2/hook/abc", "secret": FEISHU_SECRET},
            "buyer-mail": {"kind": "email", "smtp_host": smtp_host, "smtp_port": smtp_port,
                           "from": "procure@example.com", "to": ["buyer@example.com"]},
        },
        "routes": [
            {"events": ["*"], "channels": ["ops-dingtalk"]},
            {"events": ["signed_for", "finished"], "requesters": ["store-17"], "channels": ["buyers-wecom", "buyer-mail"]},
            {"events": ["qc_waiting", "qc_escalated", "signed_for"], "channels": ["store-feishu"]},
        ],
        "alert_channels": ["ops-dingtalk", "buyer-mail"],
        "first_retry_seconds": 0.05, "max_retry_seconds": 0.2, **extra,
    })
