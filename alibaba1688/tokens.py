"""The user's OAuth tokens, where the client keeps them, and reading the platform's token reply.

Access tokens live about 10 hours, refresh tokens about 6 months (1688-PROTOCOL.md, section 3).
The client keeps one :class:`TokenSet`, replaces it after every refresh and hands the new one to
``on_token_refreshed``. With a :class:`TokenSource` (a worker's is the PostgreSQL table of
``ledger/credentials.py``) it also writes every refreshed set there and picks up a newer stored
set before each call, so tokens refreshed by one process, or stored by `procure authorize`, reach
every process without a restart. Tokens are ``SecretStr``: they print as stars.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr

from .envelope import malformed


class TokenSet(BaseModel):
    """The tokens the client currently uses. ``None`` expiry means "not known"."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    access_token_expires_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    member_id: str | None = None
    ali_id: str | None = None
    version: int | None = None
    """The token store's version of this set; a refreshed set keeps the version it was refreshed
    from until it is stored. ``None``: never stored (tokens from the constructor or a code)."""

    def access_token_expired(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        expires = self.access_token_expires_at
        return expires is not None and now >= expires - margin


class TokenSource(Protocol):
    """Where the client loads and saves its tokens, shared by every process of the app.

    Each save makes a new version; the client compares versions to see that another process
    stored newer tokens. Implementations must never put a token in an exception or a log line.
    """

    async def load(self) -> TokenSet | None:
        """The stored set, with its ``version``; ``None`` when nothing is stored for the app.

        Called before every business call, so it should be one cheap read.
        """
        ...

    async def save(self, tokens: TokenSet) -> TokenSet:
        """Store ``tokens``; return the set stored now, with its version.

        ``tokens.version`` says what they replace. ``None`` seeds an empty store: when a set is
        already stored, that one is returned and nothing is written. A version stores a set
        refreshed from that version, unless another process stored a newer one meanwhile: then
        the newer one is returned and ``tokens`` are dropped.
        """
        ...


class MemoryTokenSource:
    """A :class:`TokenSource` in memory: clients of one process share their tokens through it."""

    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens: TokenSet | None = None
        if tokens is not None:
            self._tokens = tokens.model_copy(update={"version": 1})

    def __repr__(self) -> str:
        version = self._tokens.version if self._tokens is not None else None
        return f"MemoryTokenSource(version={version!r})"

    async def load(self) -> TokenSet | None:
        return self._tokens

    async def save(self, tokens: TokenSet) -> TokenSet:
        stored = self._tokens
        if stored is not None and (tokens.version is None or tokens.version != stored.version):
            return stored
        return self.replace(tokens)

    def replace(self, tokens: TokenSet) -> TokenSet:
        """Store ``tokens`` whatever is stored (a new authorisation): the next version."""
        version = (self._tokens.version or 0) + 1 if self._tokens is not None else 1
        self._tokens = tokens.model_copy(update={"version": version})
        return self._tokens


def parse_platform_time(text: str) -> datetime | None:
    """The platform's compact time as an aware datetime, or ``None`` when it is not one.

    Two forms occur: ``20270526174405000+0800`` (yyyyMMddHHmmssSSS and an offset, order detail
    and most token replies) and ``20121222222222+0800`` (no milliseconds, some token replies).
    Without an offset the time is Beijing time, the platform's own clock.
    """
    text = text.strip()
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits not in (14, 17):
        return None
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    if digits == 17:
        moment = moment.replace(microsecond=int(text[14:17]) * 1000)
    offset = text[digits:]
    if offset == "":
        zone = timezone(timedelta(hours=8))
    elif len(offset) == 5 and offset[0] in "+-" and offset[1:].isdigit():
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        zone = timezone(delta if offset[0] == "+" else -delta)
    else:
        return None
    return moment.replace(tzinfo=zone)


def token_set_from_reply(
    api: str, body: dict[str, Any], previous: TokenSet, now: datetime | None = None
) -> TokenSet:
    """The new token set from a ``getToken`` reply (a bare object).

    ``expires_in`` arrives as a string of seconds. A refresh reply usually carries no new refresh
    token; the previous one is kept then.
    """
    now = now or datetime.now(UTC)
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise malformed(api, "token reply has no access_token")
    expires_at: datetime | None = None
    raw_expiry = body.get("expires_in")
    if raw_expiry not in (None, ""):
        try:
            expires_at = now + timedelta(seconds=int(str(raw_expiry)))
        except ValueError:
            raise malformed(api, "token reply has a non-numeric expires_in") from None
    new_refresh = body.get("refresh_token")
    refresh = SecretStr(new_refresh) if isinstance(new_refresh, str) and new_refresh else None
    refresh_expiry = None
    if isinstance(body.get("refresh_token_timeout"), str):
        refresh_expiry = parse_platform_time(body["refresh_token_timeout"])
    return TokenSet(
        access_token=SecretStr(access),
        refresh_token=refresh or previous.refresh_token,
        access_token_expires_at=expires_at,
        refresh_token_expires_at=refresh_expiry or previous.refresh_token_expires_at,
        member_id=_opt_str(body.get("memberId")) or previous.member_id,
        ali_id=_opt_str(body.get("aliId")) or previous.ali_id,
        version=previous.version,
    )


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
