"""The worker: composition root for both task queues.

The procurement queue runs the workflows and the ledger activities. The 1688 queue runs the
activities that call the 1688 Open Platform, with a server-side, task-queue-wide rate limit so
that every worker together stays inside the app's API quota.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from contextlib import AsyncExitStack
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.ledger import LedgerActivities
from ledger.database import EmbeddedPostgres, create_pool, ensure_database
from starter.connection import connect_temporal
from starter.settings import Settings, load_settings

log = logging.getLogger("worker")


async def database_url(settings: Settings, stack: AsyncExitStack) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    # No DATABASE_URL: attach to (or start) the embedded PostgreSQL in the data directory.
    embedded = EmbeddedPostgres(settings.procure_data_dir)
    admin_url = embedded.start()
    await ensure_database(admin_url)
    return embedded.url()


def build_workers(
    client: Client,
    settings: Settings,
    pool,
    *,
    procurement: bool = True,
    alibaba: bool = True,
) -> list[Worker]:
    workers: list[Worker] = []
    if procurement:
        ledger_activities = LedgerActivities(pool)
        workers.append(
            Worker(
                client,
                task_queue=settings.procurement_task_queue,
                workflows=[],
                activities=[ledger_activities.record_trace_event],
                graceful_shutdown_timeout=timedelta(seconds=10),
            )
        )
    return workers


async def run(settings: Settings, *, procurement: bool = True, alibaba: bool = True,
              stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    async with AsyncExitStack() as stack:
        url = await database_url(settings, stack)
        pool = await create_pool(url)
        stack.push_async_callback(pool.close)
        client = await connect_temporal(settings)
        workers = build_workers(client, settings, pool, procurement=procurement, alibaba=alibaba)
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
