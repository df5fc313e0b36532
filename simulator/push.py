"""Push messages (1688-PROTOCOL.md section 6): signed form POSTs of order and logistics events.

Delivery is best effort and at least once, like the platform's: a failed POST is retried a few
times and then dropped, so a receiver must still poll (and re-read the order on every message).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from alibaba1688.signing import sign_push_message

log = logging.getLogger("simulator.push")
ATTEMPTS = 3


class PushSender:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.url: str | None = None
        # Tests route deliveries through an httpx mock transport; None means the real network.
        self.transport: httpx.AsyncBaseTransport | None = None
        self.delivered: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []

    def form(self, event: dict[str, Any]) -> dict[str, str]:
        message = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        return {"message": message, "_aop_signature": sign_push_message(message, self.secret)}

    async def deliver(self, events: list[dict[str, Any]], transport: httpx.AsyncBaseTransport | None = None) -> None:
        """POST each event to the registered URL (nothing happens when none is registered)."""
        if not self.url or not events:
            return
        async with httpx.AsyncClient(transport=transport or self.transport, timeout=5.0) as client:
            for event in events:
                for attempt in range(1, ATTEMPTS + 1):
                    try:
                        response = await client.post(self.url, data=self.form(event))
                        if response.status_code < 300:
                            self.delivered.append(event)
                            break
                    except httpx.HTTPError as exc:
                        log.info("push %s attempt %d failed: %s", event["type"], attempt, exc)
                else:
                    self.dropped.append(event)
