"""Workers as a cluster runs them, on the real dev server with real processes (tests/reliability/rel_stack.py):

- Worker Versioning: a procurement started on build v1 finishes on build v2 after v2 became the
  current version and every v1 worker was stopped with SIGTERM (docs/deploy.md, "Upgrades");
  the commands are the runbook's own `temporal worker deployment ...` commands;
- metrics: /metrics of a worker, scraped while a procurement runs, has the SDK's metrics and ours,
  tagged with service and build id; its JSON log has no httpx line per request;
- exit status 3, with one line, when Temporal or PostgreSQL cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from domain.messages import ApproveInput, ApproveResult
from domain.progress import ProcurementState
from ports import free_port
from reliability.rel_stack import (
    Stack, StackOptions, all_histories, clean_environment, drive, hold_at_qc, purchase_request, running_stack, until,
)
from starter.stack import temporal_cli_path
from worker import WORKFLOWS

# The dev server reports a version drained minutes after its last workflow left; here within seconds.
FAST_DRAINAGE = [
    "--dynamic-config-value", "matching.wv.VersionDrainageStatusVisibilityGracePeriod=\"1s\"",
    "--dynamic-config-value", "matching.wv.VersionDrainageStatusRefreshInterval=\"1s\"",
]


def temporal_cli(stack: Stack, *args: str) -> dict:
    """The runbook's `temporal` command against the stack's server, its JSON answer."""
    done = subprocess.run(
        [temporal_cli_path(), *args, "--address", stack.temporal_address, "--output", "json"],
        capture_output=True, text=True, timeout=30,
    )
    if done.returncode != 0:
        raise RuntimeError(f"temporal {' '.join(args)}: {done.stderr.strip()}")
    return json.loads(done.stdout) if done.stdout.strip() else {}


def versioned(deployment: str, build_id: str) -> dict[str, str]:
    return {"TEMPORAL_DEPLOYMENT_NAME": deployment, "TEMPORAL_WORKER_BUILD_ID": build_id,
            "WORKER_GRACEFUL_SHUTDOWN": "10s"}


def build_ids_of(history: WorkflowHistory) -> list[str]:
    """The build id of every worker that completed a workflow task, in order."""
    ids = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attributes = event.workflow_task_completed_event_attributes
            ids.append(attributes.deployment_version.build_id or attributes.worker_version.build_id)
    return ids


async def test_a_procurement_started_on_v1_finishes_on_v2_after_v1_workers_drained() -> None:
    async with running_stack(StackOptions(workers=0, temporal_args=FAST_DRAINAGE), "procure-deploy-") as stack:
        assert stack.client is not None
        deployment = f"procure-{stack.task_queue.rsplit('-', 1)[1]}"
        v1 = stack.start_worker(versioned(deployment, "v1"))
        await stack.wait_for_workers()
        # The runbook: a new deployment's first version becomes current by hand, once its workers poll.
        await until(lambda: _try(lambda: temporal_cli(stack, "worker", "deployment", "set-current-version", "--yes",
                                                       "--deployment-name", deployment, "--build-id", "v1")),
                    "v1 to become the current version", 60, every=1.0)

        # An approval threshold below any order parks the procurement with a child order waiting.
        request = purchase_request("DEPLOY-V1V2", [("1", "纯棉T恤", 20)], approval_threshold="1.00")
        handle = await stack.start_procurement(request)

        async def waiting_for_approval() -> bool:
            state = await handle.query("state", result_type=ProcurementState)
            return any(o.status.value == "awaiting_approval" for o in state.orders)

        await until(waiting_for_approval, "an order waiting for approval on v1", 90)

        v2 = stack.start_worker(versioned(deployment, "v2"))
        await stack.wait_for_workers()
        await until(lambda: _try(lambda: temporal_cli(stack, "worker", "deployment", "set-current-version", "--yes",
                                                       "--deployment-name", deployment, "--build-id", "v2")),
                    "v2 to become the current version", 60, every=1.0)

        # Drain v1: SIGTERM, as Kubernetes stops a pod; it stops within its graceful shutdown, status 0.
        began = time.monotonic()
        stack.kill_worker(v1, sig=signal.SIGTERM)
        assert v1.process.returncode == 0, v1.log_path.read_text()
        assert time.monotonic() - began < 20
        assert "worker stopped after" in v1.log_path.read_text()

        result = await handle.execute_update("approve", ApproveInput(by="release-manager"), result_type=ApproveResult)
        assert result.released
        report = await drive(stack, [handle.id], timeout=180)
        assert not report.failures, report.failures
        state = report.results[handle.id]
        assert state.stage.value == "COMPLETED" and state.fully_received, state

        # Started on v1, finished on v2: every workflow task after the switch ran on a v2 worker.
        history = await handle.fetch_history()
        builds = build_ids_of(history)
        assert builds[0] == "v1" and builds[-1] == "v2", builds
        assert builds.index("v2") > 0 and "v1" not in builds[builds.index("v2"):], builds
        versioning = (await handle.describe()).raw_description.workflow_execution_info.versioning_info
        assert versioning.deployment_version.build_id == "v2", versioning
        assert versioning.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE, versioning

        # v1 is drained: nothing left that needs its workers (the runbook's check before deleting it).
        async def drained() -> bool:
            described = temporal_cli(stack, "worker", "deployment", "describe-version",
                                     "--deployment-name", deployment, "--build-id", "v1")
            return (described.get("drainageInfo") or {}).get("drainageStatus") == "drained"

        await until(drained, "v1 to be reported drained", 60, every=1.0)

        # Every history the versioned workers wrote replays on the current code.
        for run in await all_histories(stack):
            await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(run)
        assert v2.alive


def _try(action) -> bool:
    try:
        action()
        return True
    except RuntimeError:
        return False


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def scrape(text: str) -> dict[str, list[tuple[str, float]]]:
    metrics: dict[str, list[tuple[str, float]]] = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match:
            metrics.setdefault(match[1], []).append((match[2] or "", float(match[3])))
    return metrics


def total(metrics: dict[str, list[tuple[str, float]]], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(value for tags, value in metrics.get(name, []) if all(w in tags for w in wanted))


async def test_metrics_scraped_during_a_procurement_have_the_sdks_and_ours() -> None:
    port = free_port()
    async with running_stack(StackOptions(workers=0), "procure-metrics-") as stack:
        worker = stack.start_worker({
            "METRICS_PORT": str(port), "METRICS_HOST": "127.0.0.1", "METRICS_REFRESH": "1s",
            "TEMPORAL_WORKER_BUILD_ID": "build-metrics-1", "LOG_FORMAT": "json",
        }, ["--role", "all"])
        await stack.wait_for_workers()
        handle = await stack.start_procurement(purchase_request("DEPLOY-METRICS", [("1", "帆布包", 10)]))
        order = await hold_at_qc(stack, handle.id)

        async def scraped() -> dict | None:
            async with httpx.AsyncClient(timeout=5) as http:
                metrics = scrape((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
            # The ledger gauge is refreshed every second: wait until it has seen the order at QC.
            return metrics if total(metrics, "procure_procurements", stage="AWAITING_QC") == 1 else None

        metrics = await until(scraped, "metrics showing the procurement at QC", 30, every=0.5)
        # The SDK's own metrics, tagged with the process's service and build id.
        sdk = [name for name in metrics if name.startswith("temporal_")]
        assert "temporal_worker_task_slots_available" in sdk, sorted(sdk)
        assert any(name.startswith("temporal_workflow_task_schedule_to_start_latency") for name in sdk), sorted(sdk)
        assert all('service="procure-worker-all"' in tags and 'build_id="build-metrics-1"' in tags
                   for tags, _ in metrics["temporal_worker_task_slots_available"])
        # Ours.
        assert total(metrics, "procure_orders_paid") == 1
        assert total(metrics, "procure_order_amount_paid_yuan_sum") == float(order.amount)
        assert total(metrics, "procure_1688_calls", api="alibaba.trade.fastCreateOrder", outcome="ok") == 1
        assert total(metrics, "procure_1688_calls", outcome="ok") >= 8
        assert total(metrics, "procure_1688_quota_turns", result="granted") == total(metrics, "procure_1688_calls")
        assert total(metrics, "procure_orders_held") == 0
        assert "procure_task_queue_backlog" in metrics

        report = await drive(stack, [handle.id], timeout=120)
        assert not report.failures
        calls = len(await stack.sim_get("calls"))
        print(f"1688 calls for one procurement of one line: {calls}")

        # Logs: one JSON object per line, tagged; no httpx line per request; no secret.
        lines = [line for line in worker.log_path.read_text().splitlines() if line.strip()]
        records = [json.loads(line) for line in lines]
        assert all(r["service"] == "worker-all" and r["build_id"] == "build-metrics-1" for r in records)
        assert not [r for r in records if r["logger"].startswith("httpx")]
        assert "test123" not in worker.log_path.read_text() and "TEST-TOKEN" not in worker.log_path.read_text()


@pytest.mark.parametrize("dead", ["temporal", "postgresql"])
async def test_a_worker_that_cannot_reach_temporal_or_postgresql_exits_3_with_one_line(
    dead: str, database_url: str
) -> None:
    env = clean_environment()
    env.update({"TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "DATABASE_URL": database_url})
    if dead == "postgresql":
        env["DATABASE_URL"] = f"postgresql://procure:s3cret-pw@127.0.0.1:{free_port()}/procurement"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "worker", "--role", "workflows", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    lines = err.decode().strip().splitlines()
    assert process.returncode == 3, err.decode()
    assert len(lines) == 1, lines
    if dead == "temporal":
        assert re.fullmatch(r"procure worker: cannot reach Temporal at 127\.0\.0\.1:\d+ \(namespace default\): .+", lines[0])
    else:
        assert re.fullmatch(r"procure worker: cannot reach PostgreSQL at 127\.0\.0\.1:\d+/procurement: .+", lines[0])
        assert "s3cret-pw" not in err.decode()
    assert out == b""
