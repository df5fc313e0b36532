"""The user's OAuth tokens, and reading the platform's token reply.

Access tokens live about 10 hours, refresh tokens about 6 months (1688-PROTOCOL.md, section 3).
The client keeps one :class:`TokenSet`, replaces it after every refresh and hands the new one to
``on_token_refreshed`` so a worker can persist it. Tokens are ``SecretStr``: they print as stars.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

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

    def access_token_expired(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        expires = self.access_token_expires_at
        return expires is not None and now >= expires - margin


def parse_platform_time(text: str) -> datetime | None:
    """``20270526174405000+0800`` (yyyyMMddHHmmssSSS and an offset) as an aware datetime."""
    text = text.strip()
    if len(text) < 17 or not text[:17].isdigit():
        return None
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(
            microsecond=int(text[14:17]) * 1000
        )
    except ValueError:
        return None
    offset = text[17:]
    if len(offset) == 5 and offset[0] in "+-" and offset[1:].isdigit():
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        zone = timezone(delta if offset[0] == "+" else -delta)
    else:
        zone = timezone(timedelta(hours=8))  # the platform's own clock is Beijing time
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
    )


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
