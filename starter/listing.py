"""`procure list`: open and recent procurements, from Temporal visibility.

Visibility is eventually consistent: a procurement started a moment ago, or a stage changed a
moment ago, can show a second late. `procure status` (a query) is always current.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from temporalio.client import Client, WorkflowExecution

from domain.messages import PROCUREMENT_WORKFLOW
from domain.progress import Stage
from starter.render import table
from workflows import search_attributes as sa

STAGES = [stage.value for stage in Stage]


def list_query(stage: Stage | None) -> str:
    query = f"WorkflowType = '{PROCUREMENT_WORKFLOW}'"
    if stage is not None:  # an enum value, never free text, so it is safe inside the quotes
        query += f" AND {sa.STAGE.name} = '{stage.value}'"
    return query


@dataclass
class ProcurementRow:
    request_id: str
    workflow_id: str
    stage: str
    status: str
    requester: str | None
    amount: str | None  # paid so far, yuan
    started: str | None  # ISO time
    closed: str | None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def row(execution: WorkflowExecution) -> ProcurementRow:
    attrs = execution.typed_search_attributes
    amount = attrs.get(sa.AMOUNT)
    return ProcurementRow(
        request_id=attrs.get(sa.REQUEST_ID) or execution.id.removeprefix("pr-"),
        workflow_id=execution.id,
        stage=attrs.get(sa.STAGE) or "-",
        status=execution.status.name if execution.status is not None else "UNKNOWN",
        requester=attrs.get(sa.REQUESTER) or None,
        # A float in visibility (so ops can sort and filter by it); shown to the fen.
        amount=f"{amount:.2f}" if amount is not None else None,
        started=_iso(execution.start_time),
        closed=_iso(execution.close_time),
    )


async def list_procurements(client: Client, stage: Stage | None, limit: int) -> list[ProcurementRow]:
    return [row(e) async for e in client.list_workflows(list_query(stage), limit=limit)]


def rows_json(rows: list[ProcurementRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def rows_text(rows: list[ProcurementRow], stage: Stage | None) -> str:
    if not rows:
        return f"No procurements{f' in stage {stage.value}' if stage else ''}."
    body = table(
        ["request", "stage", "status", "requester", "amount", "started (UTC)", "workflow"],
        [[r.request_id, r.stage, r.status, r.requester or "-", r.amount or "-",
          (r.started or "-").replace("T", " ")[:19], r.workflow_id] for r in rows],
        right=(4,),
    )
    return body + f"\n{len(rows)} procurement{'s' if len(rows) != 1 else ''}"
