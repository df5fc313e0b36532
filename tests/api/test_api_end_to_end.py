"""The HTTP API over real HTTP, as an ERP, an approver, a warehouse and ops use it.

Each test makes its own keys (`procure api-key create`) and its own request ids on the shared
stack (tests/api/conftest.py). "Nothing changed" is checked where it would show: no workflow for
a refused request, the order still waiting, the state as it was.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from api_stack import ROOT, ApiStack, purchase_request

from api.schemas import Page, ProcurementView, Started

BASE = "/v1/purchase-requests"


def orders_in(state: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [o for o in state["orders"] if o["status"] == status]


def test_an_erp_key_starts_a_procurement_once_and_a_conflicting_body_changes_nothing(api_stack: ApiStack):
    erp = api_stack.new_key("erp")
    body = purchase_request(["2"])
    request_id = body["request_id"]

    first = api_stack.call("POST", BASE, erp, json=body)
    assert first.status_code == 201, first.text
    started = Started.model_validate(first.json())
    assert started.started is True and started.workflow_id == f"pr-{request_id}"
    assert first.headers["location"] == f"{BASE}/{request_id}"
    assert started.web_ui.endswith(f"/namespaces/default/workflows/pr-{request_id}")

    # The same request again (keys in another order, defaults spelled out): the one that exists.
    again_body = dict(reversed(list({**body, "top_n": body.get("top_n", 10)}.items())))
    again = api_stack.call("POST", BASE, erp, content=json.dumps(again_body, ensure_ascii=False).encode())
    assert again.status_code == 200, again.text
    assert again.json()["started"] is False
    assert (again.json()["workflow_id"], again.json()["run_id"]) == (started.workflow_id, started.run_id)

    # The same id with another body: 409 naming what differs; the procurement keeps its own.
    changed = {**body, "budget": "9000.00", "lines": [{**body["lines"][0], "quantity": 99}]}
    conflict = api_stack.call("POST", BASE, erp, json=changed)
    assert conflict.status_code == 409, conflict.text
    assert conflict.json()["differences"] == ["lines[0].quantity", "budget"]
    assert "nothing new was started" in conflict.json()["error"]

    state = api_stack.state(request_id, erp)
    assert state is not None
    ProcurementView.model_validate(state)  # the shape the OpenAPI document promises
    assert state["request_id"] == request_id and state["lines"][0]["quantity"] == 100
    assert api_stack.workflows_of(request_id) >= 1  # the procurement (and, soon, its orders)
    assert api_stack.call("GET", f"{BASE}/{request_id}", erp).json()["workflow_id"] == started.workflow_id

    # Every call is in the ledger: who, what, when, and what they got.
    audit = api_stack.ledger("SELECT key_name, role, action, method, target, status FROM api_key_audit "
                             "WHERE target = $1 ORDER BY id", request_id)
    assert [(a["action"], a["status"]) for a in audit] == [
        ("start_purchase_request", 201), ("start_purchase_request", 200), ("start_purchase_request", 409),
        ("read_purchase_requests", 200), ("read_purchase_requests", 200)]
    assert {(a["key_name"], a["role"]) for a in audit} == {(audit[0]["key_name"], "erp")}


def test_malformed_bodies_get_422_one_problem_each_and_start_nothing(api_stack: ApiStack):
    erp = api_stack.new_key("erp")
    bad_lines = purchase_request(["1"], unknown_field=1)
    bad_lines["lines"] = [{**bad_lines["lines"][0], "quantity": 0, "price_min": "60.00"}]
    bodies: list[tuple[bytes, list[str]]] = [
        (json.dumps(bad_lines).encode(), ["lines[0].quantity: must be greater than 0",
                                           "lines[0].price_max: must not be below price_min (60.00)",
                                           "unknown_field: is not a known field"]),
        (b'{"request_id": "PR-API-broken", "lines": [', ["not valid JSON: Expecting value"]),
        (b"[1, 2]", ["request: must be an object"]),
        (b"", ["not valid JSON"]),
        (b'{"request_id": "PR-API-nolines", "delivery": {}}', ["lines: is required", "delivery.full_name: is required"]),
    ]
    before = len(api_stack.sim_orders())
    for raw, expected in bodies:
        response = api_stack.call("POST", BASE, erp, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (raw[:60], response.text)
        problems = response.json()["problems"]
        for fragment in expected:
            assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems_of(api_stack, erp, bad_lines)) == 3  # one entry per problem, no more

    # A 2 MB keyword is refused for its size, before anything reads it.
    huge = purchase_request(["1"])
    huge["lines"] = [{**huge["lines"][0], "keyword": "棉" * 700_000}]
    too_big = api_stack.call("POST", BASE, erp, json=huge)
    assert too_big.status_code == 413, too_big.text

    for request_id in (bad_lines["request_id"], "PR-API-broken", "PR-API-nolines", huge["request_id"]):
        assert api_stack.call("GET", f"{BASE}/{request_id}", erp).status_code == 404
        assert api_stack.workflows_of(request_id) == 0
    assert len(api_stack.sim_orders()) >= before  # (other tests' procurements may order meanwhile)

    # Bad parameters and bodies elsewhere are 422 too.
    listing = api_stack.call("GET", f"{BASE}?stage=NOPE&limit=0&colour=red", erp)
    assert listing.status_code == 422
    assert len(listing.json()["problems"]) == 3
    assert api_stack.call("GET", f"{BASE}/{'x' * 80}", erp).status_code == 422
    warehouse = api_stack.new_key("warehouse")
    qc = api_stack.call("POST", "/v1/orders/123/qc", warehouse, json={"decision": "maybe", "lines": [{"rejected_qty": -1}]})
    assert qc.status_code == 422
    assert sorted(qc.json()["problems"]) == sorted([
        "decision: must be one of 'accept' or 'reject'", "lines[0].line_id: is required",
        "lines[0].rejected_qty: must be at least 0"])


def problems_of(api_stack: ApiStack, key: str, body: dict[str, Any]) -> list[str]:
    return api_stack.call("POST", BASE, key, json=body).json()["problems"]


def test_wrong_keys_and_roles_are_refused_and_change_nothing(api_stack: ApiStack):
    body = purchase_request(["3"])
    request_id = body["request_id"]
    refused = {
        "no key": api_stack.call("POST", BASE, None, json=body),
        "a made-up key": api_stack.call("POST", BASE, "prk_" + "x" * 43, json=body),
        "not even a bearer": api_stack.call("POST", BASE, None, json=body, headers={"Authorization": "Basic abc"}),
    }
    revoked = api_stack.new_key("erp", "erp-revoked")
    assert api_stack.procure("api-key", "revoke", "erp-revoked").returncode == 0
    refused["a revoked key"] = api_stack.call("POST", BASE, revoked, json=body)
    for what, response in refused.items():
        assert response.status_code == 401, what
        assert response.headers["www-authenticate"] == "Bearer"

    for role in ("warehouse", "approver", "pos"):
        response = api_stack.call("POST", BASE, api_stack.new_key(role), json=body)
        assert response.status_code == 403, role
        assert f"may not do this (start_purchase_request); allowed: erp, ops" in response.json()["error"]
    assert api_stack.call("GET", f"{BASE}/{request_id}", api_stack.new_key("pos")).status_code == 403
    assert api_stack.state(request_id) is None
    assert api_stack.workflows_of(request_id) == 0

    # A key with a short life works, then stops: 401, with nothing else about it.
    short = api_stack.new_key("erp", expires_in=timedelta(seconds=2))
    assert api_stack.call("GET", BASE + "?limit=1", short).status_code == 200
    assert poll(lambda: api_stack.call("GET", BASE + "?limit=1", short).status_code == 401, 15)

    audit = api_stack.ledger("SELECT key_name, status FROM api_key_audit WHERE status IN (401, 403) "
                             "AND action = 'start_purchase_request' AND called_at > now() - interval '5 minutes'")
    assert sum(1 for a in audit if a["status"] == 401 and a["key_name"] is None) >= 4
    assert sum(1 for a in audit if a["status"] == 403 and a["key_name"]) >= 3


def poll(probe: Callable[[], bool], timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return True
        time.sleep(every)
    return False


def test_an_approver_key_approves_and_other_roles_cannot(api_stack: ApiStack):
    erp = api_stack.new_key("erp")
    body = purchase_request(["3"], approval_threshold="1000.00")
    request_id = body["request_id"]
    assert api_stack.call("POST", BASE, erp, json=body).status_code == 201
    state = api_stack.wait_for(request_id, "an order awaiting approval", lambda s: bool(orders_in(s, "awaiting_approval")))
    held = orders_in(state, "awaiting_approval")[0]

    for key in (erp, api_stack.new_key("warehouse"), api_stack.ops_key):
        response = api_stack.call("POST", f"{BASE}/{request_id}/approve", key, json={"by": "someone"})
        assert response.status_code == 403, response.text
    still = api_stack.state(request_id)
    assert still is not None and orders_in(still, "awaiting_approval")[0]["approval"]["approved_by"] is None

    approver = api_stack.new_key("approver", "wang.fang-key")
    approved = api_stack.call("POST", f"{BASE}/{request_id}/approve", approver, json={"by": "wang.fang"})
    assert approved.status_code == 200, approved.text
    assert approved.json() == {"request_id": request_id, "released": [held["order_id"]]}
    api_stack.wait_for(request_id, "the approval recorded",
                       lambda s: s["orders"][0]["approval"]["approved_by"] == "wang.fang")

    # Nothing waits any more: the procurement's validator refuses, and says why.
    again = api_stack.call("POST", f"{BASE}/{request_id}/approve", approver)
    assert again.status_code == 409
    assert again.json()["reason"] == "no payment is waiting for approval"
    assert api_stack.call("POST", f"{BASE}/NO-SUCH-REQUEST/approve", approver).status_code == 404


def test_an_erp_key_cancels_what_is_not_paid(api_stack: ApiStack):
    erp = api_stack.new_key("erp", "erp-cancel")
    body = purchase_request(["2"], approval_threshold="500.00")
    request_id = body["request_id"]
    assert api_stack.call("POST", BASE, erp, json=body).status_code == 201
    state = api_stack.wait_for(request_id, "an order awaiting approval", lambda s: bool(orders_in(s, "awaiting_approval")))
    held = orders_in(state, "awaiting_approval")[0]

    cancelled = api_stack.call("POST", f"{BASE}/{request_id}/cancel", erp, json={"reason": "the store closed"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["cancelled"] == [held["order_id"]]
    assert api_stack.call("POST", f"{BASE}/{request_id}/cancel", erp).status_code == 409  # already cancelling
    state = api_stack.wait_for(request_id, "the end", lambda s: s["stage"] in ("CANCELLED", "FAILED", "COMPLETED"))
    assert state["stage"] == "CANCELLED" and state["cancel_reason"] == "the store closed"


def test_the_list_pages_through_procurements_by_stage(api_stack: ApiStack):
    reader = api_stack.new_key("approver")
    everything = api_stack.call("GET", BASE, reader, params={"limit": "200"}).json()["items"]
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        response = api_stack.call("GET", BASE, reader, params={"limit": "2", **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = Page.model_validate(response.json())
        assert len(page.items) <= 2
        seen += [row.request_id for row in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert cursor is None
    # Page by page, every procurement once (after the tests above, there are five or more).
    assert len(seen) == len(set(seen))
    assert set(seen) == {row["request_id"] for row in everything}
    assert api_stack.qc_request_id in seen

    def cancelled() -> list[dict[str, Any]]:  # visibility follows a stage change a moment later
        return api_stack.call("GET", BASE, reader, params={"stage": "cancelled"}).json()["items"]

    assert poll(lambda: bool(cancelled()), 15)
    assert all(row["stage"] == "CANCELLED" and row["status"] in ("RUNNING", "COMPLETED") for row in cancelled())
    bad_cursor = api_stack.call("GET", BASE, reader, params={"cursor": "bm90IGEgY3Vyc29y"})
    assert bad_cursor.status_code == 422, bad_cursor.text


def test_a_flood_from_one_key_is_refused_and_others_carry_on(api_stack: ApiStack):
    flooder = api_stack.new_key("pos", "pos-flood")
    erp = api_stack.new_key("erp")

    def hammer() -> list[httpx.Response]:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: api_stack.call("GET", f"{BASE}/PR-ANY", flooder), range(150)))

    answers = hammer()
    statuses = [r.status_code for r in answers]
    # A burst of 60, then 5 a second (API_REQUESTS_PER_MINUTE=300 in the test stack).
    assert statuses.count(403) >= 60 and statuses.count(429) >= 20, statuses
    assert all(r.headers["retry-after"].isdigit() for r in answers if r.status_code == 429)
    assert api_stack.call("GET", BASE + "?limit=1", erp).status_code == 200

    audit = api_stack.ledger("SELECT status FROM api_key_audit WHERE key_name = 'pos-flood'")
    refused_rows = sum(1 for a in audit if a["status"] == 429)
    assert 1 <= refused_rows <= statuses.count(403) + 1  # never more rows than the rate lets through


def test_the_openapi_document_served_is_the_committed_one_and_needs_no_key(api_stack: ApiStack):
    served = api_stack.call("GET", "/v1/openapi.json", None)
    assert served.status_code == 200
    assert served.json() == json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert api_stack.call("GET", "/v1/health", None).json() == {"status": "ok"}
    assert api_stack.call("GET", "/v1/no-such-thing", api_stack.ops_key).status_code == 404
