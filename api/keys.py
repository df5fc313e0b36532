"""API keys: how one is made, how it is stored (a hash, never the key), and how one is checked.

A key is ``prk_`` and 43 random URL-safe characters (256 bits). With that much randomness a
plain SHA-256 is as good as a slow password hash: nobody can guess their way back from it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

import asyncpg

from api.roles import Role
from ledger.api_keys import KeyRecord, find_live_key, insert_key
from ledger.database import create_pool

KEY_PREFIX = "prk_"
PREFIX_SHOWN = 10  # "prk_" and six characters: enough to tell keys apart in a list
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
# Longer than any key we make; anything longer is not worth hashing.
MAX_KEY_CHARS = 200
STACK_OPS_KEY_NAME = "procure-up-ops"  # the first ops key `procure up --api-port` prints


class BadKeyName(ValueError):
    pass


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadKeyName(f"{name[:80]!r} is not a key name (1 to 64 letters, digits, '.', '_', '@' or '-', "
                         "starting with a letter or digit)")
    return name


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def issue_key(
    pool: asyncpg.Pool, role: Role, name: str, *, expires_in: timedelta | None = None, replace: bool = False,
) -> str:
    """Make and store a key; the key's text is returned once and kept nowhere.
    Raises ledger.api_keys.NameTaken when a live key has the name (unless ``replace``)."""
    check_name(name)
    key = new_key()
    expires_at = datetime.now(UTC) + expires_in if expires_in is not None else None
    await insert_key(pool, name=name, role=role.value, key_hash=key_hash(key), key_prefix=key[:PREFIX_SHOWN],
                     expires_at=expires_at, replace=replace)
    return key


async def holder(pool: asyncpg.Pool, key: str) -> KeyRecord | None:
    """The live key record for this key text, or None (unknown, revoked or expired)."""
    if not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY_CHARS:
        return None
    return await find_live_key(pool, key_hash(key))



async def issue_replacing(database_url: str, role: Role, name: str) -> str:
    """A fresh key under ``name``, revoking the one of the same name a previous run made.

    For `procure up` (its first ops key) and `procure demo` (its warehouse): their keys are shown
    once per run, and a key nobody can see any more should not stay live.
    """
    pool = await create_pool(database_url, max_size=1)
    try:
        return await issue_key(pool, role, name, replace=True)
    finally:
        await pool.close()
