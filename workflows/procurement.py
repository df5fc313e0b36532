"""`ProcurementWorkflow`: one purchase request, from search to every line received or explained.

The story: source every line (search, detail, supplier profile, freight, rank); plan orders, one
per supplier; for each order check it with 1688, create it exactly once and hand it to a
`SupplierOrderWorkflow`; whenever an order reports a failure or a QC rejection, buy the missing
quantity from the line's next candidate within its price range; finish with a reason for every
line that could not be bought.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from domain import messages
    from domain.messages import (
        ApproveInput, ApproveResult, CancelInput, CancelResult, NotCancelled,
    )
    from domain.basket import BasketChoice, BasketQuestion, BasketTerms, choose_basket
    from domain.budget import committed_by
    from domain.offer import EstimatedFreight, Listing
    from domain.supplier import MixBatchRule
    from domain.order import OrderPreviewResult, OrderRequest, OrderView, PlacedOrder, PlacedPart, planned_freight_of_part
    from domain.order_plan import PlannedOrder, plan_orders
    from domain.procurement import ProcurementInput, SupplierOrderInput
    from domain.progress import (
        ChosenOffer, LineOutcome, LineState, LineStatus, OrderLine, OrderOutcome, OrderSnapshot, OrderStatus,
        ProcurementState, Savings, Stage, stage_of_orders,
    )
    from domain.ranking import Assessment, Candidate, LineSourcing, SupplierJudge, assess, rank_line
    from domain.records import OrderRecord, RequestRecord, SourcingRecord, StageRecord
    from domain.request import RequestLine
    from domain.search import FreightQuery, FreightQuote, OfferFacts, SearchQuery, SearchResult, promising
    from domain.supplier import SupplierHistory, SupplierProfile
    from workflows import search_attributes as sa
    from workflows.details import TextCache, procurement_details
    from workflows.steps import LEAN_HISTORY_PATCH, call_1688, record, refusal
    from workflows.supplier_order import MONEY_PATCH, ORDER_PROGRESS_SIGNAL, SupplierOrderWorkflow, order_search_attributes

# Big requests (issue 13), a new patch; histories recorded before it replay as they were made:
# - a procurement keeps at most READS_IN_FLIGHT of its sourcing reads (search, detail, seller,
#   freight) waiting at once. A 200-line request asked for every detail at once: 1,712 activities
#   pending (the server refuses more than 2,000), and hundreds of results came back in one workflow
#   activation, while the app's quota lets only so many calls through a minute anyway;
# - the ledger's sourcing records of one planning round are written together, not one after the
#   other: 200 lines in turn kept one workflow task open past its timeout, and the server gave the
#   task to the worker again, which replayed the whole history each time.
BIG_REQUEST_PATCH = "big-request-1"
READS_IN_FLIGHT = 50
# The basket solver runs as a local activity (activities/basket.py), a new patch that implies
# BIG_REQUEST_PATCH: on a 200-line request whose lines share many suppliers its node budget took
# 2.5 s of CPU in the planning workflow task, past the SDK's 2 s deadlock limit, and every replay
# of the procurement solved it again. Its answer is now recorded in the history once.
# A request of at most SOLVED_INLINE_LINES lines is first solved in the workflow task with a
# budget of SOLVED_INLINE_NODES (at most about 30 ms of CPU measured at 10 lines): a search that
# finishes within it is the very search the full budget would make, node for node, so the answer
# is the same, and the common small request costs no marker event and no round trip. Only one
# that does not finish goes out.
BASKET_ACTIVITY_PATCH = "basket-activity-1"
SOLVED_INLINE_LINES = 10
SOLVED_INLINE_NODES = 2_000
SOLVER_TIMEOUT = timedelta(minutes=2)
# Lines are bought as one basket (domain/basket.py) rather than each from its own winner. A new
# patch: histories recorded before it replay with the per-line plan.
BASKET_PATCH = "basket-choice-1"
# Candidates kept per line in the workflow's state; the ledger has every ranked offer.
CANDIDATES_KEPT = 3
# A line may name its offer (an RFQ's award, workflows/rfq.py): only that offer is read. Histories
# recorded before it never had such a line, and replay with the search as before.
RFQ_PIN_PATCH = "rfq-pin-1"

T = TypeVar("T")

# Order statuses in which an order can still be cancelled without losing money.
_CANCELLABLE = {OrderStatus.PLACED, OrderStatus.AWAITING_APPROVAL, OrderStatus.AWAITING_PAYMENT}


def _chosen(candidate: Candidate) -> ChosenOffer:
    return ChosenOffer(
        offer_id=candidate.offer_id, supplier_id=candidate.supplier_id, spec_id=candidate.spec_id,
        unit_price=candidate.unit_price, landed_unit_cost=candidate.landed_unit_cost, landed_total=candidate.total,
        score=candidate.score, rank=candidate.rank, reason=candidate.reason,
    )


# Versioned AUTO_UPGRADE (workflows/versioning.py): a procurement lives as long as its slowest order and
# never continues as new, so pinning it would keep every old build running for weeks; it moves to
# each new build instead, and changes to it go through `workflow.patched` (replay tests check them).
@workflow.defn(name=messages.PROCUREMENT_WORKFLOW)
class ProcurementWorkflow:
    @workflow.init
    def __init__(self, input: ProcurementInput) -> None:
        self._input = input
        request = input.request
        self._state = ProcurementState(
            request_id=request.request_id,
            workflow_id=workflow.info().workflow_id,
            lines=[LineState(line_id=l.line_id, keyword=l.keyword, quantity=l.quantity) for l in request.lines],
        )
        # Each listing judged for its line as it arrives (domain/ranking.assess), in the workflow task
        # that delivers it: ranking a large request at planning time is then the cheap part.
        self._assessed: dict[str, list[Assessment]] = {}
        self._sellers: dict[tuple, SupplierProfile] = {}  # one profile object per seller and terms
        self._history: dict[str, SupplierHistory] = {}
        self._suppliers: dict[str, asyncio.Task[SupplierProfile | None]] = {}
        self._pending: dict[str, int] = {}  # line_id -> pieces still to buy
        self._failed: dict[str, set[str]] = defaultdict(set)  # line_id -> offers that failed it
        self._seen: dict[str, set[str]] = defaultdict(set)  # line_id -> offers whose detail we read
        self._searched_again: set[str] = set()  # lines that had their one more search round
        self._rounds: dict[str, int] = defaultdict(int)
        self._orders: dict[str, OrderSnapshot] = {}
        self._children: dict[str, workflow.ChildWorkflowHandle] = {}
        self._outcomes: list[OrderOutcome] = []
        self._active = 0
        self._order_seq = 0
        self._committed = Decimal(0)
        self._cancel: CancelInput | None = None
        self._dirty = False
        self._finished = False
        self._published: tuple | None = None
        self._texts = TextCache()  # the Web UI's details, line by line
        self._recorded_stage: Stage | None = None
        self._v2 = True
        self._basket = True
        self._lean_history = True
        self._big_request = True  # BIG_REQUEST_PATCH
        self._reads = asyncio.Semaphore(READS_IN_FLIGHT)  # used under BIG_REQUEST_PATCH only
        self._solver_activity = True  # BASKET_ACTIVITY_PATCH

    # --- messages -----------------------------------------------------------------------------

    @workflow.query(name=messages.STATE_QUERY, description="Everything about this request: lines, candidates, orders, money, goods.")
    def state(self) -> ProcurementState:
        self._state.orders = list(self._orders.values())
        return self._state

    @workflow.signal(name=ORDER_PROGRESS_SIGNAL, description="A supplier order reports where it stands.")
    def order_progress(self, snapshot: OrderSnapshot) -> None:
        self._orders[snapshot.out_order_id] = snapshot
        self._dirty = True

    @workflow.update(name=messages.APPROVE_UPDATE, description="Release the payments waiting for approval.")
    async def approve(self, approval: ApproveInput) -> ApproveResult:
        released = [o for o in self._orders.values() if o.status == OrderStatus.AWAITING_APPROVAL]
        for order in released:
            child = self._children.get(order.out_order_id)  # a handler may raise nothing but ApplicationError
            if child is not None:
                await child.signal(messages.APPROVE_UPDATE, approval)
        return ApproveResult(released=[o.order_id or o.out_order_id for o in released])

    @approve.validator
    def _validate_approve(self, approval: ApproveInput) -> None:
        problems = messages.approval_problems(list(self._orders.values()))
        if problems:
            raise ApplicationError("; ".join(problems), type="InvalidApproval", non_retryable=True)

    @workflow.update(name=messages.CANCEL_UPDATE, description="Cancel what is not paid yet; says what could not be cancelled.")
    async def cancel(self, cancel: CancelInput) -> CancelResult:
        self._cancel = cancel
        self._state.cancel_reason = cancel.reason
        self._dirty = True
        cancelled: list[str] = []
        kept: list[NotCancelled] = []
        asked: list[str] = []
        for order in list(self._orders.values()):
            if order.status.is_final:
                continue
            if order.status in _CANCELLABLE:
                # An order whose workflow is still starting has no handle yet: `_place_and_follow`
                # passes the cancel on as soon as it starts (and orders placed later never start).
                child = self._children.get(order.out_order_id)
                if child is not None:
                    await child.signal(messages.CANCEL_UPDATE, cancel)
                asked.append(order.out_order_id)
                if not self._v2:
                    cancelled.append(order.order_id or order.out_order_id)
            else:
                why = "payment in progress" if order.status == OrderStatus.PAYING else f"already paid ({order.status.value})"
                kept.append(NotCancelled(order_id=order.order_id, out_order_id=order.out_order_id, reason=why))
        if not self._v2:
            return CancelResult(cancelled=cancelled, not_cancelled=kept)
        # "cancelled" only once 1688 confirmed it: wait a little for each order's word.
        def settled() -> bool:
            return all(self._orders[o].status.is_final or self._orders[o].status.is_paid for o in asked)
        try:
            await workflow.wait_condition(settled, timeout=self._input.config.timing.cancel_confirm_timeout,
                                          timeout_summary="1688 confirming the cancellation")
        except asyncio.TimeoutError:
            pass
        for out_order_id in asked:
            order = self._orders[out_order_id]
            if order.status == OrderStatus.CANCELLED:
                cancelled.append(order.order_id or order.out_order_id)
            elif order.status.is_paid:
                kept.append(NotCancelled(order_id=order.order_id, out_order_id=out_order_id,
                                         reason=f"already paid ({order.status.value})"))
            else:
                why = ("payment in progress" if order.status == OrderStatus.PAYING
                       else "cancel requested; 1688 has not confirmed it yet")
                kept.append(NotCancelled(order_id=order.order_id, out_order_id=out_order_id, reason=why))
        return CancelResult(cancelled=cancelled, not_cancelled=kept)

    @cancel.validator
    def _validate_cancel(self, cancel: CancelInput) -> None:
        problems = messages.cancel_problems(self._finished, self._cancel is not None)
        if problems:
            raise ApplicationError("; ".join(problems), type="InvalidCancel", non_retryable=True)

    # --- the story ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: ProcurementInput) -> ProcurementState:
        # The newest patch first: with it, every earlier one is in force (one marker, not three);
        # a history recorded before it replays each earlier patch as recorded.
        self._solver_activity = workflow.patched(BASKET_ACTIVITY_PATCH)
        self._big_request = self._solver_activity or workflow.patched(BIG_REQUEST_PATCH)
        self._lean_history = self._big_request or workflow.patched(LEAN_HISTORY_PATCH)
        self._v2 = self._lean_history or workflow.patched(MONEY_PATCH)
        self._basket = self._lean_history or workflow.patched(BASKET_PATCH)
        request = input.request
        await record("record_request", RequestRecord(workflow_id=self._state.workflow_id, request=request),
                     summary=f"ledger: request {request.request_id}", alerts=self._state.alerts)
        await self._publish("searching 1688")
        await asyncio.gather(*(self._gather_listings(line) for line in request.lines))
        await self._load_history()
        self._pending = {l.line_id: l.quantity for l in request.lines if l.line_id not in self._unfulfilled_ids()}
        self._state.stage = Stage.ORDERING
        await self._plan_and_place(list(self._pending))
        while self._active or self._outcomes:
            await workflow.wait_condition(lambda: bool(self._outcomes) or self._active == 0 or self._dirty)
            self._dirty = False
            outcomes, self._outcomes = self._outcomes, []
            retry = self._take_outcomes(outcomes)
            if retry and self._cancel is None:
                await self._plan_and_place(retry)
            await self._publish()
        return await self._finish()

    def _pinning(self) -> bool:
        return self._lean_history or workflow.patched(RFQ_PIN_PATCH)

    async def _read(self, activity: str, arg: Any, result_type: type[T], *, task_queue: str, summary: str) -> T:
        """A sourcing read on 1688, waiting its turn among READS_IN_FLIGHT (BIG_REQUEST_PATCH)."""
        if not self._big_request:
            return await call_1688(activity, arg, result_type, task_queue=task_queue, summary=summary)
        async with self._reads:
            return await call_1688(activity, arg, result_type, task_queue=task_queue, summary=summary)

    async def _search(self, line: RequestLine, pages: int, label: str) -> list:
        """The search rows of up to ``pages`` pages (fewer when 1688 has fewer); raises ActivityError."""
        hits = []
        for page in range(1, pages + 1):
            result = await self._read(
                "search_offers",
                SearchQuery(keyword=line.keyword, page=page, price_min=line.price_min, price_max=line.price_max,
                            category_id=line.category_id),
                SearchResult, task_queue=self._input.config.alibaba_task_queue,
                summary=f"{label} {line.keyword} page {page}",
            )
            hits += result.hits
            if page >= result.total_pages:
                break
        return hits

    async def _gather_listings(self, line: RequestLine) -> None:
        """Search, then read the most promising offers, their sellers and their freight."""
        if line.offer_id is not None and self._pinning():
            self._seen[line.line_id].add(line.offer_id)
            listing = await self._listing(line, line.offer_id)
            self._assessed[line.line_id] = [listing] if listing is not None else []
            if listing is None:
                self._line(line.line_id).reason = f"the pinned offer {line.offer_id} could not be read on 1688"
            return
        try:
            hits = await self._search(line, self._input.config.search_pages, "search")
        except ActivityError as error:
            self._line(line.line_id).reason = f"search failed: {(refusal(error) or ('', str(error)))[1]}"
            self._line(line.line_id).status = LineStatus.UNFULFILLED
            return
        picks = promising(hits, line.quantity, line.max_moq, self._input.config.details_per_line)
        self._seen[line.line_id].update(hit.offer_id for hit in picks)
        listings = await asyncio.gather(*(self._listing(line, hit.offer_id) for hit in picks))
        self._assessed[line.line_id] = [l for l in listings if l is not None]
        if not hits:
            self._line(line.line_id).reason = f"no offer on 1688 matches {line.keyword!r} in the price range"

    async def _search_again(self, line: RequestLine) -> int:
        """One more search round for a line whose candidates ran out (stock gone, offers closed):
        similar goods within the request's price range, offers not read before; how many came."""
        if line.offer_id is not None and self._pinning():
            return 0  # a pinned line buys from its offer or not at all
        config = self._input.config
        try:
            hits = await self._search(line, 2 * config.search_pages, "search again:")
        except ActivityError:
            return 0
        known = self._seen[line.line_id] | self._failed[line.line_id]
        picks = promising([h for h in hits if h.offer_id not in known], line.quantity, line.max_moq,
                          config.details_per_line)
        self._seen[line.line_id].update(hit.offer_id for hit in picks)
        found = [l for l in await asyncio.gather(*(self._listing(line, hit.offer_id) for hit in picks)) if l is not None]
        self._assessed[line.line_id] = self._assessed.get(line.line_id, []) + found
        return len(found)

    async def _listing(self, line: RequestLine, offer_id: str) -> Assessment | None:
        queue = self._input.config.alibaba_task_queue
        try:
            facts = await self._read("fetch_offer", offer_id, OfferFacts, task_queue=queue, summary=f"detail of offer {offer_id}")
        except ActivityError:
            return None  # offline or unreadable: the offer simply is not a candidate
        if self._lean_history:
            # The seller and the freight both need only the offer: asked together, one round trip.
            supplier, freight = await asyncio.gather(self._supplier(facts.offer.supplier_id), self._freight(line, offer_id))
            if supplier is None:
                return None
        else:
            supplier = await self._supplier(facts.offer.supplier_id)
            if supplier is None:
                return None
            freight = await self._freight(line, offer_id)
        listing = Listing(offer=facts.offer, supplier=self._seller(supplier, facts.mix_batch), freight=freight)
        return assess(line, listing, needs_vat_invoice=self._input.request.needs_vat_invoice)

    def _seller(self, supplier: SupplierProfile, mix_batch: MixBatchRule | None) -> SupplierProfile:
        """The seller's profile with the offer's mixed-batch terms, one object per seller and terms:
        ranking judges a seller once per object, not once per listing."""
        key = (supplier.supplier_id, None if mix_batch is None else tuple(mix_batch.__dict__.items()))
        shared = self._sellers.get(key)
        if shared is None:
            shared = self._sellers[key] = supplier.model_copy(update={"mix_batch": mix_batch})
        return shared

    async def _freight(self, line: RequestLine, offer_id: str) -> EstimatedFreight | None:
        delivery = self._input.request.delivery
        try:
            quote = await self._read(
                "estimate_freight",
                FreightQuery(offer_id=offer_id, quantity=max(line.quantity, 1), province=delivery.province, city=delivery.city),
                FreightQuote, task_queue=self._input.config.alibaba_task_queue,
                summary=f"freight of offer {offer_id} x{line.quantity}",
            )
        except ActivityError:
            return None  # no estimate: the offer's own freight rule (or none) is used
        return EstimatedFreight(amount=quote.freight, quantity=quote.quantity) if quote is not None else None

    async def _supplier(self, supplier_id: str) -> SupplierProfile | None:
        if supplier_id not in self._suppliers:
            self._suppliers[supplier_id] = asyncio.ensure_future(self._fetch_supplier(supplier_id))
        return await self._suppliers[supplier_id]

    async def _fetch_supplier(self, supplier_id: str) -> SupplierProfile | None:
        try:
            return await self._read("fetch_supplier", supplier_id, SupplierProfile,
                                   task_queue=self._input.config.alibaba_task_queue, summary=f"profile of supplier {supplier_id}")
        except ActivityError:
            return None

    async def _load_history(self) -> None:
        ids = sorted({a.listing.supplier.supplier_id for line in self._assessed.values() for a in line})
        if ids:
            self._history = await record("load_supplier_history", ids, summary="our record of these suppliers",
                                         result_type=dict[str, SupplierHistory], alerts=self._state.alerts) or {}

    def _source(self, line: RequestLine, judge: SupplierJudge) -> LineSourcing:
        request = self._input.request
        failed = self._failed[line.line_id]
        # Assessed at the line's quantity when they arrived; a line bought again for the pieces
        # still missing is judged afresh for that quantity (a few lines, not the whole request).
        assessed = [
            a if a.quantity == line.quantity else assess(line, a.listing, needs_vat_invoice=request.needs_vat_invoice)
            for a in self._assessed.get(line.line_id, []) if a.listing.offer.offer_id not in failed
        ]
        return rank_line(line, assessed, judge, top_n=request.top_n)

    async def _choose_basket(self, request: BasketTerms, sourcings: list[LineSourcing]) -> BasketChoice:
        """The basket: in this task when it is small and quick, else from the solver's local
        activity (BASKET_ACTIVITY_PATCH), whose answer the history keeps."""
        if not self._solver_activity:
            return choose_basket(request, sourcings)
        if len(request.lines) <= SOLVED_INLINE_LINES:
            quick = choose_basket(request, sourcings, node_budget=SOLVED_INLINE_NODES)
            if quick.optimal:
                return quick
        return await workflow.execute_local_activity(
            "choose_basket", BasketQuestion.of(request, sourcings), result_type=BasketChoice,
            start_to_close_timeout=SOLVER_TIMEOUT,
            # A pure function: a failure is a bug, shown on the activity's attempts, not a reason to give up.
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)),
            summary=f"basket of {len(sourcings)} line(s)",
        )

    async def _plan_and_place(self, line_ids: list[str]) -> None:
        """Rank the lines for the pieces still missing, plan orders, and start placing them."""
        request = self._input.request
        lines = [request.line(i).model_copy(update={"quantity": self._pending[i]}) for i in line_ids]  # type: ignore[union-attr]
        judge = SupplierJudge(request.supplier_policy, workflow.now().date(), self._history)
        sourcings = [self._source(line, judge) for line in lines]
        if self._basket:
            # Exact within a node budget, not a clock: the same histories give the same basket.
            basket = await self._choose_basket(request.model_copy(update={"lines": lines}), sourcings)
            plan = basket.plan
            if self._state.savings is None:
                self._state.savings = Savings(
                    total=plan.total, headline_total=basket.headline_total, own_best_total=basket.own_best_total,
                    per_line_plan_total=basket.per_line_plan_total, optimal=basket.optimal, gap=basket.gap)
        else:
            plan = plan_orders(request.model_copy(update={"lines": lines}), sourcings)
        for sourcing in sourcings:
            state = self._line(sourcing.line_id)
            # Bounded by design: the workflow's state (query, result, ledger outcome) keeps the best
            # few; every ranked offer is in the ledger (record_sourcing below).
            state.candidates = [_chosen(c) for c in sourcing.ranked[:CANDIDATES_KEPT]]
            state.ranked = len(sourcing.ranked)
            state.excluded = len(sourcing.excluded)
        chosen = {pl.line_id: pl.offer_id for order in plan.orders for pl in order.lines}
        records = []
        for sourcing in sourcings:
            line_state = self._line(sourcing.line_id)
            pick = next((c for c in sourcing.ranked if c.offer_id == chosen.get(sourcing.line_id)), None)
            line_state.chosen = _chosen(pick) if pick else line_state.chosen
            if pick is not None and all(c.offer_id != pick.offer_id for c in line_state.candidates):
                line_state.candidates.append(_chosen(pick))
            write = record("record_sourcing", SourcingRecord(
                workflow_id=self._state.workflow_id, sourcing_round=self._rounds[sourcing.line_id], sourcing=sourcing,
                chosen_offer_id=chosen.get(sourcing.line_id)), summary=f"ledger: sourcing of line {sourcing.line_id}", alerts=self._state.alerts)
            self._rounds[sourcing.line_id] += 1
            if self._big_request:
                records.append(write)  # written together below (BIG_REQUEST_PATCH)
            else:
                await write
        await asyncio.gather(*records)
        again: list[str] = []
        for unplanned in plan.unplanned:
            if self._v2 and self._failed[unplanned.line_id] and unplanned.line_id not in self._searched_again:
                again.append(unplanned.line_id)  # its candidates ran out: look once more, then give up
            else:
                self._give_up(unplanned.line_id, unplanned.reason)
        for line_id in again:
            self._searched_again.add(line_id)
            line = request.line(line_id)
            found = await self._search_again(line)
            self._line(line_id).reason = (f"every ranked offer failed; searched 1688 again for similar goods "
                                          f"within the price range: {found} new offer(s)")
        if again:
            await self._load_history()
            await self._plan_and_place(again)
        budget = request.budget
        for order in plan.orders:
            if budget is not None and self._committed + order.total > budget:
                for pl in order.lines:
                    self._give_up(pl.line_id, f"buying it from {order.supplier_id} ({order.total:.2f} yuan with freight) "
                                              f"would exceed the budget of {budget:.2f} yuan")
                continue
            self._committed += order.total
            self._active += 1
            asyncio.ensure_future(self._place(order))

    async def _place(self, planned: PlannedOrder) -> None:
        outcomes: list[OrderOutcome] = []
        try:
            outcomes = await self._place_and_follow(planned)
        except Exception as error:  # noqa: BLE001 - every failure must end as a reason, not a hang
            cause = refusal(error)
            why = f"{cause[0]}: {cause[1]}" if cause else str(error)
            lines = [LineOutcome(line_id=pl.line_id, offer_id=pl.offer_id, reason=f"order failed: {why}") for pl in planned.lines]
            outcomes = [OrderOutcome(order=OrderSnapshot(out_order_id="-", supplier_id=planned.supplier_id,
                                                         status=OrderStatus.FAILED), lines=lines)]
        finally:
            # The plan's figure was held against the budget while the order was open; what stays
            # committed is what was actually paid and not refunded.
            self._committed -= planned.total
            for outcome in outcomes:
                if self._v2:
                    # Money counts until 1688 shows it back (domain/budget.py), failures included.
                    share = outcome.order.amount if len(outcomes) > 1 else planned.total
                    self._committed += committed_by(outcome.order, Decimal(share))
                elif outcome.order.status.is_paid:
                    refunded = outcome.order.refund.amount if outcome.order.refund else Decimal(0)
                    self._committed += Decimal(outcome.order.amount) - Decimal(refunded)
            self._outcomes += outcomes
            self._active -= 1

    async def _place_and_follow(self, planned: PlannedOrder) -> list[OrderOutcome]:
        request = self._input.request
        queue = self._input.config.alibaba_task_queue
        self._order_seq += 1
        n = self._order_seq
        out_order_id = f"{self._state.workflow_id}-{n}"
        order_lines = [OrderLine(line_id=pl.line_id, offer_id=pl.offer_id, spec_id=pl.spec_id, quantity=pl.quantity,
                                 unit_price=pl.unit_price) for pl in planned.lines]
        order_request = OrderRequest(out_order_id=out_order_id, supplier_id=planned.supplier_id, lines=order_lines,
                                     delivery=request.delivery, needs_vat_invoice=request.needs_vat_invoice,
                                     message=f"purchase request {request.request_id}")
        if self._cancel is not None:
            return [self._not_placed(planned, f"cancelled before ordering: {self._cancel.reason}", retry=False)]

        preview = await call_1688("preview_order", order_request, OrderPreviewResult, task_queue=queue,
                                  summary=f"check order for {planned.supplier_id} ({len(planned.lines)} lines)")
        if preview.refused_all:
            return [self._not_placed(planned, f"1688 refused the order: {preview.refused_all}", retry=True)]
        refused = {r.offer_id: r.reason for r in preview.refused}
        if refused:
            # Only the refused offers fail; the other lines are planned again (maybe the same order).
            return [self._not_placed(planned, None, retry=True, refused=refused)]
        if self._cancel is not None:
            return [self._not_placed(planned, f"cancelled before ordering: {self._cancel.reason}", retry=False)]

        placed = await call_1688("create_order", order_request, PlacedOrder, task_queue=queue,
                                 summary=f"create order {out_order_id} for {planned.supplier_id}")
        refused = {r.offer_id: r.reason for r in placed.refused}
        refused_lines = [
            LineOutcome(line_id=pl.line_id, offer_id=pl.offer_id, failed_qty=pl.quantity,
                        reason=f"1688 refused offer {pl.offer_id}: {refused[pl.offer_id]}")
            for pl in planned.lines if pl.offer_id in refused
        ]
        ordered = [pl for pl in planned.lines if pl.offer_id not in refused]
        if placed.order_id is None or not ordered:
            return [OrderOutcome(order=OrderSnapshot(out_order_id=out_order_id, supplier_id=planned.supplier_id,
                                                     status=OrderStatus.FAILED, reason="nothing was ordered"), lines=refused_lines)]
        if self._v2 and len(placed.all_parts()) > 1:
            # 1688 split the purchase into several orders: each is paid, shipped and inspected on
            # its own, so each gets its own order workflow.
            groups = await self._lines_per_part(placed.all_parts(), ordered)
            parts = placed.all_parts()
            outcomes = await asyncio.gather(*(
                self._follow_part(planned, n, k, part, groups[part.order_id], order_lines,
                                  planned_freight_of_part(Decimal(preview.freight), parts, k))
                for k, part in enumerate(parts) if groups[part.order_id]))
            outcomes[0].lines += refused_lines
            return list(outcomes)
        part = PlacedPart(order_id=placed.order_id, total=placed.total, freight=placed.freight)
        outcome = await self._follow_part(planned, n, 0, part, ordered, order_lines, Decimal(preview.freight))
        outcome.lines += refused_lines
        return [outcome]

    async def _lines_per_part(self, parts: list[PlacedPart], ordered: list) -> dict[str, list]:
        """Which planned lines each 1688 order holds: as the create said, or read from the order."""
        groups: dict[str, list] = {p.order_id: [] for p in parts}
        offers_of: dict[str, set[str]] = {}
        for part in parts:
            if part.offer_ids:
                offers_of[part.order_id] = set(part.offer_ids)
            else:
                view = await call_1688("get_order", part.order_id, OrderView, task_queue=self._input.config.alibaba_task_queue,
                                       summary=f"which lines order {part.order_id} holds")
                offers_of[part.order_id] = {e.offer_id for e in view.entries if e.offer_id}
        for pl in ordered:
            home = next((p.order_id for p in parts if pl.offer_id in offers_of[p.order_id]), parts[0].order_id)
            groups[home].append(pl)
        return groups

    async def _follow_part(self, planned: PlannedOrder, n: int, k: int, part: PlacedPart, ordered: list,
                           order_lines: list[OrderLine], planned_freight: Decimal) -> OrderOutcome:
        """Hand one 1688 order to its order workflow and wait for it to end."""
        request = self._input.request
        out_order_id = f"{self._state.workflow_id}-{n}" + (f".{k + 1}" if k else "")
        workflow_id = messages.order_workflow_id(request.request_id, n) + (f"-{k + 1}" if k else "")
        offers = {pl.offer_id for pl in ordered}
        goods = sum((Decimal(pl.goods_total) for pl in ordered), Decimal(0))
        tax = sum((Decimal(pl.tax) for pl in ordered), Decimal(0))
        snapshot = OrderSnapshot(
            out_order_id=out_order_id, order_id=part.order_id, supplier_id=planned.supplier_id,
            goods_amount=goods, freight=part.freight or Decimal(0), amount=part.total,
            # The plan's freight belongs to the first order of a split: a second parcel of freight is a drift.
            quoted_amount=goods + tax + (Decimal(planned.freight) if k == 0 else Decimal(0)),
            lines=[l for l in order_lines if l.offer_id in offers],
            workflow_id=workflow_id,
        )
        self._orders[out_order_id] = snapshot
        await record("record_order", OrderRecord(workflow_id=self._state.workflow_id, request_id=request.request_id, order=snapshot),
                     summary=f"ledger: order {part.order_id}", alerts=self._state.alerts)
        for pl in ordered:
            line = self._line(pl.line_id)
            line.status = LineStatus.ORDERED
            if pl.offer_id not in line.tried_offers or k == 0:
                line.tried_offers.append(pl.offer_id)
        await self._publish()
        handle = await workflow.start_child_workflow(
            SupplierOrderWorkflow.run,
            SupplierOrderInput(
                request_id=request.request_id, parent_workflow_id=self._state.workflow_id, order=snapshot,
                approval_threshold=request.approval_threshold,
                quoted_unit_prices={pl.line_id: (Decimal(pl.goods_total) + Decimal(pl.tax)) / pl.quantity for pl in ordered},
                config=self._input.config, planned_freight=planned_freight,
            ),
            id=workflow_id,
            static_summary=f"{request.request_id}: 1688 order {part.order_id} from {planned.supplier_id}, {part.total:.2f} yuan",
            # Visible in the Web UI from its start, without an upsert of its own.
            search_attributes=TypedSearchAttributes(order_search_attributes(request.request_id, snapshot))
            if self._lean_history else None,
        )
        self._children[out_order_id] = handle
        if self._cancel is not None:
            await handle.signal(messages.CANCEL_UPDATE, self._cancel)
        try:
            outcome: OrderOutcome = await handle
        except ChildWorkflowError as error:
            # The order may be paid: never buy its lines again blindly; say what happened.
            failed = self._orders[out_order_id].model_copy(update={"status": OrderStatus.FAILED, "reason": str(error.cause or error)})
            self._orders[out_order_id] = failed
            return OrderOutcome(order=failed, lines=[
                LineOutcome(line_id=l.line_id, offer_id=l.offer_id, reason=f"order {part.order_id} failed: {failed.reason}")
                for l in failed.lines])
        self._orders[out_order_id] = outcome.order
        return OrderOutcome(order=outcome.order, lines=list(outcome.lines))

    def _not_placed(self, planned: PlannedOrder, reason: str | None, *, retry: bool,
                    refused: dict[str, str] | None = None) -> OrderOutcome:
        lines = []
        for pl in planned.lines:
            if refused is not None:
                failed = pl.offer_id in refused
                why = f"1688 refused offer {pl.offer_id}: {refused[pl.offer_id]}" if failed else None
                lines.append(LineOutcome(line_id=pl.line_id, offer_id=pl.offer_id, failed_qty=pl.quantity,
                                         reason=why, offer_failed=failed))
            else:
                lines.append(LineOutcome(line_id=pl.line_id, offer_id=pl.offer_id,
                                         failed_qty=pl.quantity if retry else 0, reason=reason))
        return OrderOutcome(order=OrderSnapshot(out_order_id="-", supplier_id=planned.supplier_id, status=OrderStatus.CANCELLED,
                                                reason=reason), lines=lines)

    def _take_outcomes(self, outcomes: list[OrderOutcome]) -> list[str]:
        """Book what each order did per line; return the lines to buy again."""
        retry: list[str] = []
        for outcome in outcomes:
            for lo in outcome.lines:
                line = self._line(lo.line_id)
                line.received_qty += lo.received_qty
                if lo.failed_qty > 0:
                    if lo.offer_failed:
                        self._failed[lo.line_id].add(lo.offer_id)
                    if lo.reason:
                        line.reason = lo.reason
                    if self._cancel is not None:
                        self._give_up(lo.line_id, f"cancelled: {self._cancel.reason}")
                        continue
                    self._pending[lo.line_id] = lo.failed_qty
                    if lo.line_id not in retry:
                        retry.append(lo.line_id)
                elif lo.received_qty == 0 and lo.reason:
                    self._give_up(lo.line_id, lo.reason)
                else:
                    self._pending.pop(lo.line_id, None)
                    line.status = LineStatus.RECEIVED if line.received_qty >= line.quantity else LineStatus.PARTIALLY_RECEIVED
        return retry

    def _give_up(self, line_id: str, reason: str) -> None:
        line = self._line(line_id)
        self._pending.pop(line_id, None)
        line.reason = reason
        if self._cancel is not None and line.received_qty == 0:
            line.status = LineStatus.CANCELLED
        else:
            line.status = LineStatus.PARTIALLY_RECEIVED if line.received_qty else LineStatus.UNFULFILLED

    def _line(self, line_id: str) -> LineState:
        return next(l for l in self._state.lines if l.line_id == line_id)

    def _unfulfilled_ids(self) -> set[str]:
        return {l.line_id for l in self._state.lines if l.status == LineStatus.UNFULFILLED}

    async def _finish(self) -> ProcurementState:
        state = self._state
        for line in state.lines:
            if line.status in (LineStatus.SOURCING, LineStatus.ORDERED):
                self._give_up(line.line_id, line.reason or "no eligible offer could be bought")
        received = [l for l in state.lines if l.received_qty > 0]
        if self._cancel is not None:
            state.stage = Stage.CANCELLED
        elif not received:
            state.stage = Stage.FAILED
        else:
            state.stage = Stage.COMPLETED
            missing = [l for l in state.lines if l.status != LineStatus.RECEIVED]
            if missing:
                state.alerts.append("partially fulfilled: " + "; ".join(f"line {l.line_id}: {l.reason}" for l in missing))
        self._finished = True
        await self._publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _publish(self, next_step: str = "") -> None:
        state = self._state
        state.orders = list(self._orders.values())
        if not self._finished and state.stage not in (Stage.SOURCING,):
            state.stage = stage_of_orders([o.status for o in state.orders]) or (
                Stage.ORDERING if self._active or self._pending else state.stage)
        if self._v2:
            # Open orders first, so what ops look for now is always in the (bounded) lists; each
            # order's own workflow carries its order id and supplier in any case.
            ranked = sorted(state.orders, key=lambda o: (o.status.is_final, o.out_order_id))
            suppliers = sa.bounded_keywords(sorted({o.supplier_id for o in ranked if not o.status.is_final})
                                            + sorted({o.supplier_id for o in ranked}))
            order_ids = sa.bounded_keywords(o.order_id for o in ranked if o.order_id)
        else:
            suppliers = sorted({o.supplier_id for o in state.orders})
            order_ids = sorted({o.order_id for o in state.orders if o.order_id})
        blocked = next((o.blocked for o in state.orders if o.blocked and not o.status.is_final), None)
        amount = float(sum((Decimal(o.amount) for o in state.orders if o.status.is_paid), Decimal(0)))
        key = (state.stage, tuple(suppliers), tuple(order_ids), amount, blocked)
        if key != self._published:
            shown = self._published is not None and self._published[4] is not None
            self._published = key
            request = self._input.request
            updates = [
                sa.REQUEST_ID.value_set(request.request_id),
                sa.REQUESTER.value_set(request.requester or ""),
                sa.STAGE.value_set(state.stage.value),
                sa.SUPPLIERS.value_set(suppliers),
                sa.ORDER_IDS.value_set(order_ids),
                sa.AMOUNT.value_set(amount),
            ]
            if blocked is not None or shown:  # a healthy procurement never touches it
                updates.append(sa.alert_update(blocked))
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(procurement_details(state, next_step, self._texts))
        if state.stage != self._recorded_stage:
            self._recorded_stage = state.stage
            await record("record_stage", StageRecord(workflow_id=state.workflow_id, stage=state.stage.value,
                                                     outcome=state if self._finished else None),
                         summary=f"ledger: stage {state.stage.value}", alerts=self._state.alerts)
