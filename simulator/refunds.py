"""Refunds: the reason list, createRefund, the buyer's return, and reading refunds back.

Checks follow the codes the real API documents (5001-5013 for createRefund, 4002-4008 for
returnGoods). A refund then lives on the simulator clock as 1688 shows it to the buyer:

    waitselleragree --seller agrees-------------------------------------------> refundsuccess
    waitselleragree --seller wants the goods back (refund_needs_return)------> waitbuyersend
    waitbuyersend   --buyer returns them (alibaba.trade.refund.returnGoods)--> waitsellerreceive
    waitsellerreceive --seller receives them----------------------------------> refundsuccess
    waitselleragree --seller refuses (refuse_refund)--------------------------> waitbuyermodify
    waitbuyermodify --the buyer lets BUYER_MODIFY_HOURS pass------------------> refundclose

The seller acts ``behaviour.refund_agree_after_hours`` after the last change (0, the default:
within the call that made the change). Money counts as refunded only at refundsuccess; a refund
of everything paid then closes the order (cancel before shipping, terminated after).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simulator.money import from_fen, to_fen
from simulator.wire import Params, Reply, as_int, compact_time, nested_error, nested_ok, param_invalid

if TYPE_CHECKING:
    from simulator.market import Market
    from simulator.orders import Order, Refund

NOT_RECEIVED = {"refundWaitSellerSend", "refundWaitBuyerReceive", "aftersaleBuyerNotReceived"}
RECEIVED = {"refundBuyerReceived", "aftersaleBuyerReceived"}
AFTER_SALE = {"aftersaleBuyerNotReceived", "aftersaleBuyerReceived"}
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
# Statuses in which a refund still holds its order entries: a second request for them is refused.
OPEN = {"waitselleragree", "waitbuyermodify", "waitbuyersend", "waitsellerreceive"}
STATUSES = OPEN | {"refundsuccess", "refundclose"}
BUYER_MODIFY_HOURS = 72.0  # (sim) how long a refused request waits for the buyer before it closes
SELLER_REFUSAL = (1, "买家退回的商品无质量问题，卖家不同意退款")  # (sim) rejectReasonId, rejectReason
# refundOperationList roles, as the published sample uses them
BUYER, SELLER, SYSTEM = 1, 2, 4
FREIGHT_BILL = re.compile(r"^[A-Za-z0-9]{6,30}$")


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


def _entry_counts(params: Params, entries: list[int]) -> dict[int, int] | None:
    """``orderEntryCountList`` ``[{"id": entry, "count": n}]``, or None when absent (everything)."""
    raw = params.json("orderEntryCountList")
    if raw in (None, []):
        return None
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise param_invalid("orderEntryCountList", "a JSON list of {id, count} objects is expected")
    counts: dict[int, int] = {}
    for item in raw:
        entry = as_int(item.get("id"), "orderEntryCountList.id")
        count = item.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise param_invalid("orderEntryCountList", f"count of {entry} is not an integer")
        counts[entry] = count
    return counts


def create_refund(market: Market, params: Params) -> Reply:
    order = market.order(as_int(params.required("orderId"), "orderId"))
    entries = [as_int(e, "orderEntryIds") for e in params.json_list("orderEntryIds")]
    dispute = params.required("disputeRequest")
    apply_fen = as_int(params.required("applyPayment"), "applyPayment")
    carriage_fen = params.integer("applyCarriage", 0) or 0
    reason_id = as_int(params.required("applyReasonId"), "applyReasonId")
    description = params.required("description")
    goods_status = params.required("goodsStatus")
    counts = _entry_counts(params, entries)

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
    quantities = {line.entry_id: line.quantity for line in order.lines}
    if set(entries) - set(quantities) or not entries:
        return nested_error("5010", f"子订单不属于该订单: {entries}")
    if counts is not None:
        # The API takes counts only for a return while the trade is open and the goods arrived.
        if goods_status != "refundBuyerReceived" or set(counts) - set(entries) or any(
                not 1 <= n <= quantities[e] for e, n in counts.items()):
            return nested_error("5013", f"子订单退货数量不正确: {counts}")
    held = [(e, r) for r in market.refunds_of(order.order_id) if r.status in OPEN for e in entries if e in r.entry_ids]
    if held:
        entry, other = held[0]
        # 5010 is the code the API documents for a repeated submission ("是否重复提交").
        return nested_error("5010", f"子订单 {entry} 已有退款 {other.refund_id} 在处理中, 请勿重复提交")
    pending = sum((r.amount + r.carriage for r in market.refunds_of(order.order_id) if r.status in OPEN), Decimal(0))
    left = to_fen(order.total) - to_fen(order.refunded) - to_fen(pending)
    if apply_fen <= 0 or carriage_fen < 0 or apply_fen + carriage_fen > left:
        return nested_error("5011", f"退款金额不能大于实付金额 (可退 {left} 分)")

    now = market.clock.now()
    refund = market.record_refund(order, from_fen(apply_fen), from_fen(carriage_fen), _reasons(goods_status)[reason_id],
                                  reason_id=reason_id, dispute_request=dispute, goods_status=goods_status,
                                  description=description, kind="buyer", at=now, status="waitselleragree",
                                  entry_ids=entries, entry_counts=counts or {e: quantities[e] for e in entries})
    _operate(refund, now, BUYER, None, "waitselleragree", "买家申请退款协议，等待卖家确认",
             f"退款诉求：{'退货退款' if dispute == 'returnRefund' else '仅退款'}|申请原因：{refund.reason}|"
             f"退款货品金额：{refund.amount:.2f}|退款运费金额：{refund.carriage:.2f}|退款说明：{description}")
    order.modified_at = now
    _apply_due(market, refund, now)
    reply = nested_ok({"refundId": refund.refund_id}, code=None, message=None)
    reply.committed = True
    return reply


def return_goods(market: Market, params: Params) -> Reply:
    """``alibaba.trade.refund.returnGoods``: the buyer says the goods are on their way back."""
    refund = market.refund(params.required("refundId"))
    company = params.required("logisticsCompanyNo")
    bill = params.required("freightBill")
    description = params.text("description")

    def error(code: str, info: str) -> Reply:
        return Reply({"result": {"success": False, "errorCode": code, "errorInfo": info}}, error_code=code)

    if refund is None:
        return error("4005", "退款单信息不存在")
    if refund.status != "waitbuyersend":
        return error("4007", f"当前退款单状态不支持退货: {refund.status}")
    if not FREIGHT_BILL.match(bill) or not company.strip():
        return error("4004", "物流公司编号和运单号校验不通过")
    now = market.clock.now()
    refund.freight_bill = bill
    refund.logistics_company_no = company
    before, refund.status, refund.changed_at = refund.status, "waitsellerreceive", now
    _operate(refund, now, BUYER, before, refund.status, "买家退货",
             f"买家声明退货，等待卖家确认。|物流公司：{company}|物流单号：{bill}|说明：{description or ''}|")
    _apply_due(market, refund, now)
    return Reply({"result": {"success": True, "errorCode": None, "errorInfo": None}}, committed=True)


# --- reading refunds back -------------------------------------------------------------------------

def list_refunds(market: Market, params: Params) -> Reply:
    """``alibaba.trade.refund.buyer.queryOrderRefundList``: the buyer's refunds, newest first."""
    order_id = params.integer("orderId")
    wanted = params.json("refundStatusSet")
    if isinstance(wanted, str):
        wanted = [wanted]
    if wanted is not None and not isinstance(wanted, list):
        raise param_invalid("refundStatusSet", "a JSON list of refund statuses is expected")
    seller = params.text("sellerMemberId")
    dispute_type = params.integer("dipsuteType", 0)  # sic: the API's spelling
    page = max(0, params.integer("currentPageNum", 0) or 0)  # (sim) 0 is the first page, as in the sample
    size = min(100, max(1, params.integer("pageSize", 20) or 20))
    found = [r for r in market.refunds
             if r.kind == "buyer" and (order_id is None or r.order_id == order_id)
             and (not wanted or r.status in wanted)
             and (seller is None or market.order(r.order_id).supplier_id == seller)  # type: ignore[union-attr]
             and dispute_type in (0, _dispute_type(r))]
    found.sort(key=lambda r: (r.created_at, r.refund_id), reverse=True)
    rows = [refund_model(market, r, operations=False) for r in found[page * size: (page + 1) * size]]
    return Reply({"result": {"opOrderRefundModels": rows, "totalCount": len(found), "currentPageNum": page},
                  "success": True})


def get_refund(market: Market, params: Params) -> Reply:
    """``alibaba.trade.refund.OpQueryOrderRefund``: one refund by its TQ id (no success flag)."""
    refund_id = params.required("refundId")
    refund = market.refund(refund_id)
    if refund is None:
        # The published error for an unknown refund: code "500" with the service's own error inside.
        return Reply({"errorCode": "500", "errorMessage": (
            '{"errorCode":"003002","errorMessage":"SERVICE:INVOKE_FAIL:退款数据错误，请检查退款单号",'
            f'"cause":"errorCode:REFUND_DATA_ERROR,errorMsg:refundId : {refund_id},cause:null"}}')},
            error_code="500")
    operations = (params.text("needOrderRefundOperation") or "").lower() == "true"
    return Reply({"result": {"opOrderRefundModelDetail": refund_model(market, refund, operations=operations)}})


def _dispute_type(refund: Refund) -> int:
    """1 during the trade (售中), 2 after it (售后)."""
    return 2 if refund.goods_status in AFTER_SALE else 1


def _t(moment: datetime | None) -> str | None:
    return compact_time(moment) if moment else None


def refund_model(market: Market, refund: Refund, *, operations: bool) -> dict[str, Any]:
    """``alibaba.trade.refund.OpOrderRefundModel`` with the fields of the published samples."""
    order = market.order(refund.order_id)
    assert order is not None
    supplier = market.supplier(order.supplier_id)
    app = market.catalog.app
    done = refund.status == "refundsuccess"
    returning = refund.status in ("waitbuyersend", "waitsellerreceive") or refund.freight_bill is not None
    return {
        "id": int(refund.refund_id[2:]), "refundId": refund.refund_id, "orderId": refund.order_id,
        "orderEntryIdList": list(refund.entry_ids),
        "orderEntryCountMap": {str(e): n for e, n in refund.entry_counts.items()},
        "status": refund.status,
        "applyPayment": to_fen(refund.amount), "applyCarriage": to_fen(refund.carriage),
        "refundPayment": to_fen(refund.amount) if done else 0,
        "refundCarriage": to_fen(refund.carriage) if done else 0,
        "canRefundPayment": max(0, to_fen(order.total) - to_fen(order.refunded)),
        "applyReason": refund.reason, "applyReasonId": refund.reason_id, "applySubReasonId": -1,
        # (sim) the published samples show 3 for a return with refund; 1 for a refund alone is our choice
        "disputeRequest": 3 if refund.dispute_request == "returnRefund" else 1,
        "disputeType": _dispute_type(refund),
        "onlyRefund": refund.dispute_request == "refund", "refundGoods": refund.dispute_request == "returnRefund",
        "goodsReceived": refund.goods_status in RECEIVED,
        "goodsStatus": 3 if refund.freight_bill else (2 if refund.goods_status in RECEIVED else 1),
        "buyerSendGoods": refund.freight_bill is not None,
        "freightBill": refund.freight_bill, "buyerLogisticsName": refund.logistics_company_no,
        "rejectReason": refund.reject_reason, "rejectReasonId": refund.reject_reason_id or 0,
        "rejectTimes": refund.reject_times,
        "gmtApply": _t(refund.created_at), "gmtCreate": _t(refund.created_at),
        "gmtModified": _t(refund.changed_at or refund.created_at), "gmtCompleted": _t(refund.completed_at),
        "productName": order.lines[0].subject if order.lines else "",
        "buyerMemberId": app.buyer_member_id, "buyerLoginId": app.buyer_login_id,
        "sellerMemberId": supplier.member_id, "sellerLoginId": supplier.login_id,
        "sellerRealName": supplier.company_name if returning else None,
        "sellerMobile": "13800000000" if returning else None,
        "sellerReceiveAddress": f"{supplier.province} {supplier.city} 退货仓" if returning else None,
        "tradeTypeStr": "50060",
        "refundOperationList": list(reversed(refund.operations)) if operations else [],
    }


# --- the seller's side, on the simulator clock ----------------------------------------------------

def _behaviour(market: Market, refund: Refund) -> Any:
    order = market.order(refund.order_id)
    assert order is not None
    return market.supplier(order.supplier_id).behaviour


def next_transition(market: Market, refund: Refund) -> tuple[datetime, str] | None:
    """(due time, kind) of the refund's next move by the seller or the platform, or None."""
    if refund.kind != "buyer" or refund.changed_at is None:
        return None
    behaviour = _behaviour(market, refund)
    after = refund.changed_at + timedelta(hours=behaviour.refund_agree_after_hours)
    if refund.status == "waitselleragree":
        if behaviour.refuse_refund:
            return after, "refuse"
        if behaviour.refund_needs_return and refund.dispute_request == "returnRefund":
            return after, "ask_return"
        return after, "agree"
    if refund.status == "waitsellerreceive":
        return after, "agree"
    if refund.status == "waitbuyermodify":
        return refund.changed_at + timedelta(hours=BUYER_MODIFY_HOURS), "close"
    return None  # waitbuyersend waits for the buyer; refundsuccess and refundclose are final


def apply_transition(market: Market, refund: Refund, kind: str, at: datetime) -> dict[str, Any]:
    order = market.order(refund.order_id)
    assert order is not None
    before = refund.status
    if kind == "agree":
        if order.status in ("cancel", "terminated"):
            # The trade closed meanwhile (the seller closed it and paid everything back).
            _move(refund, "refundclose", at, SYSTEM, before, "交易已关闭，退款关闭")
        else:
            _move(refund, "refundsuccess", at, SELLER, before, "退款成功")
            _pay_back(market, order, refund, at)
    elif kind == "refuse":
        refund.reject_reason_id, refund.reject_reason = SELLER_REFUSAL
        refund.reject_times += 1
        _move(refund, "waitbuyermodify", at, SELLER, before, "卖家拒绝协议，等待买家修改", refund.reject_reason)
    elif kind == "ask_return":
        supplier = market.supplier(order.supplier_id)
        _move(refund, "waitbuyersend", at, SELLER, before, "卖家同意退货，等待买家退货",
              f"卖家确认收货地址：{supplier.company_name},13800000000,{supplier.province} {supplier.city} 退货仓")
    elif kind == "close":
        _move(refund, "refundclose", at, SYSTEM, before, "买家超时未修改，退款关闭")
    else:
        raise ValueError(f"unknown refund transition {kind}")
    order.modified_at = at
    return {"order_id": str(refund.order_id), "refund_id": refund.refund_id, "event": "refund",
            "refund_status": refund.status}


def _apply_due(market: Market, refund: Refund, now: datetime) -> list[dict[str, Any]]:
    done = []
    while (due := next_transition(market, refund)) is not None and due[0] <= now:
        done.append(apply_transition(market, refund, due[1], due[0]))
    return done


def catch_up(market: Market, now: datetime) -> list[dict[str, Any]]:
    """Every refund move that has become due by ``now``, each at its own due time."""
    return [move for refund in list(market.refunds) for move in _apply_due(market, refund, now)]


def step(market: Market, now: datetime) -> list[dict[str, Any]]:
    """One forced move of every refund that has one coming, whatever its schedule says."""
    done = []
    for refund in list(market.refunds):
        due = next_transition(market, refund)
        if due is not None:
            done.append(apply_transition(market, refund, due[1], now))
    return done


def _move(refund: Refund, status: str, at: datetime, role: int, before: str, remark: str,
          detail: str | None = None) -> None:
    refund.status = status
    refund.changed_at = at
    if status in ("refundsuccess", "refundclose"):
        refund.completed_at = at
    _operate(refund, at, role, before, status, remark, detail or remark)


def _operate(refund: Refund, at: datetime, role: int, before: str | None, after: str, remark: str,
             detail: str) -> None:
    """One ``refundOperationList`` row (the API lists them newest first)."""
    row: dict[str, Any] = {
        "id": 50_000_000_000 + len(refund.operations) + 1, "refundId": refund.refund_id,
        "beforeOperateStatus": before, "afterOperateStatus": after, "operateRemark": remark,
        "discription": detail,  # sic: the API's spelling
        "operatorRoleId": role, "gmtCreate": compact_time(at), "gmtModified": compact_time(at),
        "msgType": 7, "messageStatus": 3, "closeRefundStepId": 0, "crmModifyRefund": False,
    }
    if role == SELLER and refund.reject_reason and after == "waitbuyermodify":
        row["rejectReason"] = refund.reject_reason
    refund.operations.append(row)


def _pay_back(market: Market, order: Order, refund: Refund, at: datetime) -> None:
    """The money arrives; a refund of everything paid closes the order."""
    order.refunded += refund.amount + refund.carriage
    if order.refunded >= order.total:
        order.refund_status = "refundsuccess"
        order.status = "cancel" if order.shipment is None else "terminated"
        order.close_operate_type = "CLOSE_TRADE_BY_BUYER"
        order.close_reason = "refund"
        if order.shipment is None:
            market.return_stock(order)
