"""`procure up` as a user runs it: a real dev server, a real PostgreSQL, Ctrl-C, a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from temporalio.client import Client

from workflows import search_attributes
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]


class RunningStack:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = env
        self.temporal_port, self.ui_port, self.sim_port = free_port(), free_port(), free_port()
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    def start(self, *extra: str, timeout: float = 90) -> None:
        self.process = subprocess.Popen(
            [*PROCURE, "up", "--data-dir", str(self.data_dir), "--temporal-port", str(self.temporal_port),
             "--ui-port", str(self.ui_port), "--sim-port", str(self.sim_port), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if "Press Ctrl-C" in line:
                return
            if time.monotonic() > deadline:
                break
        raise AssertionError("procure up did not come up:\n" + "".join(self.output))

    def family(self) -> list[psutil.Process]:
        """Every process `procure up` is responsible for, PostgreSQL's postmaster included."""
        assert self.process is not None
        procs = psutil.Process(self.process.pid).children(recursive=True)
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        if pid_file.exists():
            procs.append(psutil.Process(int(pid_file.read_text().split()[0])))
        return procs

    def interrupt(self, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=timeout)
        self.output.append(out)
        return self.process.returncode


@pytest.fixture
def stack_env(tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_gone(processes: list[psutil.Process], timeout: float = 20) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


async def test_up_serves_everything_then_stops_cleanly_and_keeps_its_data(data_dir, stack_env):
    stack = RunningStack(data_dir, stack_env)
    stack.start()
    family = stack.family()
    assert len(family) >= 4, stack.output  # temporal, simulator, worker, postgres
    try:
        text = "".join(stack.output)
        assert f"http://127.0.0.1:{stack.ui_port}" in text
        assert "replenishment schedule created" in text  # the daily sweep (docs/replenishment.md)

        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(f"http://127.0.0.1:{stack.ui_port}/")).status_code == 200

        client = await Client.connect(f"127.0.0.1:{stack.temporal_port}")
        listed = await client.operator_service.list_search_attributes(
            __import__("temporalio.api.operatorservice.v1", fromlist=["x"]).ListSearchAttributesRequest(namespace="default")
        )
        assert {k.name for k in search_attributes.ALL} <= set(listed.custom_attributes)

        # Something to find after the restart: a workflow nobody serves, and a ledger row.
        await client.start_workflow("NobodyServesThis", id="survives-restart", task_queue="nobody")
        pg_url = f"postgresql://postgres@/procurement?host={data_dir / 'postgres'}"
        conn = await asyncpg.connect(pg_url)
        await conn.execute("INSERT INTO trace_events (workflow_id, step, kind) VALUES ('survives-restart', 'a', 'test')")
        await conn.close()
    finally:
        assert stack.interrupt() == 0, "".join(stack.output)
    assert wait_gone(family) == [], f"left behind: {family}"

    stack.start()
    try:
        client = await Client.connect(f"127.0.0.1:{stack.temporal_port}")
        description = await client.get_workflow_handle("survives-restart").describe()
        assert description.status is not None and description.status.name == "RUNNING"
        conn = await asyncpg.connect(pg_url)
        assert await conn.fetchval("SELECT count(*) FROM trace_events WHERE workflow_id = 'survives-restart'") == 1
        assert "replenishment schedule already there" in "".join(stack.output)  # created once
        await conn.close()
        family = stack.family()
    finally:
        assert stack.interrupt() == 0
    assert wait_gone(family) == []


def test_a_port_in_use_is_a_clear_error(tmp_path, stack_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*PROCURE, "up", "--data-dir", str(tmp_path), "--temporal-port", str(port)],
            capture_output=True, text=True, env=stack_env, timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} (Temporal gRPC) is already in use; choose another with --temporal-port" in result.stderr
    assert not (tmp_path / "temporal.db").exists()
