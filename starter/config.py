"""The workflow knobs that come from settings, in one place: `procure start` and the demo use it."""

from __future__ import annotations

from domain.procurement import ProcurementConfig, Timing
from runtime.settings import Settings


def procurement_config(settings: Settings) -> ProcurementConfig:
    # The config travels in the workflow input, so a running procurement keeps the timings it
    # started with even if the settings change later.
    return ProcurementConfig(
        alibaba_task_queue=settings.alibaba_task_queue,
        timing=Timing(
            logistics_poll_interval=settings.logistics_poll_interval,
            qc_reminder_after=settings.qc_reminder_after,
            qc_escalate_after=settings.qc_escalate_after,
            approval_timeout=settings.approval_timeout,
            # A refund is followed on the same cadence as a parcel: both wait on 1688's people.
            refund_poll_interval=settings.logistics_poll_interval,
        ),
    )
