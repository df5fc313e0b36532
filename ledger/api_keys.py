"""HTTP API keys (stored as hashes) and the audit row of every call made to the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class KeyRecord:
    name: str
    role: str
    key_prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    key_name: str | None
    role: str | None
    action: str
    method: str
    path: str
    target: str | None
    status: int
    client: str | None
    latency_ms: int


class NameTaken(Exception):
    """A live key already has this name."""


async def insert_key(
    pool: asyncpg.Pool, *, name: str, role: str, key_hash: str, key_prefix: str,
    expires_at: datetime | None = None, replace: bool = False,
) -> None:
    """Store a new key. A live key of the same name is an error, unless it has expired (its name
    is free again) or ``replace`` is set (it is revoked in the same transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """UPDATE api_keys SET revoked_at = now()
               WHERE name = $1 AND revoked_at IS NULL AND ($2 OR expires_at <= now())""",
            name, replace,
        )
        try:
            await conn.execute(
                """INSERT INTO api_keys (name, role, key_hash, key_prefix, expires_at)
                   VALUES ($1, $2, $3, $4, $5)""",
                name, role, key_hash, key_prefix, expires_at,
            )
        except asyncpg.UniqueViolationError:
            raise NameTaken(name) from None


async def find_live_key(pool: asyncpg.Pool, key_hash: str) -> KeyRecord | None:
    """The key with this hash if it is neither revoked nor expired."""
    row = await pool.fetchrow(
        """SELECT name, role, key_prefix, created_at, expires_at, revoked_at FROM api_keys
           WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""",
        key_hash,
    )
    return KeyRecord(**dict(row)) if row is not None else None


async def list_keys(pool: asyncpg.Pool, *, include_revoked: bool = False) -> list[KeyRecord]:
    rows = await pool.fetch(
        """SELECT k.name, k.role, k.key_prefix, k.created_at, k.expires_at, k.revoked_at,
                  (SELECT max(a.called_at) FROM api_key_audit a
                   WHERE a.key_name = k.name AND a.called_at >= k.created_at) AS last_used_at
           FROM api_keys k WHERE $1 OR k.revoked_at IS NULL
           ORDER BY k.created_at, k.key_id""",
        include_revoked,
    )
    return [KeyRecord(**dict(row)) for row in rows]


async def revoke_key(pool: asyncpg.Pool, name: str) -> bool:
    """Revoke the live key called ``name``; False when there is none."""
    result = await pool.execute("UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name)
    return result != "UPDATE 0"


async def record_call(pool: asyncpg.Pool, row: AuditRow, *, timeout: float = 5.0) -> None:
    await pool.execute(
        """INSERT INTO api_key_audit (key_name, role, action, method, path, target, status, client, latency_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        row.key_name, row.role, row.action, row.method, row.path, row.target, row.status, row.client,
        row.latency_ms, timeout=timeout,
    )
