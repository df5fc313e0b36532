"""`procure` against a real Temporal dev server, with no worker: what the command line decides itself.

Starting on a task queue nobody serves leaves the workflow waiting, which is all these tests need:
a refused request starts nothing, a second start reports the first, visibility lists the request,
and commands about a request or order that does not exist say so with exit status 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from starter.start import summary

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "starter" / "sample_request.json").read_text(encoding="utf-8"))


@pytest.fixture
def env(dev_env) -> dict[str, str]:
    environ = dict(os.environ)
    environ["TEMPORAL_ADDRESS"] = dev_env.client.service_client.config.target_host
    environ["PROCUREMENT_TASK_QUEUE"] = f"nobody-{uuid.uuid4().hex[:8]}"  # no worker: workflows just wait
    environ.pop("PROCURE_UI_URL", None)
    return environ


def procure(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)


def request_file(tmp_path: Path, **changes) -> tuple[str, Path]:
    request_id = f"PR-T-{uuid.uuid4().hex[:10]}"
    path = tmp_path / "request.json"
    path.write_text(json.dumps({**SAMPLE, "request_id": request_id, **changes}, ensure_ascii=False), encoding="utf-8")
    return request_id, path


async def listed(client: Client, query: str, within: float = 10.0) -> list:
    """Visibility is eventually consistent: wait a little for what was just written."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = [w async for w in client.list_workflows(query)]
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def test_a_bad_request_prints_each_problem_and_starts_nothing(env, dev_env, tmp_path):
    request_id = f"PR-BAD-{uuid.uuid4().hex[:8]}"
    bad = {**SAMPLE, "request_id": request_id, "colour": "red",
           "lines": [{"line_id": "1", "keyword": "纯棉T恤", "quantity": 0, "price_min": "50.00", "price_max": "30.00"}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")

    result = procure(env, "start", str(path))

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"procure start: {path}: lines[0].quantity: must be greater than 0",
        f"procure start: {path}: lines[0].price_max: must not be below price_min (50.00)",
        f"procure start: {path}: colour: is not a known field",
    ]
    with pytest.raises(RPCError) as missing:
        await dev_env.client.get_workflow_handle(f"pr-{request_id}").describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    assert (await dev_env.client.count_workflows(f"ProcurementRequestId = '{request_id}'")).count == 0


async def test_missing_and_unparsable_files_exit_2(env, tmp_path):
    assert procure(env, "start", str(tmp_path / "nope.json")).returncode == 2
    yaml_file = tmp_path / "request.yaml"
    yaml_file.write_text("request_id: [unclosed\n", encoding="utf-8")
    result = procure(env, "start", str(yaml_file))
    assert result.returncode == 2
    assert "not valid YAML" in result.stderr


async def test_start_once_then_report_the_existing_procurement(env, dev_env, tmp_path):
    request_id, path = request_file(tmp_path)
    workflow_id = f"pr-{request_id}"

    first = procure(env, "start", str(path), "--json")
    assert first.returncode == 0, first.stderr
    started = json.loads(first.stdout)
    assert started["started"] is True and started["workflow_id"] == workflow_id
    address = env["TEMPORAL_ADDRESS"]
    ui_port = int(address.rpartition(":")[2]) + 1000
    assert started["web_ui"] == f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{workflow_id}"

    handle = dev_env.client.get_workflow_handle(workflow_id)
    description = await handle.describe()
    assert await description.static_summary() == "{}: 3 lines, budget 8000.00, for store-17".format(request_id)
    details = await description.static_details()
    assert "- line 1: 纯棉T恤 x60, 30.00 - 50.00 yuan, 颜色=白色" in details
    assert "张三" not in details and "15251667788" not in details  # no receiver in the UI text
    attrs = description.typed_search_attributes
    assert {p.key.name: p.value for p in attrs} == {
        "ProcurementRequestId": request_id, "ProcurementStage": "SOURCING", "ProcurementRequester": "store-17"}
    # A small request keeps the server's default workflow task timeout.
    assert description.raw_description.execution_config.default_workflow_task_timeout.ToSeconds() == 10

    # Running: the same id is reused, nothing new starts.
    again = procure(env, "start", str(path))
    assert again.returncode == 0, again.stderr
    assert f"{request_id} was already started (workflow {workflow_id}, status RUNNING); nothing new was bought" in again.stdout
    assert (await dev_env.client.count_workflows(f"WorkflowId = '{workflow_id}'")).count == 1

    # Closed: the id is never used again, whatever the reason the first run ended.
    await handle.terminate("test")
    closed = procure(env, "start", str(path), "--json")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout) | {"web_ui": None} == {
        "request_id": request_id, "workflow_id": workflow_id, "run_id": description.run_id,
        "started": False, "status": "TERMINATED", "web_ui": None}
    text = procure(env, "start", str(path))
    assert "was already started (workflow {}, status TERMINATED); nothing new was bought".format(workflow_id) in text.stdout
    assert len([w async for w in dev_env.client.list_workflows(f"WorkflowId = '{workflow_id}'")]) == 1


async def test_a_large_request_gets_a_minute_for_each_workflow_task(env, dev_env, tmp_path):
    # A worker that picks the procurement up cold replays its whole history in one task: at 200
    # lines more than the default 10 s on a busy worker, and every retry replayed again.
    lines = [{**SAMPLE["lines"][0], "line_id": str(n)} for n in range(1, 22)]
    request_id, path = request_file(tmp_path, lines=lines)
    started = procure(env, "start", str(path))
    assert started.returncode == 0, started.stderr
    handle = dev_env.client.get_workflow_handle(f"pr-{request_id}")
    config = (await handle.describe()).raw_description.execution_config
    assert config.default_workflow_task_timeout.ToSeconds() == 60
    await handle.terminate("test")


async def test_list_filters_by_stage_from_visibility(env, dev_env, tmp_path):
    request_id, path = request_file(tmp_path, requester="store-99")
    assert procure(env, "start", str(path)).returncode == 0
    await listed(dev_env.client, f"ProcurementRequestId = '{request_id}'")

    result = procure(env, "list", "--stage", "sourcing", "--json", "--limit", "1000")
    assert result.returncode == 0, result.stderr
    rows = {row["request_id"]: row for row in json.loads(result.stdout)}
    assert rows[request_id] | {"started": None} == {
        "request_id": request_id, "workflow_id": f"pr-{request_id}", "stage": "SOURCING", "status": "RUNNING",
        "requester": "store-99", "amount": None, "started": None, "closed": None}

    other_stage = json.loads(procure(env, "list", "--stage", "COMPLETED", "--json", "--limit", "1000").stdout)
    assert request_id not in {row["request_id"] for row in other_stage}

    table = procure(env, "list", "--limit", "1000")
    assert table.returncode == 0
    header, *rows_text = table.stdout.splitlines()
    assert header.split() == ["request", "stage", "status", "requester", "amount", "started", "(UTC)", "workflow"]
    assert any(line.startswith(request_id) and "store-99" in line for line in rows_text)
    await dev_env.client.get_workflow_handle(f"pr-{request_id}").terminate("test")


async def test_commands_about_a_request_that_does_not_exist_exit_1(env):
    for argv in (["status", "PR-NOBODY"], ["status", "PR-NOBODY", "--json"], ["approve", "PR-NOBODY"],
                 ["cancel", "PR-NOBODY"]):
        result = procure(env, *argv)
        assert result.returncode == 1, (argv, result.stderr)
        assert "no procurement PR-NOBODY" in result.stderr
        assert result.stdout == ""


async def test_qc_for_an_order_nobody_has_exits_1_after_waiting_for_visibility(env):
    result = procure(env, "qc", "999999000000000001", "accept")
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "procure qc: no open order 999999000000000001: no running order workflow lists it"


def test_the_summary_names_lines_budget_and_requester():
    from domain.request import parse_purchase_request

    request = parse_purchase_request({**SAMPLE, "budget": None, "requester": None, "lines": SAMPLE["lines"][:1]})
    assert summary(request) == f"{SAMPLE['request_id']}: 1 line, no budget"
