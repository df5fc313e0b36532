"""`procure export`'s glue: check the arguments, connect, export, print one line per problem.

Arguments are checked before anything is contacted (exit 2). The 1688 client is the worker's
(shared quota, tokens from PostgreSQL, audit), so an export counts against the same quota.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from activities.api_audit import ApiAudit
from domain.cross_border import Marketplace
from ledger.database import create_pool
from runtime.connection import connect_temporal
from runtime.settings import Settings
from starter.authorize import database_url
from starter.exit_status import EXIT_BAD_INPUT, EXIT_OK, Unreachable
from starter.export import export, export_options, request_ids
from starter.translation import load_translator


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    options = export_options(args.margin, args.exchange_rate, args.currency, args.brand, args.require_attribute)
    ids = request_ids(args.request_ids)
    marketplaces = [Marketplace(m) for m in dict.fromkeys(args.to)]
    translator = load_translator(settings.export_translator)
    client = await connect_temporal(settings)
    try:
        pool = await create_pool(database_url(settings), min_size=1, max_size=2, timeout=10)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unreachable(f"cannot reach PostgreSQL: {type(exc).__name__}") from None
    from worker import alibaba_client  # the worker's client: same quota, tokens and audit

    audit = ApiAudit(pool)
    gateway = alibaba_client(settings, pool, audit)
    try:
        result = await export(client, gateway, ids, marketplaces, args.out, options, translator)
    finally:
        await gateway.aclose()
        await audit.aclose()
        await pool.close()
    for line in result.problems:
        print(f"procure export: {line}", file=sys.stderr)
    if result.problems:
        count = len(result.problems)
        print(f"procure export: {count} problem{'s' if count != 1 else ''}; nothing written", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in result.warnings:
        print(f"procure export: warning: {line}", file=sys.stderr)
    for path in result.files:
        print(f"{path}  ({len(result.listings)} listings)")
    return EXIT_OK
