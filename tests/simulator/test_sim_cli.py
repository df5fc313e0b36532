"""``alibaba-sim``: bad input, port in use, and a real start/serve/Ctrl-C cycle."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.cli import main


def test_port_in_use_is_a_clear_message_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--demo", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in err
    assert "Traceback" not in err


def test_bad_catalog_exits_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sim_support import demo_data

    data = demo_data()
    data["offers"][3]["supplier_id"] = "b2b-9999"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["--catalog", str(path), "--port", "0"]) == 2
    assert "offers[3].supplier_id: unknown supplier b2b-9999" in capsys.readouterr().err


def test_serves_and_stops_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen([sys.executable, "-m", "simulator.cli", "--seed", "5", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""  # printed once the socket listens
        assert "/openapi/" in line, line + (process.stderr.read() if process.stderr else "")
        base = line.split(" at ")[1].split("/openapi/")[0]
        deadline = time.monotonic() + 10
        while True:
            try:
                catalog = httpx.get(f"{base}/_sim/catalog", timeout=2).json()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert catalog["offers"][0]["offer_id"] == "620000000001"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "Traceback" not in (process.stderr.read() if process.stderr else "")
    finally:
        if process.poll() is None:
            process.kill()
