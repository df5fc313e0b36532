"""Before sending what 1688 cannot take twice, make sure this attempt can see the send through.

Create, pay and refund each make one call that must not reach 1688 twice, after some reads. If an
attempt were still sending when its start-to-close timeout fired, the next attempt's look-up could
miss the first send and make a second one. So the attempt checks its own deadline just before the
send: with less time left than the worst single call (a wait for a quota turn, a token refresh and
the call itself, each at its HTTP timeout), it sends nothing and fails retryably; the next attempt
starts with a full allowance and looks up first. Together with a start-to-close (90 s, in
workflows/steps.py) longer than that worst call, no two sends of one step can be in flight at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.call_quota import MAX_WAIT

HTTP_TIMEOUT = timedelta(seconds=20)  # the client's own (alibaba1688/client.py)
# A quota turn, a refresh of the token and the call: the longest a single call can take.
WORST_CALL = MAX_WAIT + 2 * HTTP_TIMEOUT + timedelta(seconds=5)
NO_TIME_TO_SEND = "NoTimeToSend"


def time_left(now: datetime | None = None) -> timedelta | None:
    """What is left of this attempt (start-to-close, and schedule-to-close if set); None: unbounded."""
    info = activity.info()
    now = now or datetime.now(UTC)
    deadlines = []
    if info.start_to_close_timeout:
        deadlines.append(info.started_time + info.start_to_close_timeout)
    if info.schedule_to_close_timeout:
        deadlines.append(info.scheduled_time + info.schedule_to_close_timeout)
    return min(deadlines) - now if deadlines else None


def ensure_time_to_send(what: str, worst: timedelta = WORST_CALL) -> None:
    left = time_left()
    if left is not None and left < worst:
        raise ApplicationError(
            f"{what} not sent: {left.total_seconds():.0f} s left in this attempt, and one call may take "
            f"{worst.total_seconds():.0f} s; the next attempt looks first, then sends",
            type=NO_TIME_TO_SEND, next_retry_delay=timedelta(seconds=1),
        )
