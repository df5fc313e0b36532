"""AES-256-GCM encryption of every Temporal payload, with a key ring so keys can rotate.

Receiver names, phones and addresses travel in workflow inputs and results; Temporal stores them
in history for as long as it keeps the workflow. With a key configured they are stored encrypted.

``PAYLOAD_ENCRYPTION_KEY`` holds one key or an ordered ring ``k2:BASE64,k1:BASE64``: the first key
encrypts, every key decrypts, so a history written under an old key still reads after rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from runtime.settings import Settings, SettingsError

ENV_VAR = "PAYLOAD_ENCRYPTION_KEY"
ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12  # the size GCM is designed for; random per payload
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class PayloadCodecError(Exception):
    """A payload could not be decrypted; the message names the key id, never a key."""


class UnknownKeyError(PayloadCodecError):
    """The payload names a key id that is not in the configured ring."""


class PayloadDecryptionError(PayloadCodecError):
    """The ciphertext failed authentication: altered, truncated, or the key behind the id changed."""


@dataclass(frozen=True, repr=False)
class _RingKey:
    key_id: str
    cipher: AESGCM  # only the cipher object is kept, never the raw key bytes

    def __repr__(self) -> str:
        return f"_RingKey(key_id={self.key_id!r})"


def derived_key_id(key: bytes) -> str:
    """The id of a key given without one: a short hash, so the key itself never leaves memory."""
    return "h-" + hashlib.sha256(b"procure payload key id\x00" + key).hexdigest()[:12]


def generate_key(key_id: str | None = None) -> str:
    """A new ring entry ``id:base64key`` (32 random bytes), ready to put first in the ring."""
    key = os.urandom(KEY_BYTES)
    if key_id is not None and not _KEY_ID.fullmatch(key_id):
        raise ValueError("a key id is 1-64 letters, digits, '.', '_' or '-'")
    return f"{key_id or derived_key_id(key)}:{base64.b64encode(key).decode('ascii')}"


class KeyRing:
    """Ordered keys: the first encrypts, all decrypt. Its repr shows key ids only."""

    def __init__(self, keys: Sequence[_RingKey]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._keys = list(keys)
        self._by_id = {key.key_id: key for key in keys}

    @classmethod
    def parse(cls, text: str | SecretStr) -> KeyRing:
        """Read ``PAYLOAD_ENCRYPTION_KEY``; every problem is reported at once, none quotes a key."""
        raw = text.get_secret_value() if isinstance(text, SecretStr) else text
        problems: list[str] = []
        keys: list[_RingKey] = []
        entries = raw.split(",")
        for number, entry in enumerate(entries, start=1):
            where = f"entry {number}" if len(entries) > 1 else "the key"
            key_id, sep, encoded = entry.strip().rpartition(":")  # base64 never contains ':'
            if not encoded:
                problems.append(f"{where} is empty")
                continue
            if sep and not _KEY_ID.fullmatch(key_id):
                problems.append(f"{where}: the key id must be 1-64 letters, digits, '.', '_' or '-'")
                continue
            key = _decode_key(encoded)
            if key is None:
                problems.append(f"{where}{_named(key_id)} is not valid base64")
            elif len(key) != KEY_BYTES:
                problems.append(
                    f"{where}{_named(key_id)} decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES}"
                )
            else:
                ring_id = key_id if sep else derived_key_id(key)
                if any(existing.key_id == ring_id for existing in keys):
                    problems.append(f"{where}: key id {ring_id!r} appears twice")
                else:
                    keys.append(_RingKey(ring_id, AESGCM(key)))
        if problems:
            problems[-1] += " (format id:base64key[,id:base64key...]; generate a key with `procure codec-key`)"
            raise SettingsError([f"{ENV_VAR}: {problem}" for problem in problems])
        return cls(keys)

    @property
    def key_ids(self) -> list[str]:
        return [key.key_id for key in self._keys]

    @property
    def current(self) -> _RingKey:
        return self._keys[0]

    def get(self, key_id: str) -> _RingKey | None:
        return self._by_id.get(key_id)

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={self.key_ids!r})"


def _named(key_id: str) -> str:
    return f" (id {key_id!r})" if key_id else ""


def _decode_key(encoded: str) -> bytes | None:
    # Accept the URL-safe alphabet too: keys get pasted through YAML, URLs and secret stores.
    normalised = encoded.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(normalised, validate=True)
    except (binascii.Error, ValueError):
        return None


class EncryptionCodec(PayloadCodec):
    """Encrypts each whole payload (its metadata included) with the ring's first key.

    Decoding leaves payloads that are not marked ``binary/encrypted`` unchanged, so histories
    written before a key was configured still read.
    """

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    def __repr__(self) -> str:
        return f"EncryptionCodec({self.ring!r})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key = self.ring.current
        nonce = os.urandom(NONCE_BYTES)
        # The key id is authenticated too, so a payload cannot be relabelled to another key.
        sealed = key.cipher.encrypt(nonce, payload.SerializeToString(), key.key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key.key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("utf-8", "replace")[:64]
        if not key_id:
            raise PayloadDecryptionError(f"an encrypted payload has no {KEY_ID_METADATA} metadata")
        key = self.ring.get(key_id)
        if key is None:
            raise UnknownKeyError(
                f"payload was encrypted with key id {key_id!r}, which is not in {ENV_VAR} "
                f"(configured ids: {', '.join(self.ring.key_ids)}); put that key back in the ring"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            if len(nonce) != NONCE_BYTES:
                raise InvalidTag  # too short to hold even a nonce: the same verdict as a bad tag
            plain = key.cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r} failed authentication: "
                "the ciphertext was altered or the key configured under that id is a different key"
            ) from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded


def codec_from_settings(settings: Settings) -> EncryptionCodec | None:
    """The codec for ``PAYLOAD_ENCRYPTION_KEY``, or None when no key is configured."""
    if settings.payload_encryption_key is None or not settings.payload_encryption_key.get_secret_value().strip():
        return None
    return EncryptionCodec(KeyRing.parse(settings.payload_encryption_key))
