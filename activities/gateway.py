"""What every 1688 activity shares: the client and error classification (the audit trail is in
`activities/api_audit.py`).

Business refusals (out of stock, below MOQ, offline, order status...) become non-retryable
`ApplicationError`s whose `type` names the refusal, so workflows can fall back on them.
Transport errors, 5xx and throttling stay retryable; throttling carries the gateway's suggested
delay. Messages come from the client, which has already scrubbed secrets out of them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from alibaba1688 import Alibaba1688Client
from alibaba1688.errors import Alibaba1688Error

T = TypeVar("T")


def failure_type(error: Alibaba1688Error) -> str:
    """`OutOfStockError` -> `OutOfStock`: the name workflows match on."""
    return type(error).__name__.removesuffix("Error")


def to_application_error(error: Alibaba1688Error) -> ApplicationError:
    delay = timedelta(seconds=error.retry_after) if error.retry_after else None
    return ApplicationError(
        str(error),
        {"code": error.code, "api": error.api},
        type=failure_type(error),
        # When 1688 may have acted although we could not read its answer (a reply that breaks its
        # schema is one), only another attempt finds out: create and pay look the order up first,
        # refund and receipt re-read it. Failing for good here would abandon a paid order and buy
        # its goods again elsewhere (tests/reliability: malformed replies).
        non_retryable=not (error.retryable or error.outcome_unknown),
        next_retry_delay=delay,
    )


class GatewayActivities:
    """Base of the 1688 activity classes: one client per worker, shared by all of them."""

    def __init__(self, client: Alibaba1688Client) -> None:
        self._client = client

    @staticmethod
    def _failure(error: Alibaba1688Error) -> ApplicationError:
        return to_application_error(error)

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except Alibaba1688Error as error:
            # A malformed reply lands here too, as type `MalformedReply`; the audit hook has
            # already recorded the call.
            raise to_application_error(error) from None
