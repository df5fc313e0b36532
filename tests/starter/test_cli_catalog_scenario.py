"""A scenario played by hand: `procure up --catalog FILE` behaves as the catalog dictates.

The catalog here is the demo catalog with one change a buyer might script: the T-shirt offer
that wins on price sells out between our look at it and our order (`stock_at_order: 0`). The
procurement must buy that line from the next candidate, and never order from the sold-out offer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from simulator.catalog import DEMO_CATALOG_PATH
from test_cli_end_to_end import Stack, request, start_stack

SOLD_OUT = "610000000001"


@pytest.fixture(scope="module")
def scenario_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    catalog = json.loads(DEMO_CATALOG_PATH.read_text(encoding="utf-8"))
    for offer in catalog["offers"]:
        if offer["offer_id"] == SOLD_OUT:
            offer["behaviour"] = {"stock_at_order": 0}
    path = tmp_path_factory.mktemp("scenario") / "sold-out.json"
    path.write_text(json.dumps(catalog, ensure_ascii=False), encoding="utf-8")
    yield from start_stack(tmp_path_factory, path)


def test_a_line_whose_winner_sold_out_is_bought_from_the_next_candidate(scenario_stack, tmp_path):
    request_id, path = request(tmp_path, ["1"], approval_threshold=None)
    started = scenario_stack.procure("start", str(path))
    assert started.returncode == 0, started.stderr

    def at_qc_or_done(state):
        for order in state["orders"]:
            if order["status"] == "awaiting_qc":
                scenario_stack.procure("qc", order["order_id"], "accept")
        return state["stage"] in ("COMPLETED", "FAILED")

    state = scenario_stack.wait_for(request_id, "the end of the procurement", at_qc_or_done, timeout=120)
    assert state["stage"] == "COMPLETED"
    line = state["lines"][0]
    assert line["status"] == "received" and line["chosen"]["offer_id"] != SOLD_OUT
    ordered = {l["offer_id"] for o in scenario_stack.sim_orders() for l in o["lines"]}
    assert SOLD_OUT not in ordered
