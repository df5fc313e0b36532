"""Payment: the password-free protocol pay (isopen, preparePay) and the cashier link for people.

Paying an order that is already paid is refused (ORDER_STATUS_ERROR), never charged twice: the
caller is expected to re-read the order before retrying a payment whose reply it lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.money import to_fen
from simulator.orders import Order, Payment
from simulator.wire import Params, Reply, as_int, nested_error, nested_ok, param_invalid

if TYPE_CHECKING:
    from simulator.market import Market

PAY_CHANNELS = {"alipay": "ALIPAY", "shegou": "SHEGOU", "kjpayv2": "KJPAY"}


def record_payment(market: Market, order: Order, channel: str, op_request_id: str | None) -> Payment:
    """The money moves: the order becomes waitsellersend and the seller's clock starts."""
    now = market.clock.now()
    payment = Payment(order_id=order.order_id, amount=order.total, channel=channel,
                      op_request_id=op_request_id, paid_at=now)
    market.payments.append(payment)
    order.status = "waitsellersend"
    order.paid_at = now
    order.modified_at = now
    market.emit("ORDER_BUYER_VIEW_ORDER_PAY", order, now)
    return payment


def is_open(market: Market, params: Params) -> Reply:
    open_ = market.catalog.app.protocol_pay_open
    alipay = {"payChannel": "ALIPAY", "bindingStatus": "true" if open_ else "false",
              "signedStatus": "true" if open_ else "false"}
    if open_:
        alipay["agreementNo"] = "SIM-AGREEMENT-1"
    else:
        alipay["signUrl"] = "https://sim.1688.local/sign"
    return nested_ok({"paymentAgreements": [
        alipay,
        {"payChannel": "SHEGOU", "bindingStatus": "false", "signedStatus": "false",
         "signUrl": "https://sim.1688.local/sign"},
    ]}, code=None, message=None)


def prepare_pay(market: Market, params: Params) -> Reply:
    param = params.json_object("tradeWithholdPreparePayParam")
    if param.get("orderId") in (None, ""):
        raise param_invalid("tradeWithholdPreparePayParam", "orderId is required")
    order = market.order(as_int(param["orderId"], "orderId"))
    if order is None:
        return nested_error("ORDER_NOT_FOUND", "订单不存在")
    if not market.catalog.app.protocol_pay_open:
        return nested_error("PROTOCOL_PAY_NOT_OPEN", "未开通免密支付")
    if order.status != "waitbuyerpay":
        return nested_error("ORDER_STATUS_ERROR", f"订单状态不是待付款: {order.status}")
    if order.supplier_id in market.catalog.app.refuse_payment_for:
        return nested_error("PAY_REFUSED", "支付失败: 该订单被风控拦截")
    amount = param.get("payAmount")
    if amount not in (None, "") and as_int(amount, "payAmount") != to_fen(order.total):
        return nested_error("PAY_AMOUNT_MISMATCH",
                            f"付款金额 {amount} 分与订单金额 {to_fen(order.total)} 分不一致")
    channel = PAY_CHANNELS.get(str(param.get("payChannel") or "alipay").lower(), "ALIPAY")
    record_payment(market, order, channel, param.get("opRequestId"))
    reply = nested_ok({"payChannel": channel, "paySuccess": True}, code=None, message=None)
    reply.committed = True
    return reply


def alipay_url(market: Market, params: Params) -> Reply:
    ids = [as_int(i, "orderIdList") for i in params.json_list("orderIdList")]
    if not ids or len(ids) > 100:
        return Reply({"success": False, "errorCode": "ORDER_ID_LIST_INVALID", "erroMsg": "orderIdList 需要 1-100 个订单"},
                     error_code="ORDER_ID_LIST_INVALID")
    bad = [i for i in ids if (o := market.order(i)) is None or o.status != "waitbuyerpay"]
    if bad:
        return Reply({"success": False, "errorCode": "ORDER_STATUS_ERROR", "erroMsg": "订单不存在或不是待付款状态",
                      "payFailureOrderList": [str(i) for i in bad]}, error_code="ORDER_STATUS_ERROR")
    base = market.public_url.rstrip("/")
    return Reply({"success": True, "payUrl": f"{base}/_sim/cashier?orderIds={','.join(str(i) for i in ids)}"})
