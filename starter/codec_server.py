"""The codec server: lets the Temporal Web UI and CLI show encrypted payloads to authorised people.

It speaks Temporal's codec server protocol: ``POST .../encode`` and ``POST .../decode`` with a
``Payloads`` message in proto3 JSON. Only the last path segment counts, so the endpoint may be
mounted under a prefix such as ``/{namespace}``. The browser calls it straight from the UI's page,
so CORS admits the UI origin only; every request needs ``Authorization: Bearer $CODEC_SERVER_TOKEN``
unless it was started with ``--no-token`` on a loopback address (the dev UI cannot send a token).
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import socket
import sys
from urllib.parse import urlsplit

import uvicorn
from google.protobuf import json_format
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from runtime.codec import PayloadCodecError, codec_from_settings
from runtime.settings import Settings, SettingsError, load_settings

DEFAULT_PORT = 8081
DEFAULT_UI_ORIGIN = "http://127.0.0.1:8233"
TOKEN_VAR = "CODEC_SERVER_TOKEN"
MIN_TOKEN_CHARS = 16
MAX_BODY_BYTES = 8 * 1024 * 1024  # a few times Temporal's 2 MB blob limit: one event's payloads
# What the UI sends: Authorization (and Authorization-Extras) only when "pass access token" is on.
ALLOWED_HEADERS = ["Content-Type", "Authorization", "Authorization-Extras", "X-Namespace"]


class _BodyTooLarge(Exception):
    pass


def create_app(codec: PayloadCodec, *, ui_origins: list[str], token: SecretStr | None) -> Starlette:
    """The ASGI app. ``token=None`` turns authentication off: only for loopback-bound servers."""
    origins = [normalise_origin(origin) for origin in ui_origins]

    async def endpoint(request: Request) -> Response:
        # A foreign page cannot read our answers (CORS) but could still make us work: refuse it.
        origin = request.headers.get("origin")
        if origin is not None and origin not in origins:
            return _error(403, "origin not allowed")
        if token is not None and not _authorised(request, token):
            return _error(401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        action = request.path_params["path"].rstrip("/").rpartition("/")[2]
        if action not in ("encode", "decode"):
            return _error(404, "not found: POST .../encode or .../decode")
        try:
            payloads = json_format.Parse(await _read_body(request), Payloads())
        except _BodyTooLarge:
            return _error(413, f"request body over {MAX_BODY_BYTES} bytes")
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            return _error(400, f"body is not a Payloads message in proto3 JSON: {exc}")
        try:
            if action == "encode":
                await codec.encode_wrapper(payloads)
            else:
                await codec.decode_wrapper(payloads)
        except PayloadCodecError as exc:  # its message names a key id, never a key
            return _error(400, str(exc))
        return Response(json_format.MessageToJson(payloads), media_type="application/json")

    return Starlette(
        routes=[Route("/{path:path}", endpoint, methods=["POST"])],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["POST"],
                allow_headers=ALLOWED_HEADERS,
                max_age=600,
            )
        ],
    )


def _authorised(request: Request, token: SecretStr) -> bool:
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), token.get_secret_value().encode())


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _BodyTooLarge
    return bytes(body)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin`` (no path, no slash)."""
    parts = urlsplit(origin.strip().rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
        raise ValueError(f"not an origin: {origin!r}; use scheme://host[:port], e.g. {DEFAULT_UI_ORIGIN}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _CodecServerSettings(Settings):
    # Read like every other variable (environment or .env); only the codec server needs it.
    codec_server_token: SecretStr | None = None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="procure codec-server",
        description="Serve /encode and /decode so the Temporal Web UI and CLI can show encrypted payloads.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    parser.add_argument(
        "--ui-origin", action="append", dest="ui_origins", metavar="ORIGIN",
        help=f"Web UI origin allowed by CORS, repeatable (default {DEFAULT_UI_ORIGIN})",
    )
    parser.add_argument(
        "--no-token", action="store_true",
        help=f"do not require {TOKEN_VAR}; refused unless --host is a loopback address (dev only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        ui_origins = [normalise_origin(o) for o in args.ui_origins or [DEFAULT_UI_ORIGIN]]
    except ValueError as exc:
        print(f"procure codec-server: --ui-origin: {exc}", file=sys.stderr)
        return 2
    try:
        load_settings()  # reports every bad variable by name
        settings = _CodecServerSettings()
        codec = codec_from_settings(settings)
    except SettingsError as exc:
        print(f"procure codec-server: {exc}", file=sys.stderr)
        return 2
    if codec is None:
        print("procure codec-server: PAYLOAD_ENCRYPTION_KEY is not set; there is nothing to decode", file=sys.stderr)
        return 2

    token = settings.codec_server_token
    if args.no_token:
        if not is_loopback(args.host):
            print(f"procure codec-server: --no-token is allowed only on a loopback --host, not {args.host}",
                  file=sys.stderr)
            return 2
        token = None
    elif token is None or len(token.get_secret_value()) < MIN_TOKEN_CHARS:
        print(f"procure codec-server: set {TOKEN_VAR} (at least {MIN_TOKEN_CHARS} characters), "
              "or pass --no-token on a loopback --host for local development", file=sys.stderr)
        return 2

    # We bind the socket ourselves: a busy port becomes a clear message, and --port 0 works.
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((args.host, args.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        print(f"procure codec-server: cannot listen on {args.host}:{args.port} ({exc.strerror}); "
              "is the port already in use? choose another with --port", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if family == socket.AF_INET6 else host
    # Printed once the socket listens: connections queue from now on, so this line means "ready".
    print(f"codec server listening on http://{shown_host}:{port} "
          f"(UI origins: {', '.join(ui_origins)}; token {'off' if token is None else 'required'})", flush=True)
    app = create_app(codec, ui_origins=ui_origins, token=token)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
