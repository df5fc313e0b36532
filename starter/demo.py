"""`procure demo`: the local stack, a sample purchase request, and the people's part played for you.

The stack runs with short timers and a fast simulator clock, so a shipment that takes days on
1688 arrives in seconds. The demo then watches the procurement like a person would: it accepts
QC for every order whose goods arrived (through the same path as `procure qc`), approves a
payment held for approval, and ends with the summary and the Web UI link.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.client import Client

from domain.messages import ApproveInput, QcInput
from domain.progress import OrderSnapshot, OrderStatus, ProcurementState, Stage
from domain.request import PurchaseRequest, parse_purchase_request
from simulator.catalog import DEMO_CATALOG_PATH
from starter.approve import approve
from runtime.connection import connect_temporal
from starter.exit_status import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, CommandError
from starter.links import workflow_url
from starter.qc import submit_qc
from runtime.settings import Settings, load_settings
from starter.stack import Stack, StackError, StackOptions, run_up
from starter.start import start_procurement, summary, wait_exit_status, wait_for_result
from starter.status import fetch_state, status_text

if TYPE_CHECKING:
    from api.client import ApiClient

SAMPLE_REQUEST = Path(__file__).with_name("sample_request.json")

# Seconds instead of hours. The worker child inherits them through the environment; the starter's
# copy matters most, because the timings travel in the workflow input.
DEMO_TIMINGS = {
    "LOGISTICS_POLL_INTERVAL": "2s",
    "QC_REMINDER_AFTER": "60s",
    "QC_ESCALATE_AFTER": "120s",
    "APPROVAL_TIMEOUT": "300s",
}
# The demo buys from the simulator, never from a real 1688 gateway configured in .env; empty
# values outrank .env and mean "the local simulator".
NO_REAL_GATEWAY = {name: "" for name in (
    "ALIBABA_GATEWAY_URL", "ALIBABA_APP_KEY", "ALIBABA_APP_SECRET", "ALIBABA_ACCESS_TOKEN", "ALIBABA_REFRESH_TOKEN",
)}
# Simulated seconds per real second: 10 simulated hours a second, so the slowest demo supplier
# ships and delivers (about 100 simulated hours) in about 10 s.
DEMO_SIM_SPEED = 36_000.0
POLL_EVERY = 1.0
INSPECTOR = "demo warehouse"
APPROVER = "demo approver"
FINAL_STAGES = (Stage.COMPLETED, Stage.FAILED, Stage.CANCELLED)


def fresh_data_dir(path: Path) -> Path:
    """Empty the demo's own data directory before a run.

    The simulator numbers its orders from the same start every time it starts, and a ledger kept
    from an earlier run already holds those order ids, so a reused ledger would refuse the new
    orders. A demo still running there is left alone.
    """
    pid_file = path / "postgres" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        pass  # no PostgreSQL running on this directory
    else:
        raise StackError(f"a demo is still running in {path} (PostgreSQL pid {pid}); stop it first")
    shutil.rmtree(path, ignore_errors=True)
    return path


def sample_request(now: datetime) -> PurchaseRequest:
    """The shipped sample with a request id of its own, so every run is a new procurement."""
    raw = json.loads(SAMPLE_REQUEST.read_text(encoding="utf-8"))
    raw["request_id"] = f"PR-DEMO-{now:%Y%m%d-%H%M%S}"
    return parse_purchase_request(raw)


class Progress:
    """Prints one line per change a person would care about, with the seconds since the start."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._origin = clock()
        self._stage: Stage | None = None
        self._orders: dict[str, tuple[str, str | None]] = {}

    def say(self, text: str) -> None:
        print(f"[{self._clock() - self._origin:5.1f}s] {text}", flush=True)

    def update(self, state: ProcurementState) -> None:
        if state.stage != self._stage:
            self._stage = state.stage
            self.say(f"stage {state.stage.value}")
        for order in state.orders:
            seen = (order.status.value, order.shipment.status if order.shipment else None)
            if self._orders.get(order.out_order_id) == seen:
                continue
            self._orders[order.out_order_id] = seen
            self.say(_order_line(order))


def _order_line(order: OrderSnapshot) -> str:
    text = f"order {order.order_id or order.out_order_id} from {order.supplier_id} ({order.amount:.2f} yuan): {order.status.value}"
    if order.shipment and order.status == OrderStatus.IN_TRANSIT:
        text += f", shipment {order.shipment.status}"
    if order.reason:
        text += f" - {order.reason}"
    return text


async def _play_people(client: Client, state: ProcurementState, progress: Progress, done_qc: set[str],
                       api: ApiClient | None = None) -> None:
    """What the warehouse and the approver would do now; with ``api``, the warehouse uses the HTTP API."""
    for order in state.orders:
        if order.status == OrderStatus.AWAITING_QC and order.qc is None and order.order_id and order.order_id not in done_qc:
            qc = QcInput(order_id=order.order_id, decision="accept", inspector=INSPECTOR)
            try:
                if api is not None:
                    await api.send_qc(qc)
                else:
                    await submit_qc(client, qc)
            except CommandError as error:  # e.g. the goods arrived a moment ago: try on the next turn
                progress.say(f"QC for order {order.order_id} not taken yet: {error.message}")
                continue
            done_qc.add(order.order_id)
            progress.say(f"order {order.order_id}: goods arrived; QC accepted by the {INSPECTOR}"
                         + (" through the HTTP API" if api is not None else ""))
    if any(o.status == OrderStatus.AWAITING_APPROVAL for o in state.orders):
        try:
            result = await approve(client, state.request_id, ApproveInput(by=APPROVER, note="procure demo"))
            progress.say(f"approved by the {APPROVER}: {', '.join(result.released)}")
        except CommandError as error:
            progress.say(f"approval not taken: {error.message}")


def _dead_child(stack: Stack) -> str | None:
    return next((c.name for c in stack.children if c.process.returncode is not None), None)


async def _warehouse_api(stack: Stack) -> ApiClient | None:
    """With `--api-port`, the demo's warehouse signs in to the HTTP API with a key of its own."""
    if stack.api_url is None or stack.database_url is None:
        return None
    from api.client import ApiClient
    from api.keys import issue_replacing
    from api.roles import Role

    key = await issue_replacing(stack.database_url, Role.WAREHOUSE, "demo-warehouse")
    return ApiClient(stack.api_url, key)


async def drive_sample(stack: Stack, settings: Settings, timeout: float) -> int:
    """Start the sample, play the people until it ends, print the summary; the exit status."""
    settings = settings.model_copy(update={"temporal_address": stack.temporal_address})
    client = await connect_temporal(settings)
    request = sample_request(datetime.now())
    started = await start_procurement(client, request, settings)
    url = workflow_url(settings, started.workflow_id, base=stack.ui_url)
    print(f"\nStarted {summary(request)}\n  workflow  {started.workflow_id}\n  Web UI    {url}\n", flush=True)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    progress = Progress(loop.time)
    done_qc: set[str] = set()
    api = await _warehouse_api(stack)
    state: ProcurementState | None = None
    while True:
        dead = _dead_child(stack)
        if dead is not None:
            progress.say(f"{dead} stopped unexpectedly; see {stack.data_dir / 'logs' / (dead + '.log')}")
            return EXIT_FAILED
        try:
            state = await fetch_state(client, request.request_id)
        except CommandError as error:  # the first query can beat the first workflow task
            progress.say(f"waiting: {error.message}")
        else:
            progress.update(state)
            if state.stage in FINAL_STAGES:
                break
            await _play_people(client, state, progress, done_qc, api)
        if loop.time() > deadline:
            where = status_text(state, web_ui=url) if state is not None else url
            print(f"\nThe sample did not finish within {timeout:.0f} s. Where it stands:\n\n{where}", flush=True)
            return EXIT_FAILED
        await asyncio.sleep(POLL_EVERY)

    final = await asyncio.wait_for(wait_for_result(client, started.workflow_id), max(deadline - loop.time(), 10))
    print("\n" + status_text(final, web_ui=url), flush=True)
    code = wait_exit_status(final)
    print("\nThe demo request completed: every line was received." if code == EXIT_OK
          else f"\nThe demo request ended {final.stage.value} without every line received.", flush=True)
    return code


async def run_demo(args: argparse.Namespace, stack_options: Callable[..., StackOptions]) -> int:
    """``procure demo``; ``stack_options`` turns the `up` flags into StackOptions."""
    os.environ.update({**DEMO_TIMINGS, **NO_REAL_GATEWAY})  # the stack's children inherit os.environ
    settings = load_settings()
    # Only the default directory is emptied; one given with --data-dir is the user's to manage.
    default_dir = None if args.data_dir else fresh_data_dir(settings.procure_data_dir / "demo")
    options = stack_options(args, settings, data_dir=default_dir)
    options.catalog = options.catalog or DEMO_CATALOG_PATH
    options.sim_speed = options.sim_speed or DEMO_SIM_SPEED
    outcome = {"status": EXIT_FAILED}

    async def on_ready(stack: Stack) -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        # run_up only watches Ctrl-C while it idles; during the demo, Ctrl-C ends the demo so
        # that run_up goes on to stop the stack.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)  # type: ignore[union-attr]
        try:
            outcome["status"] = await drive_sample(stack, settings, args.timeout)
        except asyncio.CancelledError:
            task.uncancel()  # type: ignore[union-attr]  # handled: run_up must still stop the stack
            print("\ninterrupted", flush=True)
            outcome["status"] = EXIT_INTERRUPTED
        except CommandError as error:
            print(f"procure demo: {error.message}", flush=True)
            outcome["status"] = error.exit_status

    await run_up(options, settings, on_ready=on_ready)
    return outcome["status"]
