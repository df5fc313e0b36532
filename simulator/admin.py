"""Admin endpoints under ``/_sim/`` (INTERFACES.md section 4, plus what tests and the demo need).

Not part of 1688: no signature, no token, no rate limit, and never recorded in ``GET /_sim/calls``.
Every body is JSON; money is a yuan string, ids are strings.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulator.faults import FaultSettings
from simulator.money import yuan_text
from simulator.orders import Order
from simulator.payments import record_payment

if TYPE_CHECKING:
    from simulator.app import Simulator


class AdvanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int | None = Field(default=None, ge=1, le=1000)
    hours: float | None = Field(default=None, gt=0)


class ClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advance_seconds: float | None = Field(default=None, ge=0)
    speed: float | None = Field(default=None, ge=0)


class ExpireRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh: bool = False


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None


def order_json(order: Order) -> dict[str, Any]:
    return {
        "order_id": str(order.order_id),
        "out_order_id": order.out_order_id,
        "supplier_id": order.supplier_id,
        "status": order.status,
        "amount": yuan_text(order.total),
        "goods_amount": yuan_text(order.goods),
        "post_fee": yuan_text(order.post_fee),
        "refunded": yuan_text(order.refunded),
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "logistics_status": order.shipment.status if order.shipment else None,
        "address": order.address,  # as the buyer sent it (1688 has it; our audit trail masks it)
        "lines": [{"entry_id": str(line.entry_id), "offer_id": line.offer_id, "spec_id": line.spec_id,
                   "quantity": line.quantity, "unit_price": yuan_text(line.unit_price)} for line in order.lines],
    }


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    return json.loads(raw)


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def admin_routes(sim: Simulator) -> list[Route]:
    async def orders(request: Request) -> JSONResponse:
        async with sim.lock:
            sim.market.catch_up()
            return JSONResponse([order_json(o) for o in sim.market.orders.values()])

    async def inquiries(request: Request) -> JSONResponse:
        from simulator.inquiries import snapshot

        async with sim.lock:
            return JSONResponse(snapshot(sim.market))

    async def payments(request: Request) -> JSONResponse:
        return JSONResponse([{"order_id": str(p.order_id), "amount": yuan_text(p.amount), "channel": p.channel,
                              "op_request_id": p.op_request_id, "paid_at": p.paid_at.isoformat()}
                             for p in sim.market.payments])

    async def refunds(request: Request) -> JSONResponse:
        async with sim.lock:
            sim.market.catch_up()
            return JSONResponse([{
                "refund_id": r.refund_id, "order_id": str(r.order_id), "amount": yuan_text(r.amount),
                "carriage": yuan_text(r.carriage), "reason": r.reason, "reason_id": r.reason_id,
                "dispute_request": r.dispute_request, "goods_status": r.goods_status,
                "description": r.description, "kind": r.kind, "created_at": r.created_at.isoformat(),
                "status": r.status, "entry_ids": [str(e) for e in r.entry_ids],
                "entry_counts": {str(e): n for e, n in r.entry_counts.items()},
                "reject_reason": r.reject_reason, "freight_bill": r.freight_bill,
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            } for r in sim.market.refunds])

    async def calls(request: Request) -> JSONResponse:
        return JSONResponse(sim.calls)

    async def advance(request: Request) -> JSONResponse:
        try:
            body = AdvanceRequest.model_validate(await _body(request))
        except (ValidationError, ValueError) as exc:
            return _bad(f"advance takes {{\"steps\": n}} or {{\"hours\": h}}: {exc}")
        if (body.steps is None) == (body.hours is None):
            return _bad('advance takes exactly one of {"steps": n} or {"hours": h}')
        async with sim.lock:
            done = sim.market.catch_up()
            if body.steps is not None:
                done += sim.market.step(body.steps)
            else:
                sim.clock.advance(timedelta(hours=body.hours or 0))
                done += sim.market.catch_up()
        await sim.tick()  # deliver the push messages these moves raised
        return JSONResponse({"now": sim.clock.now().isoformat(), "transitions": done})

    async def faults(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                settings = FaultSettings.model_validate(await _body(request))
            except (ValidationError, ValueError) as exc:
                return _bad(f"bad faults: {exc}")
            sim.faults.configure(settings)
        return JSONResponse(sim.faults.describe())

    async def reset(request: Request) -> JSONResponse:
        async with sim.lock:
            sim.reset()
        return JSONResponse({"reset": True})

    async def expire_tokens(request: Request) -> JSONResponse:
        try:
            body = ExpireRequest.model_validate(await _body(request))
        except (ValidationError, ValueError) as exc:
            return _bad(str(exc))
        async with sim.lock:
            count = sim.tokens.expire_access(sim.clock.now())
            if body.refresh:
                sim.tokens.expire_refresh(sim.clock.now())
        return JSONResponse({"expired_access_tokens": count, "expired_refresh_tokens": body.refresh})

    async def new_code(request: Request) -> JSONResponse:
        async with sim.lock:
            return JSONResponse({"code": sim.tokens.issue_code(sim.clock.now())})

    async def clock(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = ClockRequest.model_validate(await _body(request))
            except (ValidationError, ValueError) as exc:
                return _bad(str(exc))
            async with sim.lock:
                if body.speed is not None:
                    sim.clock.set_speed(body.speed)
                if body.advance_seconds:
                    sim.clock.advance(timedelta(seconds=body.advance_seconds))
                sim.market.catch_up()
        return JSONResponse({"now": sim.clock.now().isoformat(), "speed": sim.clock.speed})

    async def pay_by_person(request: Request) -> JSONResponse:
        try:
            order_id = int(request.path_params["order_id"])
        except ValueError:
            return _bad("order id must be digits")
        async with sim.lock:
            order = sim.market.order(order_id)
            if order is None:
                return JSONResponse({"error": "order not found"}, status_code=404)
            if order.status != "waitbuyerpay":
                return JSONResponse({"error": f"order is {order.status}, not waitbuyerpay"}, status_code=409)
            payment = record_payment(sim.market, order, "ALIPAY", None)
        return JSONResponse({"order_id": str(order_id), "amount": yuan_text(payment.amount)})

    async def cashier(request: Request) -> JSONResponse:
        ids = [i for i in request.query_params.get("orderIds", "").split(",") if i.isdigit()]
        found = [sim.market.order(int(i)) for i in ids]
        return JSONResponse({"orders": [order_json(o) for o in found if o is not None],
                             "pay_with": "POST /_sim/orders/{order_id}/pay"})

    async def push(request: Request) -> JSONResponse:
        if request.method == "POST":
            try:
                body = PushRequest.model_validate(await _body(request))
            except (ValidationError, ValueError) as exc:
                return _bad(str(exc))
            sim.push.url = body.url
        return JSONResponse({"url": sim.push.url, "delivered": len(sim.push.delivered),
                             "dropped": len(sim.push.dropped)})

    async def catalog(request: Request) -> JSONResponse:
        return JSONResponse(sim.catalog.model_dump(mode="json"))

    return [
        Route("/_sim/orders", orders, methods=["GET"]),
        Route("/_sim/payments", payments, methods=["GET"]),
        Route("/_sim/refunds", refunds, methods=["GET"]),
        Route("/_sim/calls", calls, methods=["GET"]),
        Route("/_sim/inquiries", inquiries, methods=["GET"]),
        Route("/_sim/advance", advance, methods=["POST"]),
        Route("/_sim/faults", faults, methods=["GET", "POST"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sim/tokens/code", new_code, methods=["POST"]),
        Route("/_sim/clock", clock, methods=["GET", "POST"]),
        Route("/_sim/orders/{order_id}/pay", pay_by_person, methods=["POST"]),
        Route("/_sim/cashier", cashier, methods=["GET"]),
        Route("/_sim/push", push, methods=["GET", "POST"]),
        Route("/_sim/catalog", catalog, methods=["GET"]),
    ]
