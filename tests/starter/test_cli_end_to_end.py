"""The command line against a real `procure up` stack, as buyers, QC staff and approvers use it.

One stack (Temporal dev server, PostgreSQL, the 1688 simulator on its demo catalog with a fast
clock, a worker) serves every test here; each test has its own request ids.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator.catalog import DEMO_CATALOG_PATH
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "starter" / "sample_request.json").read_text(encoding="utf-8"))
LINES = {line["line_id"]: line for line in SAMPLE["lines"]}  # 1 纯棉T恤 x60, 2 帆布包 x100, 3 保温杯 x50


class Stack:
    def __init__(self, env: dict[str, str], process: subprocess.Popen[str], sim_port: int) -> None:
        self.env = env
        self.process = process
        self.sim = f"http://127.0.0.1:{sim_port}/_sim"

    def procure(self, *argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=timeout)

    def wait_for(self, request_id: str, what: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while True:
            result = self.procure("status", request_id, "--json")
            if result.returncode == 0:
                state = json.loads(result.stdout)
                if ready(state):
                    return state
            else:  # a start running in another process may not have reached Temporal yet
                assert "not found" in result.stderr, result.stderr
            if time.monotonic() > deadline:
                raise AssertionError(f"{request_id}: no {what} within {timeout} s; last state:\n{json.dumps(state, indent=1)}")
            time.sleep(0.5)

    def sim_orders(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.sim}/orders", timeout=10).json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from start_stack(tmp_path_factory, DEMO_CATALOG_PATH)


def start_stack(tmp_path_factory: pytest.TempPathFactory, catalog: Path) -> Iterator[Stack]:
    """`procure up` on ``catalog`` with a fast clock, until the generator is closed."""
    data_dir = tmp_path_factory.mktemp("e2e")
    temporal_port, ui_port, sim_port = free_port(), free_port(), free_port()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({
        "PYTHONUNBUFFERED": "1",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "PROCURE_UI_URL": f"http://127.0.0.1:{ui_port}",
        "LOGISTICS_POLL_INTERVAL": "1s",
    })
    process = subprocess.Popen(
        [*PROCURE, "up", "--data-dir", str(data_dir), "--temporal-port", str(temporal_port), "--ui-port", str(ui_port),
         "--sim-port", str(sim_port), "--catalog", str(catalog), "--sim-speed", "36000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    output: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)
        if "Press Ctrl-C" in line:
            break
    else:
        raise AssertionError("procure up did not come up:\n" + "".join(output))
    try:
        yield Stack(env, process, sim_port)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


def request(tmp_path: Path, line_ids: list[str], **changes: Any) -> tuple[str, Path]:
    request_id = f"PR-E2E-{uuid.uuid4().hex[:8]}"
    body = {**SAMPLE, "request_id": request_id, "lines": [LINES[i] for i in line_ids], **changes}
    path = tmp_path / f"{request_id}.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return request_id, path


def orders_in(state: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [o for o in state["orders"] if o["status"] == status]


def test_qc_reject_is_checked_by_the_order_then_rebought_to_completion(stack, tmp_path):
    request_id, path = request(tmp_path, ["1", "2"])
    started = stack.procure("start", str(path), "--json")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["started"] is True

    state = stack.wait_for(request_id, "two orders awaiting QC", lambda s: len(orders_in(s, "awaiting_qc")) == 2)
    assert state["stage"] == "AWAITING_QC"
    shirts = next(o for o in state["orders"] if o["lines"] == ["1"])
    bags = next(o for o in state["orders"] if o["lines"] == ["2"])
    assert shirts["supplier_id"] != bags["supplier_id"]
    assert all(o["payment"]["paid"] and o["shipment"]["status"] == "SIGN" for o in (shirts, bags))

    # Nothing waits for approval: the procurement refuses the approval (exit 1).
    approve = stack.procure("approve", request_id)
    assert approve.returncode == 1
    assert "refused: no payment is waiting for approval" in approve.stderr

    # The order's own validator refuses a bad QC result, with its reason (exit 2).
    unknown_line = stack.procure("qc", shirts["order_id"], "reject", "--line", "9", "--rejected", "1", "--reason", "torn")
    assert unknown_line.returncode == 2
    assert f"refused: line '9' is not in order {shirts['order_id']} (lines: 1)" in unknown_line.stderr
    too_many = stack.procure("qc", shirts["order_id"], "reject", "--line", "1", "--rejected", "61", "--reason", "torn")
    assert too_many.returncode == 2
    assert "line '1': 61 rejected but only 60 arrived" in too_many.stderr

    rejected = stack.procure("qc", shirts["order_id"], "reject", "--line", "1", "--rejected", "30", "--reason", "stains",
                             "--by", "li.wei")
    assert rejected.returncode == 0, rejected.stderr
    assert f"QC rejected for order {shirts['order_id']}: line 1: 30 rejected; 30 pieces accepted" in rejected.stdout
    accepted = stack.procure("qc", bags["order_id"], "accept")
    assert accepted.returncode == 0, accepted.stderr
    assert f"QC accepted for order {bags['order_id']}: 100 pieces" in accepted.stdout

    # The 30 refused shirts are bought again: a new order, which the warehouse inspects too.
    state = stack.wait_for(request_id, "the re-bought shirts awaiting QC",
                           lambda s: any(o["order_id"] not in (shirts["order_id"], bags["order_id"])
                                         and o["status"] == "awaiting_qc" for o in s["orders"]))
    again = next(o for o in orders_in(state, "awaiting_qc") if o["order_id"] != shirts["order_id"])
    assert again["lines"] == ["1"] and again["line_details"][0]["quantity"] == 30
    second_qc = stack.procure("qc", shirts["order_id"], "accept")
    assert second_qc.returncode in (1, 2), second_qc.stdout  # closed, or refused: it already has a result
    assert stack.procure("qc", again["order_id"], "accept", "--by", "li.wei").returncode == 0

    state = stack.wait_for(request_id, "completion", lambda s: s["stage"] == "COMPLETED")
    assert [(l["line_id"], l["status"], l["received_qty"]) for l in state["lines"]] == [("1", "received", 60), ("2", "received", 100)]
    first = next(o for o in state["orders"] if o["order_id"] == shirts["order_id"])
    assert first["qc"]["decision"] == "reject" and first["qc"]["inspector"] == "li.wei"
    assert first["refund"]["amount"] == f"{30 * float(first['line_details'][0]['unit_price']):.2f}"

    text = stack.procure("status", request_id)
    assert text.returncode == 0
    assert text.stdout.startswith(f"{request_id}  COMPLETED  2/2 lines received, 3 orders")
    assert f"Web UI: {stack.env['PROCURE_UI_URL']}/namespaces/default/workflows/pr-{request_id}" in text.stdout

    bought = len(stack.sim_orders())
    repeat = stack.procure("start", str(path))
    assert repeat.returncode == 0
    assert f"{request_id} was already started (workflow pr-{request_id}, status COMPLETED); nothing new was bought" in repeat.stdout
    assert len(stack.sim_orders()) == bought

    cancel = stack.procure("cancel", request_id)
    assert cancel.returncode == 1
    assert "already finished" in cancel.stderr

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # visibility catches up a moment after the workflow ends
        listed = {r["request_id"]: r for r in json.loads(stack.procure("list", "--stage", "COMPLETED", "--json").stdout)}
        if request_id in listed:
            break
        time.sleep(0.5)
    assert listed[request_id]["status"] == "COMPLETED"
    assert listed[request_id]["amount"] is not None


def test_an_approver_releases_a_held_payment_and_start_wait_reports_the_end(stack, tmp_path):
    request_id, path = request(tmp_path, ["3"], approval_threshold="1000.00")
    waiting = subprocess.Popen([*PROCURE, "start", str(path), "--wait", "--json"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=stack.env, cwd=ROOT)
    try:
        state = stack.wait_for(request_id, "an order awaiting approval", lambda s: bool(orders_in(s, "awaiting_approval")))
        assert state["stage"] == "AWAITING_APPROVAL"
        held = orders_in(state, "awaiting_approval")[0]
        assert "above the approval threshold 1000.00" in held["approval"]["reasons"][0]

        # QC is not open before the goods arrive: the order refuses it.
        early = stack.procure("qc", held["order_id"], "accept")
        assert early.returncode == 2
        assert f"order {held['order_id']} is not waiting for QC" in early.stderr

        approved = stack.procure("approve", request_id, "--by", "boss")
        assert approved.returncode == 0, approved.stderr
        assert f"Released the payment of 1 order of {request_id}" in approved.stdout
        assert held["order_id"] in approved.stdout

        state = stack.wait_for(request_id, "QC", lambda s: bool(orders_in(s, "awaiting_qc")))
        assert state["orders"][0]["approval"]["approved_by"] == "boss"
        assert stack.procure("qc", held["order_id"], "accept").returncode == 0
        out, err = waiting.communicate(timeout=90)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, err
    result = json.loads(out)
    assert result["started"] is True and result["state"]["stage"] == "COMPLETED"
    assert result["state"]["lines"][0]["status"] == "received"


def test_cancel_stops_what_is_not_paid_and_says_so(stack, tmp_path):
    request_id, path = request(tmp_path, ["2"], approval_threshold="500.00")
    assert stack.procure("start", str(path)).returncode == 0
    state = stack.wait_for(request_id, "an order awaiting approval", lambda s: bool(orders_in(s, "awaiting_approval")))
    held = orders_in(state, "awaiting_approval")[0]

    cancel = stack.procure("cancel", request_id, "--reason", "the store closed")
    assert cancel.returncode == 0, cancel.stderr
    assert f"Cancelling the unpaid orders: {held['order_id']}" in cancel.stdout
    assert stack.procure("cancel", request_id).returncode == 1  # refused: already being cancelled

    state = stack.wait_for(request_id, "the end", lambda s: s["stage"] in ("CANCELLED", "FAILED", "COMPLETED"))
    assert state["stage"] == "CANCELLED"
    assert state["lines"][0]["status"] == "cancelled"

    # Waiting on a finished procurement reports it; not every line was received, so exit 1.
    wait = stack.procure("start", str(path), "--wait")
    assert wait.returncode == 1
    assert "was already started" in wait.stdout and "CANCELLED" in wait.stdout
