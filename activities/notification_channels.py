"""The channels a notification travels on: WeCom, DingTalk and Feishu group robots, and e-mail.

Formats and signing as the platforms publish them:
- WeCom group robot: POST the robot URL (`.../cgi-bin/webhook/send?key=KEY`) with
  `{"msgtype": "markdown", "markdown": {"content": ...}}` or `{"msgtype": "text", "text": {...}}`;
  the reply is `{"errcode": 0, "errmsg": "ok"}`.
- DingTalk custom robot ("加签"): `timestamp` in milliseconds, `sign` = urlencode(base64(
  HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))), both added to the URL's query; body
  `{"msgtype": "markdown", "markdown": {"title", "text"}}`; reply `{"errcode": 0, ...}`.
- Feishu/Lark custom bot: `timestamp` in seconds, `sign` = base64(HMAC-SHA256(
  key="timestamp\\nsecret", msg="")), both in the JSON body with `{"msg_type": "text",
  "content": {"text": ...}}`; reply `{"code": 0, ...}` (older bots: `{"StatusCode": 0}`).

A failure raises ChannelFailed whose message is safe to store: never the URL (it carries the
robot's key or token), a secret, or a password.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import smtplib
import time
import urllib.parse
from email.message import EmailMessage

import httpx

from domain.notifications import (
    DingTalkChannel, EmailChannel, FeishuChannel, Message, WeComChannel,
)


class ChannelFailed(Exception):
    """The channel did not take the message; the text names what went wrong, nothing secret."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign` query value (already url-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's `sign` body value: the HMAC key is "timestamp\\nsecret" and the message is empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def _post(http: httpx.AsyncClient, url: str, body: dict, channel: str) -> dict:
    try:
        reply = await http.post(url, json=body)
    except httpx.HTTPError as error:
        # The exception's text would carry the URL: only its kind is kept.
        raise ChannelFailed(f"{channel}: {type(error).__name__}") from None
    if reply.status_code >= 300:
        raise ChannelFailed(f"{channel}: HTTP {reply.status_code}")
    try:
        return reply.json()
    except ValueError:
        raise ChannelFailed(f"{channel}: the reply is not JSON") from None


async def send_wecom(http: httpx.AsyncClient, channel: WeComChannel, message: Message) -> None:
    body = ({"msgtype": "markdown", "markdown": {"content": f"**{message.title}**\n{message.text}"}}
            if channel.msgtype == "markdown" else {"msgtype": "text", "text": {"content": message.text}})
    reply = await _post(http, channel.url.get_secret_value(), body, "wecom")
    if reply.get("errcode") != 0:
        raise ChannelFailed(f"wecom: errcode {reply.get('errcode')} {str(reply.get('errmsg'))[:120]}")


async def send_dingtalk(http: httpx.AsyncClient, channel: DingTalkChannel, message: Message,
                        now_ms: int | None = None) -> None:
    url = channel.url.get_secret_value()
    if channel.secret is not None:
        timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
        sign = dingtalk_sign(channel.secret.get_secret_value(), timestamp)
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
    body = ({"msgtype": "markdown", "markdown": {"title": message.title, "text": message.text.replace("\n", "\n\n")}}
            if channel.msgtype == "markdown" else {"msgtype": "text", "text": {"content": message.text}})
    reply = await _post(http, url, body, "dingtalk")
    if reply.get("errcode") != 0:
        raise ChannelFailed(f"dingtalk: errcode {reply.get('errcode')} {str(reply.get('errmsg'))[:120]}")


async def send_feishu(http: httpx.AsyncClient, channel: FeishuChannel, message: Message,
                      now_s: int | None = None) -> None:
    body: dict = {"msg_type": "text", "content": {"text": message.text}}
    if channel.secret is not None:
        timestamp = now_s if now_s is not None else int(time.time())
        body = {"timestamp": str(timestamp), "sign": feishu_sign(channel.secret.get_secret_value(), timestamp), **body}
    reply = await _post(http, channel.url.get_secret_value(), body, "feishu")
    code = reply.get("code", reply.get("StatusCode"))
    if code != 0:
        raise ChannelFailed(f"feishu: code {code} {str(reply.get('msg'))[:120]}")


async def send_email(channel: EmailChannel, message: Message, event_key: str) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    # One Message-ID per event: should a send be repeated after a crash, mail clients show it once.
    digest = hashlib.sha256(event_key.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{digest}@procure-1688.notifications>"
    mail.set_content(message.text)

    def deliver() -> None:
        with smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=30) as smtp:
            if channel.starttls:
                smtp.starttls()
            if channel.smtp_user and channel.smtp_password is not None:
                smtp.login(channel.smtp_user, channel.smtp_password.get_secret_value())
            smtp.send_message(mail)

    try:
        await asyncio.to_thread(deliver)
    except smtplib.SMTPResponseException as error:
        raise ChannelFailed(f"email: SMTP {error.smtp_code}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ChannelFailed(f"email: {type(error).__name__}") from None
