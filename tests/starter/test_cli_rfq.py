"""`procure rfq`: bad input exits 2 before Temporal is contacted, with one line per problem;
good input gets as far as Temporal (exit 3 with Temporal pointed at a closed port)."""

from __future__ import annotations

import json
from pathlib import Path

from starter.cli import run
from test_cli_arguments import exit_status_of, nowhere  # noqa: F401 - the fixture

GOOD = {"rfq_id": "RFQ-CLI-1", "subject": "铝合金支架", "quantity_tiers": [100], "target_date": "2027-01-31",
        "factories": ["b2b-3001"], "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省",
                                              "city": "杭州市", "address": "网商路699号"}}


def test_a_bad_rfq_file_is_refused_with_every_problem(tmp_path: Path, nowhere, capsys):  # noqa: F811
    path = tmp_path / "rfq.json"
    path.write_text(json.dumps({**GOOD, "quantity_tiers": [100, 100], "factories": [], "colour": "red"}), encoding="utf-8")
    assert run(["rfq", "start", str(path)]) == 2
    err = capsys.readouterr().err
    assert "quantity_tiers" in err and "colour" in err
    assert run(["rfq", "start", str(tmp_path / "missing.yaml")]) == 2
    path.write_text("{not json", encoding="utf-8")
    assert run(["rfq", "start", str(path)]) == 2


def test_award_arguments_are_checked_first(nowhere):  # noqa: F811
    assert exit_status_of(["rfq", "award", "RFQ-1"]) == 2  # --by is required
    assert exit_status_of(["rfq", "award", "RFQ-1", "--by", ""]) == 2
    assert exit_status_of(["rfq", "unknown"]) == 2


def test_a_good_rfq_gets_as_far_as_temporal(tmp_path: Path, nowhere):  # noqa: F811
    path = tmp_path / "rfq.yaml"
    path.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    assert run(["rfq", "start", str(path)]) == 3
    assert run(["rfq", "status", "RFQ-CLI-1"]) == 3
