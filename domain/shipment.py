"""Logistics as read from 1688 while an order is on its way."""

from __future__ import annotations

from pydantic import BaseModel, Field

# The courier's progress, in order; SIGN means the warehouse signed for the parcel.
LOGISTICS_STEPS = ("NOT_SHIPPED", "WAITACCEPT", "ACCEPT", "TRANSPORT", "SIGN")


class ShipmentEvent(BaseModel):
    at: str
    remark: str


class ShipmentView(BaseModel):
    order_id: str
    status: str = "NOT_SHIPPED"
    company: str | None = None
    tracking_no: str | None = None
    events: list[ShipmentEvent] = Field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return self.status == "SIGN"

    @property
    def progress(self) -> tuple[int, int]:
        """Comparable progress: the step reached, then how many trace events we have seen."""
        step = LOGISTICS_STEPS.index(self.status) if self.status in LOGISTICS_STEPS else 0
        return step, len(self.events)
