"""`/v1/rfqs`: start a request for quotation, read it, and confirm (or refuse) its award.

The same logic as `procure rfq` (starter/rfq.py). Starting is idempotent by rfq_id: a second
POST answers 200 with the RFQ that exists, and no factory is asked twice.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response
from starlette.routing import Route

from api.endpoint import Call, endpoint, json_response
from api.errors import invalid
from api.roles import Action
from domain.quotation import RfqRequest
from domain.rfq import AwardInput
from starter.links import workflow_url
from starter.rfq import award, fetch_rfq, rfq_json, start_rfq

BASE = "/v1/rfqs"


class RfqStarted(BaseModel):
    rfq_id: str
    workflow_id: str
    started: bool  # False: the RFQ existed already; nothing new was sent
    status: str
    web_ui: str


class AwardBody(BaseModel):
    """The award of an RFQ waiting for a person. `by` defaults to the key's name."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, min_length=1, max_length=100)
    supplier_id: str | None = Field(default=None, max_length=64)
    reject: bool = False
    reason: str | None = Field(default=None, max_length=500)


def _rfq_id(call: Call) -> str:
    value = call.request.path_params["rfq_id"]
    if not value or len(value) > 58 or not all(c.isascii() and (c.isalnum() or c in "._-") for c in value):
        raise invalid(["rfq_id: must be 1 to 58 letters, digits, '.', '_' or '-'"])
    return value


async def start(call: Call) -> Response:
    rfq = await call.message(RfqRequest)
    call.target = rfq.rfq_id
    services = call.services
    started = await start_rfq(services.client, rfq, services.settings)
    answer = RfqStarted(rfq_id=started.rfq_id, workflow_id=started.workflow_id, started=started.new,
                        status=started.status, web_ui=workflow_url(services.settings, started.workflow_id))
    return json_response(answer.model_dump(mode="json"), 201 if started.new else 200,
                         {"Location": f"{BASE}/{started.rfq_id}"})


async def read(call: Call) -> Response:
    state = await fetch_rfq(call.services.client, _rfq_id(call))
    return json_response(rfq_json(state))


async def award_rfq(call: Call) -> Response:
    rfq_id = _rfq_id(call)
    body = await call.message(AwardBody, empty_ok=True)
    try:
        message = AwardInput(by=body.by or call.caller.name, supplier_id=body.supplier_id, reject=body.reject,
                             reason=body.reason)
    except ValidationError as error:
        raise invalid([str(e["msg"]) for e in error.errors()]) from None
    result = await award(call.services.client, rfq_id, message)
    return json_response(result.model_dump(mode="json"))


routes = [
    Route(BASE, endpoint(Action.START, start), methods=["POST"]),
    Route(BASE + "/{rfq_id}", endpoint(Action.READ, read, target="rfq_id"), methods=["GET"]),
    Route(BASE + "/{rfq_id}/award", endpoint(Action.APPROVE, award_rfq, target="rfq_id"), methods=["POST"]),
]
