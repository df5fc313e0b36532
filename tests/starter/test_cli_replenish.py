"""`procure replenish check`, `procure stock-levels` and `procure replenish schedule` as a person
runs them: bad input exits 2 with one line per problem before anything is contacted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.replenishment import SWEEP_SCHEDULE_ID
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
GOOD = """stores:
  - store_id: store-17
    delivery: {full_name: 张三, mobile: "15251667788", province: 浙江省, city: 杭州市, address: 网商路699号}
    skus:
      - {sku: TEE-WHITE, reorder_point: 20, order_up_to: 120, keyword: 纯棉T恤}
      - {sku: BAG-CANVAS, reorder_point: 10, order_up_to: 60, keyword: 帆布包}
"""


def procure(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing listens on these ports: a command that got past its checks would exit 3, not 2.
    environment = {**os.environ, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
                   "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none", **env}
    return subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=60)


def test_a_good_store_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "stores.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = procure("replenish", "check", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 stores, 2 SKUs, every row valid" in result.stdout


def test_a_bad_row_is_refused_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "stores.yaml"
    path.write_text(GOOD.replace("reorder_point: 10, order_up_to: 60", "reorder_point: 60, order_up_to: 60")
                    + "      - {sku: CUP, reorder_point: 1, order_up_to: 9}\n", encoding="utf-8")
    result = procure("replenish", "check", str(path))
    assert result.returncode == 2
    assert "store store-17, skus row 2 (BAG-CANVAS): order_up_to (60) must be above reorder_point (60)" in result.stderr
    assert "store store-17, skus row 3 (CUP): keyword: is required" in result.stderr
    assert "row 1" not in result.stderr


def test_bad_stock_levels_exit_2_before_contacting_anything(tmp_path: Path) -> None:
    stores = tmp_path / "stores.yaml"
    stores.write_text(GOOD, encoding="utf-8")
    levels = tmp_path / "levels.json"
    levels.write_text(json.dumps({"store_id": "store-17", "levels": [{"sku": "TEE-WHITE", "on_hand": "many"}]}))
    result = procure("stock-levels", str(levels), REPLENISHMENT_CONFIG=str(stores))
    assert result.returncode == 2
    assert "levels[0].on_hand: must be a whole number" in result.stderr
    # A good body with a broken store file: refused too, and nothing contacted.
    stores.write_text("stores: [{store_id: s}]\n", encoding="utf-8")
    levels.write_text(json.dumps({"store_id": "store-17", "levels": [{"sku": "TEE-WHITE", "on_hand": 1}]}))
    result = procure("stock-levels", str(levels), REPLENISHMENT_CONFIG=str(stores))
    assert result.returncode == 2 and "skus must be a non-empty list" in result.stderr
    # Good input, nothing to talk to: 3, as for every command.
    stores.write_text(GOOD, encoding="utf-8")
    assert procure("stock-levels", str(levels), REPLENISHMENT_CONFIG=str(stores)).returncode == 3


async def test_the_sweep_schedule_command_is_idempotent(dev_env: WorkflowEnvironment) -> None:
    address = dev_env.client.service_client.config.target_host
    queue = f"procurement-{uuid.uuid4().hex[:6]}"
    try:
        first = procure("replenish", "schedule", TEMPORAL_ADDRESS=address, PROCUREMENT_TASK_QUEUE=queue)
        assert first.returncode == 0, first.stderr
        assert f"schedule {SWEEP_SCHEDULE_ID}: created" in first.stdout
        again = procure("replenish", "schedule", TEMPORAL_ADDRESS=address, PROCUREMENT_TASK_QUEUE=queue)
        assert again.returncode == 0 and "already exists" in again.stdout
    finally:
        await dev_env.client.get_schedule_handle(SWEEP_SCHEDULE_ID).delete()
