"""The whole order is checked against the plan before paying, not only its unit prices: here the
seller re-prices the carriage between the preview and the create, as 1688 sellers may (改价)."""

from __future__ import annotations

from simulator.catalog import Freight
from domain.messages import ApproveInput, ApproveResult
from domain.progress import Stage
from wf_harness import accept_all, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A")],
    [offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10, freight={"flat": "10.00"})],
)


def recharge_freight(stack, offer_id: str, flat: str) -> None:
    offers = stack.sim.market.catalog.offers
    i = next(n for n, o in enumerate(offers) if o.offer_id == offer_id)
    offers[i] = offers[i].model_copy(update={"freight": Freight(flat=flat)})


async def test_freight_above_the_preview_holds_the_order_with_the_difference_named(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        stack.before("create_order", lambda: recharge_freight(stack, "610000000001", "80.00"))
        handle = await stack.start(request("PR-FREIGHT", ("1", "纯棉T恤", 20)))
        held = await stack.order_in_status(handle, "awaiting_approval")
        assert held.approval.reasons == ["freight 80.00 yuan on the order, 10.00 planned"]
        assert await stack.sim_get("payments") == [], "nothing is paid while the difference waits for a person"
        await handle.execute_update("approve", ApproveInput(by="li.manager"), result_type=ApproveResult)
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    [payment] = await stack.sim_get("payments")
    assert state.orders[0].amount == 20 * 45 + 80


async def test_an_order_as_previewed_is_paid_without_a_person(time_env, db_pool):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        handle = await stack.start(request("PR-ASPLANNED", ("1", "纯棉T恤", 20)))
        state = await accept_all(stack, handle)
    assert state.stage == Stage.COMPLETED
    assert not state.orders[0].approval.needed
