"""Orders: pricing a cargo list, preview, create (with partial success), read, list, cancel, receipt.

State machine (docs/1688-wire-format.md section 12): waitbuyerpay -> waitsellersend ->
waitbuyerreceive -> confirm_goods -> success, plus cancel (buyer before payment, or seller after
it) and terminated (fully refunded after shipping). The seller-side moves live in logistics.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simulator.catalog import Offer, Supplier
from simulator.money import to_fen, yuan, yuan_text
from simulator.products import freight_for, quote_type
from simulator.wire import (
    GatewayError, Params, Reply, as_int, compact_time, param_invalid, parse_compact_time, trade_error, trade_ok,
)

if TYPE_CHECKING:
    from simulator.logistics import Shipment
    from simulator.market import Market

MAX_CARGO_LINES = 50
FLOWS = {"general", "saleproxy", "fenxiao"}
CANCEL_REASONS = {"buyerCancel", "sellerGoodsLack", "other"}

INSUFFICIENT_STOCK = "500_004"
BELOW_MOQ = "500_005"
MIX_BATCH_NOT_MET = "500_006"
OFFER_UNAVAILABLE = "500_001"  # (sim) the real code for an offline offer or unknown spec is undocumented


@dataclass
class OrderLine:
    entry_id: int
    offer_id: str
    spec_id: str
    sku_id: int
    subject: str
    unit: str
    attributes: dict[str, str]
    quantity: int
    unit_price: Decimal
    confirmed: bool = False

    @property
    def amount(self) -> Decimal:
        return yuan(self.unit_price * self.quantity)


@dataclass
class Order:
    order_id: int
    out_order_id: str | None
    supplier_id: str
    lines: list[OrderLine]
    post_fee: Decimal
    address: dict[str, Any]
    message: str | None
    flow: str
    created_at: datetime
    status: str = "waitbuyerpay"
    modified_at: datetime | None = None
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    completed_at: datetime | None = None
    close_reason: str | None = None
    close_operate_type: str | None = None
    close_remark: str | None = None
    refunded: Decimal = Decimal("0.00")
    refund_status: str | None = None
    shipments: list[Shipment] = field(default_factory=list)  # one per parcel, once shipped
    stock_taken: list[tuple[str, str, int]] = field(default_factory=list)
    discount: Decimal = Decimal("0.00")  # the seller's reduction, yuan (behaviour.discount)

    @property
    def shipment(self) -> Shipment | None:
        """The first parcel (the one the order detail's logistics items start with)."""
        return self.shipments[0] if self.shipments else None

    @property
    def goods(self) -> Decimal:
        return yuan(sum((line.amount for line in self.lines), Decimal(0)))

    @property
    def total(self) -> Decimal:
        return yuan(self.goods + self.post_fee - self.discount)


@dataclass
class Payment:
    order_id: int
    amount: Decimal
    channel: str
    op_request_id: str | None
    paid_at: datetime


@dataclass
class Refund:
    refund_id: str
    order_id: int
    amount: Decimal
    carriage: Decimal
    reason: str
    reason_id: int | None
    dispute_request: str
    goods_status: str | None
    description: str
    kind: str  # "buyer" (createRefund) or "seller_close" (cancel_after_pay)
    created_at: datetime
    # The refund's own life (simulator/refunds.py): 1688's refund status, changed by the seller's
    # behaviour knobs and the buyer's return; money counts as refunded only at "refundsuccess".
    status: str = "refundsuccess"
    changed_at: datetime | None = None
    completed_at: datetime | None = None
    entry_ids: list[int] = field(default_factory=list)
    entry_counts: dict[int, int] = field(default_factory=dict)
    reject_reason: str | None = None
    reject_reason_id: int | None = None
    reject_times: int = 0
    freight_bill: str | None = None
    logistics_company_no: str | None = None
    operations: list[dict[str, Any]] = field(default_factory=list)


# --- pricing a cargo list -------------------------------------------------------------------------

@dataclass
class CargoLine:
    offer_id: str
    spec_id: str | None
    quantity: int


@dataclass
class PricedLine:
    offer: Offer
    sku_index: int
    quantity: int
    unit_price: Decimal


@dataclass
class FailedLine:
    offer_id: str
    spec_id: str | None
    code: str
    message: str

    def wire(self) -> dict[str, Any]:
        offer_id: int | str = int(self.offer_id) if self.offer_id.isdigit() else self.offer_id
        return {"offerId": offer_id, "specId": self.spec_id, "errorCode": self.code, "errorMessage": self.message}


@dataclass
class Quote:
    supplier: Supplier | None
    lines: list[PricedLine]
    failed: list[FailedLine]
    post_fee: Decimal
    order_error: FailedLine | None = None

    @property
    def goods(self) -> Decimal:
        return yuan(sum((yuan(line.unit_price * line.quantity) for line in self.lines), Decimal(0)))


def parse_cargo(params: Params) -> list[CargoLine] | Reply:
    raw = params.json_list("cargoParamList")
    if not raw:
        raise GatewayError("gw.ParamMissing", "Required parameter 'cargoParamList' is missing")
    if len(raw) > MAX_CARGO_LINES:
        return trade_error("CARGO_LIST_TOO_LONG", f"一次最多下单 {MAX_CARGO_LINES} 个商品, 收到 {len(raw)}")
    cargo = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise param_invalid("cargoParamList", f"item {i} is not an object")
        offer_id = str(as_int(item.get("offerId"), f"cargoParamList[{i}].offerId"))
        quantity = item.get("quantity")
        if isinstance(quantity, float) and quantity.is_integer():
            quantity = int(quantity)  # documented as Double; whole numbers are fine
        if isinstance(quantity, str) and quantity.strip().isdigit():
            quantity = int(quantity)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            return trade_error("QUANTITY_INVALID", f"cargoParamList[{i}].quantity 必须是正整数: {quantity!r}")
        spec = item.get("specId")
        cargo.append(CargoLine(offer_id, str(spec) if spec not in (None, "") else None, quantity))
    return cargo


def _find_sku(offer: Offer, spec_id: str | None) -> int | None:
    if spec_id is None:
        return 0 if quote_type(offer) == 0 else None
    return next((i for i, sku in enumerate(offer.skus) if sku.spec_id == spec_id), None)


def price_cargo(market: Market, cargo: list[CargoLine], vat_invoice: bool) -> Quote | Reply:
    """Check and price a cargo list as preview and create both must (same rules, same order)."""
    offers = [market.catalog.offer(line.offer_id) for line in cargo]
    sellers = {o.supplier_id for o in offers if o is not None}
    if len(sellers) > 1:
        return trade_error("MULTIPLE_SELLERS", f"一个订单只能包含一个卖家的商品: {sorted(sellers)}")
    supplier = market.supplier(sellers.pop()) if sellers else None

    priced: list[PricedLine] = []
    failed: list[FailedLine] = []
    wanted: dict[tuple[str, str], int] = {}
    for line, offer in zip(cargo, offers):
        if offer is None or offer.status != "published":
            status = offer.status if offer else "不存在"
            failed.append(FailedLine(line.offer_id, line.spec_id, OFFER_UNAVAILABLE, f"商品不可购买: {line.offer_id} ({status})"))
            continue
        index = _find_sku(offer, line.spec_id)
        if index is None:
            failed.append(FailedLine(line.offer_id, line.spec_id, OFFER_UNAVAILABLE,
                                     f"规格不存在: offer {line.offer_id} spec {line.spec_id}"))
            continue
        spec_id = offer.skus[index].spec_id
        key = (offer.offer_id, spec_id)
        available = offer.behaviour.stock_at_order
        if available is None:
            available = market.stock[key]
        if wanted.get(key, 0) + line.quantity > available:
            failed.append(FailedLine(line.offer_id, spec_id, INSUFFICIENT_STOCK,
                                     f"库存不足: offer {line.offer_id} spec {spec_id} 可售 "
                                     f"{max(0, available - wanted.get(key, 0))}, 需要 {line.quantity}"))
            continue
        wanted[key] = wanted.get(key, 0) + line.quantity
        priced.append(PricedLine(offer, index, line.quantity, Decimal(0)))

    per_offer: dict[str, int] = {}
    for line in priced:
        per_offer[line.offer.offer_id] = per_offer.get(line.offer.offer_id, 0) + line.quantity
    for line in priced:
        price = line.offer.tier_price(per_offer[line.offer.offer_id])
        if vat_invoice:
            price = price * (1 + line.offer.tax_rate)
        line.unit_price = yuan(price)
    quote = Quote(supplier, priced, failed, yuan(0))
    quote.post_fee = yuan(sum((freight_for(market.catalog.offer(oid), q) for oid, q in per_offer.items()),  # type: ignore[arg-type]
                              Decimal(0)))

    below = [oid for oid, q in per_offer.items() if q < market.catalog.offer(oid).min_order_quantity]  # type: ignore[union-attr]
    if below and supplier is not None:
        offer = market.catalog.offer(below[0])
        assert offer is not None
        mix = supplier.mix_batch
        if mix is not None and len(per_offer) >= 2:
            pieces = sum(per_offer.values())
            if quote.goods < mix.min_amount or pieces < mix.min_quantity:
                quote.order_error = FailedLine(offer.offer_id, None, MIX_BATCH_NOT_MET,
                                               f"未达到混批条件: 需满 {yuan_text(mix.min_amount)} 元且 {mix.min_quantity} 件, "
                                               f"当前 {yuan_text(quote.goods)} 元 {pieces} 件")
        else:
            quote.order_error = FailedLine(offer.offer_id, None, BELOW_MOQ,
                                           f"未达到起批量: offer {offer.offer_id} 起批 {offer.min_order_quantity}, "
                                           f"当前 {per_offer[offer.offer_id]}")
    return quote


def split_by_warehouse(lines: list[PricedLine]) -> list[list[PricedLine]]:
    """The orders the platform makes of one create: one per warehouse the lines ship from
    (``offers[].warehouse``; unset offers share one), in the order the lines first name them."""
    groups: dict[str, list[PricedLine]] = {}
    for line in lines:
        groups.setdefault(line.offer.warehouse or "", []).append(line)
    return list(groups.values())


def post_fee_of(lines: list[PricedLine]) -> Decimal:
    per_offer: dict[str, tuple[Offer, int]] = {}
    for line in lines:
        offer, quantity = per_offer.get(line.offer.offer_id, (line.offer, 0))
        per_offer[line.offer.offer_id] = (offer, quantity + line.quantity)
    return yuan(sum((freight_for(offer, q) for offer, q in per_offer.values()), Decimal(0)))


def discount_of(supplier: Supplier | None, lines: list[PricedLine], post_fee: Decimal) -> Decimal:
    """The seller's reduction on one order, never more than the order is worth."""
    if supplier is None:
        return yuan(0)
    goods = yuan(sum((yuan(line.unit_price * line.quantity) for line in lines), Decimal(0)))
    return yuan(min(supplier.behaviour.discount, goods + post_fee))


def _address(params: Params) -> dict[str, Any] | Reply:
    address = params.json_object("addressParam")
    missing = [name for name in ("fullName", "provinceText", "cityText", "address") if not address.get(name)]
    if not (address.get("mobile") or address.get("phone")):
        missing.append("mobile")
    if missing:
        return trade_error("ADDRESS_INCOMPLETE", f"收货地址不完整, 缺少: {', '.join(missing)}")
    return address


def _vat(params: Params) -> bool:
    invoice = params.json("invoiceParam")
    return isinstance(invoice, dict) and str(invoice.get("invoiceType")) == "1"


def _cargo_wire(line: PricedLine) -> dict[str, Any]:
    return {"offerId": int(line.offer.offer_id), "specId": line.offer.skus[line.sku_index].spec_id,
            "skuId": line.offer.sku_id(line.sku_index), "amount": yuan_text(line.unit_price * line.quantity),
            "finalUnitPrice": yuan_text(line.unit_price), "resultCode": "200"}


def preview(market: Market, params: Params) -> Reply:
    address = _address(params)
    if isinstance(address, Reply):
        return _preview_error(address)
    cargo = parse_cargo(params)
    if isinstance(cargo, Reply):
        return _preview_error(cargo)
    quote = price_cargo(market, cargo, _vat(params))
    if isinstance(quote, Reply):
        return _preview_error(quote)
    problem = quote.failed[0] if quote.failed else quote.order_error
    if problem is not None:
        return _preview_error(trade_error(problem.code, problem.message))
    previews = []
    for lines in split_by_warehouse(quote.lines):
        post_fee = post_fee_of(lines) if len(quote.lines) != len(lines) else quote.post_fee
        goods = yuan(sum((yuan(line.unit_price * line.quantity) for line in lines), Decimal(0)))
        discount = discount_of(quote.supplier, lines, post_fee)
        goods_fen, post_fen, discount_fen = to_fen(goods), to_fen(post_fee), to_fen(discount)
        previews.append({
            "status": True, "flowFlag": params.text("flow", "general"), "tradeModeNameList": ["assureTrade"],
            "sumPayment": goods_fen + post_fen - discount_fen, "sumCarriage": post_fen,
            "sumPaymentNoCarriage": goods_fen - discount_fen,
            # The preview writes the reduction as a positive amount (the order list: negative).
            "discountFee": discount_fen, "additionalFee": 0,
            "cargoList": [_cargo_wire(line) for line in lines],
        })
    return trade_ok(orderPreviewResuslt=previews)


def _preview_error(reply: Reply) -> Reply:
    # The real preview names its message errorMsg; errorMessage stays as an alias.
    reply.body["errorMsg"] = reply.body.get("errorMessage")
    return reply


def fast_create(market: Market, params: Params) -> Reply:
    flow = params.required("flow")
    if flow not in FLOWS:
        return trade_error("FLOW_NOT_SUPPORTED", f"不支持的 flow: {flow}")
    address = _address(params)
    if isinstance(address, Reply):
        return address
    cargo = parse_cargo(params)
    if isinstance(cargo, Reply):
        return cargo
    quote = price_cargo(market, cargo, _vat(params))
    if isinstance(quote, Reply):
        return quote
    failed = [f.wire() for f in quote.failed]
    if quote.order_error is not None:
        err = quote.order_error
        return trade_error(err.code, err.message, result={"failedOfferList": failed})
    if not quote.lines or quote.supplier is None:
        first = quote.failed[0]
        return trade_error(first.code, first.message, result={"failedOfferList": failed})

    now = market.clock.now()
    groups = split_by_warehouse(quote.lines)
    created: list[Order] = []
    for group in groups:
        post_fee = post_fee_of(group) if len(groups) > 1 else quote.post_fee
        created.append(_new_order(market, params, quote.supplier, group, post_fee, address, flow, now))
    total_fen = sum(to_fen(order.total) for order in created)
    if len(created) == 1:
        order = created[0]
        result: dict[str, Any] = {"success": True, "code": None, "message": None, "orderId": str(order.order_id),
                                  "totalSuccessAmount": total_fen, "postFee": to_fen(order.post_fee),
                                  "failedOfferList": failed}
    else:
        # A split (the SDKs: orderId and postFee empty, the orders in multiOrders). The element
        # model is undocumented: the simulator names each order's id and amounts (fen) **(sim)**.
        result = {"success": True, "code": None, "message": None, "orderId": "", "postFee": "",
                  "totalSuccessAmount": total_fen, "failedOfferList": failed,
                  "multiOrders": [{"orderId": str(o.order_id), "totalSuccessAmount": to_fen(o.total),
                                   "postFee": to_fen(o.post_fee)} for o in created]}
    reply = trade_ok(result=result)
    reply.committed = True
    return reply


def _new_order(market: Market, params: Params, supplier: Supplier, priced: list[PricedLine], post_fee: Decimal,
               address: dict[str, Any], flow: str, now: datetime) -> Order:
    order_id = market.new_order_id()
    lines = []
    for n, line in enumerate(priced, start=1):
        sku = line.offer.skus[line.sku_index]
        lines.append(OrderLine(entry_id=order_id + n, offer_id=line.offer.offer_id, spec_id=sku.spec_id,
                               sku_id=line.offer.sku_id(line.sku_index), subject=line.offer.subject,
                               unit=line.offer.unit, attributes=dict(sku.attributes), quantity=line.quantity,
                               unit_price=line.unit_price))
        key = (line.offer.offer_id, sku.spec_id)
        taken = min(line.quantity, market.stock[key])  # a stock_at_order override may exceed the books
        market.stock[key] -= taken
    order = Order(order_id=order_id, out_order_id=params.text("outOrderId"), supplier_id=supplier.member_id,
                  lines=lines, post_fee=post_fee, address=address, message=params.text("message"), flow=flow,
                  created_at=now, modified_at=now, discount=discount_of(supplier, priced, post_fee))
    order.stock_taken = [(ln.offer_id, ln.spec_id, ln.quantity) for ln in lines]
    market.orders[order_id] = order
    return order


# --- reading orders -------------------------------------------------------------------------------

def _t(moment: datetime | None) -> str | None:
    return compact_time(moment) if moment else None


def _pay_status(order: Order) -> str:
    if order.paid_at is None:
        return "8" if order.status == "cancel" else "1"
    return "4" if order.refund_status == "refundsuccess" else "2"


def _logistics_status(order: Order, line: OrderLine) -> int:
    if line.confirmed or order.status in ("confirm_goods", "success"):
        return 3
    return 2 if order.shipment is not None else 1


def trade_info(market: Market, order: Order) -> dict[str, Any]:
    """``alibaba.openplatform.trade.model.TradeInfo``: what get.buyerView and the list return."""
    supplier = market.supplier(order.supplier_id)
    address = order.address
    area = " ".join(str(address.get(k, "")) for k in ("provinceText", "cityText", "areaText", "townText", "address")
                    if address.get(k))
    logistics_items = [
        {"id": s.logistics_id, "logisticsBillNo": s.bill_no, "logisticsCompanyName": s.company_name,
         "logisticsCompanyNo": s.company_no, "status": s.status, "deliveredTime": _t(order.shipped_at),
         "subItemIds": ",".join(str(e) for e in s.entry_ids)}
        for s in order.shipments
    ]
    return {
        "baseInfo": {
            "id": order.order_id, "idOfStr": str(order.order_id), "outOrderId": order.out_order_id,
            "status": order.status, "refundStatus": order.refund_status,
            "tradeType": "50060", "flowTemplateCode": "assureTrade",
            "totalAmount": yuan_text(order.total), "sumProductPayment": yuan_text(order.goods),
            # fen, negative for a reduction (as the published list sample writes it)
            "shippingFee": yuan_text(order.post_fee), "discount": -to_fen(order.discount),
            "refund": yuan_text(order.refunded), "refundPayment": to_fen(order.refunded),
            "createTime": _t(order.created_at), "modifyTime": _t(order.modified_at), "payTime": _t(order.paid_at),
            "allDeliveredTime": _t(order.shipped_at), "receivingTime": _t(order.received_at),
            "completeTime": _t(order.completed_at),
            "buyerID": market.catalog.app.buyer_member_id, "buyerLoginId": market.catalog.app.buyer_login_id,
            "sellerID": supplier.member_id, "sellerLoginId": supplier.login_id,
            "sellerCreditLevel": supplier.credit_level,
            "sellerContact": {"companyName": supplier.company_name, "name": supplier.company_name,
                              "shopName": supplier.company_name},
            "receiverInfo": {"toFullName": address.get("fullName"),
                             "toMobile": address.get("mobile") or address.get("phone"),
                             "toDivisionCode": address.get("districtCode", ""), "toArea": area},
            "closeReason": order.close_reason, "closeOperateType": order.close_operate_type,
            "closeRemark": order.close_remark, "remark": order.message,
        },
        "productItems": [{
            "subItemID": line.entry_id, "subItemIDString": str(line.entry_id),
            "productID": int(line.offer_id), "skuID": line.sku_id, "specId": line.spec_id, "name": line.subject,
            "quantity": line.quantity, "unit": line.unit, "price": yuan_text(line.unit_price),
            "itemAmount": yuan_text(line.amount), "refund": "0.00", "status": order.status,
            "logisticsStatus": _logistics_status(order, line),
            "skuInfos": [{"name": k, "value": v} for k, v in line.attributes.items()],
        } for line in order.lines],
        "tradeTerms": [{"payStatus": _pay_status(order), "phasAmount": yuan_text(order.total),
                        "payTime": _t(order.paid_at), "payWay": "13" if order.paid_at else None}],
        "nativeLogistics": {"contactPerson": address.get("fullName"),
                            "mobile": address.get("mobile") or address.get("phone"),
                            "province": address.get("provinceText"), "city": address.get("cityText"),
                            "area": address.get("areaText"), "address": address.get("address"),
                            "logisticsItems": logistics_items},
    }


def _order_by_id_or_out_id(market: Market, params: Params) -> Order | None:
    order_id = params.text("orderId")
    if order_id is not None:
        return market.order(as_int(order_id, "orderId"))
    out_order_id = params.text("outOrderId")
    if out_order_id is None:
        raise GatewayError("gw.ParamMissing", "Required parameter 'orderId' is missing")
    found = market.orders_by_out_id(out_order_id)
    return found[0] if found else None


def get_buyer_view(market: Market, params: Params) -> Reply:
    order = _order_by_id_or_out_id(market, params)
    if order is None:
        return Reply({"success": "false", "errorCode": "ORDER_NOT_FOUND", "errorMessage": "订单不存在"},
                     error_code="ORDER_NOT_FOUND")
    # The real API sends success as a string here.
    return Reply({"success": "true", "result": trade_info(market, order)})


def buyer_order_list(market: Market, params: Params) -> Reply:
    page = max(1, params.integer("page", 1) or 1)
    size = min(50, max(1, params.integer("pageSize", 20) or 20))
    status = params.text("orderStatus")
    out_order_id = params.text("outOrderId")
    seller = params.text("sellerMemberId")
    try:
        start = parse_compact_time(params.text("createStartTime")) if params.text("createStartTime") else None
        end = parse_compact_time(params.text("createEndTime")) if params.text("createEndTime") else None
    except ValueError:
        raise param_invalid("createStartTime", "expected yyyyMMddHHmmssSSS+0800") from None
    found = [o for o in market.orders.values()
             if (status is None or o.status == status) and (out_order_id is None or o.out_order_id == out_order_id)
             and (seller is None or o.supplier_id == seller)
             and (start is None or o.created_at >= start) and (end is None or o.created_at <= end)]
    found.sort(key=lambda o: (o.created_at, o.order_id), reverse=True)
    rows = [trade_info(market, o) for o in found[(page - 1) * size: page * size]]
    # The real list has no success field: an absent errorCode means success.
    return Reply({"result": rows, "totalRecord": len(found)})


# --- changing orders ------------------------------------------------------------------------------

def cancel(market: Market, params: Params) -> Reply:
    order = market.order(as_int(params.required("tradeID"), "tradeID"))
    reason = params.required("cancelReason")
    if reason not in CANCEL_REASONS:
        return trade_error("CANCEL_REASON_INVALID", f"cancelReason 只能是 {sorted(CANCEL_REASONS)}")
    if order is None:
        return trade_error("ORDER_NOT_FOUND", "订单不存在")
    if order.status != "waitbuyerpay":
        return trade_error("ORDER_STATUS_ERROR", f"只能取消待付款订单, 当前状态 {order.status}")
    now = market.clock.now()
    if now - order.created_at < timedelta(seconds=market.catalog.app.close_order_min_seconds):
        return trade_error("CLOSE_ORDER_TOO_FAST", "订单创建后立即取消过快, 请稍后再试")
    order.status = "cancel"
    order.close_operate_type = "CLOSE_TRADE_BY_BUYER"
    order.close_reason = reason
    order.close_remark = params.text("remark")
    order.modified_at = now
    market.return_stock(order)
    reply = trade_ok()
    reply.committed = True
    return reply


def receive_confirm(market: Market, params: Params) -> Reply:
    order = market.order(as_int(params.required("orderId"), "orderId"))
    entries = [as_int(e, "orderEntryIds") for e in params.json_list("orderEntryIds")]

    def error(code: str, info: str) -> Reply:
        return Reply({"result": {"success": False, "errorCode": code, "errorInfo": info}}, error_code=code)

    if order is None:
        return error("ORDER_NOT_FOUND", "订单不存在")
    if order.status != "waitbuyerreceive":
        return error("ORDER_STATUS_ERROR", f"只有待收货订单可以确认收货, 当前状态 {order.status}")
    by_id = {line.entry_id: line for line in order.lines}
    unknown = [e for e in entries if e not in by_id]
    if unknown or not entries:
        return error("ORDER_ENTRY_NOT_FOUND", f"子订单不属于该订单: {unknown or entries}")
    for entry in entries:
        by_id[entry].confirmed = True
    if all(line.confirmed for line in order.lines):
        now = market.clock.now()
        order.status = "confirm_goods"
        order.received_at = now
        order.modified_at = now
        market.emit("ORDER_BUYER_VIEW_ORDER_COMFIRM_RECEIVEGOODS", order, now)
    reply = Reply({"result": {"success": True, "errorCode": None, "errorInfo": None}}, committed=True)
    return reply
