"""`procure`: the command line for buyers, QC staff, approvers and ops."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from starter.settings import SettingsError, load_settings
from starter.stack import StackError, StackOptions, run_up

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3


def _add_stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help="where Temporal and PostgreSQL keep their data (default .procure)")
    parser.add_argument("--temporal-port", type=int, default=7233)
    parser.add_argument("--ui-port", type=int, default=8233)
    parser.add_argument("--sim-port", type=int, default=8688)
    parser.add_argument("--catalog", type=Path, default=None, help="simulator catalog JSON (INTERFACES.md section 4)")
    parser.add_argument("--sim-speed", type=float, default=None, help="simulated hours per real second for shipments")
    parser.add_argument("--no-worker", action="store_true", help="do not start a worker")


def _stack_options(args: argparse.Namespace, settings) -> StackOptions:
    return StackOptions(
        data_dir=args.data_dir or settings.procure_data_dir,
        temporal_port=args.temporal_port,
        ui_port=args.ui_port,
        sim_port=args.sim_port,
        catalog=args.catalog,
        sim_speed=args.sim_speed,
        worker=not args.no_worker,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure", description="Durable procurement on 1688.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the local stack in the foreground until Ctrl-C")
    _add_stack_options(up)

    worker = commands.add_parser("worker", help="run a worker for both task queues")
    worker.add_argument("--procurement-only", action="store_true")
    worker.add_argument("--alibaba-only", action="store_true")
    return parser


def run(argv: list[str]) -> int:
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
    if args.command == "worker":
        import worker

        forwarded = [flag for flag, on in (("--procurement-only", args.procurement_only), ("--alibaba-only", args.alibaba_only)) if on]
        return worker.main(forwarded)
    parser.error(f"unknown command {args.command}")
    return EXIT_BAD_INPUT


def main() -> None:
    code = run(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: the Temporal SDK can abort there after all work succeeded
    # (sdk-python issue 300), which would turn a success into exit status 134.
    os._exit(code)
