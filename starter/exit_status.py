"""The exit statuses of `procure` (INTERFACES.md section 2) and the errors that choose them.

Commands raise one of these with a message a person can act on; `starter.cli` prints the message
on stderr and exits with the error's status. Scripts (an ERP, CI) rely on the numbers.
"""

from __future__ import annotations

from pydantic import ValidationError
from temporalio.service import RPCError, RPCStatusCode

from domain.problems import problems_from

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


class CommandError(Exception):
    """The procurement failed, or the system refused what was asked (exit status 1)."""

    exit_status = EXIT_FAILED

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []  # printed one per line under the message

    def lines(self) -> list[str]:
        return [self.message, *self.details]


class NotFound(CommandError):
    """No such procurement or open order (exit status 1; the HTTP API answers 404)."""


class BadInput(CommandError):
    """What the person typed or sent cannot be used (exit status 2)."""

    exit_status = EXIT_BAD_INPUT


class Unreachable(CommandError):
    """Temporal (or a worker behind it) cannot be reached (exit status 3)."""

    exit_status = EXIT_UNREACHABLE


def is_unreachable(error: RPCError) -> bool:
    """True when an RPC failed because the server could not be reached, not because it said no."""
    return error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


def bad_input(error: ValidationError) -> BadInput:
    """One line per problem of a message built from the command line."""
    problems = problems_from(error, limit=20)
    return BadInput(problems[0], details=problems[1:])
