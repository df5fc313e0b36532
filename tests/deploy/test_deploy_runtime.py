"""The runtime package as a cluster uses it: the connection from the environment or a Temporal
profile (API key, mTLS), JSON logs without secrets or httpx lines, and tracing over OTLP/HTTP."""

from __future__ import annotations

import io
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from runtime.connection import connect_options
from runtime.logs import configure_logging
from runtime.settings import SettingsError, load_settings


def settings(monkeypatch: pytest.MonkeyPatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings(_env_file=None)


def test_variables_override_the_profile_and_an_api_key_means_tls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    profile = tmp_path / "temporal.toml"
    profile.write_text('[profile.cloud]\naddress = "ns.acct.tmprl.cloud:7233"\nnamespace = "ns.acct"\napi_key = "from-file"\n')
    options = connect_options(settings(monkeypatch, TEMPORAL_PROFILE="cloud", TEMPORAL_CONFIG_FILE=str(profile)))
    assert options == {"target_host": "ns.acct.tmprl.cloud:7233", "namespace": "ns.acct", "api_key": "from-file", "tls": True}
    options = connect_options(settings(monkeypatch, TEMPORAL_NAMESPACE="other", TEMPORAL_API_KEY="from-env"))
    assert (options["target_host"], options["namespace"], options["api_key"]) == ("ns.acct.tmprl.cloud:7233", "other", "from-env")


def test_plain_defaults_and_mtls_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert connect_options(settings(monkeypatch)) == {"target_host": "127.0.0.1:7233", "namespace": "default", "tls": False}
    (tmp_path / "c.pem").write_bytes(b"CERT")
    (tmp_path / "k.pem").write_bytes(b"KEY")
    options = connect_options(settings(monkeypatch, TEMPORAL_TLS_CERT=str(tmp_path / "c.pem"),
                                       TEMPORAL_TLS_KEY=str(tmp_path / "k.pem"), TEMPORAL_TLS_SERVER_NAME="frontend"))
    assert options["tls"] == TLSConfig(client_cert=b"CERT", client_private_key=b"KEY", domain="frontend")


def test_bad_cluster_settings_name_their_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TEMPORAL_WORKER_BUILD_ID: required"):
        settings(monkeypatch, TEMPORAL_DEPLOYMENT_NAME="procure")
    monkeypatch.delenv("TEMPORAL_DEPLOYMENT_NAME")
    with pytest.raises(SettingsError, match="WORKER_ROLE: must be one of workflows, 1688, all"):
        settings(monkeypatch, WORKER_ROLE="everything")
    monkeypatch.delenv("WORKER_ROLE")
    with pytest.raises(SettingsError, match="TEMPORAL_CONFIG_FILE: no such file"):
        connect_options(settings(monkeypatch, TEMPORAL_CONFIG_FILE=str(tmp_path / "missing.toml")))


def test_json_logs_carry_service_and_build_and_silence_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(settings(monkeypatch, LOG_FORMAT="json", ALIBABA_APP_SECRET="s3cret"), service="worker-1688",
                          build_id="abc123")
        logging.getLogger("httpx").info("HTTP Request: POST https://gw/openapi/ \"HTTP/1.1 200 OK\"")
        logging.getLogger("worker").info("worker serving %s", "alibaba1688")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("worker").exception("failed")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(logging.NOTSET)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in records] == ["worker serving alibaba1688", "failed"]
    assert all(r["service"] == "worker-1688" and r["build_id"] == "abc123" for r in records)
    assert "ValueError: boom" in records[1]["exc"]
    assert "s3cret" not in stream.getvalue()


class _Collector(BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        _Collector.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_tracing_sends_the_sdks_spans_over_otlp(monkeypatch: pytest.MonkeyPatch, dev_env) -> None:
    from opentelemetry import trace
    from temporalio.client import Client

    from runtime.tracing import tracing_interceptors

    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        interceptors = tracing_interceptors(settings(monkeypatch, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint), "procure-test")
        assert interceptors, "an OTLP endpoint turns tracing on"
        client = Client(**{**dev_env.client.config(), "interceptors": interceptors})
        await client.start_workflow("TracedWorkflow", id="trace-me", task_queue="nobody-polls-this")
        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
        sent = b"".join(_Collector.bodies)
        assert b"StartWorkflow:TracedWorkflow" in sent and b"procure-test" in sent
    finally:
        server.shutdown()
    assert tracing_interceptors(settings(monkeypatch, OTEL_EXPORTER_OTLP_ENDPOINT=""), "x") == []
