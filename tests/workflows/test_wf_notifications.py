"""A real procurement tells people as it goes: the events its own ledger writes queue reach the
local robots and SMTP server once each, while a dead channel is retried, given up and alerted,
and the procurement finishes regardless (time-skipping Temporal, real activities, PostgreSQL)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from activities.notification_dispatch import NotificationDispatcher
from domain.progress import Stage
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, supplier

sys.path.insert(0, str(Path(__file__).parents[1] / "activities"))
from robot_receivers import robot_receivers, routes_for, smtp_server  # noqa: E402

CATALOG = catalog_with(
    [supplier("b2b-N1"), supplier("b2b-N2")],
    [offer("610000003001", "b2b-N1", "纯棉T恤 白色", "45.00", 50),
     offer("610000003002", "b2b-N2", "保温杯 不锈钢", "30.00", 10)],
)


async def test_a_procurement_notifies_each_event_once_and_a_dead_channel_never_holds_it(
    time_env, db_pool: asyncpg.Pool,
) -> None:
    async with robot_receivers() as robots:
        robots.dead.add("wecom")  # the buyers' WeCom robot is down for the whole procurement
        with smtp_server() as (host, port, mailbox):
            dispatcher = NotificationDispatcher(db_pool, routes_for(robots, host, port, max_attempts=2),
                                                poll_seconds=0.05)
            stop = asyncio.Event()
            running = asyncio.create_task(dispatcher.run(stop))   # as beside the worker
            try:
                async with procurement_stack(time_env, db_pool, CATALOG) as stack:
                    handle = await stack.start(request("PR-NOTE", ("1", "纯棉T恤", 50), ("2", "保温杯", 20)))
                    state = await accept_all(stack, handle)
                assert state.stage == Stage.COMPLETED

                async def settled() -> bool:
                    rows = await db_pool.fetch(
                        "SELECT e.routed_at, d.status FROM notification_events e "
                        "LEFT JOIN notification_deliveries d USING (event_key)")
                    return bool(rows) and all(r["routed_at"] is not None and r["status"] != "pending" for r in rows)
                deadline = asyncio.get_running_loop().time() + 60
                while not await settled():
                    assert asyncio.get_running_loop().time() < deadline, "deliveries did not settle"
                    await asyncio.sleep(0.05)
            finally:
                stop.set()
                await running
                await dispatcher.aclose()

    events = {r["event_key"]: r["event_type"] for r in await db_pool.fetch(
        "SELECT event_key, event_type FROM notification_events WHERE request_id = 'PR-NOTE'")}
    orders = [o.order_id for o in state.orders]
    assert len(orders) == 2
    assert {f"signed:{o}" for o in orders} <= set(events)
    assert events["finished:pr-PR-NOTE"] == "finished"
    assert events["stage:pr-PR-NOTE:AWAITING_QC"] == "qc_waiting"
    # Ops (DingTalk, every event) got each event once, with a valid signature.
    titles = [b["markdown"]["title"] for b in robots.received["dingtalk"]]
    assert robots.refused == []
    assert titles.count("货已签收 Goods signed for") == 2
    assert titles.count("采购结束 Procurement finished") == 1
    assert titles.count("待质检 QC waiting") == 1
    # The buyers' WeCom robot never answered: two tries per event, then the alert channels heard.
    dead = await db_pool.fetch("SELECT event_key, attempts FROM notification_deliveries WHERE channel = 'buyers-wecom'")
    assert {r["attempts"] for r in dead} == {2} and len(dead) == 3      # two signed-for and the finish
    assert titles.count("通知渠道失败 Notification channel failing") == 3
    # The buyer's e-mail route took the same events as WeCom would have.
    subjects = [m["Subject"] for m in mailbox.messages]
    assert subjects.count("货已签收 Goods signed for") == 2 and subjects.count("采购结束 Procurement finished") == 1
    finished = next(m for m in mailbox.messages if m["Subject"] == "采购结束 Procurement finished")
    assert "line 1: received" in finished.get_content() and "line 2: received" in finished.get_content()
