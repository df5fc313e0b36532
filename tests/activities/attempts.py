"""An activity attempt as the workflows start one: a 90 s start-to-close, begun ``seconds_in`` ago.

The test environment's default (started at the epoch, 1 s to run) has no time left to send
anything 1688 cannot take twice (activities/attempt_deadline.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment


def attempt(seconds_in: float = 0, number: int = 1) -> ActivityEnvironment:
    env = ActivityEnvironment()
    began = datetime.now(UTC) - timedelta(seconds=seconds_in)
    env.info = dataclasses.replace(env.info, attempt=number, started_time=began, scheduled_time=began,
                                   current_attempt_scheduled_time=began,
                                   start_to_close_timeout=timedelta(seconds=90), schedule_to_close_timeout=None)
    return env
