"""/v1/purchase-requests: start, read, list, approve and cancel procurements.

Each handler is the HTTP face of the command of the same name in starter/ (start, status, list,
approve, cancel), and calls the same functions, so a request behaves the same from an ERP as
from the command line.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from temporalio.service import RPCError

from api.endpoint import Call, endpoint, json_response
from api.errors import ApiError, invalid
from api.idempotency import differences, request_that_started
from api.roles import Action
from api.schemas import Approved, Cancelled, Started
from domain.messages import ApproveInput, CancelInput
from domain.progress import Stage
from domain.request import Identifier, InvalidPurchaseRequest, parse_purchase_request
from starter.approve import approve
from starter.cancel import cancel
from starter.exit_status import is_unreachable
from starter.links import workflow_url
from starter.listing import list_query, row
from starter.start import start_procurement
from starter.status import fetch_state, status_json

BASE = "/v1/purchase-requests"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
_IDENTIFIER = TypeAdapter(Identifier)
_LIST_PARAMETERS = {"stage", "limit", "cursor"}


def request_id_of(call: Call) -> str:
    value = call.request.path_params["request_id"]
    try:
        return _IDENTIFIER.validate_python(value)
    except ValidationError:
        raise invalid(["request_id: must be 1 to 64 letters, digits, '.', '_' or '-'"]) from None


async def start(call: Call) -> Response:
    try:
        request = parse_purchase_request(await call.body(), fmt="json")
    except InvalidPurchaseRequest as error:
        raise invalid(error.problems, "the purchase request") from None
    call.target = request.request_id
    services = call.services
    started = await start_procurement(services.client, request, services.settings)
    answer = Started(request_id=started.request_id, workflow_id=started.workflow_id, run_id=started.run_id,
                     started=started.new, status=started.status,
                     web_ui=workflow_url(services.settings, started.workflow_id))
    if started.new:
        return json_response(answer.model_dump(mode="json"), 201, {"Location": f"{BASE}/{started.request_id}"})
    before = await request_that_started(services.client, started.workflow_id, started.run_id)
    if before is None:
        raise ApiError(409, f"{request.request_id} exists but the request it started with cannot be read; "
                            "nothing new was started", workflow_id=started.workflow_id)
    changed = differences(before, request)
    if changed:
        raise ApiError(409, f"{request.request_id} was started before with a different body; nothing new was started "
                            f"(differs: {', '.join(changed[:5])}{', ...' if len(changed) > 5 else ''})",
                       differences=changed, workflow_id=started.workflow_id)
    return json_response(answer.model_dump(mode="json"), 200, {"Location": f"{BASE}/{started.request_id}"})


async def read(call: Call) -> Response:
    request_id = request_id_of(call)
    services = call.services
    state = await fetch_state(services.client, request_id)
    return json_response(status_json(state, web_ui=workflow_url(services.settings, state.workflow_id)))


def _page_parameters(request: Request) -> tuple[Stage | None, int, bytes | None]:
    params = request.query_params
    problems = [f"{name}: is not a known parameter (stage, limit, cursor)" for name in params if name not in _LIST_PARAMETERS]
    stage = None
    if params.get("stage"):
        try:
            stage = Stage(params["stage"].upper())
        except ValueError:
            problems.append(f"stage: must be one of {', '.join(s.value for s in Stage)}")
    limit = DEFAULT_LIMIT
    if "limit" in params:
        text = params["limit"]
        limit = int(text) if text.isdigit() else 0
        if not 1 <= limit <= MAX_LIMIT:
            problems.append(f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    cursor = None
    if params.get("cursor"):
        try:
            cursor = base64.urlsafe_b64decode(params["cursor"] + "=" * (-len(params["cursor"]) % 4))
        except (binascii.Error, ValueError):
            problems.append("cursor: not a cursor this API gave out")
    if problems:
        raise invalid(problems)
    return stage, limit, cursor


async def page(call: Call) -> Response:
    """A page of procurements, newest first, from Temporal visibility (a second behind, at most)."""
    stage, limit, cursor = _page_parameters(call.request)
    listing = call.services.client.list_workflows(list_query(stage), page_size=limit, next_page_token=cursor)
    try:
        await listing.fetch_next_page()
    except RPCError as error:
        # Temporal answers a forged or stale page token with INVALID_ARGUMENT or (the dev
        # server) INTERNAL; either way the cursor is what is wrong.
        if cursor is not None and not is_unreachable(error):
            raise invalid(["cursor: not a cursor this API gave out, or too old"]) from None
        raise
    token = listing.next_page_token
    return json_response({
        "items": [asdict(row(execution)) for execution in listing.current_page or []],
        "next_cursor": base64.urlsafe_b64encode(token).decode().rstrip("=") if token else None,
    })


async def approve_payments(call: Call) -> Response:
    request_id = request_id_of(call)
    message = await call.message(ApproveInput, empty_ok=True)
    if message.by is None:  # the key's holder, so the order says who released it
        message = message.model_copy(update={"by": call.caller.name})
    result = await approve(call.services.client, request_id, message)
    return json_response(Approved(request_id=request_id, released=result.released).model_dump(mode="json"))


async def cancel_procurement(call: Call) -> Response:
    request_id = request_id_of(call)
    message = await call.message(CancelInput, empty_ok=True)
    if message.by is None:
        message = message.model_copy(update={"by": call.caller.name})
    result = await cancel(call.services.client, request_id, message)
    return json_response(Cancelled(request_id=request_id, cancelled=result.cancelled,
                                   not_cancelled=result.not_cancelled).model_dump(mode="json"))


routes = [
    Route(BASE, endpoint(Action.START, start), methods=["POST"]),
    Route(BASE, endpoint(Action.READ, page), methods=["GET"]),
    Route(BASE + "/{request_id}", endpoint(Action.READ, read, target="request_id"), methods=["GET"]),
    Route(BASE + "/{request_id}/approve", endpoint(Action.APPROVE, approve_payments, target="request_id"), methods=["POST"]),
    Route(BASE + "/{request_id}/cancel", endpoint(Action.CANCEL, cancel_procurement, target="request_id"), methods=["POST"]),
]
