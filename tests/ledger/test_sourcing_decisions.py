"""The sourcing ledger: one row per offer considered for a line, with its supplier's score and
every reason it lost, whether the record keeps the supplier's verdict once for the line or on each
excluded offer, as records made before that did (real PostgreSQL)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from temporalio.testing import ActivityEnvironment

from activities.ledger import LedgerActivities
from domain.offer import Listing
from domain.ranking import LineSourcing, SupplierJudge, assess, rank_line
from domain.records import SourcingRecord
from domain.request import RequestLine, SupplierPolicy

WORKFLOW = "procurement-PR-LEDGER"


def listing(offer_id: str, supplier_id: str, *, stock: int = 1000, years: int = 5) -> Listing:
    return Listing.model_validate({
        "offer": {"offer_id": offer_id, "supplier_id": supplier_id, "subject": f"product {offer_id}",
                  "min_order_quantity": 1, "price_tiers": [{"start_quantity": 1, "price": "45.00"}],
                  "skus": [{"spec_id": f"{offer_id}-w", "attributes": {}, "stock": stock}],
                  "freight": {"kind": "flat", "amount": "0.00"}},
        "supplier": {"supplier_id": supplier_id, "login_id": f"login-{supplier_id}", "years": years,
                     "repurchase_rate": "0.32", "on_time_ship_rate": "0.95", "dispute_rate": "0.01",
                     "credit_level": "L3", "license_expires_on": "2027-06-30"},
    })


def sourcing() -> LineSourcing:
    line = RequestLine.model_validate({"line_id": "1", "keyword": "纯棉T恤", "quantity": 30})
    listings = [listing("O1", "S1", stock=0, years=1), listing("O2", "S1", years=1), listing("O3", "S2")]
    judge = SupplierJudge(SupplierPolicy.model_validate({"min_years": 3}), date(2026, 3, 1), None)
    return rank_line(line, [assess(line, item, needs_vat_invoice=False) for item in listings], judge, top_n=5)


async def rows(pool: asyncpg.Pool, sourcing_round: int) -> list[dict[str, Any]]:
    found = await pool.fetch(
        "SELECT offer_id, supplier_id, rank, score, reason FROM sourcing_decisions"
        " WHERE workflow_id = $1 AND sourcing_round = $2 ORDER BY offer_id", WORKFLOW, sourcing_round)
    return [dict(row) for row in found]


async def test_an_excluded_offer_is_recorded_with_its_suppliers_score_and_every_reason(db_pool: asyncpg.Pool) -> None:
    ledger = LedgerActivities(db_pool)
    env = ActivityEnvironment()
    line = sourcing()
    assert list(line.suppliers) == ["S1"]  # the verdict on S1 is kept once for its two offers
    await env.run(ledger.record_sourcing, SourcingRecord(workflow_id=WORKFLOW, sourcing_round=0, sourcing=line,
                                                         chosen_offer_id="O3"))
    recorded = await rows(db_pool, 0)
    score = line.suppliers["S1"].score
    assert [(r["offer_id"], r["rank"], r["score"]) for r in recorded] == [
        ("O1", None, score), ("O2", None, score), ("O3", 1, line.ranked[0].score)]
    assert recorded[0]["reason"] == ("excluded: only 0 件 in stock; you need 30; "
                                     "the supplier has 1 years on 1688; you require 3")
    assert recorded[1]["reason"] == "excluded: the supplier has 1 years on 1688; you require 3"

    # A record made before the verdicts were kept per supplier has them on each excluded offer.
    older = line.model_copy(update={"suppliers": {}, "excluded": [
        entry.model_copy(update={"score": line.score_of(entry), "reasons": line.reasons_of(entry)})
        for entry in line.excluded]})
    await env.run(ledger.record_sourcing, SourcingRecord.model_validate_json(SourcingRecord(
        workflow_id=WORKFLOW, sourcing_round=1, sourcing=older, chosen_offer_id="O3").model_dump_json()))
    assert await rows(db_pool, 1) == recorded
