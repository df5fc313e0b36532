"""Compliance refresh steps: read a supplier from 1688 and the licence register, record the verdict.

`refresh_supplier` runs on the 1688 task queue with a client of its own whose calls take only
idle turns of the app's call quota (`LowPriorityQuota`): a procurement's call waits up to 10 s
for a turn, a compliance call only while nobody else queues, so a refresh never queues ahead of
a procurement; a refused call is retried by Temporal later. The profile it reads is written to the profile cache
sourcing uses, so the next procurement sees today's figures.

1688's published APIs give no licence validity or permits (docs/compliance.md), so those come
from a licence register over HTTP (`LicenceRegister`; the simulator serves one).
"""

from __future__ import annotations

import logging
from urllib.parse import quote
from datetime import date, timedelta

import asyncpg
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.call_quota import SharedCallQuota
from activities.gateway import GatewayActivities
from activities.sourcing import supplier_from_seller
from alibaba1688 import Alibaba1688Client
from alibaba1688.pacing import call_interval
from domain.compliance import ComplianceFacts, Permit, RecordVerdictInput
from ledger import compliance as ledger_compliance
from ledger import supplier_profiles

log = logging.getLogger(__name__)


class LowPriorityQuota:
    """Paces compliance calls on the shared quota, taking a turn only when nobody queues for one.

    A procurement's call waits up to 10 s for its turn; a compliance call waits at most one and a
    half intervals: enough for the calls of one refresh to follow each other (each takes the turn
    after the previous one), refused as soon as any other call is queued ahead.
    """

    def __init__(self, pool: asyncpg.Pool, app_key: str, calls_per_minute: int) -> None:
        wait = timedelta(seconds=1.5 * call_interval(calls_per_minute))
        self._quota = SharedCallQuota(pool, app_key, calls_per_minute, max_wait=wait)

    async def __call__(self, api: str) -> None:
        await self._quota(api)


class _LicenceReply(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    class _Licence(BaseModel):
        model_config = ConfigDict(extra="ignore", populate_by_name=True)
        expires_on: date | None = Field(default=None, alias="expiresOn")

    class _Permit(BaseModel):
        model_config = ConfigDict(extra="ignore", populate_by_name=True)
        name: str = Field(min_length=1, max_length=100)
        expires_on: date | None = Field(default=None, alias="expiresOn")

    licence: _Licence | None = None
    permits: list[_Permit] = []


class LicenceRegister:
    """``GET {base}/companies/{login_id}`` -> licence validity and permits (docs/compliance.md)."""

    def __init__(self, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", transport=transport, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def lookup(self, login_id: str) -> tuple[date | None, list[Permit]] | None:
        """The licence expiry and permits; None when the register does not know the company."""
        try:
            response = await self._http.get(f"companies/{quote(login_id, safe='')}")
        except httpx.HTTPError as error:
            raise ApplicationError(f"licence register unreachable: {type(error).__name__}",
                                   type="LicenceRegisterUnavailable") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApplicationError(f"licence register answered HTTP {response.status_code}",
                                   type="LicenceRegisterUnavailable")
        try:
            reply = _LicenceReply.model_validate_json(response.content)
        except ValidationError as error:
            raise ApplicationError(f"licence register reply unreadable: {error.error_count()} problems",
                                   type="MalformedReply", non_retryable=True) from None
        permits = [Permit(name=p.name, expires_on=p.expires_on) for p in reply.permits]
        return (reply.licence.expires_on if reply.licence else None), permits


class ComplianceActivities(GatewayActivities):
    """The 1688 side (`refresh_supplier`); needs the low-priority client and the register."""

    def __init__(self, client: Alibaba1688Client, pool: asyncpg.Pool, register: LicenceRegister | None) -> None:
        super().__init__(client)
        self._pool = pool
        self._register = register

    @activity.defn
    async def refresh_supplier(self, supplier_id: str) -> ComplianceFacts:
        seller = await self._call(self._client.get_seller(supplier_id))
        years = await supplier_profiles.years_of(self._pool, supplier_id)
        profile = supplier_from_seller(seller, years)
        await supplier_profiles.store_profile(self._pool, supplier_id, profile.model_dump(mode="json"))
        # Without a register (COMPLIANCE_LICENCE_REGISTER_URL unset against the real gateway)
        # the licence is unknown: the supplier is judged on its profile as before.
        found = (await self._register.lookup(profile.login_id)
                 if self._register is not None and profile.login_id else None)
        expiry, permits = found if found is not None else (None, [])
        return ComplianceFacts(supplier_id=supplier_id, login_id=profile.login_id,
                               company_name=profile.company_name, license_expires_on=expiry,
                               license_found=found is not None, permits=permits)


class ComplianceLedgerActivities:
    """The ledger side, on the procurement task queue with the other ledger steps."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def list_suppliers_to_check(self) -> list[str]:
        return await ledger_compliance.suppliers_to_check(self._pool)

    @activity.defn
    async def record_compliance(self, data: RecordVerdictInput) -> bool:
        """Write the verdict; True when it raised an alert not raised before (then logged once)."""
        raised = await ledger_compliance.record_verdict(
            self._pool, data.verdict, login_id=data.facts.login_id, company_name=data.facts.company_name,
            permits=[p.model_dump(mode="json") for p in data.facts.permits], run_id=data.run_id,
        )
        if raised:
            log.warning("compliance alert: supplier %s (%s): %s", data.verdict.supplier_id,
                        data.facts.company_name or data.facts.login_id, data.verdict.reason)
        return raised
