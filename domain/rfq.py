"""The RFQ workflow's input, its state as people see it, and the award message.

Kept apart from domain/quotation.py (the comparison rule) so that the rule reads on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from domain.money import Yuan
from domain.procurement import ProcurementConfig
from domain.quotation import Comparison, Factory, Quote, RfqRequest

RFQ_WORKFLOW = "RfqWorkflow"
AWARD_UPDATE = "award"


def rfq_workflow_id(rfq_id: str) -> str:
    return f"rfq-{rfq_id}"


def rfq_procurement_request_id(rfq_id: str) -> str:
    """The purchase request an award starts (workflow id ``pr-{this}``): one per RFQ, ever."""
    return f"{rfq_id}-award"


class RfqStage(str, Enum):
    FINDING_FACTORIES = "FINDING_FACTORIES"
    COLLECTING_QUOTES = "COLLECTING_QUOTES"
    AWAITING_AWARD = "AWAITING_AWARD"
    AWARDED = "AWARDED"
    NOT_AWARDED = "NOT_AWARDED"


class RfqConfig(BaseModel):
    alibaba_task_queue: str = "alibaba1688"
    procurement_task_queue: str | None = None  # default: the RFQ's own queue
    procurement: ProcurementConfig = Field(default_factory=ProcurementConfig)  # for the procurement an award starts
    # 1688 tells of a new quotation by push (SUPPLIER_QUOTATION) and lists them on request; we
    # read the list on a durable timer, which also covers a lost push message.
    poll_interval: timedelta = timedelta(minutes=5)
    award_timeout: timedelta = timedelta(hours=48)  # how long a person may take to confirm


class RfqInput(BaseModel):
    rfq: RfqRequest
    config: RfqConfig = Field(default_factory=RfqConfig)


class InquiryPost(BaseModel):
    """What the send_inquiry step posts to 1688 (caigou.api.buyoffer.postBuyoffer)."""

    rfq: RfqRequest
    login_ids: list[str]
    expires_at: datetime


class InquiryClose(BaseModel):
    buy_offer_id: str
    reason: str


class AwardInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: str = Field(min_length=1, max_length=100)
    # Another qualified factory than the first-ranked one, when the person prefers it.
    supplier_id: str | None = Field(default=None, max_length=64)
    # True: nobody is awarded (the RFQ ends NOT_AWARDED with this person's reason).
    reject: bool = False
    reason: str | None = Field(default=None, max_length=500)


class AwardResult(BaseModel):
    stage: RfqStage
    supplier_id: str | None = None
    procurement_workflow_id: str | None = None


class RfqState(BaseModel):
    rfq_id: str
    workflow_id: str
    stage: RfqStage = RfqStage.FINDING_FACTORIES
    buy_offer_id: str | None = None
    factories: list[Factory] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)  # every quote read, revisions included
    deadline: datetime | None = None
    comparison: Comparison | None = None
    awarded_to: str | None = None
    awarded_by: str | None = None
    award_total: Yuan | None = None
    procurement_workflow_id: str | None = None
    reason: str | None = None  # why nobody was awarded
    alerts: list[str] = Field(default_factory=list)


def award_problems(state: RfqState, award: AwardInput) -> list[str]:
    """Why an award cannot be taken now (empty: it can)."""
    if state.stage != RfqStage.AWAITING_AWARD:
        return [f"the RFQ is {state.stage.value}, not waiting for an award"]
    if award.supplier_id is not None and not award.reject:
        ranked = {s.supplier_id for s in (state.comparison.ranked if state.comparison else [])}
        if award.supplier_id not in ranked:
            return [f"{award.supplier_id} has no qualified quote; qualified: {', '.join(sorted(ranked)) or 'none'}"]
    return []


class RfqRecord(BaseModel):
    """What the ledger keeps of an RFQ (ledger/rfqs.py): its state, and what it was about."""

    subject: str
    requester: str | None = None
    state: RfqState
