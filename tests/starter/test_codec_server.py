"""The codec server: Temporal's /encode and /decode protocol, CORS for the UI, a bearer token."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.worker import Worker

from codec_workflows import LabelWorkflow, shipping_label
from domain.request import DeliveryAddress
from starter.codec import EncryptionCodec, KeyRing
from starter.codec_server import create_app, main
from starter.connection import data_converter
from starter.settings import load_settings
from starter.stack import temporal_cli_path

UI = "http://127.0.0.1:8233"
TOKEN = "codec-token-0123456789"
KEY = base64.b64encode(bytes(range(32))).decode()
PHONE = "15251667788"
# The proto3 JSON form the UI and the CLI send: bytes fields are base64.
PLAIN = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                       "data": base64.b64encode(json.dumps({"mobile": PHONE}).encode()).decode()}]}


def client(token: str | None = TOKEN) -> httpx.AsyncClient:
    codec = EncryptionCodec(KeyRing.parse(f"k1:{KEY}"))
    app = create_app(codec, ui_origins=[UI], token=SecretStr(token) if token else None)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://codec")


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,authorization,x-namespace"}


async def test_preflight_from_the_ui_origin_is_allowed():
    async with client() as http:
        response = await http.options("/decode", headers=preflight(UI))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI
    allowed = response.headers["access-control-allow-headers"].lower()
    assert {"content-type", "authorization", "x-namespace"} <= {h.strip() for h in allowed.split(",")}
    assert "POST" in response.headers["access-control-allow-methods"]


async def test_preflight_from_another_origin_gets_no_allow_origin():
    async with client() as http:
        response = await http.options("/decode", headers=preflight("http://evil.example"))
    assert "access-control-allow-origin" not in response.headers


async def test_a_request_from_another_origin_is_refused():
    async with client() as http:
        response = await http.post("/decode", json=PLAIN, headers={**auth(), "Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("headers", [{}, auth("wrong-token-0123456789"), {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
async def test_a_missing_or_wrong_bearer_token_is_401(headers):
    async with client() as http:
        response = await http.post("/decode", json=PLAIN, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in response.text


async def test_the_ui_can_read_a_401():
    async with client() as http:
        response = await http.post("/decode", json=PLAIN, headers={"Origin": UI})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == UI


async def test_encode_then_decode_round_trips_under_a_namespace_prefix():
    async with client() as http:
        encoded = await http.post("/default/encode", json=PLAIN, headers={**auth(), "X-Namespace": "default"})
        assert encoded.status_code == 200
        body = encoded.json()
        assert PHONE not in json.dumps(body)
        [sealed] = body["payloads"]
        assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
        assert base64.b64decode(sealed["metadata"]["encryption-key-id"]) == b"k1"
        decoded = await http.post("/default/decode", json=body, headers={**auth(), "Origin": UI})
    assert decoded.status_code == 200
    assert decoded.json() == PLAIN
    assert decoded.headers["access-control-allow-origin"] == UI


async def test_decode_passes_plain_payloads_through_and_reports_bad_ones():
    async with client() as http:
        assert (await http.post("/decode", json=PLAIN, headers=auth())).json() == PLAIN
        unknown = {"payloads": [{"metadata": {"encoding": base64.b64encode(b"binary/encrypted").decode(),
                                              "encryption-key-id": base64.b64encode(b"k9").decode()},
                                 "data": base64.b64encode(b"\0" * 40).decode()}]}
        response = await http.post("/decode", json=unknown, headers=auth())
        assert response.status_code == 400 and "'k9'" in response.json()["error"]
        assert KEY not in response.text
        response = await http.post("/decode", content=b"{not json", headers=auth())
        assert response.status_code == 400
        response = await http.post("/other", json=PLAIN, headers=auth())
        assert response.status_code == 404


async def test_without_a_token_configured_no_header_is_needed():
    async with client(token=None) as http:
        response = await http.post("/decode", json=PLAIN, headers={"Origin": UI})
    assert response.status_code == 200


# --- over real HTTP, through main() ---------------------------------------------------------

@pytest.fixture
def server_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return {**os.environ, "PAYLOAD_ENCRYPTION_KEY": f"k1:{KEY}", "CODEC_SERVER_TOKEN": TOKEN}


async def _start(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "starter.codec_server", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def codec_server(server_env) -> AsyncIterator[str]:
    process = await _start(server_env, "--host", "127.0.0.1", "--port", "0", "--ui-origin", UI)
    try:
        # The readiness line is printed once the socket listens; the deadline bounds a hang.
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line.startswith(b"codec server listening on "), (line, await process.stderr.read())
        yield line.split()[4].decode()
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def test_over_real_http_encode_then_decode(codec_server):
    async with httpx.AsyncClient(base_url=codec_server, timeout=10) as http:
        assert (await http.post("/decode", json=PLAIN)).status_code == 401
        encoded = await http.post("/encode", json=PLAIN, headers=auth())
        assert encoded.status_code == 200 and PHONE not in encoded.text
        decoded = await http.post("/decode", json=encoded.json(), headers={**auth(), "Origin": UI})
        assert decoded.json() == PLAIN
        response = await http.options("/decode", headers=preflight(UI))
        assert response.headers["access-control-allow-origin"] == UI


async def test_the_temporal_cli_decodes_history_through_it(dev_env, codec_server):
    """Interop with a real codec client: the CLI shows the phone only through the codec server."""
    converter = data_converter(load_settings(payload_encryption_key=SecretStr(f"k1:{KEY}")))
    target = dev_env.client.service_client.config.target_host
    client = await Client.connect(target, data_converter=converter)
    task_queue, workflow_id = f"codec-cli-{uuid.uuid4()}", f"codec-cli-{uuid.uuid4()}"
    address = DeliveryAddress(full_name="王小明", mobile=PHONE, province="浙江省", city="杭州市", address="文一西路")
    async with Worker(client, task_queue=task_queue, workflows=[LabelWorkflow], activities=[shipping_label]):
        await client.execute_workflow(LabelWorkflow.run, address, id=workflow_id, task_queue=task_queue)

    show = [temporal_cli_path(), "workflow", "show", "--address", target, "-w", workflow_id, "--detailed"]
    assert PHONE not in await _run(*show)
    decoded = await _run(*show, "--codec-endpoint", codec_server, "--codec-auth", f"Bearer {TOKEN}")
    assert f"mobile: {PHONE}" in decoded


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_a_port_in_use_is_a_clear_message_and_exit_1(server_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = await _start(server_env, "--port", str(port))
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1
    assert f"127.0.0.1:{port}" in stderr.decode() and "--port" in stderr.decode()


def test_a_missing_token_is_refused_unless_no_token_on_loopback(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAYLOAD_ENCRYPTION_KEY", f"k1:{KEY}")
    monkeypatch.delenv("CODEC_SERVER_TOKEN", raising=False)
    assert main(["--port", "0"]) == 2
    assert "CODEC_SERVER_TOKEN" in capsys.readouterr().err
    assert main(["--host", "0.0.0.0", "--no-token"]) == 2
    assert "loopback" in capsys.readouterr().err
    monkeypatch.setenv("CODEC_SERVER_TOKEN", "short")
    assert main(["--port", "0"]) == 2
    assert "short" not in capsys.readouterr().err


def test_a_bad_key_or_no_key_is_refused_without_printing_it(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CODEC_SERVER_TOKEN", TOKEN)
    monkeypatch.delenv("PAYLOAD_ENCRYPTION_KEY", raising=False)
    assert main([]) == 2
    assert "PAYLOAD_ENCRYPTION_KEY is not set" in capsys.readouterr().err
    short_key = base64.b64encode(b"s" * 16).decode()
    monkeypatch.setenv("PAYLOAD_ENCRYPTION_KEY", f"k1:{short_key}")
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "PAYLOAD_ENCRYPTION_KEY" in err and short_key not in err and TOKEN not in err
