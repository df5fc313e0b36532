"""The worker: composition root for both task queues.

The procurement queue runs the workflows and the ledger activities. The 1688 queue runs the
activities that call the 1688 Open Platform. Two limits keep every worker together inside the
app's API quota: the queue's server-side activity rate, and a turn per HTTP call booked in
PostgreSQL (`activities/call_quota.py`), because one activity may make several calls.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack
from datetime import timedelta

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.call_quota import SharedCallQuota
from activities.api_audit import ApiAudit
from activities.ledger import LedgerActivities
from activities.liveness import KeepBeating
from activities.ordering import OrderingActivities
from activities.payment import PaymentActivities
from activities.settlement import SettlementActivities
from activities.ledger_rejections import LedgerRejections
from activities.shipment import ShipmentActivities
from activities.sourcing import SourcingActivities
from alibaba1688 import Alibaba1688Client
from ledger.database import EmbeddedPostgres, create_pool, ensure_database
from starter.connection import connect_temporal
from starter.settings import Settings, load_settings
from workflows.procurement import ProcurementWorkflow
from workflows.supplier_order import SupplierOrderWorkflow

log = logging.getLogger("worker")

WORKFLOWS = [ProcurementWorkflow, SupplierOrderWorkflow]
# Activities beat while they run, so a killed worker's steps are retried after their heartbeat timeout.
# A ledger write refused for its content fails once, typed (activities/ledger_rejections.py).
INTERCEPTORS = [KeepBeating(), LedgerRejections()]


async def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    # No DATABASE_URL: attach to (or start) the embedded PostgreSQL in the data directory.
    embedded = EmbeddedPostgres(settings.procure_data_dir)
    admin_url = await asyncio.to_thread(embedded.start)
    await ensure_database(admin_url)
    return embedded.url()


def alibaba_client(settings: Settings, pool: asyncpg.Pool, audit: ApiAudit) -> Alibaba1688Client:
    app_key, app_secret, access_token, refresh_token = settings.alibaba_credentials()
    quota = SharedCallQuota(pool, app_key, settings.alibaba_calls_per_minute)
    # Tokens live in PostgreSQL, shared by every worker and replaced by `procure authorize`; the
    # environment's only seed an empty store.
    from ledger.credentials import CredentialStore, TokenCipher

    tokens = CredentialStore(pool, app_key, TokenCipher.for_app(app_secret, settings.token_encryption_key))
    return Alibaba1688Client(
        settings.gateway_url, app_key, app_secret, access_token, refresh_token, on_call=audit, pace=quota,
        token_source=tokens,
    )


def alibaba_activities(client: Alibaba1688Client, pool: asyncpg.Pool | None = None) -> list:
    # With the pool, fetch_supplier keeps resolved seller profiles in the ledger (a time to live).
    sourcing = SourcingActivities(client, pool)
    ordering = OrderingActivities(client)
    payment = PaymentActivities(client)
    shipment = ShipmentActivities(client)
    settlement = SettlementActivities(client)
    return [
        sourcing.search_offers, sourcing.fetch_offer, sourcing.fetch_supplier, sourcing.estimate_freight,
        ordering.preview_order, ordering.create_order, ordering.get_order, ordering.cancel_order,
        payment.pay_order, shipment.track_shipment, settlement.confirm_receipt, settlement.file_refund, settlement.get_refund, settlement.return_goods,
    ]


def ledger_activities(pool: asyncpg.Pool) -> list:
    ledger = LedgerActivities(pool)
    return [
        ledger.record_trace_event, ledger.record_request, ledger.record_stage, ledger.record_sourcing,
        ledger.record_order, ledger.record_supplier_outcome, ledger.load_supplier_history, ledger.record_refund,
        ledger.check_payment,
    ]


def build_workers(
    client: Client,
    settings: Settings,
    pool: asyncpg.Pool,
    alibaba: Alibaba1688Client | None,
    *,
    procurement: bool = True,
) -> list[Worker]:
    workers: list[Worker] = []
    if procurement:
        workers.append(
            Worker(
                client,
                task_queue=settings.procurement_task_queue,
                workflows=WORKFLOWS,
                activities=ledger_activities(pool),
                interceptors=INTERCEPTORS,
                graceful_shutdown_timeout=timedelta(seconds=10),
            )
        )
    if alibaba is not None:
        workers.append(
            Worker(
                client,
                task_queue=settings.alibaba_task_queue,
                activities=alibaba_activities(alibaba, pool),
                # Server-side and task-queue-wide: all workers together stay inside the quota.
                max_task_queue_activities_per_second=settings.alibaba_calls_per_second,
                interceptors=INTERCEPTORS,
                graceful_shutdown_timeout=timedelta(seconds=10),
            )
        )
    return workers


async def run(settings: Settings, *, procurement: bool = True, alibaba: bool = True,
              stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    async with AsyncExitStack() as stack:
        pool = await create_pool(await database_url(settings))
        stack.push_async_callback(pool.close)
        client = await connect_temporal(settings)
        gateway = None
        if alibaba:
            audit = ApiAudit(pool)
            stack.push_async_callback(audit.aclose)  # before the pool closes
            gateway = alibaba_client(settings, pool, audit)
            stack.push_async_callback(gateway.aclose)
        workers = build_workers(client, settings, pool, gateway, procurement=procurement)
        for worker in workers:
            await stack.enter_async_context(worker)
        log.info("worker serving %s", ", ".join(w.task_queue for w in workers))
        await stop.wait()
        log.info("worker shutting down")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="procure worker", description="Run a worker for both task queues.")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--procurement-only", action="store_true", help="serve only the procurement task queue")
    only.add_argument("--alibaba-only", action="store_true", help="serve only the 1688 task queue")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, procurement=not args.alibaba_only, alibaba=not args.procurement_only, stop=stop)

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
