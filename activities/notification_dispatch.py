"""Delivers the notification outbox: routes each queued event, sends it on each channel once,
retries a failing channel with backoff and, when a channel gives up, says so on the alert channels.

It runs beside the worker of the `workflows` role (worker.py), outside any workflow: a procurement
only writes its ledger rows (which queue the events in the same transaction), so a dead channel
can never hold it up. Several workers may run it at once: rows are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import asyncpg
import httpx

from activities.notification_channels import ChannelFailed, send_dingtalk, send_email, send_feishu, send_wecom
from domain.notifications import (
    DingTalkChannel, EmailChannel, Event, EventType, FeishuChannel, NotificationRoutes, WeComChannel,
    channels_for, render, retry_delay,
)
from ledger import notifications as outbox

log = logging.getLogger("procure.notifications")


class NotificationDispatcher:
    def __init__(self, pool: asyncpg.Pool, routes: NotificationRoutes, *, poll_seconds: float = 2.0,
                 http: httpx.AsyncClient | None = None) -> None:
        self._pool = pool
        self._routes = routes
        self._poll = poll_seconds
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(15.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: a failure of one round (the database restarting) is logged, not fatal."""
        while not stop.is_set():
            try:
                await self.dispatch_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("notification round failed: %s", type(error).__name__)
            except Exception:  # a bug of ours must not stop the worker, nor the next round
                log.exception("notification round failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._poll)
            except asyncio.TimeoutError:
                pass

    async def dispatch_once(self) -> int:
        """Route what is new and send what is due; returns how many sends were tried."""
        await self._route_new()
        claimed = await outbox.claim_due(self._pool)
        outcomes = await asyncio.gather(*(self._deliver(row) for row in claimed), return_exceptions=True)
        for row, outcome in zip(claimed, outcomes):
            if isinstance(outcome, Exception):  # left claimed: tried again when its lease ends
                log.error("notification %s to %s failed unexpectedly: %s", row["event_key"], row["channel"],
                          type(outcome).__name__)
        return len(claimed)

    async def _route_new(self) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for row in await outbox.unrouted_events(conn):
                await outbox.route_event(conn, row["event_key"], channels_for(self._routes, _event(row)))

    async def _deliver(self, row: asyncpg.Record) -> None:
        event = _event(row)
        name = row["channel"]
        channel = self._routes.channels.get(name)
        try:
            if channel is None:
                raise ChannelFailed(f"{name}: no longer configured")
            message = render(event)
            if isinstance(channel, WeComChannel):
                await send_wecom(self._http, channel, message)
            elif isinstance(channel, DingTalkChannel):
                await send_dingtalk(self._http, channel, message)
            elif isinstance(channel, FeishuChannel):
                await send_feishu(self._http, channel, message)
            elif isinstance(channel, EmailChannel):
                await send_email(channel, message, event.event_key)
        except ChannelFailed as failure:
            await self._failed(event, name, row["attempts"] + 1, str(failure))
            return
        await outbox.mark_sent(self._pool, event.event_key, name)
        log.info("notified %s of %s (%s)", name, event.event_type.value, event.event_key)

    async def _failed(self, event: Event, channel: str, attempts: int, error: str) -> None:
        gives_up = attempts >= self._routes.max_attempts
        await outbox.mark_failed(self._pool, event.event_key, channel, error,
                                 None if gives_up else retry_delay(self._routes, attempts))
        log.warning("notification %s to %s failed (attempt %d of %d): %s", event.event_key, channel, attempts,
                    self._routes.max_attempts, error)
        if gives_up and event.event_type is not EventType.CHANNEL_FAILING:
            # Once per channel and event: the alert channels hear that this one is not getting through.
            await outbox.queue_event(
                self._pool, f"channel-failing:{channel}:{event.event_key}", EventType.CHANNEL_FAILING.value,
                {"channel": channel, "attempts": attempts, "error": error, "failed_event": event.event_key},
                workflow_id=event.workflow_id,
            )


def _event(row: Any) -> Event:
    detail = row["detail"]
    return Event(
        event_key=row["event_key"], event_type=EventType(row["event_type"]), workflow_id=row["workflow_id"],
        request_id=row["request_id"], requester=row["requester"],
        detail=json.loads(detail) if isinstance(detail, str) else (detail or {}),
    )
