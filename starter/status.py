"""`procure status`: the live state of one procurement, as a query on its workflow.

A query works on a closed workflow too (a worker replays its history), so the same command shows
a finished procurement. `status_json` is the INTERFACES.md section 2 shape; `status_text` is the
same information as tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.messages import STATE_QUERY, procurement_workflow_id
from domain.money import yuan
from domain.progress import ChosenOffer, LineState, LineStatus, OrderSnapshot, OrderStatus, ProcurementState
from starter.exit_status import CommandError, NotFound, Unreachable, is_unreachable
from starter.render import money, section, table

# A closed workflow is answered by replaying its whole history on a worker: give it time.
QUERY_TIMEOUT = timedelta(seconds=15)
CANDIDATES_SHOWN = 3  # per line in the table; --json has the best few, the ledger every one


async def fetch_state(client: Client, request_id: str) -> ProcurementState:
    workflow_id = procurement_workflow_id(request_id)
    try:
        return await client.get_workflow_handle(workflow_id).query(
            STATE_QUERY, result_type=ProcurementState, rpc_timeout=QUERY_TIMEOUT
        )
    except RPCError as error:
        raise query_error(error, request_id, workflow_id) from None
    except WorkflowQueryFailedError as error:
        raise CommandError(f"the state query on {workflow_id} failed: {error}") from None


def query_error(error: RPCError, request_id: str, workflow_id: str) -> CommandError:
    """What a failed RPC on a procurement means for a person."""
    if error.status == RPCStatusCode.NOT_FOUND:
        return NotFound(f"no procurement {request_id}: workflow {workflow_id} not found ({error.message})")
    if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
        # Temporal is up but nobody answered: queries and updates need a worker.
        return Unreachable(
            f"no worker answered for {workflow_id} in time; is a worker running (`procure worker` or `procure up`)?"
        )
    if error.status == RPCStatusCode.FAILED_PRECONDITION:
        return CommandError(f"{workflow_id} cannot answer: {error.message}")
    if is_unreachable(error):
        return Unreachable(f"lost the connection to Temporal: {error.message}")
    return CommandError(f"Temporal refused the request for {workflow_id}: {error.message}")


# --- JSON ---------------------------------------------------------------------------------------


def _offer_json(offer: ChosenOffer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    data = offer.model_dump(mode="json")
    # The exact landed cost can have many decimals; people and ERPs compare fen.
    data["landed_unit_cost"] = str(yuan(offer.landed_unit_cost))
    if offer.landed_total is not None:
        data["landed_total"] = str(yuan(offer.landed_total))
    return data


def _line_json(line: LineState) -> dict[str, Any]:
    data = line.model_dump(mode="json")
    data["chosen"] = _offer_json(line.chosen)
    data["candidates"] = [_offer_json(c) for c in line.candidates]
    return data


def _order_json(order: OrderSnapshot) -> dict[str, Any]:
    data = order.model_dump(mode="json")
    # The interface lists the line ids; the order lines themselves stay available.
    data["line_details"] = data["lines"]
    data["lines"] = [line.line_id for line in order.lines]
    return data


def status_json(state: ProcurementState, *, web_ui: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "request_id": state.request_id,
        "workflow_id": state.workflow_id,
        "stage": state.stage.value,
        "lines": [_line_json(line) for line in state.lines],
        "orders": [_order_json(order) for order in state.orders],
        "alerts": list(state.alerts),
        "cancel_reason": state.cancel_reason,
        "fully_received": state.fully_received,
        "savings": state.savings.model_dump(mode="json") if state.savings is not None else None,
    }
    if web_ui is not None:
        data["web_ui"] = web_ui
    return data


# --- tables -------------------------------------------------------------------------------------


def _lines_table(state: ProcurementState) -> str:
    rows = []
    for line in state.lines:
        chosen = line.chosen
        rows.append([
            line.line_id, line.keyword, line.quantity, line.received_qty, line.status.value,
            chosen.supplier_id if chosen else "-", chosen.offer_id if chosen else "-",
            money(chosen.unit_price) if chosen else "-", money(chosen.landed_unit_cost) if chosen else "-",
            line.reason or "",
        ])
    return table(["line", "keyword", "qty", "received", "status", "supplier", "offer", "unit", "landed/unit", "note"],
                 rows, right=(2, 3, 7, 8))


def _candidates_table(state: ProcurementState) -> str | None:
    rows = []
    hidden = 0
    for line in state.lines:
        chosen_id = line.chosen.offer_id if line.chosen else None
        hidden += max(line.ranked - len(line.candidates), 0)
        for i, c in enumerate(line.candidates):
            if i >= CANDIDATES_SHOWN and c.offer_id != chosen_id:
                hidden += 1
                continue
            rows.append([
                line.line_id, c.rank if c.rank is not None else i + 1, c.offer_id, c.supplier_id,
                money(c.unit_price), money(c.landed_unit_cost), "" if c.score is None else f"{c.score:.2f}",
                "chosen" if c.offer_id == chosen_id else "",
            ])
    if not rows:
        return None
    text = table(["line", "rank", "offer", "supplier", "unit", "landed/unit", "score", ""], rows, right=(1, 4, 5, 6))
    if hidden:
        text += f"\n({hidden} more candidates; the ledger's sourcing_decisions list them all)"
    return text


def _payment(order: OrderSnapshot) -> str:
    if order.payment is None:
        return "-"
    if order.payment.paid:
        return f"paid {money(order.payment.amount)}"
    return "link sent" if order.payment.payment_url else "not paid"


def _shipment(order: OrderSnapshot) -> str:
    s = order.shipment
    if s is None:
        return "-"
    text = " ".join(part for part in (s.status, s.tracking_no) if part)
    return text + (" STUCK" if s.stuck else "")


def _qc(order: OrderSnapshot) -> str:
    if order.qc is None:
        return "waiting" if order.status == OrderStatus.AWAITING_QC else "-"
    rejected = sum(line.rejected_qty for line in order.qc.lines)
    return order.qc.decision if not rejected else f"{order.qc.decision} ({rejected} rejected)"


def _orders_table(state: ProcurementState) -> str | None:
    if not state.orders:
        return None
    rows = [
        [o.order_id or o.out_order_id, o.supplier_id, o.status.value, money(o.amount),
         ",".join(line.line_id for line in o.lines) or "-", _payment(o), _shipment(o), _qc(o),
         f"{money(o.refund.amount)} {o.refund.status}" if o.refund else "-"]
        for o in state.orders
    ]
    return table(["order", "supplier", "status", "amount", "lines", "payment", "shipment", "qc", "refund"],
                 rows, right=(3,))


def _when(iso: str | None) -> str:
    """An ISO time from the workflow, to the minute, for people."""
    if not iso:
        return "no deadline"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()


def _notes(state: ProcurementState) -> list[str]:
    notes = []
    for o in state.orders:
        name = o.order_id or o.out_order_id
        if o.approval.needed and not o.approval.approved_by and o.status == OrderStatus.AWAITING_APPROVAL:
            notes.append(f"order {name} waits for approval until {_when(o.approval.deadline)}: {'; '.join(o.approval.reasons)}"
                         f" (procure approve {state.request_id})")
        if o.payment and o.payment.payment_url and not o.payment.paid:
            notes.append(f"order {name}: pay at {o.payment.payment_url}")
        if o.reason:
            notes.append(f"order {name}: {o.reason}")
        notes += [f"order {name}: {alert}" for alert in o.alerts[-3:]]
    notes += state.alerts
    if state.cancel_reason:
        notes.append(f"cancelled: {state.cancel_reason}")
    return notes


def headline(state: ProcurementState) -> str:
    received = sum(1 for line in state.lines if line.status == LineStatus.RECEIVED)
    paid = sum((o.amount for o in state.orders if o.status.is_paid), start=yuan(0))
    refunded = sum((o.refund.amount for o in state.orders if o.refund), start=yuan(0))
    money_text = f"{money(paid)} yuan paid" + (f", {money(refunded)} refunded" if refunded else "")
    return (f"{state.request_id}  {state.stage.value}  {received}/{len(state.lines)} lines received, "
            f"{len(state.orders)} orders, {money_text}  (workflow {state.workflow_id})")


def status_text(state: ProcurementState, *, web_ui: str | None = None) -> str:
    parts = [headline(state)]
    if web_ui:
        parts[0] += f"\nWeb UI: {web_ui}"
    parts.append(section("Lines", _lines_table(state)))
    for title, body in (("Candidates", _candidates_table(state)), ("Orders", _orders_table(state))):
        if body:
            parts.append(section(title, body))
    if state.savings is not None:
        parts.append(section("Savings", "\n".join(f"- {s}" for s in state.savings.sentences())))
    notes = _notes(state)
    if notes:
        parts.append(section("Notes", "\n".join(f"- {n}" for n in notes)))
    return "\n\n".join(parts)
