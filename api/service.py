"""`procure api`: the HTTP API and the QC screen, a long-running service.

It stands on the same settings and Temporal connection as the worker (starter.settings,
starter.connection) and on the ledger's PostgreSQL for keys and the audit.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys

import asyncpg
import uvicorn
from temporalio.client import Client

from api.app import create_app
from api.config import ApiSettings, load_api_settings
from api.database import ledger_pool
from api.endpoint import Services
from runtime.connection import TemporalUnreachable, connect_temporal
from runtime.settings import SettingsError

DEFAULT_PORT = 8000
# Connections beyond this are answered 503 at once instead of piling up behind the others.
MAX_CONCURRENT = 200


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure api", description="Serve the HTTP API (/v1) and the QC screen (/qc/).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    return parser


def _listen(host: str, port: int) -> socket.socket:
    # We bind the socket ourselves: a busy port becomes a clear message, and --port 0 works.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(settings: ApiSettings, host: str, port: int) -> int:
    try:
        client = await connect_temporal(settings)
    except TemporalUnreachable as exc:
        print(f"procure api: {exc}", file=sys.stderr)
        return 3
    try:
        async with ledger_pool(settings) as pool:
            return await _serve_on(pool, client, settings, host, port)
    except (OSError, asyncpg.PostgresError) as exc:  # the pool could not be opened
        print(f"procure api: cannot reach the ledger's PostgreSQL: {exc}", file=sys.stderr)
        return 3


async def _serve_on(pool: asyncpg.Pool, client: Client, settings: ApiSettings, host: str, port: int) -> int:
    try:
        sock = _listen(host, port)
    except OSError as exc:
        print(f"procure api: cannot listen on {host}:{port} ({exc.strerror}); choose another --port", file=sys.stderr)
        return 1
    bound_host, bound_port = sock.getsockname()[:2]
    base = f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"
    # Printed once the socket listens: connections queue from now on, so this line means "ready".
    print(f"API listening on {base}/v1 (OpenAPI {base}/v1/openapi.json, QC screen {base}/qc/)", flush=True)
    app = create_app(Services.create(client, pool, settings))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", server_header=False,
                                           limit_concurrency=MAX_CONCURRENT))
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_api_settings()
    except SettingsError as exc:
        print(f"procure api: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(serve(settings, args.host, args.port))


if __name__ == "__main__":
    sys.exit(main())
