"""Notifications from the outbox to local WeCom/DingTalk/Feishu robots that check signatures and
to a local SMTP server (aiosmtpd): each event once per channel, a dead channel retried, given up
and alerted, the others unaffected (real PostgreSQL, real HTTP, real SMTP)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg
import pytest

from activities.notification_dispatch import NotificationDispatcher
from procurement_events import EXPECTED, ORDER, write_every_event
from robot_receivers import (
    DINGTALK_SECRET, DINGTALK_TOKEN, FEISHU_SECRET, WECOM_KEY, robot_receivers, routes_for, smtp_server,
)

SMTP_PASSWORD = "smtp-pass-3e9f"


async def until(check: Callable[[], Awaitable[bool]], what: str, dispatcher: NotificationDispatcher,
                timeout: float = 30) -> None:
    """Run dispatch rounds until ``check`` holds, with a deadline (never a bare sleep)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await dispatcher.dispatch_once()
        await asyncio.sleep(0.02)


async def statuses(pool: asyncpg.Pool) -> dict[tuple[str, str], str]:
    rows = await pool.fetch("SELECT event_key, channel, status FROM notification_deliveries")
    return {(r["event_key"], r["channel"]): r["status"] for r in rows}


async def test_every_event_reaches_its_channels_once_with_valid_signatures(db_pool: asyncpg.Pool) -> None:
    async with robot_receivers() as robots:
        with smtp_server() as (host, port, mailbox):
            dispatcher = NotificationDispatcher(db_pool, routes_for(robots, host, port))
            await write_every_event(db_pool, twice=True)

            async def all_sent() -> bool:
                found = await statuses(db_pool)
                return bool(found) and set(found.values()) == {"sent"}
            await until(all_sent, "every delivery sent", dispatcher)
            # More rounds, and a second dispatcher (another worker): nothing is sent again.
            other = NotificationDispatcher(db_pool, routes_for(robots, host, port))
            await asyncio.gather(dispatcher.dispatch_once(), other.dispatch_once(), dispatcher.dispatch_once())
            await dispatcher.aclose()
            await other.aclose()

    assert robots.refused == []
    assert len(robots.received["dingtalk"]) == len(EXPECTED)          # ops hear everything, once
    signed_and_finished = [k for k, t in EXPECTED.items() if t in ("signed_for", "finished")]
    assert len(robots.received["wecom"]) == len(signed_and_finished)
    qc_and_signed = [k for k, t in EXPECTED.items() if t in ("qc_waiting", "qc_escalated", "signed_for")]
    assert len(robots.received["feishu"]) == len(qc_and_signed)
    assert len(mailbox.messages) == len(signed_and_finished)
    assert len({m["Message-ID"] for m in mailbox.messages}) == len(mailbox.messages)

    texts = [b["markdown"]["text"] for b in robots.received["dingtalk"]]
    titles = {b["markdown"]["title"] for b in robots.received["dingtalk"]}
    assert any("授权失效" in t for t in titles) and any("退款被拒" in t for t in titles)
    assert any("物流停滞" in t for t in titles) and any("质检已升级" in t for t in titles)
    assert any(f"order {ORDER}" in t and "中通 ZT1" in t for t in texts)             # the signed-for note
    assert any(m["Subject"].startswith("货已签收") for m in mailbox.messages)
    finished_mail = next(m for m in mailbox.messages if m["Subject"].startswith("采购结束"))
    assert "order 3701234567000020001: COMPLETED 110.00" in finished_mail.get_content()
    assert all("PR-NOTIFY (store-17)" in b["content"]["text"] for b in robots.received["feishu"])


async def test_a_dead_channel_is_retried_given_up_and_alerted_while_the_others_go_on(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture,
) -> None:
    # Our own log lines at every level (httpx is kept at WARNING by runtime/logs.py, as in production).
    caplog.set_level(logging.DEBUG, logger="procure")
    async with robot_receivers() as robots:
        robots.dead.add("wecom")
        with smtp_server() as (host, port, mailbox):
            dispatcher = NotificationDispatcher(db_pool, routes_for(robots, host, port, max_attempts=3))
            await write_every_event(db_pool, twice=False)

            async def settled() -> bool:
                found = await statuses(db_pool)
                unrouted = await db_pool.fetchval("SELECT count(*) FROM notification_events WHERE routed_at IS NULL")
                return bool(found) and "pending" not in found.values() and unrouted == 0
            await until(settled, "every delivery sent or given up", dispatcher)
            await dispatcher.aclose()

    found = await statuses(db_pool)
    dead = {key for key, status in found.items() if status == "dead"}
    assert {channel for _, channel in dead} == {"buyers-wecom"}
    assert all(status == "sent" for key, status in found.items() if key[1] != "buyers-wecom")
    attempts = await db_pool.fetch("SELECT attempts, last_error FROM notification_deliveries WHERE status = 'dead'")
    assert {r["attempts"] for r in attempts} == {3}
    assert {r["last_error"] for r in attempts} == {"wecom: HTTP 500"}
    assert robots.calls["wecom"] == 3 * len(dead)
    # Each give-up is told to the alert channels (ops DingTalk and e-mail), never to WeCom itself.
    failing = [b for b in robots.received["dingtalk"] if "通知渠道失败" in b["markdown"]["title"]]
    assert len(failing) == len(dead)
    assert "channel buyers-wecom failed 3 times (wecom: HTTP 500)" in failing[0]["markdown"]["text"]
    assert sum(1 for m in mailbox.messages if m["Subject"].startswith("通知渠道失败")) == len(dead)
    # The robot URLs carry their keys and tokens: none reaches a log line or the ledger.
    stored = " ".join(str(r) for r in await db_pool.fetch("SELECT * FROM notification_deliveries"))
    for secret in (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, FEISHU_SECRET):
        assert secret not in caplog.text and secret not in stored


async def test_an_unreachable_smtp_server_fails_without_leaking_the_password(db_pool: asyncpg.Pool) -> None:
    async with robot_receivers() as robots:
        with smtp_server() as (host, port, _):
            pass                                       # stopped: the port now refuses connections
        routes = routes_for(robots, host, port, max_attempts=2)
        routes.channels["buyer-mail"] = routes.channels["buyer-mail"].model_copy(
            update={"smtp_user": "procure", "smtp_password": SMTP_PASSWORD})
        dispatcher = NotificationDispatcher(db_pool, routes)
        await write_every_event(db_pool, twice=False)

        async def mail_given_up() -> bool:
            found = await statuses(db_pool)
            mails = [s for (_, c), s in found.items() if c == "buyer-mail"]
            return bool(mails) and set(mails) == {"dead"}
        await until(mail_given_up, "the e-mail deliveries given up", dispatcher)
        await dispatcher.aclose()
    errors = {r["last_error"] for r in await db_pool.fetch(
        "SELECT last_error FROM notification_deliveries WHERE channel = 'buyer-mail'")}
    assert errors == {"email: ConnectionRefusedError"}
