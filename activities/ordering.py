"""Ordering steps: preview, create (exactly once), read back, cancel."""

from __future__ import annotations

import re
from decimal import Decimal

from temporalio import activity

from activities.attempt_deadline import ensure_time_to_send
from activities.gateway import GatewayActivities, failure_type
from alibaba1688 import Address, CargoLine
from alibaba1688 import models as api
from alibaba1688.errors import Alibaba1688Error, BusinessError, OrderStatusError
from domain.order import (
    CancelOrderRequest,
    CancelOrderResult,
    OrderEntry,
    OrderPreviewResult,
    OrderRequest,
    OrderView,
    PlacedOrder,
    PlacedPart,
    RefusedOffer,
)
from domain.request import DeliveryAddress

VAT_INVOICE = {"invoiceType": 1}


def address_of(delivery: DeliveryAddress) -> Address:
    return Address(
        full_name=delivery.full_name,
        mobile=delivery.mobile,
        province_text=delivery.province,
        city_text=delivery.city,
        area_text=delivery.area or None,
        address=delivery.address,
        post_code=delivery.post_code or None,
    )


def cargo_of(order: OrderRequest) -> list[CargoLine]:
    return [CargoLine(offer_id=l.offer_id, spec_id=l.spec_id, quantity=l.quantity) for l in order.lines]


def view_of(order: api.Order) -> OrderView:
    return OrderView(
        order_id=order.order_id,
        status=order.status,
        total=order.total_amount,
        freight=order.shipping_fee,
        entries=[
            OrderEntry(
                entry_id=line.entry_id,
                offer_id=line.offer_id,
                spec_id=line.spec_id,
                quantity=int(line.quantity),
                price=line.price,
            )
            for line in order.lines
        ],
    )


def placed_from_orders(order: OrderRequest, orders: list[api.Order], *, found_existing: bool = True) -> PlacedOrder:
    """What 1688 holds for one intended order: every order it made (oldest first, so the first
    part is the first the platform created), their sum, and the lines none of them holds."""
    orders = sorted(orders, key=lambda o: (o.created_at is None, o.created_at, o.order_id))
    parts = [
        PlacedPart(order_id=o.order_id, total=o.total_amount, freight=o.shipping_fee,
                   offer_ids=sorted({line.offer_id for line in o.lines if line.offer_id}))
        for o in orders
    ]
    ordered = {offer_id for part in parts for offer_id in part.offer_ids}
    refused = [
        RefusedOffer(offer_id=l.offer_id, spec_id=l.spec_id, reason="not in the orders 1688 created")
        for l in order.lines
        if l.offer_id not in ordered
    ]
    freights = [p.freight for p in parts]
    return PlacedOrder(
        order_id=parts[0].order_id,
        out_order_id=order.out_order_id,
        total=sum((p.total for p in parts), Decimal(0)),
        freight=sum(freights, Decimal(0)) if all(f is not None for f in freights) else None,  # type: ignore[arg-type]
        refused=refused,
        found_existing=found_existing,
        parts=parts if len(parts) > 1 else [],
    )


def offers_named(message: str, order: OrderRequest) -> list[str]:
    """The offers of this order that a refusal's text names (1688 names the offer it refuses)."""
    numbers = set(re.findall(r"\d{6,}", message))
    return [l.offer_id for l in order.lines if l.offer_id in numbers]


class OrderingActivities(GatewayActivities):
    @activity.defn
    async def preview_order(self, order: OrderRequest) -> OrderPreviewResult:
        invoice = VAT_INVOICE if order.needs_vat_invoice else None
        try:
            preview = await self._client.preview_order(address_of(order.delivery), cargo_of(order), invoice=invoice)
        except BusinessError as error:
            # A refusal is an answer, not a failure of this step: say which offers it concerns.
            code = failure_type(error)
            named = offers_named(error.message, order)
            if not named and len(order.lines) == 1:
                named = [order.lines[0].offer_id]
            if named:
                return OrderPreviewResult(refused=[RefusedOffer(offer_id=o, code=code, reason=error.message) for o in named])
            return OrderPreviewResult(refused_all=f"{code}: {error.message}")
        except Alibaba1688Error as error:
            raise self._failure(error) from None
        return OrderPreviewResult(total=preview.total_payment, freight=preview.total_carriage)

    @activity.defn
    async def create_order(self, order: OrderRequest) -> PlacedOrder:
        # Creating is not idempotent on 1688. Any attempt after the first may follow one whose
        # orders exist although we never saw the reply: look them all up by our out_order_id
        # first (a split create made several, each carrying that out_order_id).
        if activity.info().attempt > 1:
            existing = await self._call(self._client.find_orders_by_out_order_id(order.out_order_id))
            if existing:
                return placed_from_orders(order, existing)
        invoice = VAT_INVOICE if order.needs_vat_invoice else None
        ensure_time_to_send(f"order {order.out_order_id}")
        created = await self._call(
            self._client.create_order(
                address_of(order.delivery), cargo_of(order), order.out_order_id,
                message=order.message, invoice=invoice,
            )
        )
        refused = [
            RefusedOffer(offer_id=f.offer_id, spec_id=f.spec_id, code=f.error_code,
                         reason=f.error_message or f.error_code or "refused by 1688")
            for f in created.failed_offers
        ]
        if created.is_split:
            # The reply names the orders but not what each holds (nor, reliably, its amounts):
            # read each one back, as the warehouse and the payment step need both.
            orders = [await self._call(self._client.get_order(part.order_id)) for part in created.orders]
            placed = placed_from_orders(order, orders, found_existing=False)
            return placed.model_copy(update={"refused": refused or placed.refused})
        return PlacedOrder(
            order_id=created.order_id or None,
            out_order_id=order.out_order_id,
            total=created.total_success_amount,
            freight=created.post_fee,
            refused=refused,
        )

    @activity.defn
    async def get_order(self, order_id: str) -> OrderView:
        return view_of(await self._call(self._client.get_order(order_id)))

    @activity.defn
    async def cancel_order(self, request: CancelOrderRequest) -> CancelOrderResult:
        try:
            await self._client.cancel_order(request.order_id, "buyerCancel", remark=request.reason[:100])
        except OrderStatusError:
            # Already closed (a retry after a lost reply), or paid meanwhile: read what it is.
            order = await self._call(self._client.get_order(request.order_id))
            return CancelOrderResult(cancelled=order.status in ("cancel", "terminated"), status=order.status)
        except Alibaba1688Error as error:
            raise self._failure(error) from None
        return CancelOrderResult(cancelled=True, status="cancel")
