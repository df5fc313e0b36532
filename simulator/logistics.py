"""Shipments and the seller's side of the order: shipping, courier progress, closing after payment.

Every move is a *transition* with a due time on the simulator clock. The market applies due
transitions lazily (on each request, and from a ticker when served over HTTP) or forces them with
``POST /_sim/advance``; the supplier's behaviour knobs (ship_after_hours, stall_at,
cancel_after_pay) only change which transition comes next and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simulator.wire import Params, Reply, as_int, trade_error, trade_ok, trace_time

if TYPE_CHECKING:
    from simulator.market import Market
    from simulator.orders import Order

# How long the courier takes from each status to the next (simulated hours).
COURIER_HOURS = {"WAITACCEPT": 2.0, "ACCEPT": 6.0, "TRANSPORT": 48.0}
NEXT_STATUS = {"WAITACCEPT": "ACCEPT", "ACCEPT": "TRANSPORT", "TRANSPORT": "SIGN"}
SETTLE_AFTER = timedelta(hours=24)  # confirm_goods -> success
PARCEL_GAP_HOURS = 3.0  # parcel k of an order is picked up k x this later than the first


@dataclass
class TraceStep:
    at: datetime
    remark: str


@dataclass
class Shipment:
    logistics_id: str
    bill_no: str
    company_name: str
    company_no: str
    status: str
    changed_at: datetime
    steps: list[TraceStep] = field(default_factory=list)
    entry_ids: list[int] = field(default_factory=list)  # the order lines this parcel carries


def next_transition(market: Market, order: Order) -> tuple[datetime, str] | None:
    """(due time, kind) of the order's next seller/courier move, or None when nothing will move."""
    supplier = market.supplier(order.supplier_id)
    if order.status == "waitsellersend" and order.paid_at is not None:
        due = order.paid_at + timedelta(hours=supplier.behaviour.ship_after_hours)
        return due, "seller_close" if supplier.behaviour.cancel_after_pay else "ship"
    if order.status in ("waitbuyerreceive", "confirm_goods") and order.shipments:
        moving = [
            (shipment.changed_at + timedelta(hours=COURIER_HOURS[shipment.status]), f"courier:{i}")
            for i, shipment in enumerate(order.shipments)
            if shipment.status in NEXT_STATUS and shipment.status != supplier.behaviour.stall_at
        ]
        if moving:
            return min(moving)
    if order.status == "confirm_goods" and order.received_at is not None:
        return order.received_at + SETTLE_AFTER, "settle"
    return None


def _remark(market: Market, order: Order, status: str) -> str:
    supplier = market.supplier(order.supplier_id)
    to_city = order.address.get("cityText") or "目的地"
    return {
        "WAITACCEPT": "卖家已发货，等待快递揽收",
        "ACCEPT": f"【{supplier.city}】快递员已揽件",
        "TRANSPORT": f"【{supplier.city}转运中心】已发出，下一站【{to_city}转运中心】",
        "SIGN": f"【{to_city}】快件已签收，签收人：本人",
    }[status]


def apply_transition(market: Market, order: Order, kind: str, at: datetime) -> dict[str, Any]:
    if kind == "ship":
        supplier = market.supplier(order.supplier_id)
        count = min(supplier.behaviour.parcels, len(order.lines))
        order.shipments = []
        for k in range(count):
            market.shipment_seq += 1
            # Parcels leave together but the courier picks each up a little later than the last.
            order.shipments.append(Shipment(
                logistics_id=f"LP{k:02d}{order.order_id % 10**14:014d}",
                bill_no=f"SF{1_000_000_000 + market.shipment_seq}",
                company_name="顺丰速运", company_no="SF", status="WAITACCEPT",
                changed_at=at + timedelta(hours=PARCEL_GAP_HOURS * k),
                steps=[TraceStep(at, _remark(market, order, "WAITACCEPT"))],
                entry_ids=[line.entry_id for n, line in enumerate(order.lines) if n % count == k],
            ))
        order.status = "waitbuyerreceive"
        order.shipped_at = at
        order.modified_at = at
        market.emit("ORDER_BUYER_VIEW_ANNOUNCE_SENDGOODS", order, at)
        for shipment in order.shipments:
            market.emit("LOGISTICS_BUYER_VIEW_TRACE", order, at, logisticsId=shipment.logistics_id,
                        statusChanged="WAITACCEPT")
        shipped = {"order_id": str(order.order_id), "event": "shipped", "logistics_status": "WAITACCEPT"}
        return shipped if len(order.shipments) == 1 else {**shipped, "parcels": len(order.shipments)}
    if kind.startswith("courier"):
        shipment = order.shipments[int(kind.partition(":")[2] or 0)]
        shipment.status = NEXT_STATUS[shipment.status]
        shipment.changed_at = at
        shipment.steps.append(TraceStep(at, _remark(market, order, shipment.status)))
        order.modified_at = at
        market.emit("LOGISTICS_BUYER_VIEW_TRACE", order, at, logisticsId=shipment.logistics_id,
                    statusChanged=shipment.status)
        return {"order_id": str(order.order_id), "event": "logistics", "logistics_status": shipment.status}
    if kind == "seller_close":
        order.status = "cancel"
        order.close_operate_type = "CLOSE_TRADE_BY_SELLER"
        order.close_reason = "sellerGoodsLack"
        order.close_remark = "卖家缺货，关闭交易并全额退款"
        order.modified_at = at
        paid_left = order.total - order.refunded
        if paid_left > 0:
            market.record_refund(order, paid_left, Decimal(0), "卖家缺货", reason_id=None,
                                 dispute_request="refund", goods_status=None,
                                 description="卖家关闭订单", kind="seller_close", at=at)
            order.refund_status = "refundsuccess"
        market.return_stock(order)
        market.emit("ORDER_BUYER_VIEW_ORDER_SELLER_CLOSE", order, at)
        return {"order_id": str(order.order_id), "event": "seller_closed", "status": "cancel"}
    if kind == "settle":
        order.status = "success"
        order.completed_at = at
        order.modified_at = at
        market.emit("ORDER_BUYER_VIEW_ORDER_SUCCESS", order, at)
        return {"order_id": str(order.order_id), "event": "success", "status": "success"}
    raise ValueError(f"unknown transition {kind}")


# --- the logistics APIs ---------------------------------------------------------------------------

def _shipped_order(market: Market, params: Params) -> Order | Reply:
    order = market.order(as_int(params.required("orderId"), "orderId"))
    if order is None:
        return trade_error("ORDER_NOT_FOUND", "订单不存在")
    if order.shipment is None:
        return trade_error("500_2", "该订单还未发货，没有物流信息")
    return order


def logistics_infos(market: Market, params: Params) -> Reply:
    """One row per parcel (``behaviour.parcels``), each with the order lines it carries."""
    found = _shipped_order(market, params)
    if isinstance(found, Reply):
        return found
    order = found
    supplier = market.supplier(order.supplier_id)
    address = order.address
    by_entry = {line.entry_id: line for line in order.lines}
    rows = []
    for shipment in order.shipments:
        lines = [by_entry[e] for e in shipment.entry_ids if e in by_entry]
        rows.append({
            "logisticsId": shipment.logistics_id,
            "logisticsBillNo": shipment.bill_no,
            "orderEntryIds": ",".join(str(line.entry_id) for line in lines),
            "status": shipment.status,
            "logisticsCompanyId": "7",
            "logisticsCompanyName": shipment.company_name,
            "logisticsCompanyNo": shipment.company_no,
            "remarks": "",
            "gmtSystemSend": trace_time(order.shipped_at or shipment.changed_at),
            "sendGoods": [{"goodName": line.subject, "quantity": str(line.quantity), "unit": line.unit}
                          for line in lines],
            "sender": {"senderName": supplier.company_name, "senderProvince": supplier.province,
                       "senderCity": supplier.city, "senderAddress": ""},
            "receiver": {"receiverName": address.get("fullName", ""),
                         "receiverMobile": address.get("mobile") or address.get("phone", ""),
                         "receiverProvince": address.get("provinceText", ""),
                         "receiverCity": address.get("cityText", ""),
                         "receiverCounty": address.get("areaText", ""),
                         "receiverAddress": address.get("address", "")},
        })
    return trade_ok(result=rows)


NO_TRACE = "404"  # the published code: 无法找到相对应的物流单跟踪信息


def logistics_trace(market: Market, params: Params) -> Reply:
    """Every parcel's steps (or the one ``logisticsId`` names). Within
    ``behaviour.trace_after_hours`` of shipping the courier has reported nothing: the published
    ``404`` error, as the real API answers right after a seller ships."""
    found = _shipped_order(market, params)
    if isinstance(found, Reply):
        return found
    order = found
    supplier = market.supplier(order.supplier_id)
    lag = timedelta(hours=supplier.behaviour.trace_after_hours)
    if order.shipped_at is not None and market.clock.now() < order.shipped_at + lag:
        return trade_error(NO_TRACE, "无法找到相对应的物流单跟踪信息。")
    wanted = params.text("logisticsId")
    parcels = [s for s in order.shipments if not wanted or s.logistics_id == wanted]
    if not parcels:
        return trade_error(NO_TRACE, "无法找到相对应的物流单跟踪信息。")
    return trade_ok(logisticsTrace=[{
        "logisticsId": shipment.logistics_id,
        "logisticsBillNo": shipment.bill_no,
        "orderId": order.order_id,
        "logisticsSteps": [{"acceptTime": trace_time(s.at), "remark": s.remark} for s in shipment.steps],
    } for shipment in parcels])
