"""`procure`: the command line for buyers, QC staff, approvers and ops.

Exit status (INTERFACES.md section 2): 0 done, 1 the procurement failed or the system refused,
2 bad input, 3 Temporal (or a worker behind it) cannot be reached (for `authorize`: PostgreSQL or
1688). Every command checks what it was given before it contacts anything, so bad input never
touches a workflow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from temporalio.service import RPCError

from domain.progress import Stage
from domain.request import Identifier
from starter import qc, replenish, rfq
from starter.approve import approve, approve_input, approve_text
from starter.authorize import authorize, authorize_input, authorized_text
from starter.cancel import cancel, cancel_input, cancel_text
from runtime.connection import TemporalUnreachable, connect_temporal
from starter.demo import run_demo
from starter.exit_status import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNREACHABLE,
    CommandError,
    is_unreachable,
)
from starter.links import workflow_url
from starter.listing import list_procurements, rows_json, rows_text
from runtime.settings import Settings, SettingsError, load_settings
from starter.stack import StackError, StackOptions, run_up
from starter.start import read_request, start_procurement, started_text, wait_exit_status, wait_for_result
from starter.status import fetch_state, status_json, status_text

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_BAD_INPUT", "EXIT_UNREACHABLE", "build_parser", "run", "main"]


def _add_stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="where Temporal and PostgreSQL keep their data (default .procure)")
    parser.add_argument("--temporal-port", type=int, default=7233)
    parser.add_argument("--ui-port", type=int, default=8233)
    parser.add_argument("--sim-port", type=int, default=8688)
    parser.add_argument("--catalog", type=Path, default=None, help="simulator catalog JSON (INTERFACES.md section 4)")
    parser.add_argument("--sim-speed", type=float, default=None, help="simulated seconds per real second for the 1688 simulator's clock")
    parser.add_argument("--no-worker", action="store_true", help="do not start a worker")
    parser.add_argument("--push-port", type=int, default=None,
                        help="push receiver the simulator sends order and logistics events to (default: --sim-port + 1)")
    parser.add_argument("--codec-port", type=int, default=8081,
                        help="codec server for the Web UI, started when PAYLOAD_ENCRYPTION_KEY is set (default 8081)")
    parser.add_argument("--api-port", type=int, default=None,
                        help="also run the HTTP API and QC screen (`procure api`) on this port, and print a first ops key")


def _stack_options(args: argparse.Namespace, settings: Settings, *, data_dir: Path | None = None) -> StackOptions:
    return StackOptions(
        data_dir=args.data_dir or data_dir or settings.procure_data_dir,
        temporal_port=args.temporal_port,
        ui_port=args.ui_port,
        sim_port=args.sim_port,
        catalog=args.catalog,
        sim_speed=args.sim_speed,
        worker=not args.no_worker,
        codec_port=args.codec_port,
        push_port=args.push_port if args.push_port is not None else args.sim_port + 1,
        api_port=args.api_port,
    )


_IDENTIFIER = TypeAdapter(Identifier)


def request_id(value: str) -> str:
    """argparse type: a request id as the purchase request defines it (the same rule, one place)."""
    try:
        return _IDENTIFIER.validate_python(value)
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"{value[:80]!r} is not a request id (1 to 64 letters, digits, '.', '_' or '-')"
        ) from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, not {value!r}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure", description="Durable procurement on 1688.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run the local stack in the foreground until Ctrl-C")
    _add_stack_options(up)

    demo = commands.add_parser("demo", help="the local stack plus a sample procurement driven to the end")
    _add_stack_options(demo)
    demo.add_argument("--timeout", type=_positive, default=300, metavar="SECONDS",
                      help="give up when the sample has not finished after this long (default 300)")

    commands.add_parser("codec-server", help="serve /encode and /decode for the Web UI and the CLI (see --help)",
                        add_help=False)
    commands.add_parser("codec-key", help="print a new payload encryption key entry for PAYLOAD_ENCRYPTION_KEY")
    commands.add_parser("api", help="serve the HTTP API and the QC screen (see --help)", add_help=False)
    commands.add_parser("api-key", help="create, link, list or revoke HTTP API keys (see --help)", add_help=False)
    commands.add_parser("push-receiver", help="receive 1688 push messages and wake the orders they concern (see --help)",
                        add_help=False)

    commands.add_parser("worker", help="run a worker: --role workflows|1688|all (see --help)", add_help=False)
    commands.add_parser("migrate", help="bring the ledger's schema up to date and exit (a deploy's job)", add_help=False)

    start = commands.add_parser("start", help="validate a purchase request (JSON or YAML) and start its procurement")
    start.add_argument("file", type=Path, metavar="FILE")
    start.add_argument("--wait", action="store_true", help="wait for the end and print the summary (exit 0 if every line was received)")
    start.add_argument("--json", action="store_true")

    status = commands.add_parser("status", help="the live state of one procurement")
    status.add_argument("request_id", type=request_id, metavar="REQUEST_ID")
    status.add_argument("--json", action="store_true")

    listing = commands.add_parser("list", help="open and recent procurements")
    listing.add_argument("--stage", type=str.upper, choices=[s.value for s in Stage], metavar="STAGE",
                         help="only this stage: " + ", ".join(s.value for s in Stage))
    listing.add_argument("--limit", type=_positive, default=50)
    listing.add_argument("--json", action="store_true")

    qc.add_arguments(commands.add_parser(
        "qc", help="the warehouse's QC result for one 1688 order",
        description="procure qc ORDER_ID accept | reject --line L --rejected N --reason TEXT [--line ...]",
    ))

    approval = commands.add_parser("approve", help="release the payments waiting for approval")
    approval.add_argument("request_id", type=request_id, metavar="REQUEST_ID")
    approval.add_argument("--by", default=None, metavar="NAME")

    cancelling = commands.add_parser("cancel", help="cancel what is not paid yet")
    cancelling.add_argument("request_id", type=request_id, metavar="REQUEST_ID")
    cancelling.add_argument("--reason", default=None, metavar="TEXT")
    cancelling.add_argument("--by", default=None, metavar="NAME")

    authorizing = commands.add_parser(
        "authorize", help="store new 1688 tokens, for every worker, from an authorisation code",
        description="Exchange a 1688 authorisation code (single use, about 2 minutes) for tokens and store "
                    "them encrypted in PostgreSQL; every worker uses them on its next call.",
    )
    authorizing.add_argument("code", metavar="CODE", help="the `code` 1688 added to the app's callback address")
    authorizing.add_argument("--redirect-uri", default=None, metavar="URL",
                             help="the app's callback address, as in the authorisation link (default ALIBABA_REDIRECT_URI)")
    rfq.add_arguments(commands.add_parser("rfq", help="request quotes from factories: start, status, award"))
    checking = commands.add_parser("compliance", help="supplier compliance: schedule the refresh, run it, show verdicts")
    checking.add_argument("action", choices=["schedule", "run", "show"],
                          help="schedule: create or update the Schedule (idempotent; for a cluster too); "
                               "run: start a refresh now; show: verdicts and alerts from the ledger")
    checking.add_argument("--every", default=None, metavar="DURATION",
                          help="with schedule: how often (e.g. 1d, 12h; default COMPLIANCE_EVERY, 1d)")
    checking.add_argument("--json", action="store_true", help="with show: JSON")
    exporting = commands.add_parser(
        "export", help="received goods as Amazon / Shopee bulk-upload files (docs/export.md)")
    exporting.add_argument("request_ids", nargs="+", metavar="REQUEST_ID")
    exporting.add_argument("--to", nargs="+", choices=["amazon", "shopee"], default=["amazon", "shopee"],
                           help="which marketplaces (default both)")
    exporting.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the files are written")
    exporting.add_argument("--margin", required=True, metavar="FRACTION", help="0.35 adds 35%% to the landed cost")
    exporting.add_argument("--exchange-rate", required=True, metavar="RATE", help="listing currency per yuan, e.g. 0.14")
    exporting.add_argument("--currency", default="USD", metavar="CODE", help="ISO code of the listing currency (USD)")
    exporting.add_argument("--brand", default="Generic", help="brand name on the listings (Generic)")
    exporting.add_argument("--require-attribute", action="append", default=[], metavar="NAME",
                           help="a product attribute every good must have (as 1688 names it, e.g. 材质); repeatable")
    paying = commands.add_parser("payments", help="pause or resume every payment (the kill switch)")
    paying.add_argument("action", choices=["pause", "resume"])
    paying.add_argument("--reason", required=True, metavar="TEXT")
    paying.add_argument("--by", default=None, metavar="NAME")
    budgeting = commands.add_parser(
        "budgets", help="set or show a requester's budget over a period (every payment is checked against it)")
    budget_commands = budgeting.add_subparsers(dest="action", required=True)
    budget_set = budget_commands.add_parser("set", help="set the budget of a requester ('*': the default) for a period")
    budget_set.add_argument("requester", metavar="REQUESTER")
    budget_set.add_argument("period", metavar="PERIOD", help="week, month, quarter or year (UTC)")
    budget_set.add_argument("amount", metavar="YUAN")
    budget_show = budget_commands.add_parser("show", help="a requester's budgets, committed money and what is left")
    budget_show.add_argument("requester", metavar="REQUESTER")

    stock = commands.add_parser("stock-levels", help="a store's stock levels from its POS (the body of POST /v1/stock-levels)")
    stock.add_argument("file", type=Path, metavar="FILE", help='JSON: {"store_id": ..., "levels": [{"sku", "on_hand", "sold_since_last"}]}')
    stock.add_argument("--json", action="store_true")
    replenish = commands.add_parser("replenish", help="store replenishment: check the store file, the daily sweep, batch times")
    replenish_commands = replenish.add_subparsers(dest="replenish_command", required=True, metavar="SUBCOMMAND")
    checking = replenish_commands.add_parser("check", help="validate a store configuration file (one message per bad row)")
    checking.add_argument("file", type=Path, metavar="FILE")
    replenish_commands.add_parser("schedule", help="create the daily sweep's Temporal Schedule (idempotent)")
    timing = replenish_commands.add_parser("times", help="each batch and its time from low stock to paid orders")
    timing.add_argument("--store", default=None, metavar="STORE_ID")
    timing.add_argument("--json", action="store_true")
    return parser


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


# --- commands that talk to Temporal -------------------------------------------------------------
# Each one checks its input first, then connects; errors travel as starter.exit_status errors.


async def _start(args: argparse.Namespace, settings: Settings) -> int:
    request = read_request(args.file)
    client = await connect_temporal(settings)
    started = await start_procurement(client, request, settings)
    url = workflow_url(settings, started.workflow_id)
    data: dict[str, Any] = {"request_id": started.request_id, "workflow_id": started.workflow_id, "run_id": started.run_id,
                            "started": started.new, "status": started.status, "web_ui": url}
    if not args.json:
        print(started_text(started, url, request), flush=True)
    if not args.wait:
        if args.json:
            _print_json(data)
        return EXIT_OK
    if not args.json:
        print("waiting for the end (Ctrl-C stops waiting; the procurement goes on)...", flush=True)
    state = await wait_for_result(client, started.workflow_id)
    if args.json:
        _print_json({**data, "state": status_json(state, web_ui=url)})
    else:
        print("\n" + status_text(state, web_ui=url))
    return wait_exit_status(state)


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    client = await connect_temporal(settings)
    state = await fetch_state(client, args.request_id)
    url = workflow_url(settings, state.workflow_id)
    if args.json:
        _print_json(status_json(state, web_ui=url))
    else:
        print(status_text(state, web_ui=url))
    return EXIT_OK


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    stage = Stage(args.stage) if args.stage else None
    client = await connect_temporal(settings)
    rows = await list_procurements(client, stage, args.limit)
    if args.json:
        _print_json(rows_json(rows))
    else:
        print(rows_text(rows, stage))
    return EXIT_OK


async def _qc(args: argparse.Namespace, settings: Settings) -> int:
    message = qc.qc_input(args.order_id, args.decision, getattr(args, qc.ITEMS), args.by)
    client = await connect_temporal(settings)
    workflow_id, result = await qc.submit_qc(client, message)
    print(qc.qc_text(message, result, workflow_id))
    return EXIT_OK


async def _approve(args: argparse.Namespace, settings: Settings) -> int:
    message = approve_input(args.by)
    client = await connect_temporal(settings)
    result = await approve(client, args.request_id, message)
    try:
        state = await fetch_state(client, args.request_id)  # only to name suppliers and amounts
    except CommandError:
        state = None
    print(approve_text(args.request_id, result, state))
    return EXIT_OK


async def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    message = cancel_input(args.reason, args.by)
    client = await connect_temporal(settings)
    print(cancel_text(args.request_id, await cancel(client, args.request_id, message)))
    return EXIT_OK


async def _authorize(args: argparse.Namespace, settings: Settings) -> int:
    message = authorize_input(args.code, args.redirect_uri, settings)
    print(authorized_text(await authorize(message)))
    return EXIT_OK


async def _payments(args: argparse.Namespace, settings: Settings) -> int:
    from starter.payments import set_payments

    print(await set_payments(settings, args.action, args.reason, args.by))
    return EXIT_OK


async def _budgets(args: argparse.Namespace, settings: Settings) -> int:
    from starter.budgets import set_budget, show_budgets

    if args.action == "set":
        print(await set_budget(settings, args.requester, args.period, args.amount))
    else:
        print(await show_budgets(settings, args.requester))
    return EXIT_OK


async def _stock_levels(args: argparse.Namespace, settings: Settings) -> int:
    print(await replenish.stock_levels_command(settings, args.file, args.json))
    return EXIT_OK


async def _replenish(args: argparse.Namespace, settings: Settings) -> int:
    if args.replenish_command == "check":
        print(replenish.check_command(args.file))
    elif args.replenish_command == "schedule":
        print(await replenish.schedule_command(settings))
    else:
        print(await replenish.times_command(settings, args.store, args.json))
    return EXIT_OK


async def _rfq(args: argparse.Namespace, settings: Settings) -> int:
    return await rfq.run_rfq_command(args, settings, connect_temporal)


async def _compliance(args: argparse.Namespace, settings: Settings) -> int:
    from starter import compliance

    if args.action == "show":
        print(await compliance.show(settings, as_json=args.json))
        return EXIT_OK
    every = compliance.every_input(args.every)
    client = await connect_temporal(settings)
    choice = compliance.ScheduleChoice.from_settings(settings, every)
    outcome = await compliance.ensure_schedule(client, choice)
    print(compliance.describe_choice(choice, outcome))
    if args.action == "run":
        await compliance.run_now(client)
        print("a refresh was started; `procure compliance show` lists what it found")
    return EXIT_OK


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    from starter.export_command import run_export

    return await run_export(args, settings)


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    # The demo reads its own settings: it sets short timers and the simulator first.
    return await run_demo(args, _stack_options)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "start": _start, "status": _status, "list": _list, "qc": _qc, "approve": _approve, "cancel": _cancel,
    "demo": _demo, "authorize": _authorize, "payments": _payments, "budgets": _budgets,
    "stock-levels": _stock_levels, "replenish": _replenish, "rfq": _rfq, "compliance": _compliance,
    "export": _export,
}


def _readable(unreachable: str) -> str:
    # The SDK's connect error ends in a Rust debug dump; the OS's own words are what people need.
    head, sep, tail = unreachable.partition(": Failed client connect")
    reason = re.search(r'message: "([^"]+)"', tail)
    return f"{head}: {reason.group(1).lower()}" if sep and reason else unreachable


def _fail(command: str, lines: list[str], status: int) -> int:
    for line in lines:
        print(f"procure {command}: {line}", file=sys.stderr)
    return status


def run(argv: list[str]) -> int:
    if argv[:1] == ["codec-server"]:
        from starter import codec_server

        return codec_server.main(argv[1:])
    if argv[:1] == ["push-receiver"]:
        from starter import push_receiver

        return push_receiver.main(argv[1:])
    if argv[:1] == ["api"]:
        from api import service

        return service.main(argv[1:])
    if argv[:1] == ["api-key"]:
        from api import key_command

        return key_command.main(argv[1:])
    if argv[:1] == ["migrate"]:
        from starter import migrate

        return migrate.main(argv[1:])
    if argv[:1] == ["worker"]:
        import worker  # the worker process's own entry point (worker.py): its flags, its exit statuses

        return worker.main(argv[1:])
    if argv[:1] == ["codec-key"]:
        from runtime.codec import generate_key

        print(generate_key())
        return EXIT_OK
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT

    if args.command == "up":
        try:
            return asyncio.run(run_up(_stack_options(args, settings), settings))
        except StackError as exc:
            print(f"procure up: {exc}", file=sys.stderr)
            return EXIT_FAILED
    handler = _COMMANDS.get(args.command)
    if handler is None:
        parser.error(f"unknown command {args.command}")
    try:
        return asyncio.run(handler(args, settings))
    except CommandError as exc:
        return _fail(args.command, exc.lines(), exc.exit_status)
    except TemporalUnreachable as exc:
        return _fail(args.command, [_readable(str(exc))], EXIT_UNREACHABLE)
    except StackError as exc:
        return _fail(args.command, [str(exc)], EXIT_FAILED)
    except RPCError as exc:
        if is_unreachable(exc):
            return _fail(args.command, [f"lost the connection to Temporal at {settings.temporal_address}: {exc.message}"],
                         EXIT_UNREACHABLE)
        return _fail(args.command, [f"Temporal refused the request: {exc.message}"], EXIT_FAILED)
    except KeyboardInterrupt:
        # Only this command stops; a started procurement is a workflow and carries on.
        return _fail(args.command, ["interrupted"], EXIT_INTERRUPTED)


def main() -> None:
    try:
        code = run(sys.argv[1:])
    except SystemExit as exc:  # argparse: --help (0) and bad arguments (2)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_BAD_INPUT)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: the Temporal SDK can abort there after all work succeeded
    # (sdk-python issue 300), which would turn a success into exit status 134.
    os._exit(code)
