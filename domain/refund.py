"""Receipt and refunds after the warehouse's QC."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from domain.money import Yuan
from domain.progress import OrderLine, QcLine


class ReceiptConfirmation(BaseModel):
    order_id: str
    entry_ids: list[str] = Field(default_factory=list)  # empty: every entry of the order


class RefundRequest(BaseModel):
    order_id: str
    refund_key: str  # ours, stable: a retry never files a second refund
    offer_ids: list[str]
    amount: Yuan
    reason: str


class RefundReceipt(BaseModel):
    refund_id: str | None
    amount: Yuan
    status: str


def refund_amount(lines: list[OrderLine], qc_lines: list[QcLine]) -> Decimal:
    """What the rejected pieces cost: the unit price we paid times the pieces refused."""
    price = {line.line_id: Decimal(line.unit_price) for line in lines}
    return sum((price[q.line_id] * q.rejected_qty for q in qc_lines if q.rejected_qty), Decimal(0))


def refund_description(qc_lines: list[QcLine], fallback: str) -> str:
    """1688 wants 2-150 characters: the QC reasons, trimmed."""
    reasons = "; ".join(f"line {q.line_id}: {q.rejected_qty} rejected, {q.reason or fallback}" for q in qc_lines if q.rejected_qty)
    text = reasons or fallback
    return (text if len(text) >= 2 else "QC rejected")[:150]
