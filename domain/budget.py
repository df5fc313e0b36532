"""What an order keeps committed against a request's budget, once it has ended (or failed).

The rule of money at the edges: money counts as spent from the moment it may have moved until
1688 shows it back. A cancelled order (1688 confirmed the close) and an order that was never
placed hold nothing; a paid order holds what was paid less the refunds 1688 has completed (a
refund only requested is not money back); an order that failed in any other way after it was
placed may have been paid, so it holds its whole amount.
"""

from __future__ import annotations

from decimal import Decimal

from domain.progress import OrderSnapshot, OrderStatus


def committed_by(order: OrderSnapshot, planned_total: Decimal) -> Decimal:
    if order.order_id is None or order.status == OrderStatus.CANCELLED:
        return Decimal(0)
    amount = Decimal(order.amount) if order.amount else Decimal(planned_total)
    if order.status.is_paid:
        back = Decimal(order.refund.refunded) if order.refund is not None else Decimal(0)
        return max(amount - back, Decimal(0))
    return amount
