"""`SupplierOrderWorkflow`: one placed 1688 order, from verification to goods accepted or refunded.

The story: check the order against our quote; wait for an approver when the amount is above the
threshold or a price drifted; pay exactly once; follow the courier on durable timers; wait for
the warehouse's QC result; confirm receipt, or file the refund for what QC rejected. Every change
is reported to the parent procurement, which buys rejected or failed quantities elsewhere.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributePair
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import messages
    from domain.messages import ApproveInput, CancelInput, QcInput, QcResult
    from domain.order import (
        CancelOrderRequest, CancelOrderResult, OrderView, PaymentRequest, PaymentResult, order_differences, price_drift, price_rise,
    )
    from domain.procurement import ShipmentResume, SupplierOrderInput
    from domain.progress import (
        Approval, LineOutcome, OrderOutcome, OrderSnapshot, OrderStatus, Payment, Qc, QcLine, Refund, Shipment,
        stage_of_orders, Stage,
    )
    from domain.records import OrderRecord, RefundRecord, SupplierOutcome, TraceEvent
    from domain.refund import (
        ReceiptConfirmation, RefundLine, RefundQuery, RefundReceipt, RefundRequest, RefundState, RefundView,
        refund_amount, refund_description,
    )
    from domain.shipment import OrderPoll, ShipmentView
    from domain.spend import PaymentCheck, PaymentClearance
    from workflows import search_attributes as sa
    from workflows.details import duration_text, order_details
    from workflows.metrics import OrderCounters, alert_raised
    from workflows.steps import LEAN_HISTORY_PATCH, PERSISTENT_RETRY, call_1688, failure_text, record, refusal

T = TypeVar("T")

ORDER_PROGRESS_SIGNAL = "order_progress"
# Orders started before this patch keep their old steps when replayed; new ones follow the money
# rule (docs/reliability.md, "money at the edges"): once payment may have moved money, only proof
# read from 1688 ends the order, and its 1688 steps never give up.
MONEY_PATCH = "money-at-the-edges-1"
# Spend controls (issue 16): before every payment the ledger is asked for the kill switch and the
# caps; a paused switch makes the payment wait, a cap it would pass sends it to an approver.
SPEND_PATCH = "spend-controls-1"
# The whole order is checked against the plan before paying: quantities, SKUs, freight, total.
ORDER_CHECK_PATCH = "order-check-1"
# One poll step reads the order and (once shipped) its parcels; after a push the timer only backs it up.
LEAN_POLL_PATCH = "lean-polling-1"
# The order's end is not reported by signal: the procurement takes the final order from the
# outcome it returns (ProcurementWorkflow._follow_part), a moment later. The signal cost five
# events here and a wake-up of the procurement for news it was about to get anyway. Implies
# LEAN_HISTORY_PATCH (one marker).
QUIET_END_PATCH = "quiet-end-1"
AUTH_EXPIRED = "1688 authorisation expired: run `procure authorize`"


def _stage_of(order: OrderSnapshot) -> Stage:
    return stage_of_orders([order.status]) or (
        Stage.COMPLETED if order.status == OrderStatus.RECEIVED else
        Stage.CANCELLED if order.status == OrderStatus.CANCELLED else Stage.FAILED
    )


def shown_values(order: OrderSnapshot) -> tuple:
    """What an order's search attributes show, to tell whether they changed."""
    return (_stage_of(order), order.order_id, order.amount, order.blocked)


def order_search_attributes(request_id: str, order: OrderSnapshot) -> list[SearchAttributePair]:
    """An order's search attributes (the alert is added apart, once the order has been held)."""
    return [
        SearchAttributePair(sa.REQUEST_ID, request_id),
        SearchAttributePair(sa.STAGE, _stage_of(order).value),
        SearchAttributePair(sa.SUPPLIERS, [order.supplier_id]),
        SearchAttributePair(sa.ORDER_IDS, [order.order_id] if order.order_id else []),
        SearchAttributePair(sa.AMOUNT, float(order.amount)),
    ]


# Versioned AUTO_UPGRADE (workflows/versioning.py): an order lives for weeks, mostly waiting for an
# approver, a courier or the warehouse, so it moves to each new build and changes to it go
# through `workflow.patched`, checked by the replay tests.
@workflow.defn(name=messages.SUPPLIER_ORDER_WORKFLOW)
class SupplierOrderWorkflow:
    @workflow.init
    def __init__(self, input: SupplierOrderInput) -> None:
        self._input = input
        self._order: OrderSnapshot = input.order.model_copy(deep=True)
        self._order.workflow_id = workflow.info().workflow_id
        self._approved = False
        self._cancel: CancelInput | None = None
        self._qc: QcInput | None = None
        self._qc_open = False
        self._poke = False
        self._pushed = input.resume.pushed if input.resume is not None else False  # a push reached this order
        self._shipment: ShipmentView | None = None
        self._next_timer = ""
        self._published = ""
        self._v2 = True
        self._alert_shown = False
        self._shown: tuple | None = None  # the search-attribute values last upserted
        self._poll_timer: asyncio.Future | None = None  # the logistics poll timer, kept across pushes
        self._poll_interval = timedelta(0)
        # The spend check just made while verifying the order, when nothing (no approval, no wait)
        # has come between it and the payment: the kill switch's answer is that one.
        self._fresh_clearance: PaymentClearance | None = None
        self._reported_status = input.order.status  # the status the parent last heard of
        self._lean_history = False
        self._quiet_end = False
        self._counters = OrderCounters(already_paid=input.resume is not None)
        self._spend = True

    # --- messages -----------------------------------------------------------------------------

    @workflow.query(name=messages.STATE_QUERY, description="This order: amounts, approval, payment, shipment, QC, refund.")
    def state(self) -> OrderSnapshot:
        return self._order

    @workflow.update(name=messages.QC_UPDATE, description="The warehouse's QC result: accept, or reject quantities with a reason.")
    async def qc(self, qc: QcInput) -> QcResult:
        self._qc = qc
        rejected = {l.line_id: l.rejected_qty for l in qc.lines if qc.decision == "reject"}
        accepted = {l.line_id: l.quantity - rejected.get(l.line_id, 0) for l in self._order.lines}
        return QcResult(order_id=qc.order_id, accepted=accepted, rejected=rejected)

    @qc.validator
    def _validate_qc(self, qc: QcInput) -> None:
        problems = messages.qc_problems(qc, self._order, self._qc_open and self._qc is None)
        if problems:
            raise ApplicationError("; ".join(problems), type="InvalidQc", non_retryable=True)

    @workflow.signal(name=messages.APPROVE_UPDATE, description="An approver releases this order's payment.")
    def approve(self, approval: ApproveInput) -> None:
        if self._order.status == OrderStatus.AWAITING_APPROVAL:
            self._approved = True
            self._order.approval.approved_by = approval.by or "approver"

    @workflow.signal(name=messages.CANCEL_UPDATE, description="Cancel this order if it is not paid yet.")
    def cancel(self, cancel: CancelInput) -> None:
        if self._cancel is None:
            self._cancel = cancel

    @workflow.signal(name="shipment_event", description="A push message about this order: poll logistics now.")
    def shipment_event(self) -> None:
        self._poke = True
        self._pushed = True

    # --- the story ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: SupplierOrderInput) -> OrderOutcome:
        # The newest patch first: a workflow that has it has every earlier one too, so a new order
        # records one patch marker (two events) instead of five. A history recorded before it has
        # no such marker and replays each earlier patch as it was recorded.
        self._quiet_end = workflow.patched(QUIET_END_PATCH)
        self._lean_history = self._quiet_end or workflow.patched(LEAN_HISTORY_PATCH)
        self._v2 = self._lean_history or workflow.patched(MONEY_PATCH)
        self._spend = self._lean_history or workflow.patched(SPEND_PATCH)
        self._full_check = self._lean_history or workflow.patched(ORDER_CHECK_PATCH)
        self._lean = self._lean_history or workflow.patched(LEAN_POLL_PATCH)
        if self._lean_history:
            # The parent knows the order as it handed it over (or as this run's previous run last
            # reported it): the first report would tell it nothing. A first run was started with
            # its search attributes set (order_search_attributes): no upsert for them either.
            self._published = self._signature(self._order)
            if input.resume is None:
                self._shown = shown_values(self._order)
        await self._publish()
        if input.resume is None:  # a run that continues as new was paid already
            outcome = await self._verify_approve_pay()
            if outcome is not None:
                return await self._finish(outcome)
        followed = await self._follow_shipment()
        self._stop_poll_timer()
        if not followed:
            return await self._finish(self._failed_lines("the seller closed the order after payment", offer_failed=True))
        await self._await_qc()
        return await self._finish(await self._settle())

    async def _verify_approve_pay(self) -> list[LineOutcome] | None:
        order = self._order
        view = await self._get_order("verify order")
        order.amount = Decimal(view.total)
        if view.freight is not None:
            order.freight = Decimal(view.freight)
        reasons = self._drift_reasons(view)
        if self._full_check:
            reasons += order_differences(
                order.lines, {k: Decimal(v) for k, v in self._input.quoted_unit_prices.items()}, view,
                self._input.config.price_drift_tolerance, planned_freight=self._input.planned_freight,
                quoted_amount=Decimal(order.quoted_amount), prices_moved=bool(reasons))
        if self._v2:
            await self._price_notes(view)
        if self._spend:
            clearance = await self._check_payment()
            reasons += clearance.cap_reasons
            if self._lean_history:
                self._fresh_clearance = clearance
        threshold = self._input.approval_threshold
        if threshold is not None and order.amount > threshold:
            reasons.insert(0, f"amount {order.amount:.2f} is above the approval threshold {threshold:.2f}")
        if reasons:
            self._fresh_clearance = None  # an approval waits: ask again before paying
            order.approval = Approval(needed=True, reasons=reasons)
            if not await self._await_approval():
                reason = (
                    f"cancelled: {self._cancel.reason}" if self._cancel is not None
                    else "no approval before the deadline; the unpaid order was cancelled"
                )
                if await self._cancel_order(reason) == "paid":
                    return await self._paid_after_all(f"{reason}, but 1688 shows the order paid")
                return self._failed_lines(reason, offer_failed=False, retry=False)
        if self._cancel is not None:
            if await self._cancel_order(f"cancelled: {self._cancel.reason}") == "paid":
                return await self._paid_after_all("cancelled, but 1688 shows the order paid")
            return self._failed_lines(f"cancelled: {self._cancel.reason}", offer_failed=False, retry=False)
        return await self._pay()

    async def _price_notes(self, view: OrderView) -> None:
        """A cheaper order goes on without a person; the saving is written into the trace."""
        for line in self._order.lines:
            quoted = self._input.quoted_unit_prices.get(line.line_id)
            entry = next((e for e in view.entries if e.offer_id == line.offer_id), None)
            if quoted is None or entry is None or entry.price is None or Decimal(entry.price) >= Decimal(quoted):
                continue
            await self._trace(f"cheaper-{line.line_id}", "note", {
                "text": f"line {line.line_id}: unit price {Decimal(entry.price):.2f} on the order, "
                        f"{Decimal(quoted):.2f} quoted: {Decimal(quoted) - Decimal(entry.price):.2f} less per piece",
                "quoted": str(quoted), "actual": str(entry.price)})

    def _drift_reasons(self, view: OrderView) -> list[str]:
        reasons: list[str] = []
        tolerance = self._input.config.price_drift_tolerance
        for line in self._order.lines:
            quoted = self._input.quoted_unit_prices.get(line.line_id)
            entry = next((e for e in view.entries if e.offer_id == line.offer_id and (line.spec_id is None or e.spec_id in (None, line.spec_id))), None)
            if entry is None or quoted is None or entry.price is None:
                continue
            drift = price_drift(Decimal(quoted), Decimal(entry.price))
            if self._v2:
                drift = price_rise(Decimal(quoted), Decimal(entry.price))  # a cheaper order goes on
            if drift > tolerance:
                reasons.append(
                    f"line {line.line_id}: unit price {Decimal(entry.price):.2f} on the order, "
                    f"{Decimal(quoted):.2f} quoted ({drift * 100:.1f}% off)"
                )
        return reasons

    async def _await_approval(self) -> bool:
        timing = self._input.config.timing
        deadline = workflow.now() + timing.approval_timeout
        self._order.status = OrderStatus.AWAITING_APPROVAL
        self._order.approval.deadline = deadline.isoformat()
        every = timing.approval_timeout / (timing.approval_reminders + 1)
        reminder = 0
        await self._publish(next_timer=f"approval deadline {deadline:%Y-%m-%d %H:%M} UTC")
        while True:
            remaining = deadline - workflow.now()
            if remaining <= timedelta(0):
                return False
            try:
                await workflow.wait_condition(
                    lambda: self._approved or self._cancel is not None,
                    timeout=min(every, remaining),
                    timeout_summary=f"approval of order {self._order.order_id}",
                )
                return self._approved and self._cancel is None
            except asyncio.TimeoutError:
                if deadline - workflow.now() <= timedelta(0):
                    return False
                reminder += 1
                await self._alert(f"approval-reminder-{reminder}", f"reminder {reminder}: order {self._order.order_id} "
                                  f"({self._order.amount:.2f} yuan) waits for approval until {deadline:%Y-%m-%d %H:%M} UTC")

    async def _check_payment(self) -> PaymentClearance:
        order = self._order
        check = PaymentCheck(request_id=self._input.request_id, supplier_id=order.supplier_id, amount=order.amount,
                             at=workflow.now(), out_order_id=order.out_order_id)
        return await record("check_payment", check, result_type=PaymentClearance,
                            summary=f"spend controls before paying order {order.order_id}") or PaymentClearance()

    async def _wait_while_paused(self) -> bool:
        """The kill switch: while payments are paused this order waits, with an alert, and asks
        again every polling interval; False when it was cancelled meanwhile."""
        order = self._order
        clearance, self._fresh_clearance = self._fresh_clearance or await self._check_payment(), None
        if not clearance.paused:
            return True
        order.blocked = f"payments are paused: {clearance.pause_reason or 'no reason given'}"
        await self._alert(f"payments-paused-{len(order.alerts)}",
                          f"order {order.order_id} ({order.amount:.2f} yuan) waits: {order.blocked}")
        await self._publish(next_timer="payments resume (procure payments resume)")
        while clearance.paused:
            try:
                await workflow.wait_condition(lambda: self._cancel is not None,
                                              timeout=self._input.config.timing.logistics_poll_interval,
                                              timeout_summary="payments paused: ask again")
            except asyncio.TimeoutError:
                pass
            if self._cancel is not None:
                return False
            clearance = await self._check_payment()
        order.blocked = None
        await self._trace(f"payments-resumed-{len(order.alerts)}", "alert-cleared",
                          {"text": f"order {order.order_id}: payments resumed", "order_id": order.order_id})
        return True

    async def _pay(self) -> list[LineOutcome] | None:
        order = self._order
        if self._spend and not await self._wait_while_paused():
            assert self._cancel is not None
            if await self._cancel_order(f"cancelled: {self._cancel.reason}") == "paid":
                return await self._paid_after_all("cancelled, but 1688 shows the order paid")
            return self._failed_lines(f"cancelled: {self._cancel.reason}", offer_failed=False, retry=False)
        order.status = OrderStatus.PAYING
        await self._publish()
        request = PaymentRequest(order_id=order.order_id or "", amount=order.amount, op_request_id=f"pay-{order.out_order_id}")
        try:
            result = await call_1688("pay_order", request, PaymentResult, task_queue=self._queue, summary=f"pay order {order.order_id} ({order.amount:.2f} yuan)")
        except ActivityError as error:
            if not self._v2:
                kind, message = refusal(error) or ("Failure", str(error))
                await self._cancel_order(f"payment failed ({kind})")
                return self._failed_lines(f"payment refused: {message}", offer_failed=True)
            return await self._after_failed_payment(*failure_text(error))
        order.payment = Payment(amount=order.amount, method=result.method, payment_url=result.payment_url, paid=result.paid)
        if not result.paid:
            return await self._await_payment_by_person()
        order.status = OrderStatus.PAID
        await self._publish()
        await self._record()
        return None

    async def _after_failed_payment(self, kind: str, message: str) -> list[LineOutcome] | None:
        """The payment step failed, but money may have moved: only 1688's word decides.

        Paid -> go on as paid. Unpaid -> cancel, and only a cancellation read back from 1688
        releases the line to be bought elsewhere. Unreadable -> the order holds with an alert
        and asks again until 1688 answers (never a guess).
        """
        order = self._order
        await self._trace("payment-failed", "note", {"text": f"payment of order {order.order_id} failed ({kind}): {message}"})
        view = await self._get_order("after a failed payment")  # paying: read until 1688 answers
        if view.is_paid:
            return await self._paid_after_all(f"the payment step failed ({kind}), but 1688 shows the order paid")
        if await self._cancel_order(f"payment failed ({kind})", view) == "paid":
            return await self._paid_after_all(f"the payment step failed ({kind}); 1688 took the payment before the cancel")
        return self._failed_lines(f"payment refused: {message}", offer_failed=True)

    async def _paid_after_all(self, why: str) -> list[LineOutcome] | None:
        order = self._order
        order.payment = Payment(amount=order.amount, method=order.payment.method if order.payment else "protocol_pay",
                                payment_url=order.payment.payment_url if order.payment else None, paid=True)
        order.status = OrderStatus.PAID
        await self._trace("paid-after-all", "note", {"text": f"order {order.order_id}: {why}"})
        await self._publish()
        await self._record()
        return None

    async def _await_payment_by_person(self) -> list[LineOutcome] | None:
        order = self._order
        timing = self._input.config.timing
        order.status = OrderStatus.AWAITING_PAYMENT
        deadline = workflow.now() + timing.payment_timeout
        await self._alert("payment-link", f"order {order.order_id} needs a person to pay: {order.payment.payment_url if order.payment else ''}")
        while workflow.now() < deadline:
            try:
                await workflow.wait_condition(lambda: self._cancel is not None, timeout=timing.logistics_poll_interval,
                                              timeout_summary=f"check payment of order {order.order_id}")
            except asyncio.TimeoutError:
                pass
            if self._cancel is not None:
                if await self._cancel_order(f"cancelled: {self._cancel.reason}") == "paid":
                    return await self._paid_after_all("cancelled, but a person had paid through the link")
                return self._failed_lines(f"cancelled: {self._cancel.reason}", offer_failed=False, retry=False)
            view = await self._get_order("check payment")
            if view.is_paid:
                assert order.payment is not None
                order.payment.paid = True
                order.status = OrderStatus.PAID
                await self._publish()
                await self._record()
                return None
            if view.is_closed:
                return self._failed_lines("the order was closed before it was paid", offer_failed=True)
        if await self._cancel_order("not paid through the payment link in time") == "paid":
            return await self._paid_after_all("paid through the link just before the deadline")
        return self._failed_lines("not paid through the payment link in time", offer_failed=False, retry=False)

    async def _follow_shipment(self) -> bool:
        """Poll until the warehouse signs; False if the seller closed the order instead."""
        order = self._order
        timing = self._input.config.timing
        resume = self._input.resume
        order.status = OrderStatus.IN_TRANSIT
        if resume is None or order.shipment is None:
            order.shipment = Shipment(status="NOT_SHIPPED", last_moved_at=workflow.now().isoformat())
            last_progress, last_moved = (-1, -1), workflow.now()
        else:
            last_progress, last_moved = resume.progress, datetime.fromisoformat(resume.last_moved_at)
        polls_this_run = 0
        while True:
            if self._lean:
                poll = await self._persist("polling 1688", "poll_order", order.order_id, OrderPoll,
                                           f"poll order {order.order_id} and its parcels")
                if poll.view.is_closed:
                    return False
                shipment = poll.shipment
            else:
                view = await self._get_order("check order status")
                if view.is_closed:
                    return False
                shipment = await self._persist("polling logistics", "track_shipment", order.order_id, ShipmentView,
                                               f"poll logistics for order {order.order_id}")
            self._shipment = shipment
            assert order.shipment is not None
            order.shipment.polls += 1
            if shipment.progress > last_progress:
                last_progress, last_moved = shipment.progress, workflow.now()
                order.shipment.status = shipment.status
                order.shipment.company = shipment.company
                order.shipment.tracking_no = shipment.tracking_no
                order.shipment.last_event = shipment.events[-1].remark if shipment.events else None
                order.shipment.last_moved_at = last_moved.isoformat()
                await self._record()
            if shipment.delivered:
                return True
            if not order.shipment.stuck and workflow.now() - last_moved >= timing.stuck_shipment_after:
                order.shipment.stuck = True
                await self._alert("stuck-shipment", f"order {order.order_id}: the shipment has not moved since "
                                  f"{last_moved:%Y-%m-%d %H:%M} UTC (status {order.shipment.status})")
            interval = timing.logistics_poll_interval
            if self._lean and self._pushed:
                interval = max(interval, timing.push_fallback_poll_interval)
            await self._publish(next_timer=f"next logistics poll in {duration_text(interval)}"
                                + (" (or at 1688's next push)" if self._lean and self._pushed else ""))
            self._poke = False
            if self._lean_history:
                await self._until_poll_due(interval)
            else:
                try:
                    await workflow.wait_condition(lambda: self._poke, timeout=interval,
                                                  timeout_summary=f"next logistics poll for order {order.order_id}")
                except asyncio.TimeoutError:
                    pass
            polls_this_run += 1
            if polls_this_run >= timing.polls_per_run or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._input.model_copy(update={
                    "order": order,
                    "resume": ShipmentResume(progress=last_progress, last_moved_at=last_moved.isoformat(),
                                             pushed=self._pushed),
                }))

    async def _until_poll_due(self, interval: timedelta) -> None:
        """Until the poll timer fires or a push comes. A push leaves the timer running, so the
        next poll stays due on time and a push costs no timer events; the timer is started again
        only when it has fired or the interval changed (after the first push)."""
        timer = self._poll_timer
        if timer is not None and not timer.done() and self._poll_interval != interval:
            timer.cancel()
            timer = None
        if timer is None or timer.done():
            timer = self._poll_timer = asyncio.ensure_future(workflow.sleep(
                interval, summary=f"next logistics poll for order {self._order.order_id}"))
            self._poll_interval = interval
        await workflow.wait_condition(lambda: self._poke or timer.done())

    def _stop_poll_timer(self) -> None:
        """A parcel that arrived, or an order closed, needs no more polls: a timer left running
        would wake the order for nothing while it waits for QC."""
        if self._poll_timer is not None and not self._poll_timer.done():
            self._poll_timer.cancel()
        self._poll_timer = None

    async def _await_qc(self) -> None:
        timing = self._input.config.timing
        self._order.status = OrderStatus.AWAITING_QC
        self._qc_open = True
        order_id = self._order.order_id
        await self._publish(next_timer=f"QC reminder in {duration_text(timing.qc_reminder_after)}")
        waits = [
            ("qc-reminder", timing.qc_reminder_after, "QC reminder",
             f"order {order_id} waits for a QC result since the goods arrived",
             f"QC escalation in {duration_text(timing.qc_escalate_after - timing.qc_reminder_after)}"),
            ("qc-escalation", timing.qc_escalate_after - timing.qc_reminder_after, "QC escalation",
             f"order {order_id} escalated: still no QC result since the goods arrived",
             "waiting for QC staff (escalated)"),
        ]
        for step, wait, label, alert, then in waits:
            try:
                await workflow.wait_condition(lambda: self._qc is not None, timeout=max(wait, timedelta(seconds=1)),
                                              timeout_summary=f"{label} for order {order_id}")
                break
            except asyncio.TimeoutError:
                self._next_timer = then
                await self._alert(step, alert)
        await workflow.wait_condition(lambda: self._qc is not None)
        self._qc_open = False

    async def _settle(self) -> list[LineOutcome]:
        order = self._order
        qc = self._qc
        assert qc is not None and order.order_id is not None
        order.status = OrderStatus.SETTLING
        rejected = {l.line_id: l for l in qc.lines} if qc.decision == "reject" else {}
        qc_lines = [
            QcLine(
                line_id=line.line_id,
                accepted_qty=line.quantity - (rejected[line.line_id].rejected_qty if line.line_id in rejected else 0),
                rejected_qty=rejected[line.line_id].rejected_qty if line.line_id in rejected else 0,
                reason=(rejected[line.line_id].reason or qc.reason) if line.line_id in rejected else None,
            )
            for line in order.lines
        ]
        order.qc = Qc(decision=qc.decision, lines=qc_lines, inspector=qc.inspector)
        await self._publish()
        amount = refund_amount(order.lines, qc_lines)
        if amount > 0:
            reason = refund_description(qc_lines, qc.reason or "QC rejected")
            offers = [l.offer_id for l in order.lines if l.line_id in rejected]
            refund = RefundRequest(
                order_id=order.order_id, refund_key=f"qc-{order.out_order_id}", offer_ids=offers, reason=reason,
                amount=None if self._v2 else amount,
                lines=[RefundLine(offer_id=l.offer_id, spec_id=l.spec_id, quantity=rejected[l.line_id].rejected_qty)
                       for l in order.lines if l.line_id in rejected],
            )
            if self._v2:
                receipt = await self._persist("filing the refund", "file_refund", refund, RefundReceipt,
                                              f"refund the rejected pieces of order {order.order_id}")
            else:
                receipt = await call_1688("file_refund", refund, RefundReceipt, task_queue=self._queue,
                                          summary=f"refund {amount:.2f} yuan on order {order.order_id}")
            order.refund = Refund(amount=receipt.amount, reason=reason, status=receipt.status, refund_id=receipt.refund_id)
            if self._v2:
                order.refund.status = receipt.state.value
                await self._record_refund(RefundView(
                    refund_id=receipt.refund_id or "", order_id=order.order_id, state=receipt.state,
                    status=receipt.status, applied=receipt.amount))
        accepted = sum(l.accepted_qty for l in qc_lines)
        if accepted:
            await self._persist("confirming receipt", "confirm_receipt", ReceiptConfirmation(order_id=order.order_id), str,
                                f"confirm receipt of order {order.order_id}")
        if self._v2 and order.refund is not None:
            await self._follow_refund()
        order.status = OrderStatus.RECEIVED if accepted else OrderStatus.REJECTED
        await record("record_supplier_outcome", SupplierOutcome(
            order_id=order.order_id, supplier_id=order.supplier_id, delivered=True,
            on_time=not (order.shipment and order.shipment.stuck),
            inspected_qty=sum(l.quantity for l in order.lines), passed_qty=accepted,
        ), summary=f"supplier {order.supplier_id} record")
        return [
            LineOutcome(line_id=l.line_id, offer_id=order.line(l.line_id).offer_id, received_qty=l.accepted_qty,  # type: ignore[union-attr]
                        failed_qty=l.rejected_qty, reason=f"QC rejected {l.rejected_qty}: {l.reason}" if l.rejected_qty else None)
            for l in qc_lines
        ]

    async def _follow_refund(self) -> None:
        """Follow the refund until the money is back or the seller refused (escalated to a person)."""
        order = self._order
        refund = order.refund
        assert refund is not None and order.order_id is not None
        timing = self._input.config.timing
        while RefundState(refund.status) not in (RefundState.COMPLETED, RefundState.REFUSED):
            await self._publish(next_timer=f"refund check in {duration_text(timing.refund_poll_interval)}")
            await workflow.sleep(timing.refund_poll_interval, summary=f"follow the refund of order {order.order_id}")
            view = await self._persist("following the refund", "get_refund",
                                       RefundQuery(order_id=order.order_id, refund_id=refund.refund_id), RefundView,
                                       f"refund of order {order.order_id}")
            if view.state.value == refund.status and view.refunded == refund.refunded:
                continue
            refund.status, refund.refunded, refund.seller_reason = view.state.value, view.refunded, view.seller_reason
            await self._record_refund(view)
            if view.state == RefundState.RETURN_REQUESTED:
                await self._alert(f"refund-return-{len(order.alerts)}", f"order {order.order_id}: the seller asks for the "
                                  f"rejected goods back before refunding ({view.seller_reason or 'no reason given'}): "
                                  "ship them back and enter the tracking number on 1688")
        self._next_timer = ""
        if RefundState(refund.status) == RefundState.REFUSED:
            text = (f"order {order.order_id}: the seller refused the refund of {refund.amount:.2f} yuan "
                    f"({refund.seller_reason or 'no reason given'}): a person must take it up on 1688")
            order.blocked = text
            await self._alert(f"refund-refused-{len(order.alerts)}", text)

    async def _record_refund(self, view: RefundView) -> None:
        """Each state of the refund: its own ledger row and history, the trace, the order row."""
        refund = self._order.refund
        assert refund is not None
        await record("record_refund", RefundRecord(refund_key=f"qc-{self._order.out_order_id}", reason=refund.reason,
                                                   refund=view),
                     summary=f"ledger: refund {refund.refund_id} {refund.status}", alerts=self._order.alerts)
        await self._trace(f"refund-{refund.status}", "refund", {
            "order_id": self._order.order_id, "refund_id": refund.refund_id, "state": refund.status,
            "amount": str(refund.amount), "refunded": str(refund.refunded), "seller_reason": refund.seller_reason})
        await self._record()

    async def _persist(self, what: str, name: str, arg: object, result_type: type[T], summary: str) -> T:
        """A 1688 step that may not give up: money has moved, or may have.

        Rounds of attempts (each at most `outage_round`) with a growing pause between them. A
        refused authorisation raises its alert at once; any other failure once it has lasted
        `outage_alert_after`. The alert clears itself when the step succeeds. History stays
        bounded: a round and its pause are five events, and the pause grows to `outage_retry_max`.
        """
        if not self._v2:
            return await call_1688(name, arg, result_type, task_queue=self._queue, summary=summary)
        timing = self._input.config.timing
        order = self._order
        started = workflow.now()
        pause = timing.outage_retry_first
        raised: str | None = None
        while True:
            try:
                result = await call_1688(name, arg, result_type, task_queue=self._queue, summary=summary,
                                         retry=PERSISTENT_RETRY, window=timing.outage_round)
            except ActivityError as error:
                kind, message = failure_text(error)
                text = None
                if kind == "Auth":
                    text = f"{AUTH_EXPIRED} (order {order.order_id}: {what} waits for it)"
                elif workflow.now() - started >= timing.outage_alert_after:
                    text = (f"order {order.order_id}: {what} has failed since {started:%Y-%m-%d %H:%M} UTC "
                            f"({kind}: {message[:300]}); it is tried again until 1688 answers")
                if text is not None and raised != kind:
                    raised = kind
                    order.blocked = text
                    await self._alert(f"blocked-{len(order.alerts)}", text)
                await workflow.sleep(pause, summary=f"{what}: try again")
                pause = min(pause * 2, timing.outage_retry_max)
                continue
            if raised is not None:
                order.blocked = None
                await self._trace(f"cleared-{len(order.alerts)}", "alert-cleared",
                                  {"text": f"order {order.order_id}: {what} succeeded again", "order_id": order.order_id})
                await self._publish()
            return result

    # --- plumbing -----------------------------------------------------------------------------

    @property
    def _queue(self) -> str:
        return self._input.config.alibaba_task_queue

    def _failed_lines(self, reason: str, *, offer_failed: bool, retry: bool = True) -> list[LineOutcome]:
        self._order.reason = reason
        if self._order.status not in (OrderStatus.CANCELLED,):
            self._order.status = OrderStatus.CANCELLED if not retry or not offer_failed else OrderStatus.FAILED
        return [
            LineOutcome(line_id=l.line_id, offer_id=l.offer_id, failed_qty=l.quantity if retry else 0,
                        reason=reason, offer_failed=offer_failed)
            for l in self._order.lines
        ]

    async def _get_order(self, why: str) -> OrderView:
        if self._v2 and self._order.status not in (OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL):
            # From the payment on, reading the order may not fail the order.
            return await self._persist(why, "get_order", self._order.order_id, OrderView,
                                       f"{why}: read order {self._order.order_id}")
        return await call_1688("get_order", self._order.order_id, OrderView, task_queue=self._queue,
                               summary=f"{why}: read order {self._order.order_id}")

    async def _cancel_order(self, reason: str, view: OrderView | None = None) -> str:
        """Cancel the unpaid order: "closed" once 1688 shows it closed, "paid" if it shows it paid.

        The old way (replayed orders) trusts the cancel reply and returns "closed" on failure too.
        """
        order = self._order
        if not self._v2:
            try:
                result = await call_1688("cancel_order", CancelOrderRequest(order_id=order.order_id or "", reason=reason),
                                         CancelOrderResult, task_queue=self._queue, summary=f"cancel order {order.order_id}")
            except ActivityError as error:
                kind, message = refusal(error) or ("Failure", str(error))
                await self._alert("cancel-failed", f"order {order.order_id} could not be cancelled ({kind}): {message}")
                return "closed"
            if result.cancelled:
                order.status = OrderStatus.CANCELLED
            return "closed"
        timing = self._input.config.timing
        pause = timing.outage_retry_first
        warned = False
        while True:
            if view is not None:
                if view.is_paid:
                    return "paid"
                if view.is_closed:
                    order.status = OrderStatus.CANCELLED
                    if warned:
                        order.blocked = None
                    return "closed"
                if warned:
                    await workflow.sleep(pause, summary=f"cancel order {order.order_id}: try again")
                    pause = min(pause * 2, timing.outage_retry_max)
            await self._persist("cancelling", "cancel_order", CancelOrderRequest(order_id=order.order_id or "", reason=reason),
                                CancelOrderResult, f"cancel order {order.order_id}")
            view = await self._persist("reading the order back after the cancel", "get_order", order.order_id,
                                                       OrderView, f"after the cancel: read order {order.order_id}")
            if not (view.is_paid or view.is_closed) and not warned:
                warned = True
                order.blocked = (f"order {order.order_id}: 1688 has not confirmed the cancellation (status {view.status}); "
                                 "the line is not bought elsewhere until it does")
                await self._alert(f"cancel-unconfirmed-{len(order.alerts)}", order.blocked)

    async def _alert(self, step: str, text: str) -> None:
        self._order.alerts.append(text)
        alert_raised(step)
        workflow.logger.warning(text)
        await self._trace(step, "alert", {"text": text, "order_id": self._order.order_id})
        await self._publish()

    async def _trace(self, step: str, kind: str, detail: dict) -> None:
        await record("record_trace_event", TraceEvent(workflow_id=self._input.parent_workflow_id,
                                                      step=f"{self._order.out_order_id}:{step}", kind=kind, detail=detail),
                     summary=f"{kind}: {step}", alerts=self._order.alerts if self._v2 else None)

    async def _record(self) -> None:
        await record("record_order", OrderRecord(workflow_id=self._input.parent_workflow_id, request_id=self._input.request_id,
                                                 order=self._order, shipment=self._shipment),
                     summary=f"ledger: order {self._order.order_id} {self._order.status.value}",
                     alerts=self._order.alerts if self._v2 else None)

    async def _publish(self, next_timer: str | None = None, *, report: bool = True) -> None:
        if next_timer is not None:
            self._next_timer = next_timer
        order = self._order
        workflow.set_current_details(order_details(order, self._next_timer))
        # Polls alone change nothing a person acts on: they neither add search-attribute events
        # nor wake the parent, which keeps both histories short while a parcel travels. Nor does
        # the parcel's way through the courier's network (its scans, their times, collected, in
        # transport): the parent hears that the order is in transit, of its carrier and tracking
        # number, of a stuck parcel and of its arrival; each scan is in this order's details and
        # queries and in the ledger.
        signature = self._signature(order)
        changed = signature != self._published
        if not changed and not self._lean_history:
            return
        self._published = signature
        self._counters.progress(order.status.is_paid,
                                order.amount, order.refund.status if order.refund is not None else None)
        # Search attributes change only when what ops filter on changes (stage, order id, amount,
        # an alert): most progress (a parcel's events, a refund's steps) leaves them as they are.
        shown = shown_values(order)
        if not self._lean_history or shown != self._shown:
            self._shown = shown
            updates = [pair.key.value_set(pair.value) for pair in order_search_attributes(self._input.request_id, order)]
            # Set only once an order has been held: a healthy order never touches it.
            if order.blocked is not None or self._alert_shown:
                self._alert_shown = order.blocked is not None
                updates.append(sa.alert_update(order.blocked))
            workflow.upsert_search_attributes(updates)
        if changed and report:
            self._reported_status = order.status
            await workflow.get_external_workflow_handle(self._input.parent_workflow_id).signal(ORDER_PROGRESS_SIGNAL, order)

    def _signature(self, order: OrderSnapshot) -> str:
        if self._lean_history and order.status == OrderStatus.SETTLING:
            # Settling alone (receipt being confirmed on 1688) asks nothing of anyone and lasts a
            # step; its outcome is reported. A QC result or a refund on the way is reported with it.
            order = order.model_copy(update={"status": self._reported_status})
        return order.model_dump_json(exclude={"shipment": (
            {"polls", "status", "last_event", "last_moved_at"} if self._lean_history else {"polls"})})

    async def _finish(self, lines: list[LineOutcome]) -> OrderOutcome:
        self._next_timer = ""
        await self._publish(report=not self._quiet_end)  # QUIET_END_PATCH: the outcome tells the procurement
        await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return OrderOutcome(order=self._order, lines=lines)
