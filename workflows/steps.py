"""How the workflows ask for work: activities by name, with the retry rules of their kind.

Names, not imported functions, so that workflow code never imports httpx or asyncpg. 1688 steps
run on the 1688 task queue (rate-limited server-side); ledger steps on the workflow's own queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

T = TypeVar("T")

# Refusals that asking again cannot change: each means "fall back" or "stop", never "retry".
BUSINESS_REFUSALS = [
    "OutOfStock", "BelowMinimumOrder", "MixedBatchNotMet", "ProductOffline", "OrderNotFound",
    "OrderStatus", "NotPermitted", "Payment", "Business",
    # Gateway refusals: configuration problems a person must fix, not transient ones.
    "Signature", "AppKeyNotFound", "ApiUnsupported", "Acl", "ParamMissing", "QuotaExhausted", "Auth",
]

# Before money moves, a step's attempts are bounded by time, not by count: a call refused by the
# app's own quota (local.CallQuota) waits its turn without using up what a real failure may take.
GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
    non_retryable_error_types=BUSINESS_REFUSALS,
)
GATEWAY_WINDOW = timedelta(minutes=30)

# After money may have moved, a round of attempts ends early only on what a person must fix
# (authorisation, configuration), so the order raises its alert at once; every other failure is
# retried within the round, and the order starts another round after it (steps never give up).
PERSON_MUST_FIX = ["Signature", "AppKeyNotFound", "ApiUnsupported", "Acl", "ParamMissing", "Auth"]
PERSISTENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
    non_retryable_error_types=PERSON_MUST_FIX,
)

# The ledger must end complete: keep trying through a database restart. A write the database
# refuses for its content (a value out of range, a broken constraint) fails the same way every
# time: it is not retried; the workflow raises an alert instead of hanging in silence.
LEDGER_REJECTED = "LedgerRejected"
LEDGER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                           non_retryable_error_types=[LEDGER_REJECTED])


async def call_1688(
    name: str, arg: Any, result_type: type[T], *, task_queue: str, summary: str,
    retry: RetryPolicy = GATEWAY_RETRY, window: timedelta | None = GATEWAY_WINDOW,
) -> T:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        task_queue=task_queue,
        # Longer than the worst single call (quota wait, HTTP, audit write); an activity that
        # sends something 1688 cannot take twice checks first that this attempt still has that
        # much time left (activities/attempt_deadline.py), so a retry never overlaps a send.
        start_to_close_timeout=timedelta(seconds=90),
        schedule_to_close_timeout=window,
        # The worker beats every 5 s while the step runs (activities/liveness.py): a step whose
        # worker died is tried again after 15 s, not after the full start-to-close.
        heartbeat_timeout=timedelta(seconds=15),
        retry_policy=retry,
        summary=summary[:200],
    )


# Ledger writes run as local activities: in the worker that runs the workflow (role `workflows`
# serves both), recorded as one marker event instead of an activity's three events and a
# workflow task of its own, and with no round trip through the server's task queue. A write is
# idempotent (keyed rows, upserts), so running it again after a worker dies before its marker is
# recorded changes nothing. Through a database outage the attempts go on as before: in the worker
# for the first minute, then on durable timers between attempts (LEDGER_RETRY has no limit).
# The same patch lets an order upsert its search attributes only when their values change.
LEAN_HISTORY_PATCH = "lean-history-1"


def _lean(instance: object) -> bool:
    # A workflow that asked for its patches (`_lean_history`, set first thing in `run`) is not asked
    # again here: a newer patch stands for LEAN_HISTORY_PATCH without recording its marker.
    lean = getattr(instance, "_lean_history", None)
    return lean if isinstance(lean, bool) else workflow.patched(LEAN_HISTORY_PATCH)


async def record(name: str, arg: Any, *, summary: str, result_type: type[T] | None = None,
                 alerts: list[str] | None = None) -> Any:
    """Write to the ledger; a write the database refuses for its content is logged and, when
    ``alerts`` is given, added there (the workflow goes on: its history still has everything)."""
    try:
        if _lean(workflow.instance()):
            return await workflow.execute_local_activity(
                name,
                arg,
                result_type=result_type,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=LEDGER_RETRY,
                summary=summary[:200],
            )
        return await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=LEDGER_RETRY,
            summary=summary[:200],
        )
    # A local activity's failure reaches the workflow as the activity's own error, not wrapped
    # in ActivityError as a regular activity's is.
    except (ActivityError, ApplicationError) as error:
        cause = refusal(error)
        if cause is None or cause[0] != LEDGER_REJECTED:
            raise
        text = f"the ledger refused a write ({summary}): {cause[1]}"
        workflow.logger.error(text)
        if alerts is not None:
            alerts.append(text)
        return None


def failure_text(error: BaseException) -> tuple[str, str]:
    """(kind, message) of any failed step: 1688's refusal type, or what ended the attempts."""
    found = refusal(error)
    if found is not None:
        return found
    cause = error.cause if isinstance(error, ActivityError) else error
    if cause is not None and cause is not error:
        return type(cause).__name__.removesuffix("Error"), str(cause) or type(cause).__name__
    return "Failure", str(error)


def refusal(error: BaseException) -> tuple[str, str] | None:
    """(type, message) when a step failed because 1688 refused it; None for anything else."""
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type, cause.message
    return None
