"""The simulator's licence register and its knob to make a licence expire."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from simulator import SimClock


async def test_register_states_licence_and_permits_and_a_knob_expires_one(http, clock: SimClock):
    catalog = (await http.get("/_sim/catalog")).json()
    first = catalog["suppliers"][0]
    reply = await http.get(f"/licence-register/v1/companies/{first['login_id']}")
    assert reply.status_code == 200
    body = reply.json()
    assert body["loginId"] == first["login_id"] and body["companyName"] == first["company_name"]
    assert body["licence"] == {"expiresOn": first["license_expires_on"]}
    assert body["permits"] == []

    changed = await http.post("/_sim/licences", json={"login_id": first["login_id"], "expired_days_ago": 2})
    assert changed.status_code == 200
    # Days before today by the wall clock, not the simulator's (the refresh judges by Temporal's).
    expected = (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat()
    assert changed.json()["license_expires_on"] == expected
    body = (await http.get(f"/licence-register/v1/companies/{first['login_id']}")).json()
    assert body["licence"]["expiresOn"] == expected


async def test_unknown_company_and_bad_knob_are_refused_with_a_reason(http):
    assert (await http.get("/licence-register/v1/companies/nobody-here")).status_code == 404
    missing = await http.post("/_sim/licences", json={"login_id": "nobody-here", "expired_days_ago": 1})
    assert missing.status_code == 404 and "nobody-here" in missing.json()["error"]
    both = await http.post("/_sim/licences", json={"login_id": "x", "expired_days_ago": 1, "expires_on": "2026-01-01"})
    assert both.status_code == 400 and "exactly one" in both.json()["error"]


async def test_catalog_permits_are_served(catalog_data):
    import copy

    import httpx

    from simulator import Simulator, parse_catalog

    data = copy.deepcopy(catalog_data)
    data["suppliers"][0]["permits"] = [{"name": "全国工业产品生产许可证", "expires_on": "2027-03-01"}]
    sim = Simulator(parse_catalog(data), clock=SimClock.frozen())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim") as http:
        body = (await http.get(f"/licence-register/v1/companies/{data['suppliers'][0]['login_id']}")).json()
    assert body["permits"] == [{"name": "全国工业产品生产许可证", "expiresOn": "2027-03-01"}]
