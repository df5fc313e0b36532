"""Heartbeats for every activity that asks for them, so a dead worker is noticed in seconds.

Without heartbeats, an activity whose worker is killed is retried only when its start-to-close
timeout runs out (60 s for a 1688 step). With a heartbeat timeout on the step, the server gives
up on the attempt after that shorter time instead. The activities themselves spend their time in
one await (an HTTP call, a wait for a call turn, a SQL statement), so rather than sprinkle
`activity.heartbeat()` through them this worker interceptor beats in the background, three times
per heartbeat timeout, for as long as the activity runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor


async def _beat(every: float) -> None:
    # The first beat only after `every`: the server's heartbeat timeout runs from the attempt's
    # start anyway, and most steps end in milliseconds, before any beat. A beat at once would cost
    # each of them a heartbeat call and a write on the server for nothing.
    while True:
        await asyncio.sleep(every)
        activity.heartbeat()


class _Beating(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return await self.next.execute_activity(input)
        beating = asyncio.create_task(_beat(timeout.total_seconds() / 3), name="heartbeat")
        try:
            return await self.next.execute_activity(input)
        finally:
            beating.cancel()


class KeepBeating(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Beating(next)
