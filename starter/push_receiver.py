"""The 1688 push receiver: order and logistics events wake the order they concern.

1688 POSTs a form with `message` (JSON) and `_aop_signature` (HMAC-SHA1 over "message" + the
JSON, with the app secret). Delivery is at least once and unordered, so an event carries no
state for us: it only asks the order's workflow to read 1688 again now instead of at its next
timer (`shipment_event` signal). A lost event costs nothing but time, because the timer still
polls. A message whose signature does not check is refused and wakes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import sys
from urllib.parse import parse_qs

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.client import Client
from temporalio.service import RPCError

from alibaba1688.signing import sign_push_message
from domain.progress import Stage
from starter.find import order_query
from workflows import search_attributes as sa

PUSH_PATH = "/1688/push"
SHIPMENT_EVENT_SIGNAL = "shipment_event"
# Topics after which the order's state on 1688 may have moved on for an order following its
# parcel. "Order paid" (ORDER_BUYER_VIEW_ORDER_PAY) is not among them: no step waits for it (our
# payment step reads 1688's answer itself, and an order paid through a link is read back on its
# own timer), and waking an order costs it a signal and a workflow task in its history.
WAKING_TOPICS = {
    "ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS", "LOGISTICS_BUYER_VIEW_TRACE",
    "ORDER_BUYER_VIEW_ORDER_COMFIRM_RECEIVEGOODS", "ORDER_BUYER_VIEW_ORDER_SELLER_CLOSE",
    "ORDER_BUYER_VIEW_ORDER_SUCCESS",
}
# Only an order in these stages reads 1688 on a push (its shipment loop); PAYING too, because an
# order just paid may not show IN_TRANSIT in visibility yet. Past them (QC, settling) a push could
# only wake it for nothing; an order without the attribute is woken, to be safe.
WAKING_STAGES = {Stage.PAYING.value, Stage.IN_TRANSIT.value}
log = logging.getLogger(__name__)


def order_id_of(message: dict) -> str | None:
    data = message.get("data") if isinstance(message.get("data"), dict) else {}
    for value in (data.get("orderId"), message.get("bizKey")):
        text = str(value) if value is not None else ""
        if text.isdigit():
            return text
    return None


async def wake_order(client: Client, order_id: str) -> list[str]:
    """Signal every running workflow of this 1688 order; the ids it woke."""
    woken = []
    async for execution in client.list_workflows(order_query(order_id, running=True)):
        stage = execution.typed_search_attributes.get(sa.STAGE)
        if stage is not None and stage not in WAKING_STAGES:
            continue
        try:
            await client.get_workflow_handle(execution.id).signal(SHIPMENT_EVENT_SIGNAL)
            woken.append(execution.id)
        except RPCError:  # it closed meanwhile: nothing left to wake
            log.info("order workflow %s closed before the push reached it", execution.id)
    return woken


def create_app(client: Client, app_secret: SecretStr) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        # A plain urlencoded form, parsed by hand: values stay byte-exact for the signature.
        form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
        message_json = form.get("message", [None])[0]
        signature = form.get("_aop_signature", [None])[0]
        if not isinstance(message_json, str) or not isinstance(signature, str):
            return JSONResponse({"success": False, "error": "message and _aop_signature are required"}, 400)
        expected = sign_push_message(message_json, app_secret.get_secret_value())
        if not hmac.compare_digest(expected, signature.upper()):
            return JSONResponse({"success": False, "error": "signature does not match"}, 401)
        try:
            message = json.loads(message_json)
        except ValueError:
            return JSONResponse({"success": False, "error": "message is not JSON"}, 400)
        if not isinstance(message, dict):
            return JSONResponse({"success": False, "error": "message is not a JSON object"}, 400)
        order_id = order_id_of(message)
        woken: list[str] = []
        if message.get("type") in WAKING_TOPICS and order_id is not None:
            woken = await wake_order(client, order_id)
        # Acknowledge everything that is genuine, even with nothing to wake: a refusal would only
        # make 1688 deliver it again.
        return JSONResponse({"success": True, "woken": woken})

    return Starlette(routes=[Route(PUSH_PATH, receive, methods=["POST"])])


def main(argv: list[str] | None = None) -> int:
    from runtime.connection import TemporalUnreachable, connect_temporal
    from runtime.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="procure push-receiver", description="Receive 1688 push messages.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8689)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        _, secret, _, _ = settings.alibaba_credentials()
    except SettingsError as exc:
        print(f"procure push-receiver: {exc}", file=sys.stderr)
        return 2

    async def serve() -> int:
        try:
            client = await connect_temporal(settings)
        except TemporalUnreachable as exc:
            print(f"procure push-receiver: {exc}", file=sys.stderr)
            return 3
        config = uvicorn.Config(create_app(client, secret), host=args.host, port=args.port, log_level="warning")
        server = uvicorn.Server(config)
        print(f"push receiver listening on http://{args.host}:{args.port}{PUSH_PATH}", flush=True)
        await server.serve()
        return 0 if server.started else 1

    return asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
