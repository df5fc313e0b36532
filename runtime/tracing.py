"""OpenTelemetry tracing through the Temporal SDK's `TracingInterceptor`.

On when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the OpenTelemetry variable, e.g.
`http://otel-collector:4318`): spans of workflow starts, workflow and activity executions, signals,
queries and updates go over OTLP/HTTP to that collector, and the trace context travels inside
Temporal headers, so a `procure start` and the steps it causes on any worker form one trace.
Spans carry workflow and activity ids and types, never payloads.
"""

from __future__ import annotations

import logging

from temporalio.client import Interceptor

from runtime.settings import Settings

log = logging.getLogger(__name__)
_configured = False


def tracing_interceptors(settings: Settings, service: str) -> list[Interceptor]:
    """`[TracingInterceptor()]` with an OTLP exporter when tracing is configured, else `[]`.

    The interceptor goes on the client; workers built from that client inherit it.
    """
    global _configured
    if not settings.otel_exporter_otlp_endpoint:
        return []
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    if not _configured:  # one provider per process: OpenTelemetry refuses to replace it
        attributes = {"service.name": service}
        if settings.temporal_worker_build_id:
            attributes["service.version"] = settings.temporal_worker_build_id
        provider = TracerProvider(resource=Resource.create(attributes))
        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        trace.set_tracer_provider(provider)
        _configured = True
        log.info("tracing: spans go to %s as %s", endpoint, service)
    return [TracingInterceptor()]


def flush_traces() -> None:
    """Send the spans still buffered; called on the way out."""
    if not _configured:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()
