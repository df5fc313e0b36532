"""Markdown for the Web UI's "current details": the story so far, readable at a glance."""

from __future__ import annotations

from domain.money import yuan
from domain.progress import OrderSnapshot, ProcurementState


def order_details(order: OrderSnapshot, next_timer: str = "") -> str:
    lines = [
        f"**Order {order.order_id or order.out_order_id}** from `{order.supplier_id}`: **{order.status.value}**",
        f"Amount {yuan(order.amount)} yuan (quoted {yuan(order.quoted_amount)})",
        "",
        "| line | offer | qty | unit price |",
        "|---|---|---|---|",
    ]
    lines += [f"| {l.line_id} | {l.offer_id} | {l.quantity} | {yuan(l.unit_price)} |" for l in order.lines]
    if order.approval.needed:
        who = f"approved by {order.approval.approved_by}" if order.approval.approved_by else f"waiting until {order.approval.deadline}"
        lines.append(f"\nApproval: {'; '.join(order.approval.reasons)} ({who})")
    if order.payment:
        lines.append(f"Payment: {yuan(order.payment.amount)} by {order.payment.method}, {'paid' if order.payment.paid else 'not paid yet'}")
        if order.payment.payment_url and not order.payment.paid:
            lines.append(f"Pay here: {order.payment.payment_url}")
    if order.shipment:
        s = order.shipment
        lines.append(f"Shipment: {s.status} {s.company or ''} {s.tracking_no or ''} (polls {s.polls}{', STUCK' if s.stuck else ''})")
        if s.last_event:
            lines.append(f"Last event: {s.last_event}")
    if order.qc:
        rejected = sum(l.rejected_qty for l in order.qc.lines)
        lines.append(f"QC: {order.qc.decision} ({rejected} rejected)")
    if order.refund:
        lines.append(f"Refund: {yuan(order.refund.amount)} yuan, {order.refund.status}")
    if order.reason:
        lines.append(f"Reason: {order.reason}")
    if order.alerts:
        lines.append("\n**Alerts**: " + " / ".join(order.alerts[-3:]))
    if next_timer:
        lines.append(f"\nNext: {next_timer}")
    return "\n".join(lines)


def procurement_details(state: ProcurementState, next_step: str = "") -> str:
    lines = [
        f"**{state.request_id}**: **{state.stage.value}**",
        "",
        "| line | keyword | qty | status | received | choice | landed/unit |",
        "|---|---|---|---|---|---|---|",
    ]
    for line in state.lines:
        choice = f"{line.chosen.offer_id} ({line.chosen.supplier_id})" if line.chosen else "-"
        cost = str(yuan(line.chosen.landed_unit_cost)) if line.chosen else "-"
        lines.append(f"| {line.line_id} | {line.keyword} | {line.quantity} | {line.status.value} | {line.received_qty} | {choice} | {cost} |")
    if state.orders:
        lines += ["", "| order | supplier | status | amount |", "|---|---|---|---|"]
        lines += [
            f"| {o.order_id or o.out_order_id} | {o.supplier_id} | {o.status.value} | {yuan(o.amount)} |" for o in state.orders
        ]
    reasons = [f"line {l.line_id}: {l.reason}" for l in state.lines if l.reason]
    if reasons:
        lines.append("\n" + "\n".join(reasons))
    if state.alerts:
        lines.append("\n**Alerts**: " + " / ".join(state.alerts[-3:]))
    if next_step:
        lines.append(f"\nNext: {next_step}")
    return "\n".join(lines)
