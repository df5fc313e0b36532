"""After QC: confirm receipt, or file the refund (exactly once)."""

from __future__ import annotations

from decimal import Decimal

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.gateway import GatewayActivities
from domain.refund import ReceiptConfirmation, RefundReceipt, RefundRequest

# 1688's "quality problem" reason, the one a warehouse rejection is.
QUALITY_REASON = "质量问题"


class SettlementActivities(GatewayActivities):
    @activity.defn
    async def confirm_receipt(self, request: ReceiptConfirmation) -> str:
        order = await self._call(self._client.get_order(request.order_id))
        if order.status in ("confirm_goods", "success", "terminated", "cancel"):
            return order.status  # confirmed by an earlier attempt, or nothing left to confirm
        entries = request.entry_ids or [line.entry_id for line in order.lines]
        try:
            await self._call(self._client.confirm_receipt(request.order_id, entries))
        except ApplicationError:
            again = await self._call(self._client.get_order(request.order_id))
            if again.status in ("confirm_goods", "success"):
                return again.status
            raise
        return "confirm_goods"

    @activity.defn
    async def file_refund(self, request: RefundRequest) -> RefundReceipt:
        order = await self._call(self._client.get_order(request.order_id))
        # A retry after a lost reply must not file a second refund: 1688 shows what was refunded.
        if (order.refunded or Decimal(0)) >= request.amount:
            return RefundReceipt(refund_id=None, amount=request.amount, status="refunded")
        entries = [line.entry_id for line in order.lines if line.offer_id in request.offer_ids]
        if not entries:
            raise ApplicationError(
                f"order {request.order_id} has no entry for offers {request.offer_ids}", type="OrderStatus",
                non_retryable=True,
            )
        goods_status = "refundBuyerReceived" if order.status == "waitbuyerreceive" else "aftersaleBuyerReceived"
        reasons = await self._call(self._client.get_refund_reasons(request.order_id, entries, goods_status))
        if not reasons:
            raise ApplicationError("1688 offers no refund reason for this order", type="OrderStatus", non_retryable=True)
        reason = next((r for r in reasons if r.name == QUALITY_REASON), reasons[0])
        created = await self._call(
            self._client.create_refund(
                request.order_id, entries, dispute_request="returnRefund", apply_payment=request.amount,
                apply_reason_id=reason.reason_id, description=request.reason, goods_status=goods_status,
            )
        )
        return RefundReceipt(refund_id=created.refund_id, amount=request.amount, status="requested")
