"""A workflow that upserts the procurement's order-id list, for the search-attribute limit test."""

from __future__ import annotations

from temporalio import workflow

from workflows import search_attributes as sa


@workflow.defn(name="UpsertOrderIds")
class UpsertOrderIds:
    @workflow.run
    async def run(self, order_ids: list[str]) -> int:
        workflow.upsert_search_attributes([sa.ORDER_IDS.value_set(order_ids)])
        return len(order_ids)
