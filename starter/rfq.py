"""`procure rfq start|status|award`: a request for quotation from the command line (and the API).

The RFQ's workflow id comes from its id (`rfq-{rfq_id}`), so sending the same RFQ twice reports
the one that exists instead of asking the factories twice.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.problems import problems_from
from domain.quotation import RfqRequest
from domain.rfq import (
    AWARD_UPDATE, RFQ_WORKFLOW, AwardInput, AwardResult, RfqConfig, RfqInput, RfqStage, RfqState, rfq_workflow_id,
)
from domain.messages import STATE_QUERY
from runtime.settings import Settings
from starter.config import procurement_config
from starter.exit_status import BadInput, CommandError, Unreachable, bad_input, is_unreachable
from starter.render import table
from starter.status import QUERY_TIMEOUT, query_error
from starter.updates import send_update
from workflows import search_attributes as sa

MAX_RFQ_BYTES = 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="rfq_command", metavar="ACTION", required=True)
    start = commands.add_parser("start", help="validate an RFQ (JSON or YAML) and send it to the factories")
    start.add_argument("file", type=Path, metavar="FILE")
    start.add_argument("--json", action="store_true")
    status = commands.add_parser("status", help="the factories, their quotes, the comparison and the award")
    status.add_argument("rfq_id", metavar="RFQ_ID")
    status.add_argument("--json", action="store_true")
    award = commands.add_parser("award", help="confirm the award of an RFQ waiting for a person (or refuse it)")
    award.add_argument("rfq_id", metavar="RFQ_ID")
    award.add_argument("--by", required=True, metavar="NAME")
    award.add_argument("--supplier", default=None, metavar="SUPPLIER_ID", help="another qualified factory than the first")
    award.add_argument("--reject", action="store_true", help="award nobody")
    award.add_argument("--reason", default=None, metavar="TEXT")


def parse_rfq(document: Any, source: str = "request") -> RfqRequest:
    try:
        return RfqRequest.model_validate(document)
    except ValidationError as error:
        problems = [f"{source}: {p}" for p in problems_from(error, limit=20)]
        raise BadInput(problems[0], details=problems[1:]) from None


def read_rfq(path: Path) -> RfqRequest:
    try:
        if path.stat().st_size > MAX_RFQ_BYTES:
            raise BadInput(f"{path}: larger than 1 MB; is this an RFQ?")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: cannot be read ({error})") from None
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise BadInput(f"{path}: not valid JSON or YAML ({str(error).splitlines()[0]})") from None
    return parse_rfq(document, str(path))


def rfq_config(settings: Settings) -> RfqConfig:
    # Quotations are read every five minutes, or on the logistics cadence when that is shorter (a
    # demo or a test sets it in seconds): no setting of its own for one more polling interval.
    poll = min(RfqConfig().poll_interval, settings.logistics_poll_interval)
    return RfqConfig(alibaba_task_queue=settings.alibaba_task_queue, poll_interval=poll,
                     procurement_task_queue=settings.procurement_task_queue, procurement=procurement_config(settings))


@dataclass
class StartedRfq:
    rfq_id: str
    workflow_id: str
    new: bool
    status: str


def summary(rfq: RfqRequest) -> str:
    asked = f"{len(rfq.factories)} factories" if rfq.factories else "factories found by search"
    return (f"RFQ {rfq.rfq_id}: {rfq.subject}, {'/'.join(str(q) for q in rfq.quantity_tiers)} pieces, "
            f"{asked}, by {rfq.target_date.isoformat()}")[:200]


async def start_rfq(client: Client, rfq: RfqRequest, settings: Settings) -> StartedRfq:
    workflow_id = rfq_workflow_id(rfq.rfq_id)
    attributes = [SearchAttributePair(sa.REQUEST_ID, rfq.rfq_id),
                  SearchAttributePair(sa.STAGE, f"RFQ_{RfqStage.FINDING_FACTORIES.value}")]
    if rfq.requester:
        attributes.append(SearchAttributePair(sa.REQUESTER, rfq.requester))
    try:
        handle = await client.start_workflow(
            RFQ_WORKFLOW, RfqInput(rfq=rfq, config=rfq_config(settings)), id=workflow_id,
            task_queue=settings.procurement_task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=summary(rfq), search_attributes=TypedSearchAttributes(attributes),
        )
    except WorkflowAlreadyStartedError:
        return await _existing(client, rfq.rfq_id, workflow_id)
    except RPCError as error:
        if is_unreachable(error):
            raise Unreachable(f"lost the connection to Temporal: {error.message}") from None
        raise CommandError(f"Temporal refused to start {workflow_id}: {error.message}") from None
    started = getattr(getattr(handle, "_start_workflow_response", None), "started", None)
    if started is False:
        return await _existing(client, rfq.rfq_id, workflow_id)
    return StartedRfq(rfq.rfq_id, workflow_id, new=True, status="RUNNING")


async def _existing(client: Client, rfq_id: str, workflow_id: str) -> StartedRfq:
    description = await client.get_workflow_handle(workflow_id).describe()
    status = description.status.name if description.status is not None else "UNKNOWN"
    return StartedRfq(rfq_id, workflow_id, new=False, status=status)


async def fetch_rfq(client: Client, rfq_id: str) -> RfqState:
    workflow_id = rfq_workflow_id(rfq_id)
    try:
        return await client.get_workflow_handle(workflow_id).query(STATE_QUERY, result_type=RfqState,
                                                                   rpc_timeout=QUERY_TIMEOUT)
    except RPCError as error:
        raise query_error(error, rfq_id, workflow_id) from None
    except WorkflowQueryFailedError as error:
        raise CommandError(f"the state query on {workflow_id} failed: {error}") from None


def award_input(by: str, supplier_id: str | None, reject: bool, reason: str | None) -> AwardInput:
    try:
        return AwardInput(by=by, supplier_id=supplier_id, reject=reject, reason=reason)
    except ValidationError as error:
        raise bad_input(error) from None


async def award(client: Client, rfq_id: str, message: AwardInput) -> AwardResult:
    return await send_update(client, rfq_workflow_id(rfq_id), AWARD_UPDATE, message, AwardResult,
                             refused=CommandError, missing=f"no RFQ {rfq_id}")


def rfq_json(state: RfqState) -> dict[str, Any]:
    return state.model_dump(mode="json")


def rfq_text(state: RfqState) -> str:
    lines = [f"RFQ {state.rfq_id} ({state.workflow_id}): {state.stage.value}"]
    if state.deadline:
        lines.append(f"  deadline      {state.deadline.isoformat()}")
    if state.buy_offer_id:
        lines.append(f"  1688 inquiry  {state.buy_offer_id}")
    if state.awarded_to:
        lines.append(f"  awarded to    {state.awarded_to} ({state.award_total} yuan) by {state.awarded_by}")
        lines.append(f"  procurement   {state.procurement_workflow_id}")
    if state.reason:
        lines.append(f"  why           {state.reason}")
    if state.comparison and state.comparison.ranked:
        rows = [[str(s.rank), s.supplier_id, str(s.unit_price), str(s.landed_unit_cost), str(s.total), str(s.score)]
                for s in state.comparison.ranked]
        lines += ["", table(["rank", "factory", "unit price", "landed", "total", "score"], rows, right=(2, 3, 4, 5))]
    if state.comparison and state.comparison.unqualified:
        lines += ["", "Not qualified:"] + [f"  {u.supplier_id}: {u.reason}" for u in state.comparison.unqualified]
    elif not state.comparison:
        answered = {q.supplier_id for q in state.quotes}
        lines.append(f"  answers       {len(answered)} of {len(state.factories)} factories")
    return "\n".join(lines)


def award_text(rfq_id: str, result: AwardResult) -> str:
    if result.stage == RfqStage.AWARDED:
        return (f"Awarded RFQ {rfq_id} to {result.supplier_id}; the purchase starts as {result.procurement_workflow_id}.\n"
                f"Follow it with: procure status {result.procurement_workflow_id.removeprefix('pr-')}")
    return f"RFQ {rfq_id}: nobody is awarded."


async def run_rfq_command(args: argparse.Namespace, settings: Settings, client_factory) -> int:
    """The `procure rfq ...` subcommands; input is checked before Temporal is contacted."""
    if args.rfq_command == "start":
        rfq = read_rfq(args.file)
        client = await client_factory(settings)
        started = await start_rfq(client, rfq, settings)
        if args.json:
            print(json.dumps({"rfq_id": started.rfq_id, "workflow_id": started.workflow_id, "started": started.new,
                              "status": started.status}, ensure_ascii=False, indent=2))
        elif started.new:
            print(f"Started {summary(rfq)}\n  workflow  {started.workflow_id}\nFollow it with: procure rfq status {rfq.rfq_id}")
        else:
            print(f"RFQ {rfq.rfq_id} was already started (workflow {started.workflow_id}, status {started.status}); "
                  "no factory was asked twice")
        return 0
    if args.rfq_command == "status":
        client = await client_factory(settings)
        state = await fetch_rfq(client, args.rfq_id)
        print(json.dumps(rfq_json(state), ensure_ascii=False, indent=2) if args.json else rfq_text(state))
        return 0
    message = award_input(args.by, args.supplier, args.reject, args.reason)
    client = await client_factory(settings)
    print(award_text(args.rfq_id, await award(client, args.rfq_id, message)))
    return 0
