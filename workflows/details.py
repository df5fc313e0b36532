"""Markdown for the Web UI's "current details": the story so far, readable at a glance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain.money import yuan
from domain.progress import LineState, OrderSnapshot, ProcurementState


def duration_text(value: timedelta) -> str:
    """`4h`, `30m`, `1d 2h`, `45s`: how people write durations, not `1 day, 0:00:00`."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


# The Web UI's markdown puts no space between table cells, so these pages use lists, and a blank
# line before each list (its renderer starts a list only after one).

def order_details(order: OrderSnapshot, next_timer: str = "") -> str:
    lines = [
        f"**Order {order.order_id or order.out_order_id}** from `{order.supplier_id}`: **{order.status.value}**",
        f"Amount {yuan(order.amount)} yuan (quoted {yuan(order.quoted_amount)})",
        "",
    ]
    lines += [f"- line {l.line_id}: offer {l.offer_id} x{l.quantity} at {yuan(l.unit_price)}" for l in order.lines]
    facts = []
    if order.approval.needed:
        who = f"approved by {order.approval.approved_by}" if order.approval.approved_by else f"waiting until {order.approval.deadline}"
        facts.append(f"Approval: {'; '.join(order.approval.reasons)} ({who})")
    if order.payment:
        facts.append(f"Payment: {yuan(order.payment.amount)} by {order.payment.method}, {'paid' if order.payment.paid else 'not paid yet'}")
        if order.payment.payment_url and not order.payment.paid:
            facts.append(f"Pay here: {order.payment.payment_url}")
    if order.shipment:
        s = order.shipment
        facts.append(f"Shipment: {s.status} {s.company or ''} {s.tracking_no or ''} (polls {s.polls}{', STUCK' if s.stuck else ''})")
        if s.last_event:
            facts.append(f"Last event: {s.last_event}")
    if order.qc:
        rejected = sum(l.rejected_qty for l in order.qc.lines)
        facts.append(f"QC: {order.qc.decision} ({rejected} rejected)")
    if order.refund:
        facts.append(f"Refund: {yuan(order.refund.amount)} yuan, {order.refund.status}")
    if order.reason:
        facts.append(f"Reason: {order.reason}")
    if facts:
        lines += ["", *(f"- {fact}" for fact in facts)]
    if order.alerts:
        lines += ["", "**Alerts**", "", *(f"- {alert}" for alert in order.alerts[-3:])]
    if next_timer:
        lines += ["", f"Next: {next_timer}"]
    return "\n".join(lines)


class TextCache:
    """Each line's and order's text, kept while what it shows is unchanged: a big procurement
    publishes once for every order it starts, and formatting 200 lines and 100 orders afresh
    each time cost 1.1 ms (71 orders started in one workflow activation: 80 ms of it)."""

    def __init__(self) -> None:
        self._texts: dict[tuple, str] = {}

    def get(self, key: tuple, make: Callable[[], str]) -> str:
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) > 4 * 1024:  # stale texts of lines and orders since moved on
                self._texts.clear()
            text = self._texts[key] = make()
        return text


def _line_text(line: LineState) -> str:
    text = f"- line {line.line_id} {line.keyword} x{line.quantity}: {line.status.value}, {line.received_qty} received"
    if line.chosen:
        text += f"; {line.chosen.offer_id} from {line.chosen.supplier_id} at {yuan(line.chosen.landed_unit_cost)} landed/unit"
    return text


def _order_text(o: OrderSnapshot) -> str:
    return f"- {o.order_id or o.out_order_id} from {o.supplier_id}: {o.status.value}, {yuan(o.amount)} yuan"


def procurement_details(state: ProcurementState, next_step: str = "", cache: TextCache | None = None) -> str:
    texts = cache if cache is not None else TextCache()
    lines = [f"**{state.request_id}**: **{state.stage.value}**", ""]
    for line in state.lines:
        chosen = line.chosen
        key = (line.line_id, line.keyword, line.quantity, line.status, line.received_qty,
               None if chosen is None else (chosen.offer_id, chosen.supplier_id, chosen.landed_unit_cost))
        lines.append(texts.get(key, lambda: _line_text(line)))
    if state.orders:
        lines += ["", "**Orders**", ""]
        lines += [texts.get((o.order_id, o.out_order_id, o.supplier_id, o.status, o.amount), lambda: _order_text(o))
                  for o in state.orders]
    if state.savings is not None:
        lines += ["", "**Savings**", "", *(f"- {sentence}" for sentence in state.savings.sentences())]
    reasons = [f"- line {l.line_id}: {l.reason}" for l in state.lines if l.reason]
    if reasons:  # a list: plain lines would run together into one paragraph in the Web UI
        lines += ["", *reasons]
    # The person on call opens the procurement first: an open order's latest alert (stuck
    # shipment, QC reminder or escalation, approval reminder, payment link) must show here too,
    # not only on the order's own page.
    alerts = state.alerts[-3:] + [o.alerts[-1] for o in state.orders if o.alerts and not o.status.is_final]
    if alerts:
        # The blank lines matter: the Web UI's renderer starts a list only after one.
        lines += ["", "**Alerts**", "", *(f"- {alert}" for alert in alerts)]
    if next_step:
        lines.append(f"\nNext: {next_step}")
    return "\n".join(lines)
