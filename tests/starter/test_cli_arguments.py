"""Bad arguments exit 2 before anything is contacted; an unreachable Temporal exits 3.

Temporal is pointed at a closed port throughout: a command that got past its checks would exit 3,
so an exit status of 2 proves the input was refused first.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from starter.cli import run
from starter.exit_status import BadInput
from starter.qc import qc_input

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
SAMPLE = Path(__file__).resolve().parents[2] / "starter" / "sample_request.json"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def nowhere(monkeypatch) -> str:
    address = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    return address


def exit_status_of(argv: list[str]) -> int:
    try:
        return run(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)


BAD = [
    (["status"], "REQUEST_ID"),
    (["status", "bad id!"], "is not a request id"),
    (["approve", "a/b"], "is not a request id"),
    (["cancel", "x" * 65], "is not a request id"),
    (["list", "--stage", "NOPE"], "AWAITING_QC"),
    (["list", "--limit", "0"], "above 0"),
    (["start"], "FILE"),
    (["qc", "12a", "accept"], "a 1688 order id is a string of digits"),
    (["qc", "123", "maybe"], "invalid choice"),
    (["qc", "123", "reject"], "reject needs at least one --line"),
    (["qc", "123", "reject", "--line", "1", "--rejected", "3"], "--line 1: give --reason"),
    (["qc", "123", "reject", "--rejected", "3", "--line", "1", "--reason", "torn"], "say which line first"),
    (["qc", "123", "reject", "--line", "1", "--rejected", "0", "--reason", "torn"], "above 0"),
    (["qc", "123", "reject", "--line", "1", "--rejected", "x", "--reason", "torn"], "whole number of pieces"),
    (["qc", "123", "reject", "--line", "1", "--rejected", "1", "--reason", "a", "--line", "1", "--rejected", "2",
      "--reason", "b"], "given twice"),
    (["qc", "123", "accept", "--line", "1", "--rejected", "1"], "accept takes no --line"),
    (["approve", "PR-1", "--by", "x" * 101], "by:"),
    (["cancel", "PR-1", "--reason", ""], "reason:"),
    (["cancel", "PR-1", "--reason", "x" * 501], "reason:"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_arguments_exit_2_before_contacting_temporal(argv, message, nowhere, capsys):
    assert exit_status_of(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "cannot reach Temporal" not in err


def test_qc_groups_pair_each_line_with_its_own_quantity_and_reason():
    items = [("reason", "damaged in transit"), ("line", "1"), ("rejected", 3), ("reason", "stains"),
             ("line", "2"), ("rejected", 5)]
    qc = qc_input("3701234567000010007", "reject", items, "li.wei")
    assert [(l.line_id, l.rejected_qty, l.reason) for l in qc.lines] == [("1", 3, "stains"), ("2", 5, None)]
    assert qc.reason == "damaged in transit"  # the workflow uses it for line 2
    assert qc.inspector == "li.wei"


def test_qc_accept_needs_nothing_but_the_order():
    qc = qc_input("3701234567000010007", "accept", None, None)
    assert (qc.decision, qc.lines, qc.reason) == ("accept", [], None)


def test_qc_reports_every_problem_at_once():
    with pytest.raises(BadInput) as caught:
        qc_input("x1", "reject", [("line", "1"), ("line", "2"), ("rejected", -1)], None)
    lines = caught.value.lines()
    assert any("string of digits" in l for l in lines)
    assert any("--line 1: give --rejected N" in l for l in lines)
    assert any("--line 2: --rejected must be above 0" in l for l in lines)
    assert len(lines) >= 4


@pytest.mark.parametrize("argv", [
    ["start", str(SAMPLE)],
    ["status", "PR-1"],
    ["status", "PR-1", "--json"],
    ["list"],
    ["qc", "3701234567000010007", "accept"],
    ["approve", "PR-1"],
    ["cancel", "PR-1", "--reason", "not needed"],
], ids=lambda argv: " ".join(argv[:2]))
def test_unreachable_temporal_exits_3_with_one_clear_line(argv, tmp_path):
    port = closed_port()
    env = {"PATH": "/usr/bin:/bin", "TEMPORAL_ADDRESS": f"127.0.0.1:{port}", "HOME": str(tmp_path)}
    result = subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[2],
                            timeout=60)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"cannot reach Temporal at 127.0.0.1:{port}" in lines[0]
    assert "connection refused" in lines[0]


def test_a_request_reads_as_yaml_by_extension_or_as_json_by_content(tmp_path):
    from starter.start import read_request

    yaml_file = tmp_path / "request.yml"
    yaml_file.write_text(
        "request_id: PR-YAML-1\nlines:\n  - {line_id: 1, keyword: 帆布包, quantity: 100, price_max: '15.00'}\n"
        "delivery: {full_name: 张三, mobile: 15251667788, province: 浙江省, city: 杭州市, address: 网商路699号}\n",
        encoding="utf-8",
    )
    request = read_request(yaml_file)
    assert (request.request_id, request.lines[0].line_id, str(request.lines[0].price_max)) == ("PR-YAML-1", "1", "15.00")

    no_extension = tmp_path / "request"
    no_extension.write_bytes(SAMPLE.read_bytes())
    assert read_request(no_extension).request_id == "PR-DEMO-0001"

    json_named_yaml = tmp_path / "request.yaml.json"
    json_named_yaml.write_text("request_id: PR-1\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        read_request(json_named_yaml)
    assert caught.value.message.startswith(f"{json_named_yaml}: not valid JSON")
