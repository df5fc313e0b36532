"""Serving a Simulator over real HTTP with uvicorn, from the CLI or from inside a test.

The socket is bound before uvicorn starts so that "port in use" is a clear error the caller can
report, and so port 0 (an ephemeral port) tells us which port we actually got.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator

import uvicorn

from simulator.app import Simulator
from simulator.faults import LostReply


class _QuietLostReplies(logging.Filter):
    """A lost reply is a fault we injected on purpose: no traceback in the server log for it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], LostReply))


logging.getLogger("uvicorn.error").addFilter(_QuietLostReplies())


class PortInUse(OSError):
    pass


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(exc.errno, f"cannot listen on {host}:{port}: address already in use") from None
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def make_server(sim: Simulator, *, log_level: str = "warning") -> uvicorn.Server:
    config = uvicorn.Config(sim.app, log_level=log_level, lifespan="on", access_log=False)
    return uvicorn.Server(config)


@contextlib.asynccontextmanager
async def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0, *, ticker_interval: float = 0.2,
                ready_timeout: float = 10.0) -> AsyncIterator[str]:
    """Serve ``sim`` on ``host:port`` inside the running event loop; yields the base URL.

    The gateway URL for a client is ``f"{url}/openapi/"``.
    """
    sock = bind_socket(host, port)
    actual_port = sock.getsockname()[1]
    sim.ticker_interval = ticker_interval
    server = make_server(sim)
    # Signal handlers are not ours to take inside someone else's process (a test run, a demo).
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        deadline = asyncio.get_running_loop().time() + ready_timeout
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it was ready")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"simulator not ready after {ready_timeout}s")
            await asyncio.sleep(0.01)
        yield f"http://{host}:{actual_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
