"""The purchase request: what is accepted, and the exact message for each thing that is not."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from domain.request import InvalidPurchaseRequest, PurchaseRequest, parse_purchase_request

EXAMPLE: dict[str, Any] = {
    "request_id": "PR-2026-0001",
    "requester": "store-17",
    "lines": [
        {"line_id": "1", "keyword": "纯棉T恤", "quantity": 30,
         "price_min": "30.00", "price_max": "50.00", "max_moq": 100,
         "category_id": None, "spec": {"颜色": "白色"}}
    ],
    "supplier_policy": {"min_years": 3, "min_repurchase_rate": 0.25,
                        "min_on_time_ship_rate": 0.80, "max_dispute_rate": 0.05,
                        "min_score": 4.5, "blocked_suppliers": []},
    "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省",
                 "city": "杭州市", "area": "滨江区", "address": "网商路699号"},
    "needs_vat_invoice": False,
    "budget": "5000.00",
    "approval_threshold": "3000.00",
    "top_n": 10,
}


def problems_of(raw: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(InvalidPurchaseRequest) as caught:
        parse_purchase_request(raw, **kwargs)
    return caught.value.problems


def changed(path: str, value: Any) -> dict[str, Any]:
    """The example with one field set (or removed, for value ...) at a dotted path."""
    document = copy.deepcopy(EXAMPLE)
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return document


def test_the_interfaces_example_is_accepted_with_its_values() -> None:
    request = parse_purchase_request(json.dumps(EXAMPLE, ensure_ascii=False))
    assert request.request_id == "PR-2026-0001"
    assert request.lines[0].price_max == Decimal("50.00")
    assert request.supplier_policy.min_repurchase_rate == Decimal("0.25")
    assert request.supplier_policy.min_score == Decimal("4.5")
    assert request.budget == Decimal("5000.00")
    assert request.lines[0].spec == {"颜色": "白色"}


def test_only_the_required_fields_are_needed_and_the_rest_default() -> None:
    request = parse_purchase_request({
        "request_id": "PR-1",
        "lines": [{"line_id": "1", "keyword": "T恤", "quantity": 1}],
        "delivery": EXAMPLE["delivery"],
    })
    assert request.top_n == 10
    assert request.needs_vat_invoice is False
    assert request.supplier_policy.max_dispute_rate == Decimal(1)
    assert request.lines[0].spec == {}
    assert request.budget is None


def test_yaml_is_read_like_json_and_bare_numbers_become_identifiers() -> None:
    text = """
request_id: PR-2026-0002
lines:
  - line_id: 1
    keyword: 纯棉T恤
    quantity: 30
    price_max: 50.10
delivery:
  full_name: 张三
  mobile: 15251667788
  province: 浙江省
  city: 杭州市
  address: 网商路699号
"""
    request = parse_purchase_request(text)
    assert request.lines[0].line_id == "1"
    assert request.lines[0].price_max == Decimal("50.10")
    assert request.delivery.mobile == "15251667788"


def test_json_numbers_are_read_as_decimals_not_floats() -> None:
    request = parse_purchase_request('{"request_id": "PR-1", "lines": [{"line_id": "1", '
                                     '"keyword": "x", "quantity": 1, "price_max": 0.1}], '
                                     '"delivery": ' + json.dumps(EXAMPLE["delivery"]) + "}")
    assert request.lines[0].price_max == Decimal("0.1")


def test_money_serialises_as_decimal_strings_and_round_trips() -> None:
    request = parse_purchase_request(EXAMPLE)
    dumped = json.loads(request.model_dump_json())
    assert dumped["budget"] == "5000.00"
    assert dumped["lines"][0]["price_min"] == "30.00"
    assert PurchaseRequest.model_validate_json(request.model_dump_json()) == request


BAD_REQUESTS: list[tuple[str, Any, str]] = [
    ("quantity zero", changed("lines.0.quantity", 0), "lines[0].quantity: must be greater than 0"),
    ("quantity negative", changed("lines.0.quantity", -5), "lines[0].quantity: must be greater than 0"),
    ("quantity fractional", changed("lines.0.quantity", 1.5), "lines[0].quantity: must be a whole number"),
    ("quantity boolean", changed("lines.0.quantity", True), "lines[0].quantity: must be a whole number"),
    ("quantity text", changed("lines.0.quantity", "many"), "lines[0].quantity: must be a whole number"),
    ("missing request_id", changed("request_id", ...), "request_id: is required"),
    ("missing delivery", changed("delivery", ...), "delivery: is required"),
    ("missing keyword", changed("lines.0.keyword", ...), "lines[0].keyword: is required"),
    ("missing mobile", changed("delivery.mobile", ...), "delivery.mobile: is required"),
    ("unknown field", changed("lines.0.colour", "red"), "lines[0].colour: is not a known field"),
    ("unknown top-level field", changed("urgent", True), "urgent: is not a known field"),
    ("inverted price range", changed("lines.0.price_min", "60.00"),
     "lines[0].price_max: must not be below price_min (60.00)"),
    ("price with fractions of a fen", changed("lines.0.price_max", "50.001"),
     "lines[0].price_max: must have at most 2 decimal places"),
    ("negative price", changed("lines.0.price_min", "-1"), "lines[0].price_min: must be at least 0"),
    ("price not a number", changed("budget", "lots"), 'budget: must be an amount in yuan like "45.00"'),
    ("price infinite", changed("budget", "Infinity"), "budget: must be a finite amount"),
    ("price absurd", changed("budget", "1E+13"), "budget: must be at most 100000000000"),
    # The ledger keeps money as numeric(14, 2): a request whose sums could not be written is refused.
    ("a line too dear for the ledger", changed("lines", [
        {"line_id": "1", "keyword": "x", "quantity": 10_000_000, "price_max": "99999.00"},
    ]), "lines: quantity times price_max adds up to 999990000000.00 yuan, above the limit of 100000000000"),
    ("lines adding up beyond the ledger", changed("lines", [
        {"line_id": str(i), "keyword": "x", "quantity": 1_000_000, "price_max": "60000.00"} for i in range(2)
    ]), "lines: quantity times price_max adds up to 120000000000.00 yuan, above the limit of 100000000000"),
    ("no lines", changed("lines", []), "lines: must have at least 1 item(s)"),
    ("too many lines", changed("lines", [
        {"line_id": str(i), "keyword": "x", "quantity": 1} for i in range(501)
    ]), "lines: must have at most 500 items, not 501"),
    ("empty keyword", changed("lines.0.keyword", "   "), "lines[0].keyword: must not be empty"),
    ("control character in keyword", changed("lines.0.keyword", "T恤\x00"),
     "lines[0].keyword: must not contain control characters"),
    ("newline in address", changed("delivery.address", "网商路\n699号"),
     "delivery.address: must not contain control characters"),
    ("bad request_id", changed("request_id", "PR 2026/1"),
     "request_id: must be 1 to 64 letters, digits, '.', '_' or '-'"),
    ("request_id too long", changed("request_id", "P" * 65),
     "request_id: is too long (65 characters); at most 64 characters"),
    ("repurchase rate above 1", changed("supplier_policy.min_repurchase_rate", 25),
     "supplier_policy.min_repurchase_rate: must be at most 1"),
    ("score above 5", changed("supplier_policy.min_score", "5.5"),
     "supplier_policy.min_score: must be at most 5"),
    ("top_n zero", changed("top_n", 0), "top_n: must be at least 1"),
    ("top_n too large", changed("top_n", 51), "top_n: must be at most 50"),
    ("max_moq zero", changed("lines.0.max_moq", 0), "lines[0].max_moq: must be greater than 0"),
    ("spec not an object", changed("lines.0.spec", ["白色"]), "lines[0].spec: must be an object"),
    ("line not an object", changed("lines", ["T恤"]), "lines[0]: must be an object"),
    ("bad mobile", changed("delivery.mobile", "call me"),
     "delivery.mobile: must be a phone number (digits, optionally +, spaces, -)"),
    ("vat flag not boolean", changed("needs_vat_invoice", "sometimes"),
     "needs_vat_invoice: must be true or false"),
    ("duplicate line ids", changed("lines", [
        {"line_id": "1", "keyword": "a", "quantity": 1},
        {"line_id": "2", "keyword": "b", "quantity": 1},
        {"line_id": "1", "keyword": "c", "quantity": 1},
    ]), 'lines: line_id "1" is used by more than one line: lines[0], lines[2]'),
    ("not an object", ["a", "list"], "request: must be an object"),
]


@pytest.mark.parametrize(
    ("raw", "message"), [(raw, message) for _, raw, message in BAD_REQUESTS],
    ids=[name for name, _, _ in BAD_REQUESTS],
)
def test_a_bad_request_is_refused_with_its_message(raw: Any, message: str) -> None:
    if isinstance(raw, dict):
        assert problems_of(raw) == [message]
        # The same document sent as JSON text gives the same answer.
        assert problems_of(json.dumps(raw, ensure_ascii=False)) == [message]
    else:
        assert problems_of(json.dumps(raw)) == [message]


BAD_TEXT: list[tuple[str, str, dict[str, Any], str]] = [
    ("json syntax", '{\n  "request_id": "PR-1",\n  "lines": [\n    oops\n]}', {},
     "not valid JSON: Expecting value at line 4 column 5"),
    ("json NaN", '{"request_id": "PR-1", "budget": NaN}', {}, "not valid JSON: NaN is not a number"),
    ("json duplicate key", '{"request_id": "PR-1", "request_id": "PR-2"}', {},
     'not valid JSON: the key "request_id" appears twice in one object'),
    ("json nested too deeply", "{" + '"a":' + "[" * 100_000 + "]" * 100_000 + "}", {},
     "not valid JSON: nested too deeply"),
    ("empty yaml", "", {}, "request: must be an object"),
]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"), [(text, kwargs, message) for _, text, kwargs, message in BAD_TEXT],
    ids=[name for name, *_ in BAD_TEXT],
)
def test_unreadable_text_is_refused_with_where_it_went_wrong(
    text: str, kwargs: dict[str, Any], message: str
) -> None:
    assert problems_of(text, **kwargs) == [message]


def test_bad_yaml_says_where() -> None:
    # libyaml and pure-Python PyYAML word the problem differently; the place is the same.
    [problem] = problems_of("request_id: PR-1\n lines: 2\n", fmt="yaml")
    assert problem.startswith("not valid YAML: mapping values are not allowed")
    assert problem.endswith("at line 2 column 7")


def test_bytes_that_are_not_utf8_are_refused() -> None:
    assert problems_of(b'{"request_id": "\xff"}') == ["not valid UTF-8 text at byte 16"]


def test_every_problem_is_reported_at_once_each_with_its_path() -> None:
    document = changed("lines", [
        {"line_id": "1", "keyword": "a", "quantity": 0},
        {"line_id": "1", "keyword": "b", "quantity": 1, "price_min": "9", "price_max": "8"},
    ])
    document["delivery"] = {**EXAMPLE["delivery"], "city": ""}
    assert problems_of(document) == [
        "lines[0].quantity: must be greater than 0",
        "lines[1].price_max: must not be below price_min (9)",
        "delivery.city: must not be empty",
        'lines: line_id "1" is used by more than one line: lines[0], lines[1]',
    ]


def test_a_10_mb_keyword_gives_a_short_message_without_the_input() -> None:
    raw = json.dumps(changed("lines.0.keyword", "棉" * 10_000_000), ensure_ascii=False)
    with pytest.raises(InvalidPurchaseRequest) as caught:
        parse_purchase_request(raw.encode())
    assert caught.value.problems == [
        "lines[0].keyword: is too long (10000000 characters); at most 100 characters"
    ]
    assert len(str(caught.value)) < 200


def test_a_flood_of_problems_is_capped_with_a_count() -> None:
    document = changed("lines", [{"line_id": str(i), "keyword": "x", "quantity": 0} for i in range(120)])
    problems = problems_of(document)
    assert len(problems) == 51
    assert problems[-1] == "... and 70 more problems"
