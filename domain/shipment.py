"""Logistics as read from 1688 while an order is on its way."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.order import OrderView

# The courier's progress, in order; SIGN means the warehouse signed for the parcel.
LOGISTICS_STEPS = ("NOT_SHIPPED", "WAITACCEPT", "ACCEPT", "TRANSPORT", "SIGN")


class ShipmentEvent(BaseModel):
    at: str
    remark: str


class Parcel(BaseModel):
    """One parcel of an order: 1688 orders often leave in several (one per warehouse or batch)."""

    company: str | None = None
    tracking_no: str | None = None
    status: str = "WAITACCEPT"  # LOGISTICS_STEPS
    events: list[ShipmentEvent] = Field(default_factory=list)
    offer_ids: list[str] = Field(default_factory=list)  # what it carries, when 1688 says

    @property
    def step(self) -> int:
        return LOGISTICS_STEPS.index(self.status) if self.status in LOGISTICS_STEPS else 0


class ShipmentView(BaseModel):
    """An order's logistics. With ``parcels``, the top-level fields describe the least advanced
    parcel (what the order still waits for); the goods have arrived when every parcel is signed."""

    order_id: str
    status: str = "NOT_SHIPPED"
    company: str | None = None
    tracking_no: str | None = None
    events: list[ShipmentEvent] = Field(default_factory=list)
    parcels: list[Parcel] = Field(default_factory=list)

    @property
    def delivered(self) -> bool:
        if self.parcels:
            return all(p.status == "SIGN" for p in self.parcels)
        return self.status == "SIGN"

    @property
    def progress(self) -> tuple[int, int]:
        """Comparable progress: the steps reached, then how many trace events we have seen."""
        if self.parcels:
            return sum(p.step for p in self.parcels), sum(len(p.events) for p in self.parcels)
        step = LOGISTICS_STEPS.index(self.status) if self.status in LOGISTICS_STEPS else 0
        return step, len(self.events)


def shipment_of(order_id: str, parcels: list[Parcel]) -> ShipmentView:
    """The view of an order from its parcels: headline fields from the least advanced parcel."""
    if not parcels:
        return ShipmentView(order_id=order_id)
    slowest = min(parcels, key=lambda p: (p.step, len(p.events)))
    return ShipmentView(order_id=order_id, status=slowest.status, company=slowest.company,
                        tracking_no=slowest.tracking_no, events=slowest.events, parcels=parcels)


class OrderPoll(BaseModel):
    """One poll of a paid order: the order as 1688 shows it and, once the seller has shipped, its
    logistics. One step instead of two keeps an order's history short while a parcel travels, and
    no logistics call is made while 1688 says the goods have not left (waitsellersend)."""

    view: OrderView
    shipment: ShipmentView

    @staticmethod
    def needs_logistics(view: OrderView) -> bool:
        return not view.is_closed and view.status != "waitsellersend"
