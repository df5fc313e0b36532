"""`RfqWorkflow`: ask factories for a quote on a custom part, pick the best, and buy from it.

The story: find the factories (named by the buyer, or the sellers of the first offers a search
finds) and read their profiles; send one inquiry to all of them through 1688; read the
quotations as they arrive until every factory has answered or the deadline passes (a factory may
revise its quote: the later one stands); close the inquiry; compare the quotes by the documented
weights (domain/quotation.py); then award: at once when the winning total is within the buyer's
threshold, otherwise after a person confirms (the `award` update). An award starts a normal
procurement pinned to the winner's offer; when nobody qualifies, the RFQ ends saying why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain import messages
    from domain.procurement import ProcurementInput
    from domain.quotation import Factory, Quote, RfqRequest, Scored, compare_quotes, latest_quotes
    from domain.request import PurchaseRequest
    from domain.rfq import (
        AWARD_UPDATE, RFQ_WORKFLOW, AwardInput, AwardResult, InquiryClose, InquiryPost, RfqInput, RfqRecord, RfqStage,
        RfqState,
        award_problems, rfq_procurement_request_id,
    )
    from domain.search import SearchQuery, SearchResult
    from domain.supplier import SupplierProfile
    from domain.supplier_score import supplier_score
    from workflows import search_attributes as sa
    from workflows.steps import call_1688, failure_text, record

# Search pages read when the buyer asks us to find the factories.
_SEARCH_PAGES = 2


@workflow.defn(name=RFQ_WORKFLOW)
class RfqWorkflow:
    @workflow.init
    def __init__(self, input: RfqInput) -> None:
        self._input = input
        self._state = RfqState(rfq_id=input.rfq.rfq_id, workflow_id=workflow.info().workflow_id)
        self._award: AwardInput | None = None
        self._published: tuple | None = None

    @workflow.query(name=messages.STATE_QUERY, description="The factories asked, every quote, the comparison, the award.")
    def state(self) -> RfqState:
        return self._state

    @workflow.update(name=AWARD_UPDATE, description="Confirm (or refuse) the award of a quote above the threshold.")
    def award(self, award: AwardInput) -> AwardResult:
        # The decision is taken here; the run carries it out (starts the procurement) at once.
        self._award = award
        if award.reject:
            return AwardResult(stage=RfqStage.NOT_AWARDED)
        winner = self._state.comparison.winner if self._state.comparison else None
        return AwardResult(
            stage=RfqStage.AWARDED, supplier_id=award.supplier_id or (winner.supplier_id if winner else None),
            procurement_workflow_id=messages.procurement_workflow_id(rfq_procurement_request_id(self._state.rfq_id)))

    @award.validator
    def _validate_award(self, award: AwardInput) -> None:
        problems = award_problems(self._state, award) or (["an award was already given"] if self._award else [])
        if problems:
            raise ApplicationError("; ".join(problems), type="InvalidAward", non_retryable=True)

    # --- the story ----------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: RfqInput) -> RfqState:
        rfq = input.rfq
        self._publish()
        factories = await self._find_factories(rfq)
        if not factories:
            return await self._end(self._state.reason or "no factory could be asked")
        self._state.factories = factories
        deadline = workflow.now() + rfq.deadline
        self._state.deadline = deadline
        try:
            buy_offer_id = await call_1688(
                "send_inquiry", InquiryPost(rfq=rfq, login_ids=[f.login_id for f in factories], expires_at=deadline),
                str, task_queue=input.config.alibaba_task_queue, summary=f"inquiry to {len(factories)} factories",
            )
        except ActivityError as error:
            return await self._end(f"the inquiry could not be sent: {failure_text(error)[1]}")
        self._state.buy_offer_id = buy_offer_id
        self._state.stage = RfqStage.COLLECTING_QUOTES
        self._publish()
        await self._collect(buy_offer_id, deadline)
        try:
            await call_1688("close_inquiry", InquiryClose(buy_offer_id=buy_offer_id, reason="quotes compared"), type(None),
                            task_queue=input.config.alibaba_task_queue, summary=f"close inquiry {buy_offer_id}")
        except ActivityError as error:  # quotes after this are ignored anyway: say so, go on
            self._state.alerts.append(f"inquiry {buy_offer_id} could not be closed: {failure_text(error)[1]}")
        comparison = compare_quotes(rfq, self._state.quotes, factories, workflow.now())
        self._state.comparison = comparison
        await self._record()
        winner = comparison.winner
        if winner is None:
            return await self._end(f"nobody qualified: {comparison.why_nobody()}")
        chosen, by = winner, "automatic (within the award threshold)"
        if rfq.award_threshold is not None and winner.total > rfq.award_threshold:
            self._state.stage = RfqStage.AWAITING_AWARD
            self._publish(f"{winner.supplier_id} quotes {winner.total} yuan, above {rfq.award_threshold}: waiting for a person")
            try:
                await workflow.wait_condition(lambda: self._award is not None, timeout=input.config.award_timeout,
                                              timeout_summary="a person confirming the award")
            except TimeoutError:
                return await self._end(f"nobody confirmed the award within {input.config.award_timeout}")
            assert self._award is not None
            if self._award.reject:
                return await self._end(f"award refused by {self._award.by}: {self._award.reason or 'no reason given'}")
            by = self._award.by
            chosen = next(s for s in comparison.ranked if s.supplier_id == (self._award.supplier_id or winner.supplier_id))
        await self._buy(rfq, chosen, by)
        await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    async def _find_factories(self, rfq: RfqRequest) -> list[Factory]:
        queue = self._input.config.alibaba_task_queue
        ids = list(rfq.factories)
        if rfq.search_keyword and len(ids) < rfq.max_factories:
            for page in range(1, _SEARCH_PAGES + 1):
                try:
                    result = await call_1688("search_offers", SearchQuery(keyword=rfq.search_keyword, page=page),
                                             SearchResult, task_queue=queue, summary=f"search {rfq.search_keyword} page {page}")
                except ActivityError:
                    break
                ids += [h.supplier_id for h in result.hits if h.supplier_id and h.supplier_id not in ids]
                if page >= result.total_pages or len(ids) >= rfq.max_factories:
                    break
        policy = rfq.supplier_policy
        factories: list[Factory] = []
        refused: list[str] = []
        for supplier_id in ids:
            if len(factories) >= rfq.max_factories:
                break
            if supplier_id in policy.blocked_suppliers:
                refused.append(f"{supplier_id}: blocked")
                continue
            try:
                profile = await call_1688("fetch_supplier", supplier_id, SupplierProfile, task_queue=queue,
                                          summary=f"profile of factory {supplier_id}")
            except ActivityError as error:
                refused.append(f"{supplier_id}: {failure_text(error)[1]}")
                continue
            score = supplier_score(profile)
            if profile.years < policy.min_years or score < policy.min_score or not profile.login_id:
                refused.append(f"{supplier_id}: outside the supplier policy" if profile.login_id else f"{supplier_id}: no login name")
                continue
            factories.append(Factory(supplier_id=supplier_id, login_id=profile.login_id,
                                     company_name=profile.company_name, score=score))
        if not factories:
            self._state.reason = "no factory could be asked" + (f": {'; '.join(refused)}" if refused else "")
        return factories

    async def _collect(self, buy_offer_id: str, deadline: datetime) -> None:
        """Read the quotations on a timer until every factory answered or the deadline passed."""
        config = self._input.config
        by_login = {f.login_id: f.supplier_id for f in self._state.factories}
        seen: set[str] = set()
        while True:
            try:
                arrived = await call_1688("read_quotations", buy_offer_id, list[Quote], task_queue=config.alibaba_task_queue,
                                          summary=f"quotations of inquiry {buy_offer_id}")
            except ActivityError as error:
                arrived = []
                self._state.alerts.append(f"quotations could not be read: {failure_text(error)[1]}")
            for quote in arrived:
                supplier_id = by_login.get(quote.supplier_id)
                # Late quotes never reach us: 1688 takes none after the inquiry's expiry (our
                # deadline), and we stop reading at the deadline and close the inquiry.
                if supplier_id is None or quote.quotation_id in seen:
                    continue
                seen.add(quote.quotation_id)
                self._state.quotes.append(quote.model_copy(update={"supplier_id": supplier_id}))
            answered = latest_quotes(self._state.quotes)
            self._publish(f"{len(answered)} of {len(by_login)} factories answered")
            remaining = deadline - workflow.now()
            if len(answered) == len(by_login) or remaining <= timedelta(0):
                return
            await workflow.sleep(min(config.poll_interval, remaining), summary="waiting for quotations")

    async def _buy(self, rfq: RfqRequest, chosen: Scored, by: str) -> None:
        request = PurchaseRequest.model_validate({
            "request_id": rfq_procurement_request_id(rfq.rfq_id),
            "requester": rfq.requester,
            "lines": [{"line_id": "1", "keyword": rfq.subject, "quantity": rfq.quantity, "offer_id": chosen.offer_id,
                       "price_max": str(chosen.unit_price)}],
            "supplier_policy": rfq.supplier_policy.model_dump(mode="json"),
            "delivery": rfq.delivery.model_dump(mode="json"),
        })
        workflow_id = messages.procurement_workflow_id(request.request_id)
        try:
            await self._start_procurement(request, workflow_id, rfq, chosen)
        except WorkflowAlreadyStartedError:
            # Someone started a purchase request of that id by hand: buy nothing twice, say so.
            await self._end(f"{workflow_id} exists already; the award to {chosen.supplier_id} started nothing")
            return
        self._state.awarded_to = chosen.supplier_id
        self._state.awarded_by = by
        self._state.award_total = chosen.total
        self._state.procurement_workflow_id = workflow_id
        self._state.stage = RfqStage.AWARDED
        self._publish(f"awarded to {chosen.supplier_id}; procurement {workflow_id}")

    async def _start_procurement(self, request: PurchaseRequest, workflow_id: str, rfq: RfqRequest, chosen: Scored) -> None:
        config = self._input.config
        await workflow.start_child_workflow(
            messages.PROCUREMENT_WORKFLOW,
            ProcurementInput(request=request, config=config.procurement),
            id=workflow_id,
            task_queue=config.procurement_task_queue or workflow.info().task_queue,
            # The purchase lives its own life (weeks); the RFQ's job ends with starting it.
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"{request.request_id}: {rfq.quantity} x {rfq.subject} from {chosen.supplier_id} (RFQ {rfq.rfq_id})",
        )

    async def _end(self, reason: str) -> RfqState:
        self._state.reason = reason
        self._state.stage = RfqStage.NOT_AWARDED
        self._publish(reason)
        await self._record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    async def _record(self) -> None:
        rfq = self._input.rfq
        await record("record_rfq", RfqRecord(subject=rfq.subject, requester=rfq.requester, state=self._state),
                     summary=f"ledger: RFQ {rfq.rfq_id} {self._state.stage.value}", alerts=self._state.alerts)

    def _publish(self, details: str = "") -> None:
        """Search attributes and current details, so the Web UI and `procure rfq list` see the RFQ."""
        state = self._state
        suppliers = sa.bounded_keywords(f.supplier_id for f in state.factories)
        key = (state.stage, tuple(suppliers))
        if key != self._published:
            self._published = key
            workflow.upsert_search_attributes([
                sa.REQUEST_ID.value_set(state.rfq_id),
                sa.REQUESTER.value_set(self._input.rfq.requester or ""),
                sa.STAGE.value_set(f"RFQ_{state.stage.value}"),
                sa.SUPPLIERS.value_set(suppliers),
            ])
        lines = [f"**RFQ {state.rfq_id}**: {self._input.rfq.subject}, stage {state.stage.value}"]
        if state.awarded_to:
            lines.append(f"awarded to {state.awarded_to} ({state.award_total} yuan), procurement {state.procurement_workflow_id}")
        if details:
            lines.append(details)
        workflow.set_current_details("\n\n".join(lines))
