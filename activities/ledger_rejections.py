"""A ledger write that PostgreSQL refuses for its content fails once, typed, instead of forever.

A value out of range (numeric(14, 2) holds below 10^12 yuan), text the column cannot take, a
broken check or not-null constraint: asking again gives the same answer. Such a write becomes a
non-retryable `ApplicationError` of type `LedgerRejected` (workflows/steps.py): the workflow logs
it and raises an alert instead of retrying in silence. Every other error (the database is down,
a connection was cut, a deadlock) stays retryable.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

LEDGER_REJECTED = "LedgerRejected"

# Errors whose cause is the data written, so that no retry can succeed.
DETERMINISTIC = (asyncpg.exceptions.DataError, asyncpg.exceptions.CheckViolationError,
                 asyncpg.exceptions.NotNullViolationError)


class _Classifying(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await self.next.execute_activity(input)
        except DETERMINISTIC as error:
            raise ApplicationError(
                f"PostgreSQL refused the write: {type(error).__name__}: {error}",
                {"sqlstate": error.sqlstate}, type=LEDGER_REJECTED, non_retryable=True,
            ) from None


class LedgerRejections(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Classifying(next)
