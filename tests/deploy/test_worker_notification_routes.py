"""The worker reads NOTIFICATION_ROUTES before it contacts anything: a bad file exits 2 naming
each problem, and never echoes a URL or secret from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_a_bad_routes_file_stops_the_worker_with_exit_2(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(
        "channels:\n"
        "  ops: {kind: dingtalk, url: 'https://oapi.dingtalk.com/robot/send?access_token=TOKEN-7f2', secret: SEC-77}\n"
        "  mail: {kind: email, smtp_host: smtp.example.com, from: a@example.com, to: []}\n"
        "routes:\n"
        "  - {events: [signed_for, finished], channels: [ops, pager]}\n", encoding="utf-8")
    env = {**os.environ, "NOTIFICATION_ROUTES": str(routes), "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
           "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}
    result = subprocess.run([sys.executable, "worker.py", "--role", "workflows"], capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "NOTIFICATION_ROUTES" in result.stderr and "channels.mail" in result.stderr
    assert "TOKEN-7f2" not in result.stderr and "SEC-77" not in result.stderr
