"""The one door every /v1 call goes through: rate, key, role, body cap, errors, audit.

A route is a handler plus the action it performs (`api.roles.Action`). Before the handler runs,
the caller's allowance is spent (429 when gone), the key is checked (401), and its role must be
allowed the action (403); so a refused call changes nothing. Whatever the outcome, one audit row
says who called what and what they got. Refusals of a flood are written only when a burst of them
starts, so they never add more rows than the calls the rate allows.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import asyncpg
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from temporalio.client import Client
from temporalio.service import RPCError

from api.config import ApiSettings
from api.errors import ApiError, from_command_error, from_temporal_error, invalid, invalid_model
from api.keys import holder, key_hash
from api.limits import BodyTooLarge, RateLimit, read_body
from api.roles import Action, Role, allowed, roles_for
from ledger.api_keys import AuditRow, KeyRecord, record_call
from runtime.connection import TemporalUnreachable
from starter.exit_status import CommandError

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)
MAX_PATH_CHARS = 500


@dataclass
class Services:
    """What the routes work with, made once when the service starts."""

    client: Client
    pool: asyncpg.Pool
    settings: ApiSettings
    rate: RateLimit  # calls per key
    sign_ins: RateLimit  # failed sign-ins per address

    @classmethod
    def create(cls, client: Client, pool: asyncpg.Pool, settings: ApiSettings) -> Services:
        failures = settings.api_failed_sign_ins_per_minute
        return cls(client, pool, settings, RateLimit(settings.api_requests_per_minute, settings.api_burst),
                   RateLimit(failures, failures))


@dataclass
class Call:
    """One authorised call, as a handler sees it."""

    request: Request
    services: Services
    caller: KeyRecord
    target: str | None = None  # what the call is about, for the audit row
    _body: bytes | None = field(default=None, repr=False)

    @property
    def role(self) -> Role:
        return Role(self.caller.role)

    async def body(self) -> bytes:
        if self._body is None:
            self._body = await read_body(self.request, self.services.settings.api_max_body_bytes)
        return self._body

    async def message(self, model: type[M], *, empty_ok: bool = False) -> M:
        """The JSON body as ``model``; 422 with one problem per line otherwise."""
        raw = await self.body()
        if not raw.strip() and empty_ok:
            document: object = {}
        else:
            try:
                document = json.loads(raw)
            except UnicodeDecodeError:
                raise invalid(["request: not valid UTF-8 text"]) from None
            except ValueError as error:
                raise invalid([f"request: not valid JSON: {error}"]) from None
            except RecursionError:
                raise invalid(["request: not valid JSON: nested too deeply"]) from None
        if not isinstance(document, dict):
            raise invalid(["request: must be a JSON object"])
        try:
            return model.model_validate(document)
        except ValidationError as error:
            raise invalid_model(error) from None


Handler = Callable[[Call], Awaitable[Response]]


def bearer(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def endpoint(action: Action, handler: Handler, *, target: str | None = None) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for ``handler``; ``target`` names the path parameter the call is about."""

    async def run(request: Request) -> Response:
        services: Services = request.app.state.services
        started = time.monotonic()
        address = request.client.host if request.client else None
        caller: KeyRecord | None = None
        call: Call | None = None
        about = str(request.path_params.get(target, ""))[:200] or None if target else None
        audit = True
        try:
            # An address that failed to sign in too often is refused before any key is looked up.
            guessing = services.sign_ins.check(f"addr:{address}")
            if not guessing.allowed:
                audit = guessing.first_refusal
                raise _too_many(guessing.retry_after, "failed sign-ins from this address")
            credential = bearer(request)
            if credential is None:
                services.sign_ins.take(f"addr:{address}")
                raise ApiError(401, "an API key is required: Authorization: Bearer KEY",
                               headers={"WWW-Authenticate": "Bearer"})
            flood = services.rate.take(key_hash(credential))
            if not flood.allowed:
                audit = flood.first_refusal
                if audit:  # name who started flooding, once
                    caller = await holder(services.pool, credential)
                raise _too_many(flood.retry_after, "calls with this key")
            caller = await holder(services.pool, credential)
            if caller is None:
                services.sign_ins.take(f"addr:{address}")
                raise ApiError(401, "this API key is not valid (unknown, revoked or expired)",
                               headers={"WWW-Authenticate": "Bearer"})
            if not allowed(Role(caller.role), action):
                article = "an" if caller.role[:1] in "aeiou" else "a"
                raise ApiError(403, f"{article} {caller.role} key may not do this ({action.value}); "
                                    f"allowed: {', '.join(roles_for(action))}")
            call = Call(request, services, caller, target=about)
            response = await handler(call)
        except ApiError as error:
            response = error.response()
        except BodyTooLarge as error:
            response = ApiError(413, str(error)).response()
        except CommandError as error:
            response = from_command_error(error).response()
        except (TemporalUnreachable, RPCError) as error:
            response = from_temporal_error(error).response()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            log.exception("%s %s failed", request.method, request.url.path)
            response = ApiError(503, "the ledger cannot be reached; try again shortly",
                                headers={"Retry-After": "5"}).response()
        except Exception:  # a bug of ours: say so plainly, and still leave the audit row
            log.exception("%s %s failed", request.method, request.url.path)
            response = ApiError(500, "internal error; the service log has the details").response()
        if audit:
            await _audit(services, AuditRow(
                key_name=caller.name if caller else None, role=caller.role if caller else None, action=action.value,
                method=request.method, path=request.url.path[:MAX_PATH_CHARS], target=call.target if call else about,
                status=response.status_code, client=address, latency_ms=round((time.monotonic() - started) * 1000),
            ))
        return response

    return run


def _too_many(retry_after: int, what: str) -> ApiError:
    return ApiError(429, f"too many {what}; try again in {retry_after} s", headers={"Retry-After": str(retry_after)})


async def _audit(services: Services, row: AuditRow) -> None:
    try:
        await record_call(services.pool, row)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        # The answer stands; the missing row is in the log, with who and what.
        log.error("audit row not written: %s", row, exc_info=True)


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)
