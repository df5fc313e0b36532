"""After QC: confirm receipt, file the refund exactly once, and follow it to the money.

Each activity changes at most one thing on 1688 (confirm, createRefund, returnGoods) and reads
before it writes, so an attempt that follows a lost reply finds what the lost one did.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempt_deadline import ensure_time_to_send
from activities.gateway import GatewayActivities
from alibaba1688 import models as api
from alibaba1688.errors import AclError, Alibaba1688Error
from domain.refund import (
    ChargedEntry,
    ReceiptConfirmation,
    RefundQuery,
    RefundReceipt,
    RefundRequest,
    RefundState,
    RefundView,
    ReturnShipment,
    order_charge,
    refund_amount_from_order,
    refund_in_force,
    refund_state,
)

# 1688's "quality problem" reason, the one a warehouse rejection is.
QUALITY_REASON = "质量问题"
# Pieces per entry may be named only while the trade is open and the goods have arrived.
COUNTS_ALLOWED_FOR = "refundBuyerReceived"


def charged_entries(order: api.Order) -> list[ChargedEntry]:
    return [
        ChargedEntry(entry_id=line.entry_id, offer_id=line.offer_id, spec_id=line.spec_id, quantity=int(line.quantity),
                     unit_price=line.price, paid=line.amount)
        for line in order.lines
    ]


def refund_view(refund: api.RefundView) -> RefundView:
    """1688's refund in our words."""
    state = refund_state(refund.status)
    return RefundView(
        refund_id=refund.refund_id,
        order_id=refund.order_id,
        state=state,
        status=refund.status,
        applied=refund.applied,
        refunded=refund.refunded,
        seller_reason=refund.reject_reason,
        return_address=refund.seller_receive_address,
        entry_ids=refund.entry_ids,
        # 1688 closes a refund after a seller's refusal the buyer left alone, or one the buyer
        # withdrew or let lapse; only the latter frees the entries for a new request.
        closed_by_buyer=refund.status == "refundclose" and not refund.refused_by_seller,
        changed_at=refund.modified_at or refund.applied_at,
    )


def _not_refundable(message: str) -> ApplicationError:
    return ApplicationError(message, type="RefundLines", non_retryable=True)


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
        """File the refund for the rejected pieces once, whatever earlier attempts did.

        1688 lists every refund of the order, those still waiting included; one that stands for
        any of these entries (anything but a refund the buyer's side closed) is the one an earlier
        attempt filed, even if its reply was lost, and is returned as it is. Otherwise the refund
        is filed for what the 1688 order charged for the pieces (the request's amount, in the
        older form).
        """
        order = await self._call(self._client.get_order(request.order_id))
        entries = charged_entries(order)
        counts: dict[str, int] | None = None
        if request.lines:
            try:
                priced = refund_amount_from_order(
                    entries, request.lines,
                    order_charge=order_charge(order.total_amount, order.shipping_fee, entries),
                )
            except ValueError as error:
                raise _not_refundable(f"order {request.order_id}: {error}") from None
            entry_ids = priced.entry_ids
            amount = request.amount if request.amount is not None else priced.total
            whole = {entry.entry_id: entry.quantity for entry in entries}
            if any(pieces < whole[entry_id] for entry_id, pieces in priced.counts.items()):
                counts = priced.counts  # part of an entry goes back
        else:
            assert request.amount is not None  # the older form carries its amount (validated)
            entry_ids = [e.entry_id for e in entries if e.offer_id in request.offer_ids]
            amount = request.amount
        if not entry_ids:
            raise _not_refundable(f"order {request.order_id} has no entry for offers {request.offer_ids}")

        filed = await self._call(self._client.list_refunds(request.order_id))
        standing = refund_in_force([refund_view(r) for r in filed], entry_ids)
        if standing is not None:
            return RefundReceipt(refund_id=standing.refund_id, amount=standing.applied, status=standing.status,
                                 state=standing.state, found_existing=True)

        goods_status = "refundBuyerReceived" if order.status == "waitbuyerreceive" else "aftersaleBuyerReceived"
        reasons = await self._call(self._client.get_refund_reasons(request.order_id, entry_ids, goods_status))
        if not reasons:
            raise ApplicationError("1688 offers no refund reason for this order", type="OrderStatus", non_retryable=True)
        reason = next((r for r in reasons if r.name == QUALITY_REASON), reasons[0])
        ensure_time_to_send(f"refund on order {request.order_id}")
        created = await self._call(
            self._client.create_refund(
                request.order_id, entry_ids, dispute_request="returnRefund", apply_payment=amount,
                apply_reason_id=reason.reason_id, description=request.reason, goods_status=goods_status,
                order_entry_counts=counts if goods_status == COUNTS_ALLOWED_FOR else None,
            )
        )
        return RefundReceipt(refund_id=created.refund_id, amount=amount, status="waitselleragree",
                             state=RefundState.REQUESTED)

    @activity.defn
    async def get_refund(self, query: RefundQuery) -> RefundView:
        """Where one refund stands now. Reads only: the workflow calls it until the state is final."""
        return await self._read_refund(query)

    @activity.defn
    async def return_goods(self, shipment: ReturnShipment) -> RefundView:
        """Tell the seller the rejected goods are on their way back (once per refund)."""
        query = RefundQuery(order_id=shipment.order_id, refund_id=shipment.refund_id)
        before = await self._read_refund(query)
        if before.state in (RefundState.RETURN_SENT, RefundState.COMPLETED):
            return before  # an earlier attempt sent it
        if before.state != RefundState.RETURN_REQUESTED:
            raise ApplicationError(f"refund {shipment.refund_id} does not wait for the goods ({before.status})",
                                   type="RefundStatus", non_retryable=True)
        try:
            await self._call(self._client.return_goods(
                shipment.refund_id, shipment.courier_code, shipment.tracking_no, shipment.note))
        except ApplicationError:
            after = await self._read_refund(query)
            if after.state == RefundState.RETURN_REQUESTED:
                raise  # not taken: the failure stands
            return after  # taken, although its reply was lost or spoiled
        return await self._read_refund(query)

    async def _read_refund(self, query: RefundQuery) -> RefundView:
        try:
            refund = await self._client.get_refund(query.refund_id)
        except AclError:
            # The detail API is granted on request only; the order's list carries the same refund.
            listed = await self._call(self._client.list_refunds(query.order_id))
            found = next((r for r in listed if r.refund_id == query.refund_id), None)
            if found is None:
                raise ApplicationError(f"order {query.order_id} has no refund {query.refund_id}",
                                       type="RefundNotFound", non_retryable=True) from None
            refund = found
        except Alibaba1688Error as error:
            raise self._failure(error) from None
        if refund.order_id != query.order_id:
            raise ApplicationError(f"refund {query.refund_id} belongs to order {refund.order_id}, "
                                   f"not {query.order_id}", type="RefundNotFound", non_retryable=True)
        return refund_view(refund)
