"""The purchase request (INTERFACES.md section 1) and the one way to read it from JSON or YAML.

Validation refuses a bad request before any workflow starts and reports every problem at once with
its field path, so a buyer fixes the file in one go.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from domain.money import Yuan
from domain.problems import cap, problems_from
from domain.supplier import Rate

MAX_LINES = 500  # a big store or factory request; bench/scale.py runs one to the end
MAX_TOP_N = 50
# The ledger keeps money as numeric(14, 2): below 10^12 yuan. A request's prices, budget and the
# sum of its lines at their maximum price stay ten times under that, so an order total with
# freight and tax always fits and a ledger write can never fail on an amount from the request.
MONEY_LIMIT = 10**11

_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PHONE = re.compile(r"\+?[0-9][0-9 -]*")


class InvalidPurchaseRequest(Exception):
    """The request was refused; `.problems` has one 'path: message' per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid purchase request: " + "; ".join(problems))
        self.problems = problems


def _identifier(value: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise PydanticCustomError(
            "identifier", "must be 1 to 64 letters, digits, '.', '_' or '-'"
        )
    return value


def _printable(value: str) -> str:
    # Control characters in a keyword or an address end up in 1688 search terms, shipping labels
    # and logs, where they hide text or break lines.
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            raise PydanticCustomError("control_character", "must not contain control characters")
    return value


def _phone_number(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise PydanticCustomError("phone", "must be a phone number (digits, optionally +, spaces, -)")
    return value


def _digits(value: str) -> str:
    if value and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("digits", "must be digits only")
    return value


def _no_bool(value: Any) -> Any:
    # JSON `true` is not a quantity, although Python treats it as 1.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "must be a whole number")
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_identifier)]
Keyword = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
ShortText = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
SpecText = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_printable)]
Count = Annotated[int, BeforeValidator(_no_bool)]
Price = Annotated[Yuan, Field(ge=0, le=MONEY_LIMIT, decimal_places=2)]

_INPUT = ConfigDict(
    extra="forbid",
    frozen=True,
    str_strip_whitespace=True,
    # YAML reads `line_id: 1` and `mobile: 15251667788` as numbers; they are still identifiers.
    coerce_numbers_to_str=True,
)


class RequestLine(BaseModel):
    """One thing to buy: what (keyword, category, spec), how many, and at what unit price."""

    model_config = _INPUT

    line_id: Identifier
    keyword: Keyword
    quantity: Annotated[Count, Field(gt=0, le=10_000_000)]
    price_min: Price | None = None
    price_max: Price | None = None
    max_moq: Annotated[Count, Field(gt=0)] | None = None
    category_id: Annotated[Count, Field(gt=0)] | None = None
    spec: Annotated[dict[SpecText, SpecText], Field(max_length=20)] = Field(default_factory=dict)
    # Pinned to one 1688 offer (an RFQ's award): no search; that offer or nothing.
    offer_id: Annotated[str, Field(pattern=r"^[0-9]{1,20}$")] | None = None

    @field_validator("price_max")
    @classmethod
    def _range_not_inverted(cls, price_max: Decimal | None, info: ValidationInfo) -> Decimal | None:
        price_min = info.data.get("price_min")
        if price_max is not None and price_min is not None and price_min > price_max:
            raise PydanticCustomError(
                "price_range", "must not be below price_min ({price_min})", {"price_min": str(price_min)}
            )
        return price_max


class SupplierPolicy(BaseModel):
    """Which suppliers the buyer accepts. The defaults accept any supplier that is not blocked."""

    model_config = _INPUT

    min_years: Annotated[Count, Field(ge=0, le=100)] = 0
    min_repurchase_rate: Rate = Decimal(0)
    min_on_time_ship_rate: Rate = Decimal(0)
    max_dispute_rate: Rate = Decimal(1)
    min_score: Annotated[Decimal, Field(ge=0, le=5)] = Decimal(0)
    blocked_suppliers: Annotated[list[Identifier], Field(max_length=1000)] = Field(default_factory=list)


class DeliveryAddress(BaseModel):
    """Where the goods go; 1688's addressParam is built from these fields."""

    model_config = _INPUT

    full_name: ShortText
    mobile: Annotated[str, Field(min_length=5, max_length=20), AfterValidator(_phone_number)]
    province: ShortText
    city: ShortText
    area: Annotated[str, Field(max_length=100), AfterValidator(_printable)] = ""
    address: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_printable)]
    post_code: Annotated[str, Field(max_length=10), AfterValidator(_digits)] = ""


class PurchaseRequest(BaseModel):
    """A purchase request: up to 500 lines, the supplier policy, the delivery address."""

    model_config = _INPUT

    request_id: Identifier
    requester: ShortText | None = None
    lines: Annotated[list[RequestLine], Field(min_length=1, max_length=MAX_LINES)]
    supplier_policy: SupplierPolicy = Field(default_factory=SupplierPolicy)
    delivery: DeliveryAddress
    needs_vat_invoice: bool = False
    budget: Price | None = None
    approval_threshold: Price | None = None
    top_n: Annotated[Count, Field(ge=1, le=MAX_TOP_N)] = 10

    @field_validator("lines")
    @classmethod
    def _line_ids_unique(cls, lines: list[RequestLine]) -> list[RequestLine]:
        duplicates = duplicate_line_ids([line.line_id for line in lines])
        if duplicates:
            raise PydanticCustomError("duplicate_line_id", duplicates[0])
        most = sum((Decimal(l.price_max) * l.quantity for l in lines if l.price_max is not None), Decimal(0))
        if most > MONEY_LIMIT:
            raise PydanticCustomError(
                "money_limit", "quantity times price_max adds up to {most} yuan, above the limit of {limit}",
                {"most": f"{most:.2f}", "limit": str(MONEY_LIMIT)},
            )
        return lines

    def line(self, line_id: str) -> RequestLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)


def duplicate_line_ids(line_ids: list[Any]) -> list[str]:
    """A message for each line_id used more than once; line ids must name one line each."""
    seen: dict[str, list[int]] = {}
    for index, line_id in enumerate(line_ids):
        if isinstance(line_id, int) and not isinstance(line_id, bool):
            line_id = str(line_id)
        if isinstance(line_id, str) and _IDENTIFIER.fullmatch(line_id.strip()):
            seen.setdefault(line_id.strip(), []).append(index)
    return [
        f'line_id "{line_id}" is used by more than one line: '
        + ", ".join(f"lines[{i}]" for i in indexes)
        for line_id, indexes in seen.items()
        if len(indexes) > 1
    ]


def parse_purchase_request(
    raw: str | bytes | dict[str, Any], *, fmt: Literal["json", "yaml"] | None = None
) -> PurchaseRequest:
    """Read a purchase request from JSON or YAML text (or an already-parsed dict).

    With `fmt=None` text starting with `{` is read as JSON, anything else as YAML. Raises
    `InvalidPurchaseRequest` listing every problem; never echoes the input back.
    """
    document = raw if isinstance(raw, dict) else _load(raw, fmt)
    try:
        return PurchaseRequest.model_validate(document)
    except ValidationError as error:
        problems = problems_from(error, limit=10**9)
    # Duplicate line ids are only checked once every line is valid; report them with the other
    # problems anyway, so the buyer does not have to fix the file twice.
    lines = document.get("lines") if isinstance(document, dict) else None
    if isinstance(lines, list):
        ids = [line.get("line_id") if isinstance(line, dict) else None for line in lines]
        for message in duplicate_line_ids(ids):
            if f"lines: {message}" not in problems:
                problems.append(f"lines: {message}")
    raise InvalidPurchaseRequest(cap(problems))


def _load(raw: str | bytes, fmt: Literal["json", "yaml"] | None) -> Any:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidPurchaseRequest([f"not valid UTF-8 text at byte {error.start}"]) from None
    if fmt is None:
        fmt = "json" if raw.lstrip("\ufeff \t\r\n").startswith("{") else "yaml"
    try:
        return _load_json(raw) if fmt == "json" else _load_yaml(raw)
    except RecursionError:
        raise InvalidPurchaseRequest([f"not valid {fmt.upper()}: nested too deeply"]) from None


def _load_json(text: str) -> Any:
    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number")

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # Python keeps the last of two equal keys; a file with "quantity" twice is a mistake.
        document: dict[str, Any] = {}
        for key, value in pairs:
            if key in document:
                raise ValueError(f'the key "{key[:40]}" appears twice in one object')
            document[key] = value
        return document

    try:
        # Decimal, not float: "45.10" stays 45.10 all the way to the order.
        return json.loads(
            text, parse_float=Decimal, parse_constant=refuse_constant, object_pairs_hook=unique_keys
        )
    except json.JSONDecodeError as error:
        raise InvalidPurchaseRequest(
            [f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    except ValueError as error:
        raise InvalidPurchaseRequest([f"not valid JSON: {error}"]) from None


def _load_yaml(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader, as yaml.safe_load uses
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1} column {mark.column + 1}"
        problem = getattr(error, "problem", None) or "cannot be read"
        raise InvalidPurchaseRequest([f"not valid YAML: {problem}{where}"]) from None
