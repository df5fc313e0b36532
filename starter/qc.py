"""`procure qc`: the warehouse's inspection result for one 1688 order.

Command shape (README "Using it")::

    procure qc ORDER_ID accept [--by NAME]
    procure qc ORDER_ID reject --line L --rejected N [--reason TEXT] [--line L --rejected N ...] [--by NAME]

Each ``--line`` opens a group; the ``--rejected`` and ``--reason`` after it belong to that line.
A ``--reason`` before the first ``--line`` is the reason for every line that has none of its own.
The demo sends its QC through `submit_qc` too, so there is one way a QC result reaches an order.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from pydantic import ValidationError
from temporalio.client import Client

from domain.messages import QC_UPDATE, QcInput, QcLineInput, QcResult
from starter.exit_status import BadInput, bad_input
from starter.find import FIND_WITHIN, find_open_order
from starter.updates import send_update

ITEMS = "qc_items"  # argparse dest shared by --line, --rejected and --reason, kept in typed order


def _line(value: str) -> tuple[str, str]:
    return ("line", value)


def _rejected(value: str) -> tuple[str, int]:
    try:
        return ("rejected", int(value))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of pieces, not {value!r}") from None


def _reason(value: str) -> tuple[str, str]:
    return ("reason", value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("order_id", metavar="ORDER_ID", help="the 1688 order id (digits)")
    parser.add_argument("decision", choices=["accept", "reject"])
    parser.add_argument("--line", dest=ITEMS, action="append", type=_line, metavar="L",
                        help="a rejected request line; starts a group with --rejected and --reason")
    parser.add_argument("--rejected", dest=ITEMS, action="append", type=_rejected, metavar="N",
                        help="pieces of the preceding --line refused")
    parser.add_argument("--reason", dest=ITEMS, action="append", type=_reason, metavar="TEXT",
                        help="why (after a --line: for that line; before any: for all lines)")
    parser.add_argument("--by", default=None, metavar="NAME", help="the inspector")


@dataclass
class _Group:
    line_id: str
    rejected: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def qc_input(order_id: str, decision: str, items: list[tuple[str, object]] | None, by: str | None) -> QcInput:
    """The QC message from the command line; BadInput with every problem before anything is sent."""
    problems: list[str] = []
    if not order_id.isdigit():
        problems.append(f"ORDER_ID {order_id!r}: a 1688 order id is a string of digits")
    groups: list[_Group] = []
    general: list[str] = []
    for kind, value in items or []:
        if kind == "line":
            groups.append(_Group(str(value)))
        elif kind == "reason":
            (groups[-1].reasons if groups else general).append(str(value))
        elif not groups:
            problems.append(f"--rejected {value}: say which line first (--line L --rejected N)")
        else:
            groups[-1].rejected.append(int(value))  # type: ignore[call-overload]
    if len(general) > 1:
        problems.append("--reason: give one general reason before the first --line, or one per line after it")
    if decision == "accept":
        if groups or any(kind == "rejected" for kind, _ in items or []):
            problems.append("accept takes no --line/--rejected; to refuse pieces use: reject --line L --rejected N --reason TEXT")
    else:
        if not groups:
            problems.append("reject needs at least one --line L --rejected N (and a --reason)")
        for group in groups:
            where = f"--line {group.line_id}"
            if not group.rejected:
                problems.append(f"{where}: give --rejected N, the pieces refused")
            elif len(group.rejected) > 1:
                problems.append(f"{where}: --rejected given {len(group.rejected)} times")
            elif group.rejected[0] <= 0:
                problems.append(f"{where}: --rejected must be above 0")
            if len(group.reasons) > 1:
                problems.append(f"{where}: --reason given {len(group.reasons)} times")
            if not group.reasons and not general:
                problems.append(f"{where}: give --reason TEXT (or one --reason before the first --line)")
        seen = [g.line_id for g in groups]
        problems += [f"--line {line_id}: given twice" for line_id in sorted({i for i in seen if seen.count(i) > 1})]
    if problems:
        raise BadInput(problems[0], details=problems[1:])
    try:
        return QcInput(
            order_id=order_id,
            decision=decision,  # type: ignore[arg-type]
            lines=[QcLineInput(line_id=g.line_id, rejected_qty=g.rejected[0], reason=(g.reasons or [None])[0])
                   for g in groups],
            reason=general[0] if general else None,
            inspector=by,
        )
    except ValidationError as error:
        raise bad_input(error) from None


async def submit_qc(client: Client, qc: QcInput, *, find_within: float = FIND_WITHIN) -> tuple[str, QcResult]:
    """Send the QC result to the order's workflow; (workflow id, result). A refusal is BadInput."""
    workflow_id = await find_open_order(client, qc.order_id, within=find_within)
    result = await send_update(client, workflow_id, QC_UPDATE, qc, QcResult, refused=BadInput,
                               missing=f"no open order {qc.order_id}")
    return workflow_id, result


def qc_text(qc: QcInput, result: QcResult, workflow_id: str) -> str:
    accepted = sum(result.accepted.values())
    rejected = sum(result.rejected.values())
    if qc.decision == "accept" or not rejected:
        return (f"QC accepted for order {result.order_id}: {accepted} pieces; receipt will be confirmed on 1688 "
                f"(workflow {workflow_id})")
    per_line = ", ".join(f"line {line}: {qty} rejected" for line, qty in result.rejected.items())
    return (f"QC rejected for order {result.order_id}: {per_line}; {accepted} pieces accepted. A refund is filed and "
            f"the missing pieces are bought again from the next candidate, if any (workflow {workflow_id})")
