"""A real procurement stack inside one test: Temporal (time-skipping or dev), the real activities,
a real PostgreSQL ledger, and the 1688 simulator mounted in-process through httpx.

The simulator's clock follows Temporal's: before every activity runs, an interceptor moves the
simulator to the time the activity was scheduled, so when the test server skips four hours of
polling interval, the courier has moved four hours too.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import asyncpg
import httpx
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from alibaba1688 import Alibaba1688Client
from activities.api_audit import ApiAudit
from domain.procurement import ProcurementConfig, ProcurementInput, Timing
from domain.progress import OrderSnapshot, ProcurementState
from domain.request import PurchaseRequest
from simulator import SimClock, Simulator, parse_catalog
from activities.compliance import LicenceRegister
from worker import INTERCEPTORS, WORKFLOWS, alibaba_activities, compliance_activities, workflow_queue_activities

T = TypeVar("T")


BeforeActivity = Callable[[str], None]

FAST_TIMING = Timing(
    logistics_poll_interval=timedelta(seconds=1), stuck_shipment_after=timedelta(seconds=30),
    qc_reminder_after=timedelta(seconds=20), qc_escalate_after=timedelta(seconds=40),
    approval_timeout=timedelta(seconds=60), payment_timeout=timedelta(seconds=60),
    refund_poll_interval=timedelta(seconds=1),
)


class _FollowTemporalTime(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, clock: SimClock, before: list[BeforeActivity]) -> None:
        super().__init__(next)
        self._clock = clock
        self._before = before

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        lag = info.current_attempt_scheduled_time - self._clock.now()
        if lag > timedelta(0):
            self._clock.advance(lag)
        for hook in self._before:
            result = hook(info.activity_type)
            if inspect.isawaitable(result):  # a hook may act on the workflow while this step waits
                await result
        return await super().execute_activity(input)


class FollowTemporalTime(Interceptor):
    """Moves the simulator's clock to Temporal's, and lets a test act just before a step runs
    (another buyer takes the stock between our preview and our create, a seller reprices...)."""

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self.before: list[BeforeActivity] = []

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FollowTemporalTime(next, self._clock, self.before)


@dataclass
class Stack:
    client: Client
    sim: Simulator
    admin: httpx.AsyncClient
    pool: asyncpg.Pool
    task_queue: str
    config: ProcurementConfig
    # How the test lets time pass while it waits: the time-skipping server moves only when told.
    pass_time: Callable[[], Awaitable[None]]
    follow: FollowTemporalTime
    time_skipping: bool

    def before(self, activity_type: str, action: Callable[[], Any], *, once: bool = True) -> None:
        """Run ``action`` just before the next ``activity_type`` step (once, by default); an
        ``action`` that returns an awaitable holds the step until it is done. Ledger steps too."""
        done = False

        def hook(kind: str) -> Any:
            nonlocal done
            if kind == activity_type and not (once and done):
                done = True
                return action()
            return None

        self.follow.before.append(hook)

    async def start(self, request: PurchaseRequest) -> WorkflowHandle:
        return await self.client.start_workflow(
            "ProcurementWorkflow",
            ProcurementInput(request=request, config=self.config),
            id=f"pr-{request.request_id}",
            task_queue=self.task_queue,
            result_type=ProcurementState,
        )

    async def sim_get(self, what: str) -> Any:
        # A client of its own, so a test can still look after the stack has stopped.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim.app), base_url="http://sim") as admin:
            response = await admin.get(f"/_sim/{what}")
        response.raise_for_status()
        return response.json()

    async def state(self, handle: WorkflowHandle) -> ProcurementState:
        return await handle.query("state", result_type=ProcurementState)

    async def order_state(self, workflow_id: str) -> OrderSnapshot:
        return await self.client.get_workflow_handle(workflow_id).query("state", result_type=OrderSnapshot)

    async def wait_for(self, check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 120) -> T:
        """Poll ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_error: Exception | None = None
        while loop.time() < deadline:
            try:
                result = await check()
                if result:
                    return result
            except Exception as error:  # the workflow may not exist yet, or a query may race a task
                last_error = error
            await self.pass_time()
        raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last_error!r})" if last_error else ""))

    async def order_in_status(self, handle: WorkflowHandle, status: str, *, n: int = 1) -> OrderSnapshot:
        async def check() -> OrderSnapshot | None:
            state = await self.state(handle)
            matching = [o for o in state.orders if o.status.value == status]
            return matching[n - 1] if len(matching) >= n else None

        return await self.wait_for(check, f"an order in status {status}")


def catalog_with(suppliers: list[dict[str, Any]], offers: list[dict[str, Any]], **app: Any) -> dict[str, Any]:
    return {
        "app": {"app_key": "1000000", "app_secret": "test123", "access_token": "TEST-TOKEN",
                "refresh_token": "TEST-REFRESH", "calls_per_minute": 100000, "close_order_min_seconds": 0, **app},
        "suppliers": suppliers,
        "offers": offers,
    }


@asynccontextmanager
async def procurement_stack(
    env: WorkflowEnvironment, pool: asyncpg.Pool, catalog: dict[str, Any], *, timing: Timing | None = None,
    start_clock=None, details_per_line: int | None = None, compliance: bool = False,
) -> AsyncIterator[Stack]:
    """``compliance``: sourcing reads the ledger (profile cache, compliance verdicts) and the 1688
    worker also runs the compliance refresh's step against the simulator's licence register."""
    client = env.client
    # Tokens are issued on the simulator's clock: start it where Temporal's clock starts (now).
    clock = SimClock.frozen(start_clock or datetime.now(timezone.utc))
    if env.supports_time_skipping:
        async def pass_time() -> None:
            await env.sleep(timedelta(minutes=30))
    else:
        # A real server's timers run in real time: short ones, and a courier that hurries.
        timing = timing or FAST_TIMING

        async def pass_time() -> None:
            clock.advance(timedelta(hours=2))
            await asyncio.sleep(0.2)

    sim = Simulator(parse_catalog(catalog), clock=clock)
    transport = httpx.ASGITransport(app=sim.app)
    queue = f"procurement-{uuid.uuid4().hex[:8]}"
    alibaba_queue = f"alibaba-{uuid.uuid4().hex[:8]}"
    app = catalog["app"]
    gateway = Alibaba1688Client("http://sim/openapi/", app["app_key"], app["app_secret"], app["access_token"],
                                app["refresh_token"], transport=transport, on_call=ApiAudit(pool))
    config = ProcurementConfig(alibaba_task_queue=alibaba_queue, timing=timing or Timing())
    if details_per_line is not None:
        config = config.model_copy(update={"details_per_line": details_per_line})
    follow = FollowTemporalTime(clock)
    async with gateway, httpx.AsyncClient(transport=transport, base_url="http://sim") as admin:
        async with Worker(client, task_queue=queue, workflows=WORKFLOWS, activities=workflow_queue_activities(pool),
                          interceptors=[follow, *INTERCEPTORS]), \
                Worker(client, task_queue=alibaba_queue,
                       activities=(alibaba_activities(gateway, pool) + compliance_activities(
                           gateway, pool, LicenceRegister("http://sim/licence-register/v1/", transport=transport))
                           if compliance else alibaba_activities(gateway)),
                       interceptors=[follow, *INTERCEPTORS]):
            yield Stack(client=client, sim=sim, admin=admin, pool=pool, task_queue=queue, config=config,
                        pass_time=pass_time, follow=follow, time_skipping=env.supports_time_skipping)


def supplier(member_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "member_id": member_id, "login_id": member_id.replace("b2b-", "login-"), "company_name": f"{member_id} 公司",
        "years": 5, "repurchase_rate": 0.32, "on_time_ship_rate": 0.95, "dispute_rate": 0.01,
        "credit_level": "L3", "license_expires_on": "2030-06-30", "province": "浙江省", "city": "义乌市",
        "behaviour": {"ship_after_hours": 24, "stall_at": None, "cancel_after_pay": False},
        **overrides,
    }


def offer(offer_id: str, supplier_id: str, subject: str, price: str, moq: int, *, stock: int = 1000,
          freight: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "offer_id": offer_id, "supplier_id": supplier_id, "subject": subject, "category_id": 1031910,
        "min_order_quantity": moq, "price_ranges": [{"start_quantity": moq, "price": price}],
        "skus": [{"spec_id": f"s{offer_id[-3:]}", "attributes": {"颜色": "白色"}, "stock": stock}],
        "freight": freight or {"flat": "50.00"}, "month_sold": 100, **overrides,
    }


def request(request_id: str, *lines: tuple[str, str, int], **overrides: Any) -> PurchaseRequest:
    return PurchaseRequest.model_validate({
        "request_id": request_id,
        "requester": "store-17",
        "lines": [{"line_id": line_id, "keyword": keyword, "quantity": quantity} for line_id, keyword, quantity in lines],
        "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市",
                     "area": "滨江区", "address": "网商路699号"},
        **overrides,
    })


def reprice(sim: Simulator, offer_id: str, price: str) -> None:
    """The seller changes the listing's price (after we read it)."""
    offers = sim.market.catalog.offers
    i = next(n for n, o in enumerate(offers) if o.offer_id == offer_id)
    tiers = [t.model_copy(update={"price": price}) for t in offers[i].price_ranges]
    offers[i] = offers[i].model_copy(update={"price_ranges": tiers})


def sell_out(sim: Simulator, offer_id: str) -> None:
    """Another buyer takes every piece (after we read the listing)."""
    for key in list(sim.market.stock):
        if key[0] == offer_id:
            sim.market.stock[key] = 0


async def send_qc(stack: Stack, order: OrderSnapshot, decision: str = "accept", lines=(), reason: str | None = None):
    from domain.messages import QcInput, QcLineInput, QcResult

    qc = QcInput(order_id=order.order_id, decision=decision, inspector="qc-1", reason=reason,
                 lines=[QcLineInput(line_id=l, rejected_qty=n, reason=why) for l, n, why in lines])
    return await stack.client.get_workflow_handle(order.workflow_id).execute_update("qc", qc, result_type=QcResult)


async def accept_all(stack: Stack, handle: WorkflowHandle) -> ProcurementState:
    """Accept QC for every order that arrives, as the warehouse would, until the procurement ends."""
    done: set[str] = set()
    while True:
        description = await handle.describe()
        if description.status is not None and description.status.name != "RUNNING":
            return await handle.result()
        state = await stack.state(handle)
        for order in state.orders:
            if order.status.value == "awaiting_qc" and order.out_order_id not in done:
                await send_qc(stack, order)
                done.add(order.out_order_id)
        await stack.pass_time()


HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def record_histories(stack: Stack, handle: WorkflowHandle, name: str) -> None:
    """With RECORD_HISTORIES=1, keep this run's histories (the procurement and each order) in
    tests/histories/ for the replay test; otherwise do nothing."""
    if os.environ.get("RECORD_HISTORIES") != "1" or stack.time_skipping:
        return  # the test server drops the SDK's flags from histories: only real-server runs replay
    HISTORIES.mkdir(exist_ok=True)
    state = await stack.state(handle)
    ids = [handle.id] + [o.workflow_id for o in state.orders if o.workflow_id]
    for workflow_id in ids:
        history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
        # The workflow id is part of what a workflow computes (our outOrderIds): keep it.
        (HISTORIES / f"{name}--{workflow_id}.json").write_text(history.to_json())
