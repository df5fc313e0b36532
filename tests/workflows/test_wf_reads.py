"""A big request's sourcing reads wait their turn: a bounded number in flight, not every one at once."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType

from domain.progress import Stage
from wf_harness import catalog_with, offer, procurement_stack, request, supplier
from workflows.procurement import READS_IN_FLIGHT

SOURCING_READS = {"search_offers", "fetch_offer", "fetch_supplier", "estimate_freight"}
LINES, OFFERS = 3, 30
CATALOG = catalog_with(
    [supplier(f"b2b-R{n:02d}") for n in range(OFFERS)],
    [offer(f"6200{line}{n:05d}", f"b2b-R{n:02d}", f"货品{line} 白色 款{n}", f"{20 + n % 7}.00", 1)
     for line in range(LINES) for n in range(OFFERS)],
)


async def test_sourcing_reads_in_flight_stay_bounded(time_env, db_pool):
    # 3 lines x 30 offers: 90 details, 90 freight estimates and 30 seller profiles to read. Asked
    # at once, a 200-line request had 1,712 activities pending, near the server's limit of 2,000,
    # and their results came back in one workflow activation of half a second.
    async with procurement_stack(time_env, db_pool, CATALOG, details_per_line=OFFERS) as stack:
        handle = await stack.start(request("PR-READS", *((str(n), f"货品{n}", 10) for n in range(LINES))))

        async def ordering():
            state = await stack.state(handle)
            return state.stage != Stage.SOURCING and state

        await stack.wait_for(ordering, "sourcing to finish")
        history = await handle.fetch_history()
        await handle.terminate("test over")

    reads: dict[int, str] = {}  # scheduled event id -> activity type
    in_flight = peak = read = 0
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            kind = event.activity_task_scheduled_event_attributes.activity_type.name
            if kind in SOURCING_READS:
                reads[event.event_id] = kind
                in_flight += 1
                read += 1
                peak = max(peak, in_flight)
        for closed in ("completed", "failed", "timed_out", "canceled"):
            attributes = f"activity_task_{closed}_event_attributes"
            if event.HasField(attributes) and getattr(event, attributes).scheduled_event_id in reads:
                in_flight -= 1
    assert read >= 2 * LINES * OFFERS, f"only {read} reads: the request did not need the bound"
    assert peak == READS_IN_FLIGHT, f"{peak} sourcing reads in flight at once, bound {READS_IN_FLIGHT}"
