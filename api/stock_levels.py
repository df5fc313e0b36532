"""/v1/stock-levels: a store's POS reports its stock; /v1/replenishment-batches: what became of it.

The same function as `procure stock-levels` (starter.replenish.send_stock_levels): the levels are
recorded, the low SKUs found from the store's configuration, and the store's replenishment
workflow started or signalled (signal-with-start). 202: the procurement follows after the
store's batch window, so the answer says which SKUs were low, not what was bought.
"""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.routing import Route

from api.endpoint import Call, endpoint, json_response
from api.errors import ApiError, invalid
from api.roles import Action
from domain.replenishment import InvalidReplenishment
from starter.replenish import BatchTimes, batch_times, send_stock_levels


async def stock_levels(call: Call) -> Response:
    raw = await call.body()
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid(["request: not valid JSON"], "the stock levels") from None
    if not isinstance(document, dict):
        raise invalid(["request: must be a JSON object"], "the stock levels")
    call.target = str(document.get("store_id"))[:64] if document.get("store_id") else None
    services = call.services
    if services.settings.replenishment_config is None:
        raise ApiError(503, "store replenishment is not configured here (REPLENISHMENT_CONFIG)")
    try:
        receipt = await send_stock_levels(services.client, services.pool, services.settings, document)
    except InvalidReplenishment as error:
        raise invalid(error.problems, "the stock levels") from None
    return json_response(receipt.model_dump(mode="json"), status=202)


async def batches(call: Call) -> Response:
    store_id = call.request.query_params.get("store_id")
    found = await batch_times(call.services.pool, store_id)
    return json_response(BatchTimes(batches=found).model_dump(mode="json"))


routes = [
    Route("/v1/stock-levels", endpoint(Action.STOCK_LEVELS, stock_levels), methods=["POST"]),
    Route("/v1/replenishment-batches", endpoint(Action.READ_REPLENISHMENT, batches), methods=["GET"]),
]
