"""`procure demo` (what `make demo` runs): the sample request driven to the end, twice in a row."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_completes_the_sample_and_can_run_again(tmp_path):
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("PROCURE_UI_URL", None)
    env["PYTHONPATH"] = str(ROOT)  # run from an empty directory: the demo's data goes there
    ports = [str(free_port()) for _ in range(3)]
    argv = [*PROCURE, "demo", "--temporal-port", ports[0], "--ui-port", ports[1], "--sim-port", ports[2]]

    api_port = str(free_port())
    for run in (1, 2):  # the second run starts from a fresh demo directory on the same ports
        # The second run's warehouse sends its QC through the HTTP API.
        extra = ["--api-port", api_port] if run == 2 else []
        result = subprocess.run([*argv, *extra], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=280)
        out = result.stdout
        assert result.returncode == 0, f"run {run}:\n{out}\n{result.stderr}"
        assert out.count("QC accepted by the demo warehouse") >= 2, out  # at least two suppliers
        assert (out.count("QC accepted by the demo warehouse through the HTTP API") >= 2) == (run == 2), out
        assert "COMPLETED  3/3 lines received, 3 orders" in out
        assert f"Web UI: http://127.0.0.1:{ports[1]}/namespaces/default/workflows/pr-PR-DEMO-" in out
        assert "The demo request completed: every line was received." in out
        assert out.rstrip().endswith("stopped.")
    assert (tmp_path / ".procure" / "demo" / "logs" / "worker.log").exists()
