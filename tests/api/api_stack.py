"""A real `procure up --api-port` stack for the API tests, and how the tests talk to it.

Everything is real and over the network: the Temporal dev server, the 1688 simulator (demo
catalog, 10 simulated hours a second), a worker, the API process, and PostgreSQL (a database of
its own on the test session's server, so the tests can read the audit rows). Waiting is polling
with a deadline, never a sleep standing in for an event.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import psutil

from api.keys import issue_key
from api.roles import Role
from simulator.catalog import DEMO_CATALOG_PATH
from starter.demo import NO_REAL_GATEWAY
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "starter" / "sample_request.json").read_text(encoding="utf-8"))
T = TypeVar("T")
LINES = {line["line_id"]: line for line in SAMPLE["lines"]}  # 1 纯棉T恤 x60, 2 帆布包 x100, 3 保温杯 x50


def purchase_request(line_ids: list[str], prefix: str = "PR-API", **changes: Any) -> dict[str, Any]:
    """The sample request with a fresh request id, only these lines, and no approval unless asked."""
    body = {**SAMPLE, "request_id": f"{prefix}-{uuid.uuid4().hex[:8]}", "lines": [LINES[i] for i in line_ids],
            "approval_threshold": None}
    body.update(changes)
    return body


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key is not None else {}


@dataclass
class ApiStack:
    env: dict[str, str]
    api: str  # http://127.0.0.1:PORT
    database_url: str
    sim: str
    ops_key: str = ""  # the first ops key `procure up` printed
    qc_request_id: str = ""  # a procurement on its way to the warehouse (conftest starts it)
    output: list[str] = field(default_factory=list)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60))

    def procure(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=timeout)

    def new_key(self, role: str, name: str | None = None, *, expires_in: timedelta | None = None) -> str:
        """A key stored as `procure api-key create` stores it (that command has its own test)."""
        async def issue(pool: asyncpg.Pool) -> str:
            return await issue_key(pool, Role(role), name or f"{role}-{uuid.uuid4().hex[:6]}", expires_in=expires_in)

        return self._with_pool(issue)

    def ledger(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows from the stack's PostgreSQL."""
        async def fetch(pool: asyncpg.Pool) -> list[dict[str, Any]]:
            return [dict(r) for r in await pool.fetch(sql, *args)]

        return self._with_pool(fetch)

    def _with_pool(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        # In a thread of its own: the tests' event loop may be running in this one.
        async def run() -> T:
            pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=1)
            try:
                return await work(pool)
            finally:
                await pool.close()

        with ThreadPoolExecutor(1) as threads:
            return threads.submit(asyncio.run, run()).result(timeout=30)

    def call(self, method: str, path: str, key: str | None, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, self.api + path, headers={**bearer(key), **kwargs.pop("headers", {})}, **kwargs)

    def state(self, request_id: str, key: str | None = None) -> dict[str, Any] | None:
        response = self.call("GET", f"/v1/purchase-requests/{request_id}", key or self.ops_key)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, request_id: str, what: str, ready: Callable[[dict[str, Any]], bool],
                 timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] | None = None
        while True:
            state = self.state(request_id)
            if state is not None and ready(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"{request_id}: no {what} within {timeout} s; last state:\n{json.dumps(state, indent=1)}")
            time.sleep(0.5)

    def workflows_of(self, request_id: str) -> int:
        """How many workflows Temporal has for this request (visibility; checked after the fact)."""
        result = subprocess.run(
            [str(Path(sys.executable).parent / "temporal"), "workflow", "count", "--address", self.env["TEMPORAL_ADDRESS"],
             "--query", f"ProcurementRequestId = '{request_id}' OR WorkflowId = 'pr-{request_id}'", "--output", "json"],
            capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return int(json.loads(result.stdout).get("count", 0))  # proto3 JSON leaves out a zero

    def sim_orders(self) -> list[dict[str, Any]]:
        return self.http.get(f"{self.sim}/orders").json()


@contextmanager
def running_stack(data_dir: Path, database_url: str) -> Iterator[ApiStack]:
    temporal_port, ui_port, sim_port, push_port, api_port = (free_port() for _ in range(5))
    env = {k: v for k, v in os.environ.items() if k not in ("PAYLOAD_ENCRYPTION_KEY", "PROCURE_API_URL")}
    env.update(NO_REAL_GATEWAY)
    env.update({
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "PROCURE_UI_URL": f"http://127.0.0.1:{ui_port}",
        "PROCURE_DATA_DIR": str(data_dir),
        "LOGISTICS_POLL_INTERVAL": "1s",
        # 5 calls a second per key after a burst of 60: a flood is quick to make, polling is not one.
        "API_REQUESTS_PER_MINUTE": "300",
    })
    stack = ApiStack(env, f"http://127.0.0.1:{api_port}", database_url, f"http://127.0.0.1:{sim_port}/_sim")
    process = subprocess.Popen(
        [*PROCURE, "up", "--data-dir", str(data_dir), "--temporal-port", str(temporal_port), "--ui-port", str(ui_port),
         "--sim-port", str(sim_port), "--push-port", str(push_port), "--api-port", str(api_port),
         "--catalog", str(DEMO_CATALOG_PATH), "--sim-speed", "36000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    ready = threading.Event()

    def read() -> None:  # keeps the pipe drained for the stack's whole life
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line)
            if "Press Ctrl-C" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 90
        while not ready.wait(0.2):
            assert process.poll() is None and time.monotonic() < deadline, "procure up did not come up:\n" + "".join(stack.output)
        family = psutil.Process(process.pid).children(recursive=True)
        printed = "".join(stack.output)
        assert f"HTTP API        {stack.api}/v1" in printed, printed
        assert f"QC screen       {stack.api}/qc/" in printed, printed
        found = re.search(r"First ops key   (prk_[A-Za-z0-9_-]+)", printed)
        assert found, printed
        stack.ops_key = found[1]
        yield stack
    finally:
        stack.http.close()
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        _, alive = psutil.wait_procs(family, timeout=10)
        for proc in alive:  # children run in their own sessions: a killed `procure up` leaves them
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        reader.join(timeout=10)
