"""Paying an order, exactly once."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempt_deadline import ensure_time_to_send
from activities.gateway import GatewayActivities
from domain.order import PaymentRequest, PaymentResult


class PaymentActivities(GatewayActivities):
    @activity.defn
    async def pay_order(self, request: PaymentRequest) -> PaymentResult:
        # preparePay can charge although its reply was lost or said paySuccess=false: any attempt
        # after the first re-reads the order before paying again.
        if activity.info().attempt > 1:
            order = await self._call(self._client.get_order(request.order_id))
            if order.is_paid:
                return PaymentResult(method="protocol_pay", paid=True, already_paid=True)
        if not await self._call(self._client.is_protocol_pay_open()):
            # Password-free payment is not signed up: a person pays through the cashier link.
            url = await self._call(self._client.get_payment_url([request.order_id]))
            return PaymentResult(method="payment_link", paid=False, payment_url=url)
        ensure_time_to_send(f"payment of order {request.order_id}")
        result = await self._call(
            self._client.prepare_pay(request.order_id, request.amount, request.op_request_id)
        )
        if result.pay_success:
            return PaymentResult(method="protocol_pay", paid=True)
        order = await self._call(self._client.get_order(request.order_id))
        if order.is_paid:
            return PaymentResult(method="protocol_pay", paid=True, already_paid=True)
        raise ApplicationError(
            f"1688 did not take the payment of order {request.order_id}", type="Payment", non_retryable=True
        )
