"""Following the courier: every parcel of an order."""

from __future__ import annotations

from temporalio import activity

from activities.gateway import GatewayActivities
from alibaba1688 import models as api
from activities.ordering import view_of
from domain.shipment import OrderPoll, Parcel, ShipmentEvent, ShipmentView, shipment_of


def _events(trace: api.ShipmentTrace | None) -> list[ShipmentEvent]:
    if trace is None:
        return []
    return [
        ShipmentEvent(at=step.accepted_at.isoformat() if step.accepted_at else "", remark=step.remark)
        for step in trace.steps
    ]


class ShipmentActivities(GatewayActivities):
    @activity.defn
    async def poll_order(self, order_id: str) -> OrderPoll:
        """The order and, once it has left the seller, its parcels: one step per poll."""
        view = view_of(await self._call(self._client.get_order(order_id)))
        if not OrderPoll.needs_logistics(view):
            return OrderPoll(view=view, shipment=ShipmentView(order_id=order_id))
        return OrderPoll(view=view, shipment=await self._track(order_id))

    @activity.defn
    async def track_shipment(self, order_id: str) -> ShipmentView:
        """Every parcel 1688 lists for the order, each with its courier steps. The goods have
        arrived when every parcel is signed (``ShipmentView.delivered``)."""
        return await self._track(order_id)

    async def _track(self, order_id: str) -> ShipmentView:
        info = await self._call(self._client.get_logistics_info(order_id))
        if not info.shipped or not info.shipments:
            return ShipmentView(order_id=order_id)
        # One trace call answers for every parcel of the order. Right after shipping it may hold
        # nothing yet (the API's "no tracking information" error): the parcels have no steps.
        trace = await self._call(self._client.get_logistics_trace(order_id))
        by_id = {t.logistics_id: t for t in trace.shipments if t.logistics_id}
        by_bill = {t.bill_no: t for t in trace.shipments if t.bill_no}
        parcels = [
            Parcel(
                company=s.company_name,
                tracking_no=s.bill_no,
                status=s.status or "WAITACCEPT",
                events=_events(by_id.get(s.logistics_id) or by_bill.get(s.bill_no or "")),
            )
            for s in info.shipments
        ]
        return shipment_of(order_id, parcels)
