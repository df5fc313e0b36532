"""The API's error answers: one JSON shape, and the status each failure of ours maps to.

Every error body has ``error`` (one sentence for a person); a 422 adds ``problems`` (one entry per
problem, INTERFACES.md section 5), a 409 from a validator adds ``reason`` (the workflow's own words).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.responses import JSONResponse
from temporalio.service import RPCError

from domain.problems import problems_from
from runtime.connection import TemporalUnreachable
from starter.exit_status import BadInput, CommandError, NotFound, Unreachable, is_unreachable


class ApiError(Exception):
    def __init__(self, status: int, error: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.headers = headers
        self.extra = extra

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.error, **self.extra}, status_code=self.status, headers=self.headers)


def invalid(problems: list[str], what: str = "the request") -> ApiError:
    return ApiError(422, f"{what} is not valid: {len(problems)} problem{'s' if len(problems) != 1 else ''}",
                    problems=problems)


def invalid_model(error: ValidationError, what: str = "the request") -> ApiError:
    return invalid(problems_from(error), what)


def from_command_error(error: CommandError) -> ApiError:
    """What a refusal from the shared command logic (starter/) means over HTTP."""
    if isinstance(error, NotFound):
        return ApiError(404, error.message)
    if isinstance(error, Unreachable):
        return ApiError(503, error.message, headers={"Retry-After": "5"})
    reason = error.message.removeprefix("refused: ")
    if isinstance(error, BadInput) or reason != error.message:
        # The workflow's validator said no: nothing was written to its history.
        return ApiError(409, error.message, reason=reason)
    return ApiError(409, error.message)  # finished, already cancelled, no longer open...


def from_temporal_error(error: TemporalUnreachable | RPCError) -> ApiError:
    if isinstance(error, TemporalUnreachable) or is_unreachable(error):
        return ApiError(503, "Temporal cannot be reached; try again shortly", headers={"Retry-After": "5"})
    return ApiError(502, f"Temporal refused the request: {error.message}")
