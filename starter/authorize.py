"""`procure authorize CODE`: exchange a 1688 authorisation code for tokens, stored for every worker.

A person signs in to 1688 as the buyer and approves the app (the authorisation link is in
docs/operations.md, "1688 authorisation expired"); 1688 sends the browser back to the app's
callback address with ``?code=...``. That code, single use and valid about 2 minutes, is
exchanged here with ``getToken`` (``grant_type=authorization_code``, ``need_refresh_token=true``)
and the tokens are sealed into PostgreSQL (``ledger/credentials.py``). Every worker uses them on
its next 1688 call; none needs a restart.

Exit status: 0 stored; 1 1688 refused the code (its reason is printed); 2 bad input or
configuration; 3 PostgreSQL or 1688 cannot be reached. PostgreSQL is checked before the code is
spent, so an unreachable database never wastes one. Tokens are never printed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from alibaba1688 import Alibaba1688Client, Alibaba1688Error, CallRecord, TokenSet
from ledger.api_calls import ApiCallRow, record_api_calls
from ledger.credentials import CredentialsError, CredentialStore, TokenCipher
from ledger.database import EmbeddedPostgres, create_pool
from starter.exit_status import BadInput, CommandError, Unreachable
from runtime.settings import Settings, SettingsError

log = logging.getLogger(__name__)

# What a code looks like is not published; 1688's are short printable tokens without spaces.
_CODE = re.compile(r"[\x21-\x7e]{1,256}")
# The simulator checks no callback address; a real gateway needs the registered one.
SIMULATOR_REDIRECT_URI = "http://127.0.0.1/1688/authorized"
EXCHANGE_TIMEOUT = 20.0


@dataclass(frozen=True)
class AuthorizeInput:
    code: str = field(repr=False)
    redirect_uri: str
    app_key: str
    cipher: TokenCipher
    settings: Settings = field(repr=False)


@dataclass(frozen=True)
class Authorized:
    app_key: str
    tokens: TokenSet
    key_id: str
    previous_member_id: str | None


def authorize_input(code: str, redirect_uri: str | None, settings: Settings) -> AuthorizeInput:
    """Everything checked before anything is contacted (bad input: exit 2)."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise BadInput(
            "CODE: an authorisation code is 1 to 256 printable characters without spaces: the value of "
            "`code` in the address 1688 sent the browser back to"
        )
    uri = redirect_uri or settings.alibaba_redirect_uri
    if uri is None:
        if not settings.uses_simulator:
            raise BadInput(
                "give --redirect-uri URL or set ALIBABA_REDIRECT_URI: the app's callback address, the same "
                "as in the authorisation link"
            )
        uri = SIMULATOR_REDIRECT_URI
    if not uri.startswith(("http://", "https://")):
        raise BadInput(f"--redirect-uri: must be an http(s) address, not {uri[:80]!r}")
    try:
        app_key, app_secret = settings.alibaba_app()
        cipher = TokenCipher.for_app(app_secret, settings.token_encryption_key)
    except SettingsError as exc:
        raise BadInput(exc.problems[0], details=exc.problems[1:]) from None
    return AuthorizeInput(code=code, redirect_uri=uri, app_key=app_key, cipher=cipher, settings=settings)


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded PostgreSQL of a running local stack (never started here)."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    url = EmbeddedPostgres(settings.procure_data_dir).running_url()
    if url is None:
        raise Unreachable(
            f"no PostgreSQL to store the tokens in: set DATABASE_URL, or start the local stack "
            f"(`procure up`), whose database lives in {settings.procure_data_dir / 'postgres'}"
        )
    return url


async def authorize(message: AuthorizeInput) -> Authorized:
    settings = message.settings
    try:
        pool = await create_pool(database_url(settings), min_size=1, max_size=1, timeout=10)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # The URL may hold a password: name the failure, not the address.
        raise Unreachable(f"cannot reach PostgreSQL: {type(exc).__name__}: {exc}") from None
    try:
        store = CredentialStore(pool, message.app_key, message.cipher)
        try:
            previous = await store.load()
        except CredentialsError:
            previous = None  # sealed under another key: this authorisation replaces it anyway

        async def audit(record: CallRecord) -> None:
            row = ApiCallRow(api=record.api, params=record.params_redacted, outcome=record.outcome,
                             error_code=record.error_code, latency_ms=int(record.latency_ms))
            try:
                await record_api_calls(pool, [row])
            except Exception:  # noqa: BLE001 - the audit row must not cost the authorisation
                log.warning("could not write the audit row of the code exchange", exc_info=True)

        _, app_secret = settings.alibaba_app()
        async with Alibaba1688Client(settings.gateway_url, message.app_key, app_secret, None,
                                     timeout=EXCHANGE_TIMEOUT, on_call=audit) as client:
            try:
                tokens = await client.exchange_code(message.code, message.redirect_uri)
            except Alibaba1688Error as exc:
                if exc.retryable:
                    raise Unreachable(f"cannot reach 1688 at {settings.gateway_url}: [{exc.code}] {exc.message}",
                                      details=["if 1688 never got the code, it works for about 2 minutes: run again; "
                                               "otherwise get a new one"]) from None
                raise CommandError(f"1688 refused the code: [{exc.code}] {exc.message}",
                                   details=_refusal_hints(exc.code)) from None
        try:
            stored = await store.replace(tokens)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise Unreachable(f"the tokens were issued but could not be stored: {type(exc).__name__}: {exc}",
                              details=["get a new code and run again"]) from None
    finally:
        await pool.close()
    return Authorized(message.app_key, stored, message.cipher.key_id,
                      previous.member_id if previous is not None else None)


def _refusal_hints(code: str) -> list[str]:
    if code == "invalid_grant":
        return ["a code works once and for about 2 minutes: get a new one and run again at once"]
    if code == "invalid_client":
        return ["check ALIBABA_APP_KEY and ALIBABA_APP_SECRET"]
    if code in ("redirect_uri_mismatch", "invalid_request"):
        return ["check --redirect-uri / ALIBABA_REDIRECT_URI: the app's registered callback address"]
    return []


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "not said by 1688"
    left = (moment - now).total_seconds()
    if left >= 2 * 86400:
        ahead = f"in {left / 86400:.0f} days"
    elif left >= 0:
        ahead = f"in {left / 3600:.1f} h"
    else:
        ahead = "already passed"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ahead})"


def authorized_text(result: Authorized, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    tokens = result.tokens
    who = f"member {tokens.member_id}" if tokens.member_id else "a member 1688 did not name"
    lines = [
        f"Authorised 1688 {who} for app {result.app_key}; every worker uses these tokens on its next 1688 call.",
        f"  access token   expires {_when(tokens.access_token_expires_at, now)}",
        f"  refresh token  {'expires ' + _when(tokens.refresh_token_expires_at, now) if tokens.refresh_token else 'none: 1688 gave no refresh token; authorise again before the access token expires'}",
        f"  stored         version {tokens.version} in PostgreSQL (api_tokens), sealed with key {result.key_id}",
    ]
    if result.previous_member_id and tokens.member_id and result.previous_member_id != tokens.member_id:
        lines.append(
            f"note: the tokens replaced were member {result.previous_member_id}'s; orders placed as that "
            "member can no longer be read or paid with these"
        )
    return "\n".join(lines)
