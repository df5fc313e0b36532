"""The API's rules without servers: who may do what, rates, request differences, the OpenAPI file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.idempotency import differences
from api.keys import check_name
from api.limits import RateLimit
from api.openapi import document, text
from api.roles import PERMISSIONS, Action, Role, allowed
from domain.request import parse_purchase_request

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "starter" / "sample_request.json").read_text(encoding="utf-8"))


def test_roles_follow_interfaces_section_5():
    may = {action: {role.value for role in Role if allowed(role, action)} for action in Action}
    assert may[Action.START] == {"erp", "ops"}
    assert may[Action.APPROVE] == {"approver"}
    assert may[Action.CANCEL] == {"erp", "ops"}
    assert may[Action.QC] == {"warehouse"}
    assert may[Action.LIST_QC] == {"warehouse", "ops"}
    assert "pos" not in may[Action.READ] and set(PERMISSIONS) == set(Action)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_calls_come_at_the_rate_and_each_caller_has_its_own():
    clock = Clock()
    limit = RateLimit(per_minute=60, burst=3, clock=clock)
    assert [limit.take("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limit.take("a")
    assert not refused.allowed and refused.retry_after == 1 and not refused.first_refusal  # the burst's second
    assert limit.take("b").allowed  # another key is not slowed by "a"
    clock.now += 1.0
    again = limit.take("a")
    assert again.allowed
    assert limit.take("a").first_refusal  # a new burst of refusals begins: worth one audit row
    assert not limit.check("a").allowed and limit.check("b").allowed


def test_the_table_of_callers_stays_bounded():
    limit = RateLimit(per_minute=60, burst=1, clock=Clock(), max_callers=100)
    for n in range(1000):
        limit.take(f"caller-{n}")
    assert len(limit._buckets) == 100


def test_differences_name_fields_never_values():
    before = parse_purchase_request(SAMPLE)
    same = parse_purchase_request({**SAMPLE, "top_n": SAMPLE["top_n"], "needs_vat_invoice": False})
    assert differences(before, same) == []
    changed = {**SAMPLE, "budget": "1.00", "delivery": {**SAMPLE["delivery"], "mobile": "13800000000"},
               "lines": SAMPLE["lines"][:2]}
    found = differences(before, parse_purchase_request(changed))
    assert found == ["lines: 3 items before, 2 now", "delivery.mobile", "budget"]
    assert not any("13800000000" in d or "15251667788" in d for d in found)


def test_the_committed_openapi_document_is_the_one_the_code_makes():
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert committed == text(), "regenerate it: .venv/bin/python -m api.openapi > docs/openapi.json"
    paths = document()["paths"]
    assert {"/v1/purchase-requests", "/v1/purchase-requests/{request_id}", "/v1/purchase-requests/{request_id}/approve",
            "/v1/purchase-requests/{request_id}/cancel", "/v1/orders/{order_id}/qc", "/v1/openapi.json"} <= set(paths)
    start = paths["/v1/purchase-requests"]["post"]
    assert {"200", "201", "401", "403", "409", "413", "422", "429"} <= set(start["responses"])
    assert start["x-roles"] == ["erp", "ops"]


@pytest.mark.parametrize("name", ["erp-main", "li.wei@dock-3", "a"])
def test_key_names_people_use_are_accepted(name: str):
    assert check_name(name) == name
