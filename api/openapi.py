"""The OpenAPI document of the API, built from the models the routes use.

Served at /v1/openapi.json and committed as docs/openapi.json (a test keeps the two equal).
After changing a route or a model, write it again with::

    .venv/bin/python -m api.openapi > docs/openapi.json
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from activities.stock_reports import StockReceipt
from api.roles import Action, roles_for
from api.schemas import (
    Approved,
    Cancelled,
    Error,
    Health,
    OrdersAwaitingQc,
    Page,
    ProcurementView,
    QcBody,
    QcTaken,
    Started,
)
from api.rfqs import AwardBody, RfqStarted
from domain.messages import ApproveInput, CancelInput
from domain.quotation import RfqRequest
from domain.rfq import AwardResult, RfqState
from domain.progress import Stage
from domain.replenishment import StockLevels
from domain.request import PurchaseRequest
from starter.replenish import BatchTimes

VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]
_BODIES: list[type[BaseModel]] = [PurchaseRequest, ApproveInput, CancelInput, QcBody, StockLevels, RfqRequest, AwardBody]
_ANSWERS: list[type[BaseModel]] = [Started, Error, ProcurementView, Page, Approved, Cancelled, OrdersAwaitingQc, QcTaken,
                                   Health, StockReceipt, BatchTimes, RfqStarted, RfqState, AwardResult]


def _schemas() -> tuple[dict[tuple[type[BaseModel], Mode], Any], dict[str, Any]]:
    pairs: list[tuple[type[BaseModel], Mode]] = [(m, "validation") for m in _BODIES] + [(m, "serialization") for m in _ANSWERS]
    refs, top = models_json_schema(pairs, ref_template=_REF)
    return refs, top.get("$defs", {})


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json({"$ref": _REF.format(model="Error")})}


_GUARD = {
    "401": _error("no key, or a key that is unknown, revoked or expired; nothing was done"),
    "403": _error("the key's role may not do this; nothing was done"),
    "429": _error("too many calls with this key (or failed sign-ins from this address); see Retry-After"),
    "503": _error("Temporal, a worker or the ledger cannot be reached; see Retry-After"),
}
_BODY_LIMITS = {
    "413": _error("the body is larger than API_MAX_BODY_BYTES (1 MiB by default)"),
    "422": _error("the body or a parameter is not valid: `problems` has one entry per problem; nothing was done"),
}


def _operation(refs: dict[tuple[type[BaseModel], Mode], Any], *, operation_id: str, summary: str, description: str,
               action: Action, responses: dict[str, Any], body: type[BaseModel] | None = None,
               body_required: bool = True, parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    roles = roles_for(action)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": f"{description}\n\nRoles: {', '.join(roles)}.",
        "x-roles": roles,
        "security": [{"bearer": []}],
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": _json(refs[(body, "validation")])}
    operation["responses"] = {**responses, **_GUARD, **(_BODY_LIMITS if body is not None or parameters else {})}
    return operation


def _ok(refs: dict[tuple[type[BaseModel], Mode], Any], model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": _json(refs[(model, "serialization")])}


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def document() -> dict[str, Any]:
    refs, schemas = _schemas()
    request_id = _path_parameter("request_id", "the purchase request's request_id")
    paths: dict[str, Any] = {
        "/v1/purchase-requests": {
            "post": _operation(
                refs, operation_id="startPurchaseRequest", summary="Start the procurement of a purchase request",
                description="Idempotent by request_id: the same request_id with the same body answers 200 with the "
                            "procurement that exists; with a different body, 409 naming the fields that differ. "
                            "Nothing new is bought in either case.",
                action=Action.START, body=PurchaseRequest,
                responses={"201": _ok(refs, Started, "started; Location names the new procurement"),
                           "200": _ok(refs, Started, "this request was sent before with the same body"),
                           "409": _error("this request_id was sent before with a different body (`differences`)")},
            ),
            "get": _operation(
                refs, operation_id="listPurchaseRequests", summary="A page of procurements, newest first",
                description="From Temporal visibility, which can be a second behind; GET one for the current state.",
                action=Action.READ,
                parameters=[
                    {"name": "stage", "in": "query", "required": False, "schema": {"type": "string", "enum": [s.value for s in Stage]}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "next_cursor of the previous page"},
                ],
                responses={"200": _ok(refs, Page, "a page")},
            ),
        },
        "/v1/purchase-requests/{request_id}": {
            "get": _operation(
                refs, operation_id="getPurchaseRequest", summary="The live state of one procurement",
                description="The `procure status --json` shape: stage, lines with candidates and choice, orders with "
                            "payment, shipment, QC and refund.",
                action=Action.READ, parameters=[request_id],
                responses={"200": _ok(refs, ProcurementView, "the state"), "404": _error("no such procurement")},
            ),
        },
        "/v1/purchase-requests/{request_id}/approve": {
            "post": _operation(
                refs, operation_id="approvePurchaseRequest", summary="Release the payments waiting for approval",
                description="`by` defaults to the key's name.",
                action=Action.APPROVE, body=ApproveInput, body_required=False, parameters=[request_id],
                responses={"200": _ok(refs, Approved, "released"), "404": _error("no such procurement"),
                           "409": _error("refused by the procurement (nothing waits for approval, finished)")},
            ),
        },
        "/v1/purchase-requests/{request_id}/cancel": {
            "post": _operation(
                refs, operation_id="cancelPurchaseRequest", summary="Cancel what is not paid yet",
                description="Answers which orders are being cancelled and which could not be (paid already).",
                action=Action.CANCEL, body=CancelInput, body_required=False, parameters=[request_id],
                responses={"200": _ok(refs, Cancelled, "cancelling"), "404": _error("no such procurement"),
                           "409": _error("refused by the procurement (finished, already cancelling)")},
            ),
        },
        "/v1/orders": {
            "get": _operation(
                refs, operation_id="listOrdersAwaitingQc", summary="Orders whose goods arrived and wait for QC",
                description="What the QC screen lists: each order's lines with what was asked for and how many arrived.",
                action=Action.LIST_QC,
                parameters=[{"name": "status", "in": "query", "required": False,
                             "schema": {"type": "string", "enum": ["awaiting_qc"], "default": "awaiting_qc"}}],
                responses={"200": _ok(refs, OrdersAwaitingQc, "the orders, oldest request first")},
            ),
        },
        "/v1/orders/{order_id}/qc": {
            "post": _operation(
                refs, operation_id="sendQc", summary="The warehouse's QC result for one 1688 order",
                description="An update on the order's workflow: its validator accepts the result or refuses it "
                            "(unknown line, more rejected than arrived, no reason, goods not arrived, a second "
                            "result) with 409 and its reason. `inspector` defaults to the key's name.",
                action=Action.QC, body=QcBody,
                parameters=[_path_parameter("order_id", "the 1688 order id (digits)")],
                responses={"200": _ok(refs, QcTaken, "taken"), "404": _error("no open order with this id"),
                           "409": _error("refused by the order's validator (`reason`), or the order closed")},
            ),
        },
        "/v1/stock-levels": {
            "post": _operation(
                refs, operation_id="sendStockLevels", summary="A store's stock levels from its POS",
                description="SKUs at or below their reorder point (the store configuration, REPLENISHMENT_CONFIG) go "
                            "to the store's replenishment workflow (signal-with-start), which gathers them for the "
                            "batch window and starts one procurement for the batch; a SKU whose procurement is still "
                            "running is not asked for again. The levels are recorded for the daily sweep.",
                action=Action.STOCK_LEVELS, body=StockLevels,
                responses={"202": _ok(refs, StockReceipt, "taken: the low SKUs, and the store's workflow when any"),
                           "503": _error("replenishment is not configured, or Temporal or the ledger cannot be reached")},
            ),
        },
        "/v1/replenishment-batches": {
            "get": _operation(
                refs, operation_id="listReplenishmentBatches", summary="Replenishment batches and their times",
                description="Each batch that became a procurement, newest first, with the time from the first "
                            "low-stock report to the last paid order (null until every order is paid).",
                action=Action.READ_REPLENISHMENT,
                parameters=[{"name": "store_id", "in": "query", "required": False, "schema": {"type": "string"}}],
                responses={"200": _ok(refs, BatchTimes, "the batches")},
            ),
        },
        "/v1/rfqs": {
            "post": _operation(
                refs, operation_id="startRfq", summary="Send a request for quotation to factories",
                description="Idempotent by rfq_id: a second POST answers 200 with the RFQ that exists; no factory "
                            "is asked twice. The deadline defaults to two hours (docs/rfq.md).",
                action=Action.START, body=RfqRequest,
                responses={"201": _ok(refs, RfqStarted, "started; Location names the new RFQ"),
                           "200": _ok(refs, RfqStarted, "this rfq_id was started before")},
            ),
        },
        "/v1/rfqs/{rfq_id}": {
            "get": _operation(
                refs, operation_id="getRfq", summary="The live state of one RFQ",
                description="The factories asked, every quote (revisions included), the comparison with each "
                            "factory's parts of the score or the reason it did not qualify, and the award.",
                action=Action.READ, parameters=[_path_parameter("rfq_id", "the RFQ's rfq_id")],
                responses={"200": _ok(refs, RfqState, "the state"), "404": _error("no such RFQ")},
            ),
        },
        "/v1/rfqs/{rfq_id}/award": {
            "post": _operation(
                refs, operation_id="awardRfq", summary="Confirm (or refuse) the award of an RFQ waiting for a person",
                description="Only when the winning total is above the RFQ's award_threshold. `supplier_id` picks "
                            "another qualified factory; `reject` awards nobody. `by` defaults to the key's name.",
                action=Action.APPROVE, body=AwardBody, body_required=False,
                parameters=[_path_parameter("rfq_id", "the RFQ's rfq_id")],
                responses={"200": _ok(refs, AwardResult, "taken: the procurement starts at once"),
                           "404": _error("no such RFQ"),
                           "409": _error("refused by the RFQ (not waiting for an award, unqualified factory)")},
            ),
        },
        "/v1/health": {
            "get": {"operationId": "health", "summary": "The service is up (no key needed)", "security": [],
                    "responses": {"200": _ok(refs, Health, "up")}},
        },
        "/v1/openapi.json": {
            "get": {"operationId": "openapi", "summary": "This document (no key needed)", "security": [],
                    "responses": {"200": {"description": "the OpenAPI document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}}},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Procurement on 1688",
            "version": VERSION,
            "description": "Start, follow, approve and cancel procurements, and send the warehouse's QC results. "
                           "Every call needs `Authorization: Bearer KEY` (keys come from `procure api-key create "
                           "--role ROLE --name NAME`) and is audited. Money is a decimal string in yuan. The QC "
                           "screen for phones is served at /qc/.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "an API key from `procure api-key create`"}},
        },
        "security": [{"bearer": []}],
    }


def text() -> str:
    """The document as committed: stable key order, two-space indent, UTF-8, final newline."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(text())
