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

GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=25,
    non_retryable_error_types=BUSINESS_REFUSALS,
)
# The ledger must end complete: keep trying through a database restart.
LEDGER_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


async def call_1688(
    name: str, arg: Any, result_type: type[T], *, task_queue: str, summary: str
) -> T:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        task_queue=task_queue,
        # Longer than the client's HTTP timeout, so a retry never overlaps a request in flight.
        start_to_close_timeout=timedelta(seconds=60),
        # The worker beats every 5 s while the step runs (activities/liveness.py): a step whose
        # worker died is tried again after 15 s, not after the full minute.
        heartbeat_timeout=timedelta(seconds=15),
        retry_policy=GATEWAY_RETRY,
        summary=summary[:200],
    )


async def record(name: str, arg: Any, *, summary: str, result_type: type[T] | None = None) -> Any:
    return await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(seconds=30),
        heartbeat_timeout=timedelta(seconds=10),
        retry_policy=LEDGER_RETRY,
        summary=summary[:200],
    )


def refusal(error: BaseException) -> tuple[str, str] | None:
    """(type, message) when a step failed because 1688 refused it; None for anything else."""
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type, cause.message
    return None
