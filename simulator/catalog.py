"""The simulator's catalog (INTERFACES.md section 4): pydantic models, loading and validation.

A catalog is a product decision shared with the demo and the tests, so a bad one must fail loudly
and say exactly where: ``offers[3].supplier_id: unknown supplier b2b-9999``. Money fields accept
strings or integers only; a float price is refused rather than silently rounded.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from simulator.faults import FaultSettings


def _money(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("money must be a decimal string such as \"45.00\", not a float")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
        if not amount.is_finite():
            raise ValueError(f"not a decimal amount: {value!r}")
        return amount
    raise ValueError(f"money must be a decimal string, got {type(value).__name__}")


Money = Annotated[Decimal, BeforeValidator(_money)]
Rate = Annotated[float, Field(ge=0, le=1)]
LogisticsStatus = Literal["WAITACCEPT", "ACCEPT", "TRANSPORT", "SIGN"]


class _Model(BaseModel):
    # Unknown keys are refused: a misspelt behaviour knob would otherwise be ignored silently.
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSettings(_Model):
    app_key: str = Field(min_length=1)
    app_secret: str = Field(min_length=1)
    access_token: str = Field(min_length=1)
    refresh_token: str = Field(min_length=1)
    calls_per_minute: int = Field(default=600, ge=1)
    # Extensions to INTERFACES.md section 4 (all optional, documented in docs/1688-wire-format.md).
    access_token_ttl_seconds: int = Field(default=36000, ge=1)
    refresh_token_ttl_days: int = Field(default=180, ge=1)
    usage_quota: int | None = Field(default=None, ge=0)
    denied_apis: list[str] = Field(default_factory=list)
    protocol_pay_open: bool = True
    # Suppliers whose orders 1688 will not let us pay (risk control, a frozen seller account).
    refuse_payment_for: list[str] = Field(default_factory=list)
    auth_code: str | None = None
    close_order_min_seconds: float = Field(default=10.0, ge=0)
    buyer_member_id: str = "b2b-buyer0001"
    buyer_login_id: str = "sim-buyer"


class MixBatch(_Model):
    min_amount: Money = Decimal("0")
    min_quantity: int = Field(default=0, ge=0)


class QuoteBehaviour(_Model):
    """How a factory answers a buyer's inquiry (caigou.api.buyoffer.postBuyoffer); see
    simulator/inquiries.py. ``answer``: quote once, quote twice (the second at
    ``revise_after_minutes`` with ``revised_price_factor``), decline, or never answer."""

    answer: Literal["quote", "twice", "decline", "never"] = "quote"
    reply_after_minutes: float = Field(default=30.0, ge=0)
    price_factor: Decimal = Field(default=Decimal("1"), gt=0)  # times the offer's tier price
    revise_after_minutes: float = Field(default=60.0, ge=0)
    revised_price_factor: Decimal = Field(default=Decimal("0.95"), gt=0)
    lead_days: int = Field(default=10, ge=0)
    capacity: int = Field(default=100_000, ge=0)
    freight: Money = Decimal("0")
    valid_days: int = Field(default=7, ge=0)
    decline_reason: str = "产能已满"


class SupplierBehaviour(_Model):
    quote: QuoteBehaviour = QuoteBehaviour()
    ship_after_hours: float = Field(default=24.0, ge=0)
    stall_at: LogisticsStatus | None = None
    cancel_after_pay: bool = False
    # The seller's side of a refund (simulator/refunds.py). The defaults agree at once, as the
    # simulator always did: a refund request is money back before createRefund answers.
    refund_agree_after_hours: float = Field(default=0.0, ge=0)
    refuse_refund: bool = False
    refund_needs_return: bool = False
    # The seller ships an order in this many parcels (its lines dealt out in turn), each with its
    # own waybill and courier; 1 (default) is one parcel per order, as before.
    parcels: int = Field(default=1, ge=1, le=20)
    # Hours after shipping during which the trace API has nothing yet and answers its "no tracking
    # information" error (404), as the real one does right after a seller ships. 0: steps at once.
    trace_after_hours: float = Field(default=0.0, ge=0)
    # A reduction (yuan) the seller grants on each order: preview discountFee (fen, positive),
    # order list/detail discount (fen, negative), and every total net of it. 0: no discount.
    discount: Money = Field(default=Decimal("0"), ge=0)


class SupplierPermit(_Model):
    """A production or trade permit, as the licence register states it (simulator/licence_register.py)."""

    name: str = Field(min_length=1, max_length=100)
    expires_on: date | None = None


class Supplier(_Model):
    member_id: str = Field(min_length=1)
    # What search rows and product detail call the seller (sellerOpenId), and what
    # wangwangnick.openuid.decrypt takes. Default: the member id, so a catalog without it keys
    # its suppliers the same everywhere; a real one looks like "BBBgGWh2O6JFI6v1aQuZVgRIA".
    open_id: str | None = Field(default=None, min_length=1, max_length=64)
    login_id: str = Field(min_length=1)
    company_name: str = Field(min_length=1)
    years: int = Field(ge=0)
    repurchase_rate: Rate
    on_time_ship_rate: Rate
    dispute_rate: Rate
    credit_level: str = "L1"
    license_expires_on: date
    permits: list[SupplierPermit] = []
    province: str
    city: str
    category_name: str = ""
    mix_batch: MixBatch | None = None
    behaviour: SupplierBehaviour = SupplierBehaviour()

    @property
    def seller_open_id(self) -> str:
        return self.open_id or self.member_id


class PriceRange(_Model):
    start_quantity: int = Field(ge=1)
    price: Money = Field(gt=0)


class Sku(_Model):
    spec_id: str = Field(min_length=1)
    attributes: dict[str, str] = Field(default_factory=dict)
    stock: int = Field(ge=0)
    sku_id: int | None = Field(default=None, ge=1)


class Freight(_Model):
    """One of ``{"flat": X}``, ``{"first_unit", "first_fee", "next_unit", "next_fee"}``, ``{"free": true}``."""

    flat: Money | None = Field(default=None, ge=0)
    first_unit: int | None = Field(default=None, ge=1)
    first_fee: Money | None = Field(default=None, ge=0)
    next_unit: int | None = Field(default=None, ge=1)
    next_fee: Money | None = Field(default=None, ge=0)
    free: bool | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Freight:
        per_piece = [self.first_unit, self.first_fee, self.next_unit, self.next_fee]
        forms = [self.flat is not None, any(v is not None for v in per_piece), bool(self.free)]
        if sum(forms) != 1:
            raise ValueError('freight must be exactly one of {"flat": X}, '
                             '{"first_unit", "first_fee", "next_unit", "next_fee"} or {"free": true}')
        if forms[1] and any(v is None for v in per_piece):
            raise ValueError("per-piece freight needs first_unit, first_fee, next_unit and next_fee")
        return self

    @property
    def kind(self) -> Literal["flat", "per_piece", "free"]:
        if self.flat is not None:
            return "flat"
        return "free" if self.free else "per_piece"


class OfferBehaviour(_Model):
    stock_at_order: int | None = Field(default=None, ge=0)


class Offer(_Model):
    offer_id: str = Field(pattern=r"^[1-9][0-9]{5,14}$")
    supplier_id: str
    subject: str = Field(min_length=1, max_length=200)
    category_id: int = Field(ge=1)
    status: str = "published"
    unit: str = "件"
    min_order_quantity: int = Field(default=1, ge=1)
    price_ranges: list[PriceRange] = Field(min_length=1)
    skus: list[Sku] = Field(min_length=1)
    freight: Freight
    tax_rate: Money = Field(default=Decimal("0"), ge=0, le=1)
    month_sold: int = Field(default=0, ge=0)
    # The seller's warehouse this offer ships from. A create whose lines come from two or more
    # warehouses is split by the platform into one order per warehouse (multiOrders); unset
    # offers share one default warehouse, so catalogs without it never split.
    warehouse: str | None = Field(default=None, min_length=1)
    # What a listing shows beyond the trade figures (served in product detail; `procure export`).
    description: str = ""
    images: list[str] = []
    attributes: dict[str, str] = {}
    weight_grams: float | None = Field(default=None, gt=0)
    behaviour: OfferBehaviour = OfferBehaviour()

    def sku_id(self, index: int) -> int:
        """The numeric skuId of ``skus[index]``: the catalog's, or one derived from the offer id."""
        return self.skus[index].sku_id or int(self.offer_id) * 1000 + index + 1

    def tier_price(self, quantity: int) -> Decimal:
        """Price of the last tier whose start quantity is reached (the first tier below it)."""
        price = self.price_ranges[0].price
        for tier in self.price_ranges:
            if quantity >= tier.start_quantity:
                price = tier.price
        return price


class Catalog(_Model):
    app: AppSettings
    suppliers: list[Supplier] = Field(min_length=1)
    offers: list[Offer] = Field(min_length=1)
    faults: FaultSettings = FaultSettings()

    def supplier(self, member_id: str) -> Supplier | None:
        return next((s for s in self.suppliers if s.member_id == member_id), None)

    def supplier_by_open_id(self, open_id: str) -> Supplier | None:
        return next((s for s in self.suppliers if s.seller_open_id == open_id), None)

    def offer(self, offer_id: str) -> Offer | None:
        return next((o for o in self.offers if o.offer_id == offer_id), None)


class CatalogError(ValueError):
    """A catalog that cannot be used; ``problems`` names each bad field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid catalog:\n  " + "\n  ".join(problems))


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "union[", "tagged-union")):
            continue  # pydantic's internal validator names mean nothing to a catalog author
        else:
            out += ("." if out else "") + str(part)
    return out or "(catalog)"


def _cross_check(catalog: Catalog) -> list[str]:
    problems: list[str] = []
    seen_suppliers: set[str] = set()
    for i, supplier in enumerate(catalog.suppliers):
        if supplier.member_id in seen_suppliers:
            problems.append(f"suppliers[{i}].member_id: duplicate supplier {supplier.member_id}")
        seen_suppliers.add(supplier.member_id)
    open_ids = [s.seller_open_id for s in catalog.suppliers]
    for i, open_id in enumerate(open_ids):
        if open_ids.index(open_id) != i:
            problems.append(f"suppliers[{i}].open_id: duplicate open id {open_id}")
    seen_offers: set[str] = set()
    for i, offer in enumerate(catalog.offers):
        if offer.offer_id in seen_offers:
            problems.append(f"offers[{i}].offer_id: duplicate offer {offer.offer_id}")
        seen_offers.add(offer.offer_id)
        if offer.supplier_id not in seen_suppliers:
            problems.append(f"offers[{i}].supplier_id: unknown supplier {offer.supplier_id}")
        starts = [tier.start_quantity for tier in offer.price_ranges]
        if starts != sorted(set(starts)):
            problems.append(f"offers[{i}].price_ranges: start_quantity must be strictly increasing, got {starts}")
        specs = [sku.spec_id for sku in offer.skus]
        if len(specs) != len(set(specs)):
            problems.append(f"offers[{i}].skus: duplicate spec_id in {specs}")
    return problems


def parse_catalog(data: Any) -> Catalog:
    """Validate catalog data (already parsed JSON); raise :class:`CatalogError` naming each bad field."""
    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as exc:
        raise CatalogError([f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]) from None
    problems = _cross_check(catalog)
    if problems:
        raise CatalogError(problems)
    return catalog


def load_catalog(path: str | Path) -> Catalog:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError([f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    return parse_catalog(data)


DEMO_CATALOG_PATH = Path(__file__).with_name("demo_catalog.json")


def demo_catalog() -> Catalog:
    """The small hand-written catalog shipped for the demo (纯棉T恤, 帆布包, 保温杯)."""
    return load_catalog(DEMO_CATALOG_PATH)
