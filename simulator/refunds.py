"""Refunds: the reason list and createRefund, checked the way the real API documents (5001-5012).

The simulated seller agrees at once, so a refund is money back immediately; a refund of
everything paid closes the order (cancel before shipping, terminated after).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from simulator.money import from_fen, to_fen
from simulator.wire import Params, Reply, as_int, nested_error, nested_ok

if TYPE_CHECKING:
    from simulator.market import Market

NOT_RECEIVED = {"refundWaitSellerSend", "refundWaitBuyerReceive", "aftersaleBuyerNotReceived"}
RECEIVED = {"refundBuyerReceived", "aftersaleBuyerReceived"}
REASONS_NOT_RECEIVED = {20001: "不想要了", 20002: "拍错/多拍/不喜欢", 20003: "卖家缺货", 20004: "未按约定时间发货"}
REASONS_RECEIVED = {20011: "质量问题", 20012: "少件/漏发", 20013: "与描述不符", 20014: "收到商品破损"}
# goodsStatus -> the order statuses it describes
GOODS_STATUS_ORDER = {
    "refundWaitSellerSend": {"waitsellersend"},
    "refundWaitBuyerReceive": {"waitbuyerreceive"},
    "refundBuyerReceived": {"waitbuyerreceive"},
    "aftersaleBuyerNotReceived": {"confirm_goods", "success"},
    "aftersaleBuyerReceived": {"confirm_goods", "success"},
}


def _reasons(goods_status: str) -> dict[int, str]:
    return REASONS_RECEIVED if goods_status in RECEIVED else REASONS_NOT_RECEIVED


def reason_list(market: Market, params: Params) -> Reply:
    order = market.order(as_int(params.required("orderId"), "orderId"))
    params.json_list("orderEntryIds")
    goods_status = params.required("goodsStatus")
    if order is None:
        return nested_error("5001", "订单不存在")
    if goods_status not in GOODS_STATUS_ORDER:
        return nested_error("5003", f"货物状态不合法: {goods_status}")
    reasons = [{"id": rid, "name": name, "needVoucher": False, "noRefundCarriage": goods_status in RECEIVED, "tip": ""}
               for rid, name in _reasons(goods_status).items()]
    return nested_ok({"reasons": reasons}, code=None, message=None)


def create_refund(market: Market, params: Params) -> Reply:
    order = market.order(as_int(params.required("orderId"), "orderId"))
    entries = [as_int(e, "orderEntryIds") for e in params.json_list("orderEntryIds")]
    dispute = params.required("disputeRequest")
    apply_fen = as_int(params.required("applyPayment"), "applyPayment")
    carriage_fen = params.integer("applyCarriage", 0) or 0
    reason_id = as_int(params.required("applyReasonId"), "applyReasonId")
    description = params.required("description")
    goods_status = params.required("goodsStatus")

    if order is None:
        return nested_error("5001", "订单不存在")
    if order.paid_at is None or order.status in ("cancel", "terminated", "waitbuyerpay"):
        return nested_error("5010", f"订单当前不支持退款: {order.status}")
    if goods_status not in GOODS_STATUS_ORDER or order.status not in GOODS_STATUS_ORDER[goods_status]:
        return nested_error("5003", f"货物状态 {goods_status} 与订单状态 {order.status} 不符")
    if dispute not in ("refund", "returnRefund") or (dispute == "returnRefund" and goods_status not in RECEIVED):
        return nested_error("5010", "退款退货只能在买家已收到货后申请")
    if reason_id not in _reasons(goods_status):
        return nested_error("5004", f"退款原因不正确: {reason_id}")
    if not 2 <= len(description) <= 150:
        return nested_error("5012", "退款说明需要 2-150 个字")
    if {e for e in entries} - {line.entry_id for line in order.lines} or not entries:
        return nested_error("5010", f"子订单不属于该订单: {entries}")
    left = to_fen(order.total) - to_fen(order.refunded)
    if apply_fen <= 0 or carriage_fen < 0 or apply_fen + carriage_fen > left:
        return nested_error("5011", f"退款金额不能大于实付金额 (可退 {left} 分)")

    now = market.clock.now()
    refund = market.record_refund(order, from_fen(apply_fen), from_fen(carriage_fen), _reasons(goods_status)[reason_id],
                                  reason_id=reason_id, dispute_request=dispute, goods_status=goods_status,
                                  description=description, kind="buyer", at=now)
    order.modified_at = now
    if order.refunded >= order.total - Decimal("0.00"):
        order.refund_status = "refundsuccess"
        order.status = "cancel" if order.shipment is None else "terminated"
        order.close_operate_type = "CLOSE_TRADE_BY_BUYER"
        order.close_reason = "refund"
        if order.shipment is None:
            market.return_stock(order)
    reply = nested_ok({"refundId": refund.refund_id}, code=None, message=None)
    reply.committed = True
    return reply
