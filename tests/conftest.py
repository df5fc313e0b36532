"""Shared fixtures: a real PostgreSQL and real Temporal servers, nothing downloaded."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from ledger.database import EmbeddedPostgres, create_pool
from starter.stack import temporal_cli_path, temporal_test_server_path
from workflows import search_attributes


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name`` (works for socket URLs too)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server for the whole run: DATABASE_URL if set, else an embedded one."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    # Not under pytest's basetemp: pytest resets that tree to mode 0700 and prunes old runs at the
    # start of every session, which would pull the data directory from under the server (which
    # runs as its own user when we are root).
    data_dir = Path(tempfile.mkdtemp(prefix="procure-test-pg-"))
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        yield server.admin_url
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
async def database_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty database per test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield with_database(postgres_admin_url, name)
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (updates, search attributes, summaries), shared by tests.

    Tests sharing it use unique workflow ids and task queues, so they never see each other.
    """
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of its own: skipping is global to one environment."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_path(),
        data_converter=pydantic_data_converter,
    )
    # The test server knows no custom search attributes until told; a workflow upserting an
    # unknown one would fail its task and retry forever.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={key.name: key.indexed_value_type for key in search_attributes.ALL},
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with pytest's own verdict before interpreter finalisation.

    The Temporal SDK can abort during finalisation after a green run (sdk-python issue 300,
    exit 134). By then pytest has printed its summary and decided the exit status, so we exit
    with exactly that status: a real failure still fails, a pass is not turned into a crash.
    """
    status = getattr(config, "_procure_exit_status", None)
    if status is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._procure_exit_status = exitstatus  # type: ignore[attr-defined]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory for a whole local stack (PostgreSQL included), outside pytest's basetemp.

    PostgreSQL runs as its own user when we are root, so every parent must stay traversable;
    pytest resets its basetemp tree to mode 0700 whenever a session starts.
    """
    path = Path(tempfile.mkdtemp(prefix="procure-test-stack-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["time-skipping", "dev-server"])
def any_env(request: pytest.FixtureRequest) -> Iterator[WorkflowEnvironment]:
    """Both servers, for the main paths: the test server skips time; the dev server is the real
    thing (and the one whose histories keep the SDK's flags, so only its runs are recorded)."""
    if request.param == "dev-server":
        yield request.getfixturevalue("dev_env")
    else:
        yield request.getfixturevalue("time_env")
