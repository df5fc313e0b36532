"""What the order workflow counts for ops (runtime/metrics.py lists every metric and its meaning).

Counted through `workflow.metric_meter()`, which the SDK silences while a history is replayed: a
worker that restarts and replays an order does not count its payment again. Counting changes no
command, so adding or removing a counter needs no `workflow.patched`.
"""

from __future__ import annotations

from decimal import Decimal

from temporalio import workflow


class OrderCounters:
    """Counts each transition once: paid, each refund state, each alert."""

    def __init__(self, *, already_paid: bool) -> None:
        # A run that continued as new was paid in an earlier run, which counted it.
        self._paid = already_paid
        self._refund_state: str | None = None

    def progress(self, paid: bool, amount: Decimal, refund_state: str | None) -> None:
        meter = workflow.metric_meter()
        if paid and not self._paid:
            self._paid = True
            meter.create_counter("procure_orders_paid", "1688 orders paid").add(1)
            meter.create_histogram_float(
                "procure_order_amount_paid_yuan", "amount of each paid 1688 order (sum: yuan paid)", "yuan"
            ).record(float(amount))
        if refund_state is not None and refund_state != self._refund_state:
            self._refund_state = refund_state
            meter.create_counter("procure_refunds", "refunds by state reached").add(1, {"state": refund_state})


def alert_raised(step: str) -> None:
    # `blocked-3` and `blocked-4` are the same kind of alert: keep the label set small.
    kind = step.rstrip("0123456789").rstrip("-") or step
    workflow.metric_meter().create_counter("procure_alerts_raised", "alerts raised by order workflows").add(1, {"alert": kind})
