"""Metrics: the Temporal SDK's and our own, on one Prometheus endpoint per process.

With `METRICS_PORT` set, the SDK's runtime serves `http://METRICS_HOST:METRICS_PORT/metrics`
(its own `temporal_*` metrics: task slots, schedule-to-start latency, failures...) and every
metric of ours is created on the same runtime's meter, so one scrape finds both kinds, all tagged
with `service` and `build_id`. Without it, every instrument here is a no-op.

Ours (names and meanings are what the alert rules and the dashboard in deploy/observability use):

| metric | kind | where it is counted |
|---|---|---|
| `procure_procurements{stage}` | gauge | ledger rows per stage (workflows role, every `METRICS_REFRESH`) |
| `procure_orders_held` | gauge | order workflows running with an open alert (`ProcurementAlert`) |
| `procure_orders_paid` | counter | the order workflow, when 1688 shows the order paid |
| `procure_order_amount_paid_yuan` | histogram | the same moment: its `_sum` is the yuan paid |
| `procure_refunds{state}` | counter | the order workflow: filed, completed, refused |
| `procure_alerts_raised{alert}` | counter | the order workflow, each alert it raises |
| `procure_1688_calls{api,outcome}` | counter | every HTTP call to 1688 (the 1688 role) |
| `procure_1688_refusals{api,code}` | counter | every call 1688 answered with an error |
| `procure_1688_quota_turns{result}` | counter | turns of the shared call quota: granted or refused |
| `procure_1688_token_expires_in_seconds{token}` | gauge | the stored 1688 tokens' remaining life |
| `procure_task_queue_backlog{task_queue}` | gauge | Temporal's approximate backlog of each of our queues |

Workflow code counts through `workflow.metric_meter()`, which the SDK silences while a history is
replayed, so a worker restart never counts a payment twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from temporalio.common import MetricMeter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from runtime.settings import Settings

log = logging.getLogger(__name__)

AMOUNT_BUCKETS = [100.0, 500.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0, 300_000.0]
# Seconds everywhere: Prometheus' convention, and what the alert rules assume.
LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0]


def service_name(settings: Settings, process: str) -> str:
    return settings.otel_service_name or f"procure-{process}"


def metrics_runtime(settings: Settings, service: str) -> Runtime | None:
    """A Temporal runtime that serves Prometheus metrics, or None when `METRICS_PORT` is unset."""
    if settings.metrics_port is None:
        return None
    tags = {"service": service}
    if settings.temporal_worker_build_id:
        tags["build_id"] = settings.temporal_worker_build_id
    return Runtime(telemetry=TelemetryConfig(
        metrics=PrometheusConfig(
            bind_address=f"{settings.metrics_host}:{settings.metrics_port}",
            durations_as_seconds=True,
            histogram_bucket_overrides={
                "procure_order_amount_paid_yuan": AMOUNT_BUCKETS,
                "procure_1688_call_latency": LATENCY_BUCKETS,
            },
        ),
        global_tags=tags,
        attach_service_name=False,
    ))


class CallMetrics:
    """The 1688 client's `on_call` hook for metrics: calls and refusals by API."""

    def __init__(self, meter: MetricMeter) -> None:
        self._calls = meter.create_counter("procure_1688_calls", "HTTP calls to the 1688 Open Platform")
        self._refusals = meter.create_counter("procure_1688_refusals", "1688 calls answered with an error")
        self._latency = meter.create_histogram_float("procure_1688_call_latency", "1688 call latency", "s")

    async def __call__(self, record) -> None:  # alibaba1688.audit.CallRecord
        api = record.api.rpartition(":")[2]
        self._calls.add(1, {"api": api, "outcome": record.outcome})
        self._latency.record(record.latency_ms / 1000.0, {"api": api})
        if record.outcome != "ok":
            self._refusals.add(1, {"api": api, "code": record.error_code or record.error_type or "unknown"})


class CountedPace:
    """Wraps the shared call quota: counts each turn granted or refused (refusals are retried)."""

    def __init__(self, pace: Callable[[str], Awaitable[None]], meter: MetricMeter) -> None:
        self._pace = pace
        self._turns = meter.create_counter("procure_1688_quota_turns", "turns of the app's shared 1688 call quota")

    async def __call__(self, api: str) -> None:
        try:
            await self._pace(api)
        except Exception:
            self._turns.add(1, {"result": "refused", "api": api.rpartition(":")[2]})
            raise
        self._turns.add(1, {"result": "granted", "api": api.rpartition(":")[2]})


class StateGauges:
    """Gauges of what is, not of what happened: read from the ledger and Temporal on a timer.

    Every worker of the workflows role refreshes them, so each replica reports the same values:
    dashboards and alerts take `max` over replicas, never `sum`.
    """

    def __init__(self, meter: MetricMeter, sources: list[Callable[[], Awaitable[list[tuple[str, dict[str, str], float]]]]]) -> None:
        self._meter = meter
        self._sources = sources
        self._gauges: dict[str, object] = {}
        self._seen: dict[str, set[tuple[tuple[str, str], ...]]] = {}

    def _gauge(self, name: str):
        if name not in self._gauges:
            self._gauges[name] = self._meter.create_gauge_float(name, "")
        return self._gauges[name]

    async def refresh(self) -> None:
        for source in self._sources:
            try:
                readings = await source()
            except Exception as exc:  # a database or server restart: keep the last values, say so once
                log.warning("metrics: could not read %s (%s)", getattr(source, "__name__", source), exc)
                continue
            for name, labels, value in readings:
                self._gauge(name).with_additional_attributes(labels).set(float(value))  # type: ignore[attr-defined]

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.refresh()
            try:
                await asyncio.wait_for(stop.wait(), every)
            except asyncio.TimeoutError:
                pass


def seconds_until(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return (moment - datetime.now(timezone.utc)).total_seconds()
