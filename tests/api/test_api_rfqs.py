"""`/v1/rfqs` and `procure rfq` end to end on the dev server: the real stack (`procure up`), the
simulator's factories quoting on its clock, an award by an approver, and the procurement it starts."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from api_stack import ApiStack, bearer


def wait_until(check: Callable[[], tuple[bool, Any]], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        done, last = check()
        if done:
            return last
        time.sleep(0.5)  # a polling interval: the condition is checked again, up to the deadline
    raise AssertionError(f"no {what} within {timeout} s; last: {json.dumps(last, ensure_ascii=False)[:3000]}")


def rfq_body(**changes: Any) -> dict[str, Any]:
    return {
        "rfq_id": f"RFQ-API-{uuid.uuid4().hex[:8]}", "requester": "plant-3", "subject": "保温杯",
        "drawing_ref": "DWG-0042", "material": "316不锈钢", "quantity_tiers": [50, 200],
        "target_date": (date.today() + timedelta(days=30)).isoformat(),
        "factories": ["b2b-3001", "b2b-3002"], "award_threshold": "100.00",
        "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市",
                     "area": "滨江区", "address": "网商路699号"},
        **changes,
    }


def test_an_rfq_collects_quotes_waits_for_a_person_and_the_award_starts_a_procurement(api_stack: ApiStack):
    erp, approver, warehouse = api_stack.new_key("erp"), api_stack.new_key("approver"), api_stack.new_key("warehouse")
    http = api_stack.http
    body = rfq_body()
    rfq_id = body["rfq_id"]

    # Bad input and the wrong role change nothing.
    bad = http.post(f"{api_stack.api}/v1/rfqs", json={**body, "quantity_tiers": [], "factories": []}, headers=bearer(erp))
    assert bad.status_code == 422 and len(bad.json()["problems"]) >= 1
    assert http.post(f"{api_stack.api}/v1/rfqs", json=body, headers=bearer(warehouse)).status_code == 403

    started = http.post(f"{api_stack.api}/v1/rfqs", json=body, headers=bearer(erp))
    assert started.status_code == 201, started.text
    assert started.json()["workflow_id"] == f"rfq-{rfq_id}"
    again = http.post(f"{api_stack.api}/v1/rfqs", json=body, headers=bearer(erp))
    assert again.status_code == 200 and again.json()["started"] is False

    def waiting() -> tuple[bool, Any]:
        state = http.get(f"{api_stack.api}/v1/rfqs/{rfq_id}", headers=bearer(approver)).json()
        return state.get("stage") == "AWAITING_AWARD", state

    state = wait_until(waiting, "RFQ waiting for an award")
    ranked = [s["supplier_id"] for s in state["comparison"]["ranked"]]
    assert sorted(ranked) == ["b2b-3001", "b2b-3002"]
    assert rfq_id in {i["pr_id"] for i in http.get(f"{api_stack.sim}/inquiries").json()}

    # Ops find it in the Web UI and visibility by its id, like a procurement.
    assert api_stack.workflows_of(rfq_id) >= 1

    # The command line shows the same RFQ.
    shown = api_stack.procure("rfq", "status", rfq_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["stage"] == "AWAITING_AWARD"

    refused = http.post(f"{api_stack.api}/v1/rfqs/{rfq_id}/award", json={"supplier_id": "b2b-1001"}, headers=bearer(approver))
    assert refused.status_code == 409 and "b2b-1001 has no qualified quote" in refused.text
    assert http.post(f"{api_stack.api}/v1/rfqs/{rfq_id}/award", json={}, headers=bearer(erp)).status_code == 403

    awarded = http.post(f"{api_stack.api}/v1/rfqs/{rfq_id}/award", json={"supplier_id": ranked[0]}, headers=bearer(approver))
    assert awarded.status_code == 200, awarded.text
    assert awarded.json()["stage"] == "AWARDED"
    request_id = f"{rfq_id}-award"

    procurement = api_stack.wait_for(request_id, "order", lambda view: bool(view["orders"]))
    assert {o["supplier_id"] for o in procurement["orders"]} == {ranked[0]}
