"""Following the courier."""

from __future__ import annotations

from temporalio import activity

from activities.gateway import GatewayActivities
from domain.shipment import ShipmentEvent, ShipmentView


class ShipmentActivities(GatewayActivities):
    @activity.defn
    async def track_shipment(self, order_id: str) -> ShipmentView:
        info = await self._call(self._client.get_logistics_info(order_id))
        if not info.shipped or not info.shipments:
            return ShipmentView(order_id=order_id)
        shipment = info.shipments[0]
        trace = await self._call(self._client.get_logistics_trace(order_id, shipment.logistics_id))
        steps = trace.shipments[0].steps if trace.shipments else []
        return ShipmentView(
            order_id=order_id,
            status=shipment.status or "WAITACCEPT",
            company=shipment.company_name,
            tracking_no=shipment.bill_no,
            events=[
                ShipmentEvent(at=step.accepted_at.isoformat() if step.accepted_at else "", remark=step.remark)
                for step in steps
            ],
        )
