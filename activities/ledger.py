"""Ledger activities: thin wrappers that let workflows write to PostgreSQL idempotently."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from domain.records import (
    OrderRecord, RefundRecord, RequestRecord, SourcingRecord, StageRecord, SupplierOutcome, TraceEvent,
)
from domain.supplier import SupplierHistory
from domain.spend import PaymentCheck, PaymentClearance, RequesterBudget, budget_reasons, cap_reasons, period_start
from ledger import orders, refunds, requests, sourcing, spend, supplier_history, trace


class LedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def check_payment(self, check: PaymentCheck) -> PaymentClearance:
        """The kill switch, the caps and the requester's budgets, read fresh before every payment
        (so a pause reaches every worker at the next check)."""
        paused, reason = await spend.switch(self._pool)
        requester = await spend.requester_of(self._pool, check.request_id)
        reasons = cap_reasons(
            check.amount,
            supplier_id=check.supplier_id,
            supplier_paid_today=await spend.paid_to_supplier_on(self._pool, check.supplier_id, check.at),
            supplier_cap=await spend.cap(self._pool, "supplier_day", check.supplier_id),
            requester=requester,
            requester_paid_this_month=(await spend.paid_for_requester_in_month(self._pool, requester, check.at)
                                       if requester is not None else 0),
            requester_cap=await spend.cap(self._pool, "requester_month", requester) if requester is not None else None,
        )
        if requester is not None:
            reasons += await self._budget_reasons(check, requester)
        return PaymentClearance(paused=paused, pause_reason=reason, cap_reasons=reasons)

    async def _budget_reasons(self, check: PaymentCheck, requester: str) -> list[str]:
        """Read the requester's committed money and commit this order's in one transaction under a
        lock per requester: two orders checked at once cannot both fit the last of a budget."""
        async with self._pool.acquire() as conn, conn.transaction():
            await spend.lock_requester(conn, requester)
            budgets = [
                RequesterBudget(period=period, amount=amount, committed=await spend.committed_since(
                    conn, requester, period_start(check.at, period), excluding=check.out_order_id))
                for period, amount in sorted((await spend.budgets_of(conn, requester)).items())
            ]
            if check.out_order_id is not None:
                await spend.commit_payment(conn, check.out_order_id, check.request_id, requester, check.amount, check.at)
        return budget_reasons(check.amount, requester, budgets)

    @activity.defn
    async def record_trace_event(self, event: TraceEvent) -> bool:
        return await trace.record_trace_event(self._pool, event.workflow_id, event.step, event.kind, event.detail)

    @activity.defn
    async def record_request(self, record: RequestRecord) -> None:
        request = record.request
        await requests.record_purchase_request(
            self._pool, request.request_id, record.workflow_id, request.requester, request.model_dump(mode="json")
        )

    @activity.defn
    async def record_stage(self, record: StageRecord) -> None:
        outcome = record.outcome.model_dump(mode="json") if record.outcome is not None else None
        await requests.set_stage(self._pool, record.workflow_id, record.stage, outcome)

    @activity.defn
    async def record_sourcing(self, record: SourcingRecord) -> None:
        line = record.sourcing
        decisions = [
            sourcing.SourcingDecision(
                offer_id=c.offer_id, supplier_id=c.supplier_id, rank=c.rank, unit_price=c.unit_price,
                landed_total=c.total, landed_unit_cost=c.landed_unit_cost, score=c.score,
                chosen=c.offer_id == record.chosen_offer_id,
                reason=("chosen: " if c.offer_id == record.chosen_offer_id else "") + c.reason,
            )
            for c in line.ranked
        ] + [
            sourcing.SourcingDecision(
                offer_id=x.offer_id, supplier_id=x.supplier_id, unit_price=x.unit_price,
                landed_unit_cost=x.landed_unit_cost, score=line.score_of(x),
                reason="excluded: " + "; ".join(r.message for r in line.reasons_of(x)),
            )
            for x in line.excluded
        ]
        await sourcing.record_sourcing_decisions(
            self._pool, record.workflow_id, line.line_id, record.sourcing_round, decisions
        )

    @activity.defn
    async def record_order(self, record: OrderRecord) -> None:
        order = record.order
        await orders.record_order(
            self._pool,
            out_order_id=order.out_order_id, workflow_id=record.workflow_id, request_id=record.request_id,
            supplier_id=order.supplier_id, order_id=order.order_id, status=order.status.value,
            goods_amount=order.goods_amount, freight_amount=order.freight, total_amount=order.amount,
            lines=[
                orders.OrderLineRow(line_id=l.line_id, offer_id=l.offer_id, spec_id=l.spec_id,
                                    quantity=l.quantity, unit_price=l.unit_price)
                for l in order.lines
            ],
        )
        if order.order_id is None:
            return
        if order.payment is not None and order.payment.paid:
            await orders.record_payment(
                self._pool, order_id=order.order_id, out_order_id=order.out_order_id, amount=order.payment.amount,
                method=order.payment.method, op_request_id=f"pay-{order.out_order_id}",
                approved_by=order.approval.approved_by,
            )
        if record.shipment is not None and record.shipment.status != "NOT_SHIPPED":
            s = record.shipment
            await orders.record_shipment(
                self._pool, order_id=order.order_id, status=s.status, company=s.company, tracking_no=s.tracking_no,
                events=[(e.at, e.remark) for e in s.events],
            )
        if order.qc is not None:
            for line in order.qc.lines:
                await orders.record_qc_result(
                    self._pool, order_id=order.order_id, line_id=line.line_id, accepted_qty=line.accepted_qty,
                    rejected_qty=line.rejected_qty, reason=line.reason, inspector=order.qc.inspector,
                )
        if order.refund is not None:
            await orders.record_refund(
                self._pool, order_id=order.order_id, refund_key="qc", refund_id=order.refund.refund_id,
                amount=order.refund.amount, reason=order.refund.reason, status=order.refund.status,
            )

    @activity.defn
    async def record_refund(self, record: RefundRecord) -> bool:
        """The refund's row as 1688 shows it now; True when its state is new to the ledger."""
        refund = record.refund
        return await refunds.record_refund(
            self._pool,
            refunds.RefundRow(
                order_id=refund.order_id, refund_key=record.refund_key, refund_id=refund.refund_id,
                amount=refund.applied, reason=record.reason, state=refund.state.value,
                platform_status=refund.status, amount_refunded=refund.refunded, seller_reason=refund.seller_reason,
            ),
            changed_at=refund.changed_at,
        )

    @activity.defn
    async def record_supplier_outcome(self, outcome: SupplierOutcome) -> None:
        await supplier_history.record_supplier_outcome(
            self._pool, order_id=outcome.order_id, supplier_id=outcome.supplier_id, delivered=outcome.delivered,
            on_time=outcome.on_time, inspected_qty=outcome.inspected_qty, passed_qty=outcome.passed_qty,
        )

    @activity.defn
    async def load_supplier_history(self, supplier_ids: list[str]) -> dict[str, SupplierHistory]:
        rows = await supplier_history.history_of(self._pool, supplier_ids)
        return {
            r["supplier_id"]: SupplierHistory(
                orders_delivered=r["orders_delivered"], on_time_deliveries=r["on_time_deliveries"],
                qc_inspected=r["qc_inspected"], qc_passed=r["qc_passed"],
            )
            for r in rows
        }
