"""1688's push messages wake an order sooner than its next logistics poll; forged ones wake nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType

from domain.procurement import Timing
from domain.progress import Stage
from starter.push_receiver import PUSH_PATH, WAKING_TOPICS, create_app
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with([supplier("b2b-A")], [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 50)])
# Timers far longer than the test: only a push can make the order move on in time.
SLOW = Timing(logistics_poll_interval=timedelta(hours=6), qc_reminder_after=timedelta(days=1),
              qc_escalate_after=timedelta(days=3))


async def test_a_push_makes_the_order_read_1688_now_and_a_forged_one_is_refused(dev_env, db_pool):
    async with procurement_stack(dev_env, db_pool, CATALOG, timing=SLOW) as stack:
        receiver = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(dev_env.client, SecretStr("test123"))),
                                     base_url="http://receiver")
        handle = await stack.start(request("PR-PUSH", ("1", "纯棉T恤", 50)))
        order = await stack.order_in_status(handle, "in_transit")

        async def polled_once():
            current = (await stack.state(handle)).orders[0]
            return current.shipment and current.shipment.polls >= 1 and current

        await stack.wait_for(polled_once, "the first logistics poll")
        # The seller ships and the courier scans the parcel on its way: each push reads 1688 at
        # once, one after the other.
        stack.sim.clock.advance(timedelta(hours=36))
        stack.sim.market.catch_up()
        on_the_way = [e for e in stack.sim.market.events if e["type"] in WAKING_TOPICS]
        stack.sim.market.events = []
        for event in on_the_way:
            before = (await stack.order_state(order.workflow_id)).shipment.polls
            response = await receiver.post(PUSH_PATH, data=stack.sim.push.form(event))
            assert order.workflow_id in response.json()["woken"]

            async def read_again(before=before):
                return (await stack.order_state(order.workflow_id)).shipment.polls > before

            await stack.wait_for(read_again, "the order reading 1688 after a push")
        # The parcel travels on and arrives; 1688 pushes the events to our receiver.
        stack.sim.clock.advance(timedelta(days=5))
        stack.sim.market.catch_up()
        events, stack.sim.market.events = stack.sim.market.events, []
        assert events, "the simulator emitted no push message"

        forged = stack.sim.push.form(events[-1]) | {"_aop_signature": "0" * 40}
        refused = await receiver.post(PUSH_PATH, data=forged)
        assert refused.status_code == 401

        # "Order paid" asks nothing of an order following its parcel: it wakes nobody.
        paid = await receiver.post(PUSH_PATH, data=stack.sim.push.form({**events[-1], "type": "ORDER_BUYER_VIEW_ORDER_PAY"}))
        assert paid.status_code == 200 and paid.json()["woken"] == []

        woken = []
        for event in events:
            response = await receiver.post(PUSH_PATH, data=stack.sim.push.form(event))
            assert response.status_code == 200
            woken += response.json()["woken"]
        assert order.workflow_id in woken

        arrived = await stack.order_in_status(handle, "awaiting_qc")
        assert arrived.shipment.status == "SIGN"
        # Each push read 1688 at once, and the poll timer ran on: a push neither cancels it nor
        # starts another. It is started again only once, when its interval falls back to the slow
        # one after the first push, and stopped when the parcel arrived.
        history = await stack.client.get_workflow_handle(order.workflow_id).fetch_history()
        timers = Counter(EventType.Name(e.event_type) for e in history.events
                         if e.event_type in (EventType.EVENT_TYPE_TIMER_STARTED, EventType.EVENT_TYPE_TIMER_CANCELED))
        print(f"{len(on_the_way)} pushes on the way; timers: {dict(timers)}")
        assert len(on_the_way) >= 2, f"{len(on_the_way)} pushes before arrival: the test proves nothing"
        assert timers["EVENT_TYPE_TIMER_CANCELED"] <= 2, timers

        # Past its parcel, a push would wake the order for nothing: once visibility shows it at
        # QC (a moment after the workflow moved on), a late or repeated push leaves it alone.
        async def left_alone():
            response = await receiver.post(PUSH_PATH, data=stack.sim.push.form(events[-1]))
            return response.json()["woken"] == []

        await stack.wait_for(left_alone, "a push to an order at QC waking nothing")
        await handle.terminate("test over")



async def test_once_pushes_reach_an_order_its_timer_only_backs_them_up(time_env, db_pool):
    """The default 4-hour poll runs about 20 times while this parcel travels (the seller ships after
    a day, the courier takes over two more). Once a push has reached the order (pushes work for
    it), the timer falls back to once a day: each push reads 1688 at once, and the slow poll only
    catches a push that was lost (here: every later one)."""
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-PUSHED", ("1", "纯棉T恤", 50)))
        order = await stack.order_in_status(handle, "in_transit")
        await stack.client.get_workflow_handle(order.workflow_id).signal("shipment_event")
        state = await accept_all(stack, handle)
        calls = await stack.sim_get("calls")
    assert state.stage == Stage.COMPLETED
    polls = state.orders[0].shipment.polls
    assert polls <= 6, f"{polls} polls: the timer did not fall back after the push"
    # Before the seller ships, a poll reads the order only: no logistics call is wasted on it.
    logistics = [c for c in calls if "logistics" in c["api"].lower()]
    assert len(logistics) < 2 * polls, (len(logistics), polls)
