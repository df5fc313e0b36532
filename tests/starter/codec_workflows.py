"""Workflows for the payload encryption tests, in their own module: the sandbox re-imports it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.request import DeliveryAddress


@activity.defn
async def shipping_label(address: DeliveryAddress) -> str:
    return f"{address.full_name} {address.mobile} {address.city}"


@workflow.defn
class LabelWorkflow:
    """Puts the phone number in every kind of payload: input, activity input/result, result."""

    @workflow.run
    async def run(self, address: DeliveryAddress) -> DeliveryAddress:
        label = await workflow.execute_activity(
            shipping_label, address, start_to_close_timeout=timedelta(seconds=30)
        )
        return address.model_copy(update={"address": f"{address.address} [{label}]"})


@workflow.defn
class RefusingWorkflow:
    """Fails with the phone number in the failure message, which history would otherwise keep."""

    @workflow.run
    async def run(self, address: DeliveryAddress) -> None:
        raise ApplicationError(f"courier refused delivery to {address.mobile}", type="Refused", non_retryable=True)
