"""`procure start`: validate a purchase request and start its procurement, exactly once.

The workflow id comes from the request id, and the start reuses a running workflow and refuses
to start a closed one again, so sending the same request twice (a retry, a double click, an ERP
replaying its queue) reports the procurement that exists instead of buying twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.messages import PROCUREMENT_WORKFLOW, procurement_task_timeout, procurement_workflow_id
from domain.procurement import ProcurementInput
from domain.progress import ProcurementState, Stage
from domain.request import InvalidPurchaseRequest, PurchaseRequest, parse_purchase_request
from starter.config import procurement_config
from starter.exit_status import BadInput, CommandError, Unreachable, is_unreachable
from runtime.settings import Settings
from workflows import search_attributes as sa

# Far above any real request (500 lines), yet small enough to read at once; a bigger file is a
# mistake (a wrong path, a log file), and saying so beats a parser error deep inside it.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
_FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def read_request(path: Path) -> PurchaseRequest:
    """The validated request in ``path``; BadInput with one line per problem otherwise."""
    try:
        if path.stat().st_size > MAX_REQUEST_BYTES:
            raise BadInput(f"{path}: larger than {MAX_REQUEST_BYTES // (1024 * 1024)} MB; is this a purchase request?")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not a purchase request file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return parse_purchase_request(raw, fmt=_FORMATS.get(path.suffix.lower()))  # type: ignore[arg-type]
    except InvalidPurchaseRequest as error:
        problems = [f"{path}: {problem}" for problem in error.problems]
        raise BadInput(problems[0], details=problems[1:]) from None


def summary(request: PurchaseRequest) -> str:
    """One line for the Web UI's workflow list."""
    parts = [f"{request.request_id}: {len(request.lines)} line{'s' if len(request.lines) != 1 else ''}"]
    parts.append(f"budget {request.budget:.2f}" if request.budget is not None else "no budget")
    text = ", ".join(parts)
    if request.requester:
        text += f", for {request.requester}"
    return text[:200]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def details(request: PurchaseRequest) -> str:
    """Markdown for the Web UI: what is being bought. No receiver name or phone: history keeps it."""
    head = f"**{request.request_id}**"
    if request.requester:
        head += f" for {_cell(request.requester)}"
    facts = []
    if request.budget is not None:
        facts.append(f"budget {request.budget:.2f} yuan")
    if request.approval_threshold is not None:
        facts.append(f"approval above {request.approval_threshold:.2f} yuan")
    facts.append(f"deliver to {_cell(request.delivery.province)} {_cell(request.delivery.city)}")
    # A list, not a table: the Web UI's markdown puts no space between table cells.
    rows = [head + ": " + ", ".join(facts), ""]
    for line in request.lines:
        low = f"{line.price_min:.2f}" if line.price_min is not None else "any"
        high = f"{line.price_max:.2f}" if line.price_max is not None else "any"
        spec = ", ".join(f"{k}={v}" for k, v in line.spec.items())
        rows.append(f"- line {_cell(line.line_id)}: {_cell(line.keyword)} x{line.quantity}, {low} - {high} yuan"
                    + (f", {_cell(spec)}" if spec else ""))
    return "\n".join(rows)


def initial_search_attributes(request: PurchaseRequest) -> TypedSearchAttributes:
    # Set at start, so `procure list` and the Web UI find the request before its first task runs.
    pairs: list[SearchAttributePair] = [
        SearchAttributePair(sa.REQUEST_ID, request.request_id),
        SearchAttributePair(sa.STAGE, Stage.SOURCING.value),
    ]
    if request.requester:
        pairs.append(SearchAttributePair(sa.REQUESTER, request.requester))
    return TypedSearchAttributes(pairs)


@dataclass
class Started:
    request_id: str
    workflow_id: str
    run_id: str | None
    new: bool  # False: the procurement already existed and nothing new was started
    status: str  # RUNNING, COMPLETED, FAILED, ...


def _was_new(handle: WorkflowHandle) -> bool | None:
    # The server says whether USE_EXISTING started a new run; the SDK keeps that answer only on
    # a private attribute, so read it defensively (None: unknown, ask the server instead).
    response = getattr(handle, "_start_workflow_response", None)
    started = getattr(response, "started", None)
    return started if isinstance(started, bool) else None


async def start_procurement(client: Client, request: PurchaseRequest, settings: Settings) -> Started:
    workflow_id = procurement_workflow_id(request.request_id)
    try:
        handle = await client.start_workflow(
            PROCUREMENT_WORKFLOW,
            ProcurementInput(request=request, config=procurement_config(settings)),
            id=workflow_id,
            task_queue=settings.procurement_task_queue,
            task_timeout=procurement_task_timeout(len(request.lines)),  # a minute for a large request
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary(request),
            static_details=details(request),
            search_attributes=initial_search_attributes(request),
        )
    except WorkflowAlreadyStartedError as error:  # a closed run with this id: never again
        return await _existing(client, request.request_id, workflow_id, error.run_id)
    except RPCError as error:
        if is_unreachable(error):
            raise Unreachable(f"lost the connection to Temporal: {error.message}") from None
        hint = ""
        if "search attribute" in error.message.lower():
            hint = " (register the Procurement* search attributes on this namespace; `procure up` does it locally)"
        raise CommandError(f"Temporal refused to start {workflow_id}: {error.message}{hint}") from None
    new = _was_new(handle)
    if new is False:
        return await _existing(client, request.request_id, workflow_id, handle.result_run_id)
    return Started(request.request_id, workflow_id, handle.result_run_id, new=True, status="RUNNING")


async def _existing(client: Client, request_id: str, workflow_id: str, run_id: str | None) -> Started:
    description = await client.get_workflow_handle(workflow_id).describe()
    status = description.status.name if description.status is not None else "UNKNOWN"
    return Started(request_id, workflow_id, description.run_id or run_id, new=False, status=status)


def started_text(started: Started, web_ui: str, request: PurchaseRequest) -> str:
    if started.new:
        head = f"Started {summary(request)}\n  workflow  {started.workflow_id}"
    else:
        head = (f"{started.request_id} was already started (workflow {started.workflow_id}, status {started.status}); "
                "nothing new was bought")
    return f"{head}\n  Web UI    {web_ui}\nFollow it with: procure status {started.request_id}"


async def wait_for_result(client: Client, workflow_id: str) -> ProcurementState:
    """The procurement's final state; CommandError when the workflow itself failed."""
    handle = client.get_workflow_handle(workflow_id, result_type=ProcurementState)
    try:
        return await handle.result()
    except WorkflowFailureError as error:
        cause = error.cause
        message = getattr(cause, "message", None) or str(cause or error)
        raise CommandError(f"{workflow_id} failed: {message}") from None


def wait_exit_status(state: ProcurementState) -> int:
    """0 when every line was received; 1 otherwise (partial, failed or cancelled)."""
    return 0 if state.stage == Stage.COMPLETED and state.fully_received else 1
