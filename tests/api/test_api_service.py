"""`procure api` as a process: what it says when it cannot start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def test_without_temporal_the_api_says_so_and_exits_3(database_url: str):
    env = {**os.environ, "DATABASE_URL": database_url, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"}
    result = subprocess.run([*PROCURE, "api", "--port", str(free_port())], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("procure api: cannot reach Temporal at 127.0.0.1:")


def test_bad_settings_are_named_and_exit_2():
    env = {**os.environ, "API_REQUESTS_PER_MINUTE": "lots"}
    result = subprocess.run([*PROCURE, "api"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert "API_REQUESTS_PER_MINUTE" in result.stderr
