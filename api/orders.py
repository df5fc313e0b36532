"""/v1/orders: the orders whose goods arrived, and the warehouse's QC result for one of them.

The QC result goes the way `procure qc` sends it (`starter.qc.submit_qc`): an update on the
order's workflow, whose validator accepts it or refuses it with a reason (409 here).
"""

from __future__ import annotations

import asyncio

from starlette.responses import Response
from starlette.routing import Route
from temporalio.client import Client

from api.endpoint import Call, endpoint, json_response
from api.errors import invalid
from api.roles import Action
from api.schemas import OrderAwaitingQc, QcBody, QcLineToInspect, QcTaken
from domain.messages import SUPPLIER_ORDER_WORKFLOW
from domain.progress import OrderStatus, ProcurementState, Stage
from starter.exit_status import CommandError
from starter.qc import submit_qc
from starter.status import fetch_state
from workflows import search_attributes as sa

BASE = "/v1/orders"
MAX_PROCUREMENTS = 100  # looked at per listing; a warehouse works through fewer at once
_CONCURRENT_QUERIES = 8

AWAITING_QC_QUERY = (f"WorkflowType = '{SUPPLIER_ORDER_WORKFLOW}' AND {sa.STAGE.name} = '{Stage.AWAITING_QC.value}' "
                     "AND ExecutionStatus = 'Running'")


async def orders_awaiting_qc(client: Client) -> list[OrderAwaitingQc]:
    """Every open order whose goods arrived and that has no QC result yet, oldest request first.

    Visibility finds the order workflows waiting for QC; each procurement's state (one query per
    procurement) then gives the orders' lines with what was asked for, and is the current word.
    """
    request_ids: list[str] = []
    async for execution in client.list_workflows(AWAITING_QC_QUERY, limit=MAX_PROCUREMENTS * 4):
        request_id = execution.typed_search_attributes.get(sa.REQUEST_ID)
        if request_id and request_id not in request_ids:
            request_ids.append(request_id)
    gate = asyncio.Semaphore(_CONCURRENT_QUERIES)

    async def state_of(request_id: str) -> ProcurementState | None:
        async with gate:
            try:
                return await fetch_state(client, request_id)
            except CommandError:  # it closed meanwhile: nothing to inspect there
                return None

    states = await asyncio.gather(*(state_of(r) for r in request_ids[:MAX_PROCUREMENTS]))
    found = []
    for state in reversed([s for s in states if s is not None]):
        keywords = {line.line_id: line.keyword for line in state.lines}
        for order in state.orders:
            if order.status != OrderStatus.AWAITING_QC or order.qc is not None or not order.order_id:
                continue
            found.append(OrderAwaitingQc(
                order_id=order.order_id, request_id=state.request_id, workflow_id=order.workflow_id,
                supplier_id=order.supplier_id, alerts=order.alerts[-3:],
                lines=[QcLineToInspect(line_id=line.line_id, keyword=keywords.get(line.line_id), quantity=line.quantity,
                                       offer_id=line.offer_id) for line in order.lines],
            ))
    return found


async def awaiting_qc(call: Call) -> Response:
    params = call.request.query_params
    problems = [f"{name}: is not a known parameter (status)" for name in params if name != "status"]
    if params.get("status", OrderStatus.AWAITING_QC.value) != OrderStatus.AWAITING_QC.value:
        problems.append("status: only awaiting_qc can be listed")
    if problems:
        raise invalid(problems)
    orders = await orders_awaiting_qc(call.services.client)
    return json_response({"items": [order.model_dump(mode="json") for order in orders]})


async def qc(call: Call) -> Response:
    order_id = call.request.path_params["order_id"]
    if not (order_id.isascii() and order_id.isdigit() and len(order_id) <= 40):
        raise invalid(["order_id: a 1688 order id is a string of digits"])
    body = await call.message(QcBody)
    message = body.for_order(order_id)
    if message.inspector is None:
        message = message.model_copy(update={"inspector": call.caller.name})
    workflow_id, result = await submit_qc(call.services.client, message)
    return json_response(QcTaken(order_id=result.order_id, workflow_id=workflow_id, accepted=result.accepted,
                                 rejected=result.rejected).model_dump(mode="json"))


routes = [
    Route(BASE, endpoint(Action.LIST_QC, awaiting_qc), methods=["GET"]),
    Route(BASE + "/{order_id}/qc", endpoint(Action.QC, qc, target="order_id"), methods=["POST"]),
]
