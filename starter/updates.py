"""Sending an update (QC result, approval, cancellation) and saying what became of it.

An update is answered by the workflow itself: its validator refuses a bad message at once,
before anything is written to history, and the reason comes back to the person who sent it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from starter.exit_status import CommandError, NotFound, Unreachable, is_unreachable

T = TypeVar("T")

UPDATE_TIMEOUT = timedelta(seconds=30)


def refusal_reason(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return getattr(cause, "message", None) or str(cause)


async def send_update(
    client: Client,
    workflow_id: str,
    update: str,
    arg: object,
    result_type: type[T],
    *,
    refused: type[CommandError],
    missing: str,
) -> T:
    """Run ``update`` on ``workflow_id``. A refusal raises ``refused`` with the workflow's reason;
    ``missing`` is the message when there is no such workflow."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, result_type=result_type, rpc_timeout=UPDATE_TIMEOUT)
    except WorkflowUpdateFailedError as error:
        raise refused(f"refused: {refusal_reason(error)}") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # The update may sit in the workflow's queue: say so rather than pretend it was lost.
        raise Unreachable(
            f"no worker answered the {update} update on {workflow_id} within {UPDATE_TIMEOUT.seconds} s; "
            "it may still be applied when a worker runs (check with `procure status`)"
        ) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            # A workflow that finished (or was finishing as the update arrived) is not missing:
            # the server's words differ between the two, so ask whether it exists.
            if "completed" in error.message or await _exists(handle):
                raise CommandError(f"{workflow_id} has already finished; nothing was changed") from None
            raise NotFound(missing) from None
        if is_unreachable(error):
            raise Unreachable(f"lost the connection to Temporal: {error.message}") from None
        raise CommandError(f"Temporal refused the {update} update on {workflow_id}: {error.message}") from None


async def _exists(handle: WorkflowHandle) -> bool:
    try:
        await handle.describe(rpc_timeout=UPDATE_TIMEOUT)
    except RPCError:
        return False  # not there, or not to be told now: say it is missing, as before
    return True
