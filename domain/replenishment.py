"""Store replenishment: the per-store rules (reorder point, order-up-to, what to search on 1688),
which SKUs a POS report says are low, how low SKUs become one batch, and the batch's purchase
request. Pure: the per-store workflow (workflows/replenishment.py) and the POS entry points
(`procure stock-levels`, `POST /v1/stock-levels`) share these rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.problems import cap, problems_from
from domain.procurement import ProcurementConfig
from domain.request import (
    Count, DeliveryAddress, Identifier, Keyword, Price, PurchaseRequest, RequestLine, SupplierPolicy,
)

REPLENISHMENT_WORKFLOW = "StoreReplenishmentWorkflow"
SWEEP_WORKFLOW = "ReplenishmentSweepWorkflow"
STOCK_SIGNAL = "stock_low"
STATE_QUERY = "state"
SWEEP_SCHEDULE_ID = "replenishment-daily-sweep"
MAX_LEVELS = 2000

_INPUT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


def store_workflow_id(store_id: str) -> str:
    return f"replenish-{store_id}"


class InvalidReplenishment(Exception):
    """A configuration or a stock report was refused; `.problems` has one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class SkuRule(BaseModel):
    """One row of a store's configuration: when a SKU is low and what to buy on 1688 for it."""

    model_config = _INPUT

    sku: Identifier
    reorder_point: Annotated[Count, Field(ge=0, le=10_000_000)]
    order_up_to: Annotated[Count, Field(gt=0, le=10_000_000)]
    keyword: Keyword
    price_min: Price | None = None
    price_max: Price | None = None
    max_moq: Annotated[Count, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "SkuRule":
        if self.order_up_to <= self.reorder_point:
            raise ValueError(f"order_up_to ({self.order_up_to}) must be above reorder_point ({self.reorder_point})")
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError(f"price_min ({self.price_min}) must not be above price_max ({self.price_max})")
        return self


class StoreConfig(BaseModel):
    model_config = _INPUT

    store_id: Identifier
    delivery: DeliveryAddress
    supplier_policy: SupplierPolicy = Field(default_factory=SupplierPolicy)
    approval_threshold: Price | None = None
    skus: dict[str, SkuRule] = Field(default_factory=dict)


class ReplenishmentConfig(BaseModel):
    stores: dict[str, StoreConfig] = Field(default_factory=dict)


def parse_replenishment_config(text: str) -> ReplenishmentConfig:
    """Read the ops team's YAML; every bad row is named with its reason, and nothing is used
    from a file with any bad row (a half-read configuration would order the wrong things)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InvalidReplenishment([f"not valid YAML{f' at line {mark.line + 1}' if mark else ''}"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("stores"), list):
        raise InvalidReplenishment(["the file must have a `stores:` list"])
    problems: list[str] = []
    stores: dict[str, StoreConfig] = {}
    for s, raw in enumerate(document["stores"]):
        where = f"stores[{s}]"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be an object")
            continue
        store_id = raw.get("store_id")
        where = f"store {store_id}" if isinstance(store_id, str) and store_id else where
        rows = raw.get("skus")
        if not isinstance(rows, list) or not rows:
            problems.append(f"{where}: skus must be a non-empty list")
            rows = []
        skus: dict[str, SkuRule] = {}
        for r, row in enumerate(rows):
            label = f"{where}, skus row {r + 1}" + (f" ({row.get('sku')})" if isinstance(row, dict) and row.get("sku") else "")
            try:
                rule = SkuRule.model_validate(row)
            except ValidationError as error:
                problems.extend(f"{label}: {_plain(p)}" for p in problems_from(error, limit=20))
                continue
            if rule.sku in skus:
                problems.append(f"{label}: sku {rule.sku} appears twice in this store")
                continue
            skus[rule.sku] = rule
        header = {k: v for k, v in raw.items() if k != "skus"}
        try:
            store = StoreConfig.model_validate({**header, "skus": {}})
        except ValidationError as error:
            problems.extend(f"{where}: {p}" for p in problems_from(error, limit=20))
            continue
        if store.store_id in stores:
            problems.append(f"{where}: store_id {store.store_id} appears twice")
            continue
        stores[store.store_id] = store.model_copy(update={"skus": skus})
    if problems:
        raise InvalidReplenishment(cap(problems))
    return ReplenishmentConfig(stores=stores)


def _plain(problem: str) -> str:
    """A rule across fields (order_up_to above reorder_point) is about the row, not a field."""
    return problem.removeprefix("request: ").replace("Value error, ", "")


class StockLevel(BaseModel):
    model_config = _INPUT

    sku: Identifier
    on_hand: Annotated[Count, Field(ge=0, le=10_000_000)]
    sold_since_last: Annotated[Count, Field(ge=0, le=10_000_000)] = 0


class StockLevels(BaseModel):
    """What a POS sends (INTERFACES.md section 5, `POST /v1/stock-levels`)."""

    model_config = _INPUT

    store_id: Identifier
    levels: Annotated[list[StockLevel], Field(min_length=1, max_length=MAX_LEVELS)]


def parse_stock_levels(document: Any) -> StockLevels:
    try:
        return StockLevels.model_validate(document)
    except ValidationError as error:
        raise InvalidReplenishment(cap(problems_from(error, limit=10**9))) from None


class LowSku(BaseModel):
    sku: str
    on_hand: int
    quantity: int                  # up to the order-up-to level
    low_at: datetime               # when the POS report that found it low was received


class StockCheck(BaseModel):
    low: list[LowSku] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)   # SKUs the store's configuration does not name


def low_skus(store: StoreConfig, levels: StockLevels, received_at: datetime) -> StockCheck:
    """At or below its reorder point a SKU is low; it is ordered up to its order-up-to level."""
    check = StockCheck()
    for level in levels.levels:
        rule = store.skus.get(level.sku)
        if rule is None:
            check.unknown.append(level.sku)
        elif level.on_hand <= rule.reorder_point:
            check.low.append(LowSku(sku=level.sku, on_hand=level.on_hand, quantity=rule.order_up_to - level.on_hand,
                                    low_at=received_at))
    return check


class StockReport(BaseModel):
    """The signal a store's workflow gets: its low SKUs and its configuration as it is now."""

    store: StoreConfig
    low: list[LowSku]


class Batch(BaseModel):
    request_id: str
    store_id: str
    skus: list[LowSku]
    low_at: datetime               # the earliest low-stock report in the batch
    started_at: datetime


class ReplenishmentState(BaseModel):
    """What a store's workflow holds: SKUs gathering for the next batch, and SKUs being bought."""

    store_id: str
    pending: dict[str, LowSku] = Field(default_factory=dict)
    in_flight: dict[str, str] = Field(default_factory=dict)   # sku -> request_id of its procurement
    batches: list[Batch] = Field(default_factory=list)        # the most recent ones
    skipped: int = 0                                          # low reports ignored: already asked for
    refused: list[str] = Field(default_factory=list)          # batches that could not become a request


def admit(state: ReplenishmentState, low: list[LowSku]) -> list[str]:
    """Add the low SKUs that are neither gathering nor being bought; returns those added.

    A SKU already gathering keeps its first report's time (the clock runs from the first sign).
    """
    added = []
    for sku in low:
        if sku.sku in state.in_flight or sku.sku in state.pending:
            state.skipped += 1
            continue
        state.pending[sku.sku] = sku
        added.append(sku.sku)
    return added


def batch_request(store: StoreConfig, request_id: str, skus: list[LowSku]) -> PurchaseRequest:
    """One purchase request for the batch: a line per SKU, the store as requester."""
    lines = []
    for low in skus:
        rule = store.skus[low.sku]
        lines.append(RequestLine(line_id=low.sku, keyword=rule.keyword, quantity=low.quantity,
                                 price_min=rule.price_min, price_max=rule.price_max, max_moq=rule.max_moq))
    return PurchaseRequest(request_id=request_id, requester=store.store_id, lines=lines, delivery=store.delivery,
                           supplier_policy=store.supplier_policy, approval_threshold=store.approval_threshold)


def batch_problems(store: StoreConfig, request_id: str, skus: list[LowSku]) -> list[str]:
    """Why the batch cannot be a purchase request (e.g. quantities times prices above the money
    limit); empty when it can. The workflow checks first, so a bad batch never fails its task."""
    try:
        batch_request(store, request_id, skus)
    except ValidationError as error:
        return problems_from(error, limit=10)
    return []


def batch_request_id(store_id: str, at: datetime) -> str:
    """Unique per store and minute-second; 64 characters at most like every request id."""
    return f"RPL-{store_id[:40]}-{at:%Y%m%d%H%M%S}"


class ReplenishmentInput(BaseModel):
    store_id: str
    batch_window: timedelta = timedelta(minutes=10)
    procurement: ProcurementConfig = Field(default_factory=ProcurementConfig)
    procurement_task_queue: str = "procurement"
    state: ReplenishmentState | None = None       # carried over a continue-as-new
    store: StoreConfig | None = None


class QuietStore(BaseModel):
    store_id: str
    levels: StockLevels
    last_report_at: datetime
