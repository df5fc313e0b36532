"""The worker: composition root for both task queues.

The procurement queue runs the workflows and the ledger activities (role `workflows`). The 1688
queue runs the activities that call the 1688 Open Platform (role `1688`). Each role scales on its
own; `all` serves both from one process (the local stack, small installations). Two limits keep
every worker together inside the app's API quota: the queue's server-side activity rate, and a
turn per HTTP call booked in PostgreSQL (`activities/call_quota.py`), because one activity may
make several calls.

Everything comes from the environment (runtime/settings.py; docs/deploy.md lists what a cluster
sets): the Temporal connection or a Temporal profile, worker tuning, Worker Versioning (deployment
name and build id), metrics, tracing, logs. Exit status: 0 after a clean stop (SIGTERM or Ctrl-C:
polling stops, running steps get `WORKER_GRACEFUL_SHUTDOWN` to finish), 2 for bad settings,
3 when Temporal or PostgreSQL cannot be reached at start, 1 when a worker fails while running.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
import time
from contextlib import AsyncExitStack

import asyncpg
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.client import Client
from temporalio.common import MetricMeter, WorkerDeploymentVersion
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.basket import basket_activities
from activities.call_quota import SharedCallQuota
from activities.compliance import ComplianceActivities, ComplianceLedgerActivities, LicenceRegister, LowPriorityQuota
from activities.api_audit import ApiAudit
from activities.inquiry import InquiryActivities
from activities.ledger import LedgerActivities
from activities.liveness import KeepBeating
from activities.notification_dispatch import NotificationDispatcher
from activities.ordering import OrderingActivities
from activities.payment import PaymentActivities
from activities.replenishment import ReplenishmentActivities
from activities.settlement import SettlementActivities
from activities.ledger_rejections import LedgerRejections
from activities.rfq_ledger import RfqLedgerActivities
from activities.shipment import ShipmentActivities
from activities.sourcing import SourcingActivities
from alibaba1688 import Alibaba1688Client
from domain.notifications import NotificationRoutes, RoutesError, load_routes
from ledger import figures
from runtime.connection import DatabaseUnreachable, TemporalUnreachable, connect_temporal
from runtime.database import database_url, open_ledger  # noqa: F401 - database_url: for callers of worker
from runtime.logs import configure_logging
from runtime.metrics import CallMetrics, CountedPace, StateGauges, metrics_runtime, seconds_until, service_name
from runtime.settings import WORKER_ROLES, Settings, SettingsError, load_settings
from runtime.tracing import flush_traces, tracing_interceptors
from starter.replenish import replenishment_setup
from workflows import search_attributes, versioning
from workflows.compliance import ComplianceRefreshWorkflow
from workflows.procurement import ProcurementWorkflow
from workflows.replenishment import ReplenishmentSweepWorkflow, StoreReplenishmentWorkflow
from workflows.rfq import RfqWorkflow
from workflows.supplier_order import SupplierOrderWorkflow

log = logging.getLogger("worker")

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3

WORKFLOWS = [ProcurementWorkflow, SupplierOrderWorkflow, StoreReplenishmentWorkflow, ReplenishmentSweepWorkflow,
             RfqWorkflow, ComplianceRefreshWorkflow]
# Activities beat while they run, so a killed worker's steps are retried after their heartbeat timeout.
# A ledger write refused for its content fails once, typed (activities/ledger_rejections.py).
INTERCEPTORS = [KeepBeating(), LedgerRejections()]


def alibaba_client(settings: Settings, pool: asyncpg.Pool, audit: ApiAudit,
                   meter: MetricMeter = MetricMeter.noop, *, low_priority: bool = False) -> Alibaba1688Client:
    """The 1688 client; ``low_priority`` for the compliance refresh, whose calls take only idle
    turns of the shared quota (activities/compliance.py)."""
    app_key, app_secret, access_token, refresh_token = settings.alibaba_credentials()
    quota = (LowPriorityQuota(pool, app_key, settings.alibaba_calls_per_minute) if low_priority
             else SharedCallQuota(pool, app_key, settings.alibaba_calls_per_minute))
    # Tokens live in PostgreSQL, shared by every worker and replaced by `procure authorize`; the
    # environment's only seed an empty store.
    from ledger.credentials import CredentialStore, TokenCipher

    tokens = CredentialStore(pool, app_key, TokenCipher.for_app(app_secret, settings.token_encryption_key))
    counted = CallMetrics(meter)

    async def on_call(record) -> None:
        await counted(record)
        await audit(record)

    return Alibaba1688Client(
        settings.gateway_url, app_key, app_secret, access_token, refresh_token, on_call=on_call,
        pace=CountedPace(quota, meter), token_source=tokens,
    )


def alibaba_activities(client: Alibaba1688Client, pool: asyncpg.Pool | None = None) -> list:
    # With the pool, fetch_supplier keeps resolved seller profiles in the ledger (a time to live).
    sourcing = SourcingActivities(client, pool)
    ordering = OrderingActivities(client)
    payment = PaymentActivities(client)
    shipment = ShipmentActivities(client)
    settlement = SettlementActivities(client)
    inquiry = InquiryActivities(client)
    return [
        sourcing.search_offers, sourcing.fetch_offer, sourcing.fetch_supplier, sourcing.estimate_freight,
        ordering.preview_order, ordering.create_order, ordering.get_order, ordering.cancel_order,
        payment.pay_order, shipment.track_shipment, shipment.poll_order, settlement.confirm_receipt, settlement.file_refund, settlement.get_refund, settlement.return_goods,
        inquiry.send_inquiry, inquiry.read_quotations, inquiry.close_inquiry,
    ]


def ledger_activities(pool: asyncpg.Pool) -> list:
    ledger = LedgerActivities(pool)
    compliance = ComplianceLedgerActivities(pool)
    return [
        ledger.record_trace_event, ledger.record_request, ledger.record_stage, ledger.record_sourcing,
        ledger.record_order, ledger.record_supplier_outcome, ledger.load_supplier_history, ledger.record_refund,
        ledger.check_payment, RfqLedgerActivities(pool).record_rfq,
        compliance.list_suppliers_to_check, compliance.record_compliance,
    ]


def workflow_queue_activities(pool: asyncpg.Pool) -> list:
    """What the workflows' own worker runs beside them, mostly as local activities: the ledger's
    reads and writes and the basket solver."""
    return ledger_activities(pool) + basket_activities()


def replenishment_activities(client: Client, settings: Settings, pool: asyncpg.Pool) -> list:
    replenish = ReplenishmentActivities(pool, client, settings.replenishment_config, replenishment_setup(settings),
                                        settings.replenishment_quiet_after)
    return [replenish.record_replenishment_batch, replenish.sweep_quiet_stores]


def notification_routes(settings: Settings) -> NotificationRoutes | None:
    """The routes file, read before anything starts: one that does not read is a configuration error."""
    if settings.notification_routes is None:
        return None
    try:
        return load_routes(settings.notification_routes)
    except RoutesError as error:
        raise SettingsError([f"NOTIFICATION_ROUTES: {p}" for p in error.problems]) from None


def compliance_activities(client: Alibaba1688Client, pool: asyncpg.Pool, register: LicenceRegister | None) -> list:
    """The compliance refresh's 1688 step, with its own low-priority client (worker.run)."""
    return [ComplianceActivities(client, pool, register).refresh_supplier]


def workflow_name(cls: type) -> str:
    from temporalio.workflow import _Definition  # the SDK's own reading of @workflow.defn

    return _Definition.must_from_class(cls).name


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """Worker Versioning when `TEMPORAL_DEPLOYMENT_NAME` is set (docs/deploy.md, "Upgrades").

    The behaviour of each workflow type is chosen in workflows/versioning.py; a new workflow type
    without a choice stops the worker at start instead of silently getting one.
    """
    if not settings.temporal_deployment_name:
        return None
    assert settings.temporal_worker_build_id  # checked with the settings
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.temporal_deployment_name, settings.temporal_worker_build_id),
        use_worker_versioning=True,
        default_versioning_behavior=versioning.deployment_default([workflow_name(w) for w in WORKFLOWS]),
    )


def build_workers(
    client: Client,
    settings: Settings,
    pool: asyncpg.Pool,
    alibaba: Alibaba1688Client | None,
    *,
    procurement: bool = True,
    compliance: list | None = None,
) -> list[Worker]:
    common = dict(
        interceptors=INTERCEPTORS,
        graceful_shutdown_timeout=settings.worker_graceful_shutdown,
        max_concurrent_activities=settings.max_concurrent_activities,
        deployment_config=deployment_config(settings),
    )
    workers: list[Worker] = []
    if procurement:
        workers.append(
            Worker(
                client,
                task_queue=settings.procurement_task_queue,
                workflows=WORKFLOWS,
                activities=workflow_queue_activities(pool) + replenishment_activities(client, settings, pool),
                max_cached_workflows=settings.max_cached_workflows,
                max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
                **common,
            )
        )
    if alibaba is not None:
        workers.append(
            Worker(
                client,
                task_queue=settings.alibaba_task_queue,
                activities=alibaba_activities(alibaba, pool) + (compliance or []),
                # Server-side and task-queue-wide: all workers together stay inside the quota.
                max_task_queue_activities_per_second=settings.alibaba_calls_per_second,
                **common,
            )
        )
    return workers


def state_gauges(client: Client, settings: Settings, pool: asyncpg.Pool, meter: MetricMeter) -> StateGauges:
    from domain.progress import Stage

    async def stages() -> list[tuple[str, dict[str, str], float]]:
        counts = await figures.procurements_by_stage(pool)
        return [("procure_procurements", {"stage": s.value}, counts.get(s.value, 0)) for s in Stage]

    async def held() -> list[tuple[str, dict[str, str], float]]:
        query = (f"WorkflowType = 'SupplierOrderWorkflow' AND ExecutionStatus = 'Running' "
                 f"AND TaskQueue = '{settings.procurement_task_queue}' AND {search_attributes.ALERT.name} != ''")
        return [("procure_orders_held", {}, (await client.count_workflows(query)).count)]

    async def tokens() -> list[tuple[str, dict[str, str], float]]:
        expiry = await figures.token_expiry(pool, settings.alibaba_app()[0])
        if expiry is None:
            return []
        # Tokens seeded from the environment have no known expiry until their first refresh.
        return [("procure_1688_token_expires_in_seconds", {"token": token}, seconds_until(moment))
                for token, moment in zip(("access", "refresh"), expiry) if moment is not None]

    async def backlog() -> list[tuple[str, dict[str, str], float]]:
        readings = []
        for queue, kind in ((settings.procurement_task_queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                            (settings.procurement_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
                            (settings.alibaba_task_queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)):
            reply = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=queue), task_queue_type=kind, report_stats=True))
            kind_name = "workflow" if kind == TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW else "activity"
            readings.append(("procure_task_queue_backlog", {"task_queue": queue, "type": kind_name},
                             reply.stats.approximate_backlog_count))
        return readings

    stages.__name__, held.__name__, tokens.__name__, backlog.__name__ = (
        "procurements by stage (ledger)", "held orders (visibility)", "1688 token expiry (ledger)", "task queue backlog")
    return StateGauges(meter, [stages, held, tokens, backlog])


async def run(settings: Settings, *, procurement: bool = True, alibaba: bool = True,
              stop: asyncio.Event | None = None, role: str | None = None) -> None:
    """Serve until ``stop`` is set; raises TemporalUnreachable or DatabaseUnreachable at start."""
    stop = stop or asyncio.Event()
    role = role or ("all" if procurement and alibaba else "workflows" if procurement else "1688")
    service = service_name(settings, f"worker-{role}")
    routes = notification_routes(settings) if procurement else None
    telemetry = metrics_runtime(settings, service)
    meter = telemetry.metric_meter if telemetry is not None else MetricMeter.noop
    async with AsyncExitStack() as stack:
        pool = await open_ledger(settings)
        stack.push_async_callback(pool.close)
        client = await connect_temporal(settings, runtime=telemetry, interceptors=tracing_interceptors(settings, service))
        gateway = None
        compliance: list | None = None
        if alibaba:
            audit = ApiAudit(pool)
            stack.push_async_callback(audit.aclose)  # before the pool closes
            gateway = alibaba_client(settings, pool, audit, meter)
            stack.push_async_callback(gateway.aclose)
            quiet = alibaba_client(settings, pool, audit, meter, low_priority=True)
            stack.push_async_callback(quiet.aclose)
            register = LicenceRegister(settings.licence_register_url) if settings.licence_register_url else None
            if register is not None:
                stack.push_async_callback(register.aclose)
            compliance = compliance_activities(quiet, pool, register)
        workers = build_workers(client, settings, pool, gateway, procurement=procurement, compliance=compliance)
        # What the process holds by now (modules, pydantic schemas: about 90,000 objects) lives as
        # long as it does. Frozen, the garbage collector's full passes skip it: each pass is about
        # 45 ms shorter, and a full pass lands inside whichever workflow activation is running.
        gc.collect()
        gc.freeze()
        running = [asyncio.create_task(w.run(), name=f"worker {w.task_queue}") for w in workers]
        extras: list[asyncio.Task] = []
        if routes is not None:
            # Beside the workflows, never inside them: a dead channel cannot hold a procurement up.
            dispatcher = NotificationDispatcher(pool, routes,
                                                poll_seconds=settings.notification_poll_interval.total_seconds())
            stack.push_async_callback(dispatcher.aclose)
            extras.append(asyncio.create_task(dispatcher.run(stop), name="notifications"))
        if telemetry is not None and procurement:
            gauges = state_gauges(client, settings, pool, meter)
            extras.append(asyncio.create_task(gauges.run(settings.metrics_refresh.total_seconds(), stop)))
        version = (f"; deployment {settings.temporal_deployment_name}, build {settings.temporal_worker_build_id}"
                   if settings.temporal_deployment_name else "")
        metrics = f"; metrics on :{settings.metrics_port}/metrics" if telemetry is not None else ""
        log.info("worker serving %s (role %s%s%s)", ", ".join(w.task_queue for w in workers), role, version, metrics)
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *running], return_when=asyncio.FIRST_COMPLETED)
        failed = [t for t in running if t in done]
        stop.set()
        began = time.monotonic()
        log.info("worker shutting down: no new tasks; running steps get %.0f s to finish",
                 settings.worker_graceful_shutdown.total_seconds())
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        await asyncio.gather(*running, *extras, return_exceptions=True)
        log.info("worker stopped after %.1f s", time.monotonic() - began)
        for task in failed:
            error = task.exception() if not task.cancelled() else None
            raise RuntimeError(f"{task.get_name()} stopped: {error!r}")
    flush_traces()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procure worker",
        description="Run a worker. Roles: workflows (procurement queue: workflows and ledger steps), "
                    "1688 (the 1688 queue), all (both; the default, or WORKER_ROLE).",
    )
    parser.add_argument("--role", choices=WORKER_ROLES, default=None,
                        help="which task queues to serve (default: WORKER_ROLE, else all)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--procurement-only", action="store_true", help="same as --role workflows")
    only.add_argument("--alibaba-only", action="store_true", help="same as --role 1688")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"procure worker: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    role = args.role or ("workflows" if args.procurement_only else "1688" if args.alibaba_only else settings.worker_role)
    configure_logging(settings, service=f"worker-{role}", build_id=settings.temporal_worker_build_id)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, procurement=role in ("workflows", "all"), alibaba=role in ("1688", "all"), stop=stop, role=role)

    try:
        asyncio.run(serve())
    except (TemporalUnreachable, DatabaseUnreachable) as exc:
        print(f"procure worker: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except SettingsError as exc:
        print(f"procure worker: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    return EXIT_OK


def entry() -> None:
    """Console script `procure-worker` (the image's worker entry point)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: the Temporal SDK can abort there (sdk-python issue 300).
    os._exit(code)


if __name__ == "__main__":
    entry()
