"""One workflow per store (`replenish-{store_id}`), started or signalled by signal-with-start
from POS stock levels, and the daily sweep a Temporal Schedule runs.

The store's workflow gathers low SKUs for `batch_window` after the first one, then starts one
procurement for the batch as a child workflow. A SKU whose procurement is still running is never
asked for again (its later low reports are counted, not ordered). Why a child, not a client call
from an activity: the start is a command in this history (one start per batch even when a worker
dies mid-way, and the id `pr-{request_id}` makes a second start impossible anyway); the store
learns that the procurement ended from the child's result, without polling, and frees its SKUs;
and the Web UI links the store to its procurements. The child is ABANDONed on close, so nothing
that happens to the store's workflow ever cancels a procurement that may have paid.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from domain import messages
    from domain.procurement import ProcurementInput
    from domain.progress import ProcurementState
    from domain.replenishment import (
        REPLENISHMENT_WORKFLOW, STATE_QUERY, STOCK_SIGNAL, SWEEP_WORKFLOW, Batch, ReplenishmentInput,
        ReplenishmentState, StockReport, admit, batch_problems, batch_request, batch_request_id,
    )
    from workflows.steps import LEDGER_RETRY

KEPT_BATCHES = 20
# A batch of more than messages.LARGE_REQUEST_LINES SKUs starts its procurement with a minute per
# workflow task, as `procure start` does (a cold worker replays a large procurement in one task).
LARGE_BATCH_PATCH = "large-batch-task-1"


@workflow.defn(name=REPLENISHMENT_WORKFLOW)
class StoreReplenishmentWorkflow:
    def __init__(self) -> None:
        self._state: ReplenishmentState | None = None
        self._input: ReplenishmentInput | None = None
        self._store = None
        self._waiting: set[asyncio.Task] = set()

    @workflow.run
    async def run(self, input: ReplenishmentInput) -> None:
        self._input = input
        if self._state is None:  # a signal that came with the start may have set it already
            self._state = input.state or ReplenishmentState(store_id=input.store_id)
        if self._store is None:
            self._store = input.store
        state = self._state
        # A run continues as new only with nothing in flight, so it never has a child to find again.
        while True:
            await workflow.wait_condition(
                lambda: bool(state.pending) or (not state.in_flight and workflow.info().is_continue_as_new_suggested()))
            if not state.pending:
                workflow.continue_as_new(ReplenishmentInput(
                    store_id=input.store_id, batch_window=input.batch_window, procurement=input.procurement,
                    procurement_task_queue=input.procurement_task_queue, state=state, store=self._store))
            await workflow.sleep(input.batch_window, summary=f"gather low SKUs of {input.store_id}")
            await self._start_batch()

    @workflow.signal(name=STOCK_SIGNAL)
    def stock_low(self, report: StockReport) -> None:
        if self._state is None:
            self._state = ReplenishmentState(store_id=report.store.store_id)
        self._store = report.store  # the configuration as the ops team left it
        known = [low for low in report.low if low.sku in report.store.skus]
        admit(self._state, known)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> ReplenishmentState:
        assert self._state is not None
        return self._state

    async def _start_batch(self) -> None:
        assert self._state is not None and self._input is not None and self._store is not None
        state, store = self._state, self._store
        skus = [low for sku, low in sorted(state.pending.items()) if sku in store.skus]
        state.pending.clear()
        if not skus:
            return
        now = workflow.now()
        request_id = batch_request_id(store.store_id, now)
        problems = batch_problems(store, request_id, skus)
        if problems:
            # The store file allows it but a purchase request does not: say so, buy nothing, go on.
            text = f"{request_id} ({', '.join(s.sku for s in skus)}) not started: {'; '.join(problems)}"
            workflow.logger.error(text)
            state.refused = [*state.refused, text][-KEPT_BATCHES:]
            return
        request = batch_request(store, request_id, skus)
        batch = Batch(request_id=request.request_id, store_id=store.store_id, skus=skus,
                      low_at=min(s.low_at for s in skus), started_at=now)
        await workflow.execute_activity(
            "record_replenishment_batch", batch, start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LEDGER_RETRY, summary=f"ledger: batch {request.request_id}")
        for low in skus:
            state.in_flight[low.sku] = request.request_id
        state.batches = [*state.batches, batch][-KEPT_BATCHES:]
        task_timeout = messages.procurement_task_timeout(len(request.lines))
        if task_timeout is not None and not workflow.patched(LARGE_BATCH_PATCH):
            task_timeout = None  # a batch started before the patch: its child kept the server's default
        handle = await workflow.start_child_workflow(
            messages.PROCUREMENT_WORKFLOW,
            ProcurementInput(request=request, config=self._input.procurement),
            id=messages.procurement_workflow_id(request.request_id),
            task_queue=self._input.procurement_task_queue,
            task_timeout=task_timeout,
            result_type=ProcurementState,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"{store.store_id}: replenish {len(skus)} SKUs ({', '.join(s.sku for s in skus)[:120]})",
        )
        task = asyncio.create_task(self._free_when_done(handle, request.request_id))
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _free_when_done(self, handle: workflow.ChildWorkflowHandle, request_id: str) -> None:
        try:
            await handle
        except ChildWorkflowError:
            pass  # failed or cancelled: either way its SKUs may be asked for again
        self._free(request_id)

    def _free(self, request_id: str) -> None:
        assert self._state is not None
        for sku in [s for s, r in self._state.in_flight.items() if r == request_id]:
            del self._state.in_flight[sku]


@workflow.defn(name=SWEEP_WORKFLOW)
class ReplenishmentSweepWorkflow:
    """Run daily by a Schedule: stores whose POS went quiet are checked on their last known levels."""

    @workflow.run
    async def run(self) -> list[str]:
        return await workflow.execute_activity(
            "sweep_quiet_stores", start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_attempts=5), result_type=list[str], summary="daily replenishment sweep")
