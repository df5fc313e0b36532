"""One `procure up --api-port` stack for every API test, with its own database on the session's
PostgreSQL, and a procurement that ops start through the API as soon as it is up, so that its
goods are in the warehouse by the time the QC screen test looks for them."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from api_stack import ApiStack, purchase_request, running_stack


@pytest.fixture(scope="session")
async def api_database(postgres_admin_url: str) -> AsyncIterator[str]:
    name = f"api_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    parts = urlsplit(postgres_admin_url)
    yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
    admin = await asyncpg.connect(postgres_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def api_stack(api_database: str) -> Iterator[ApiStack]:
    # Not under pytest's basetemp (see the data_dir fixture in tests/conftest.py).
    data_dir = Path(tempfile.mkdtemp(prefix="procure-test-api-"))
    data_dir.chmod(0o755)
    try:
        with running_stack(data_dir, api_database) as stack:
            # One line, 60 shirts, no approval: it goes straight to the warehouse.
            body = purchase_request(["1"], prefix="PR-QC")
            started = stack.call("POST", "/v1/purchase-requests", stack.ops_key, json=body)
            assert started.status_code == 201, started.text
            stack.qc_request_id = body["request_id"]
            yield stack
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
