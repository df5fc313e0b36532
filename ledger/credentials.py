"""The 1688 user tokens of each app key, sealed in PostgreSQL (table ``api_tokens``).

:class:`CredentialStore` is the token source every worker's 1688 client reads before each call
(see :class:`alibaba1688.tokens.TokenSource`): an empty store is seeded with the worker's
environment tokens, every refresh writes its tokens back, and `procure authorize` replaces them.
Each write adds one to the row's ``version``.

Both tokens are sealed with AES-256-GCM under a key from ``TOKEN_ENCRYPTION_KEY`` or, when that
is unset, derived with HKDF-SHA256 from the app secret (which every worker holds anyway). Each
ciphertext is bound to its app key, its column and its key id, so it cannot be moved to another
row or column. Tokens and keys never appear in an exception, a log line or a repr.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from alibaba1688.tokens import TokenSet

ENV_VAR = "TOKEN_ENCRYPTION_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HKDF_SALT = b"procure 1688 token store"
_HKDF_INFO = b"api_tokens v1"
TIMEOUT = 5.0


class CredentialsError(Exception):
    """The stored tokens cannot be used; the message names key ids, never a key or a token."""


def _key_id(prefix: str, key: bytes) -> str:
    return f"{prefix}-" + hashlib.sha256(b"procure token key id\x00" + key).hexdigest()[:12]


def parse_token_key(text: str) -> tuple[str, bytes]:
    """``TOKEN_ENCRYPTION_KEY``: ``id:base64`` (what `procure codec-key` prints) or bare base64
    of 32 bytes. Raises ``ValueError`` with a message that never quotes the key."""
    key_id, sep, encoded = text.strip().rpartition(":")  # base64 never contains ':'
    if sep and not _KEY_ID.fullmatch(key_id):
        raise ValueError("the key id must be 1-64 letters, digits, '.', '_' or '-'")
    try:
        key = base64.b64decode(encoded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64 (generate a key with `procure codec-key`)") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES}")
    return (key_id if sep else _key_id("key", key)), key


class TokenCipher:
    """Seals and opens token values; its repr shows the key id only."""

    def __init__(self, key: bytes, key_id: str) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a token key is {KEY_BYTES} bytes")
        self.key_id = key_id
        self._aead = AESGCM(key)  # only the cipher object is kept, never the raw key

    @classmethod
    def for_app(cls, app_secret: SecretStr | str, encryption_key: SecretStr | None = None) -> TokenCipher:
        """The configured ``TOKEN_ENCRYPTION_KEY``, else a key derived from the app secret."""
        if encryption_key is not None and encryption_key.get_secret_value().strip():
            key_id, key = parse_token_key(encryption_key.get_secret_value())
            return cls(key, key_id)
        secret = app_secret.get_secret_value() if isinstance(app_secret, SecretStr) else app_secret
        key = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
            secret.encode("utf-8")
        )
        return cls(key, _key_id("app-secret", key))

    def __repr__(self) -> str:
        return f"TokenCipher(key_id={self.key_id!r})"

    @staticmethod
    def _bound_to(app_key: str, column: str, key_id: str) -> bytes:
        return f"{app_key}\x00{column}\x00{key_id}".encode()

    def seal(self, app_key: str, column: str, value: SecretStr) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, value.get_secret_value().encode("utf-8"), self._bound_to(app_key, column, self.key_id)
        )
        return nonce + sealed

    def open(self, app_key: str, column: str, data: bytes, key_id: str) -> SecretStr:
        if key_id != self.key_id:
            raise CredentialsError(
                f"the stored 1688 tokens of app {app_key} were sealed with key id {key_id!r}, and this "
                f"process has {self.key_id!r} ({ENV_VAR}, or derived from ALIBABA_APP_SECRET when it is "
                "unset): give every process the same key, or run `procure authorize` again"
            )
        try:
            plain = self._aead.decrypt(
                data[:NONCE_BYTES], data[NONCE_BYTES:], self._bound_to(app_key, column, key_id)
            )
        except (InvalidTag, ValueError):
            raise CredentialsError(
                f"the stored 1688 {column.replace('_', ' ')} of app {app_key} failed authentication: "
                "it was altered, moved from another row, or the key behind its id changed"
            ) from None
        return SecretStr(plain.decode("utf-8"))


@dataclass(frozen=True)
class _Cached:
    version: int
    updated_at: datetime
    tokens: TokenSet


_COLUMNS = (
    "version, key_id, access_token, refresh_token, access_token_expires_at, "
    "refresh_token_expires_at, member_id, ali_id, obtained_by, updated_at"
)
_LOAD = f"SELECT {_COLUMNS} FROM api_tokens WHERE app_key = $1"
_SEED = f"""
    INSERT INTO api_tokens (app_key, version, key_id, access_token, refresh_token, access_token_expires_at,
                            refresh_token_expires_at, member_id, ali_id, obtained_by)
    VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, 'seed')
    ON CONFLICT (app_key) DO NOTHING
    RETURNING version, updated_at
"""
_REFRESHED = """
    UPDATE api_tokens SET version = version + 1, key_id = $2, access_token = $3, refresh_token = $4,
        access_token_expires_at = $5, refresh_token_expires_at = $6, member_id = $7, ali_id = $8,
        obtained_by = 'refresh', updated_at = now()
    WHERE app_key = $1 AND version = $9
    RETURNING version, updated_at
"""
_AUTHORIZED = """
    INSERT INTO api_tokens AS t (app_key, version, key_id, access_token, refresh_token, access_token_expires_at,
                                 refresh_token_expires_at, member_id, ali_id, obtained_by)
    VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, 'authorize')
    ON CONFLICT (app_key) DO UPDATE SET version = t.version + 1, key_id = $2, access_token = $3,
        refresh_token = $4, access_token_expires_at = $5, refresh_token_expires_at = $6, member_id = $7,
        ali_id = $8, obtained_by = 'authorize', updated_at = now()
    RETURNING version, updated_at
"""


class CredentialStore:
    """The ``api_tokens`` row of one app key, as an :class:`alibaba1688.tokens.TokenSource`.

    ``load`` is one primary-key read; it opens the ciphertexts only when the version changed.
    """

    def __init__(self, pool: asyncpg.Pool, app_key: str, cipher: TokenCipher, *, timeout: float = TIMEOUT) -> None:
        self._pool = pool
        self.app_key = app_key
        self._cipher = cipher
        self._timeout = timeout
        self._cached: _Cached | None = None

    def __repr__(self) -> str:
        return f"CredentialStore(app_key={self.app_key!r}, cipher={self._cipher!r})"

    async def load(self) -> TokenSet | None:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            row = await conn.fetchrow(_LOAD, self.app_key, timeout=self._timeout)
        if row is None:
            return None
        cached = self._cached
        if cached is not None and (cached.version, cached.updated_at) == (row["version"], row["updated_at"]):
            return cached.tokens
        tokens = self._open(row)
        self._cached = _Cached(row["version"], row["updated_at"], tokens)
        return tokens

    async def save(self, tokens: TokenSet) -> TokenSet:
        """Seed (``tokens.version`` None) or write back a refresh of ``tokens.version``; when the
        row holds something else (a seed already there, a newer version), that is returned."""
        if tokens.version is None:
            written = await self._write(_SEED, tokens)
        else:
            written = await self._write(_REFRESHED, tokens, tokens.version)
        if written is not None:
            return written
        stored = await self.load()
        if stored is None:  # the row vanished between the two statements: seed it again
            return await self.save(tokens.model_copy(update={"version": None}))
        return stored

    async def replace(self, tokens: TokenSet) -> TokenSet:
        """Store a new authorisation whatever is stored now: the next version, for every worker."""
        written = await self._write(_AUTHORIZED, tokens)
        assert written is not None  # an upsert always returns its row
        return written

    async def _write(self, query: str, tokens: TokenSet, *extra: object) -> TokenSet | None:
        refresh = tokens.refresh_token
        args = (
            self.app_key,
            self._cipher.key_id,
            self._cipher.seal(self.app_key, "access_token", tokens.access_token),
            self._cipher.seal(self.app_key, "refresh_token", refresh) if refresh is not None else None,
            tokens.access_token_expires_at,
            tokens.refresh_token_expires_at,
            tokens.member_id,
            tokens.ali_id,
            *extra,
        )
        async with self._pool.acquire(timeout=self._timeout) as conn:
            row = await conn.fetchrow(query, *args, timeout=self._timeout)
        if row is None:
            return None
        stored = tokens.model_copy(update={"version": row["version"]})
        self._cached = _Cached(row["version"], row["updated_at"], stored)
        return stored

    def _open(self, row: asyncpg.Record) -> TokenSet:
        key_id = row["key_id"]
        sealed_refresh = row["refresh_token"]
        return TokenSet(
            access_token=self._cipher.open(self.app_key, "access_token", row["access_token"], key_id),
            refresh_token=(
                self._cipher.open(self.app_key, "refresh_token", sealed_refresh, key_id)
                if sealed_refresh is not None
                else None
            ),
            access_token_expires_at=row["access_token_expires_at"],
            refresh_token_expires_at=row["refresh_token_expires_at"],
            member_id=row["member_id"],
            ali_id=row["ali_id"],
            version=row["version"],
        )


__all__ = ["CredentialStore", "CredentialsError", "TokenCipher", "parse_token_key"]
