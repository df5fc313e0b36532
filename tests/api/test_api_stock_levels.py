"""`POST /v1/stock-levels` and `GET /v1/replenishment-batches` over real HTTP (uvicorn on a free
port), on the real Temporal dev server and a real PostgreSQL ledger."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.config import ApiSettings
from api.endpoint import Services
from api.keys import issue_key
from api.roles import Action, Role, allowed
from domain.replenishment import store_workflow_id
from ports import free_port

STORES = """
stores:
  - store_id: {store}
    delivery: {{full_name: 张三, mobile: "15251667788", province: 浙江省, city: 杭州市, address: 网商路699号}}
    skus:
      - {{sku: TEE-WHITE, reorder_point: 20, order_up_to: 120, keyword: 纯棉T恤}}
      - {{sku: BAG-CANVAS, reorder_point: 10, order_up_to: 60, keyword: 帆布包}}
"""


@contextlib.asynccontextmanager
async def api(env: WorkflowEnvironment, pool: asyncpg.Pool, stores: Path) -> AsyncIterator[str]:
    settings = ApiSettings(replenishment_config=stores, procurement_task_queue=f"procurement-{uuid.uuid4().hex[:8]}")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Services.create(env.client, pool, settings)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 10
    while not server.started:
        assert not task.done() and asyncio.get_running_loop().time() < deadline, "the API did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def store_id() -> str:
    return f"store-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def stores(tmp_path: Path, store_id: str) -> Path:
    path = tmp_path / "stores.yaml"
    path.write_text(STORES.format(store=store_id), encoding="utf-8")
    return path


def test_only_a_pos_key_sends_stock_levels() -> None:
    assert {r.value for r in Role if allowed(r, Action.STOCK_LEVELS)} == {"pos"}


async def test_a_pos_report_with_low_skus_signals_the_stores_workflow(
    dev_env: WorkflowEnvironment, db_pool: asyncpg.Pool, stores: Path, store_id: str,
) -> None:
    pos = await issue_key(db_pool, Role.POS, "pos-1")
    erp = await issue_key(db_pool, Role.ERP, "erp-1")
    body = {"store_id": store_id, "levels": [{"sku": "TEE-WHITE", "on_hand": 12, "sold_since_last": 3},
                                             {"sku": "BAG-CANVAS", "on_hand": 40}, {"sku": "NEW-1", "on_hand": 0}]}
    async with api(dev_env, db_pool, stores) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        refused = await http.post("/v1/stock-levels", json=body, headers={"Authorization": f"Bearer {erp}"})
        assert refused.status_code == 403 and "pos" in refused.json()["error"]
        assert await db_pool.fetchval("SELECT count(*) FROM store_stock_levels") == 0

        taken = await http.post("/v1/stock-levels", json=body, headers={"Authorization": f"Bearer {pos}"})
        assert taken.status_code == 202, taken.text
        answer = taken.json()
        assert answer["workflow_id"] == store_workflow_id(store_id)
        assert [(l["sku"], l["quantity"]) for l in answer["low"]] == [("TEE-WHITE", 108)]
        assert answer["unknown_skus"] == ["NEW-1"]
        handle = dev_env.client.get_workflow_handle(answer["workflow_id"])
        try:
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        finally:
            await handle.terminate("test over")
        levels = {r["sku"]: r["on_hand"] for r in await db_pool.fetch("SELECT sku, on_hand FROM store_stock_levels")}
        assert levels == {"TEE-WHITE": 12, "BAG-CANVAS": 40, "NEW-1": 0}

        batches = await http.get("/v1/replenishment-batches", params={"store_id": store_id},
                                 headers={"Authorization": f"Bearer {pos}"})
        assert batches.status_code == 200 and batches.json() == {"batches": []}


async def test_bad_stock_levels_are_refused_with_each_reason_and_change_nothing(
    dev_env: WorkflowEnvironment, db_pool: asyncpg.Pool, stores: Path, store_id: str,
) -> None:
    pos = await issue_key(db_pool, Role.POS, "pos-2")
    headers = {"Authorization": f"Bearer {pos}"}
    async with api(dev_env, db_pool, stores) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        bad = await http.post("/v1/stock-levels", headers=headers, json={
            "store_id": store_id, "levels": [{"sku": "TEE-WHITE", "on_hand": -3}, {"on_hand": 1}], "note": "x"})
        assert bad.status_code == 422
        assert set(bad.json()["problems"]) == {"levels[0].on_hand: must be at least 0", "levels[1].sku: is required",
                                               "note: is not a known field"}
        unknown = await http.post("/v1/stock-levels", headers=headers,
                                  json={"store_id": "store-nowhere", "levels": [{"sku": "A", "on_hand": 0}]})
        assert unknown.status_code == 422
        assert unknown.json()["problems"] == ["store_id: store-nowhere is not in the store configuration"]
        not_json = await http.post("/v1/stock-levels", headers=headers, content=b"{levels")
        assert not_json.status_code == 422
    assert await db_pool.fetchval("SELECT count(*) FROM store_stock_levels") == 0
    with pytest.raises(Exception):
        await dev_env.client.get_workflow_handle(store_workflow_id(store_id)).describe()
