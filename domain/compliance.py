"""Whether a supplier is compliant, from its licence and permits: pure rules, no I/O.

A compliance refresh (workflows/compliance.py) reads each supplier's business licence and
permits, judges them here, writes the verdict to the ledger, and raises an alert once per
licence date that is expired or expires soon. Sourcing reads the verdict: a supplier whose
licence has expired is excluded with the reason the buyer already knows
(`ExclusionCode.LICENCE_EXPIRED`).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

COMPLIANCE_WORKFLOW = "ComplianceRefreshWorkflow"

#: Licences expiring within this many days are alerted on (the issue's figure).
EXPIRY_WARNING = timedelta(days=30)


class ComplianceStatus(StrEnum):
    COMPLIANT = "compliant"
    EXPIRING = "expiring"  # still valid, but within the warning window: buy, and renew soon
    NON_COMPLIANT = "non_compliant"  # sourcing excludes the supplier
    UNKNOWN = "unknown"  # nothing on record: sourcing judges the supplier as before


class Permit(BaseModel):
    """A production or trade permit (生产许可证...), as far as a licence register states it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=100)]
    expires_on: date | None = None  # None: no end date (长期)


class ComplianceFacts(BaseModel):
    """What the refresh learned about one supplier."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    supplier_id: str
    login_id: str = ""
    company_name: str = ""
    license_expires_on: date | None = None
    license_found: bool = True  # False: the register does not know the company
    permits: list[Permit] = []


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    supplier_id: str
    status: ComplianceStatus
    reason: str  # for people: the sourcing exclusion and the alert say the same thing
    license_expires_on: date | None = None
    alert_key: str | None = None
    """Set when the state deserves an alert: what it is raised once for (the supplier, its state
    and the date that caused it). A second run on the same facts finds the key already raised; a
    renewed licence that lapses again later gets a new alert."""


def judge(facts: ComplianceFacts, today: date, warning: timedelta = EXPIRY_WARNING) -> Verdict:
    """The verdict on one supplier. An expired licence or permit makes it non-compliant; one
    that ends within ``warning`` makes it `EXPIRING` and asks for an alert."""
    expiry = facts.license_expires_on
    base = dict(supplier_id=facts.supplier_id, license_expires_on=expiry)
    if not facts.license_found:
        return Verdict(status=ComplianceStatus.UNKNOWN, reason="no business licence on record", **base)
    if expiry is not None and expiry < today:
        return Verdict(status=ComplianceStatus.NON_COMPLIANT, alert_key=f"{facts.supplier_id}:licence:{expiry}:expired",
                       reason=f"the supplier's business licence expired on {expiry.isoformat()}", **base)
    lapsed = [p for p in facts.permits if p.expires_on is not None and p.expires_on < today]
    if lapsed:
        first = min(lapsed, key=lambda p: (p.expires_on, p.name))
        return Verdict(status=ComplianceStatus.NON_COMPLIANT,
                       alert_key=f"{facts.supplier_id}:permit:{first.name}:{first.expires_on}:expired",
                       reason=f"the supplier's permit {first.name} expired on {first.expires_on.isoformat()}", **base)
    if expiry is not None and expiry - today <= warning:
        days = (expiry - today).days
        return Verdict(status=ComplianceStatus.EXPIRING, alert_key=f"{facts.supplier_id}:licence:{expiry}:expiring",
                       reason=f"the supplier's business licence expires on {expiry.isoformat()} (in {days} days)",
                       **base)
    return Verdict(status=ComplianceStatus.COMPLIANT, reason="licence and permits valid", **base)



class RecordVerdictInput(BaseModel):
    """The `record_compliance` step's input: what was learned, the verdict, and the run."""

    model_config = ConfigDict(frozen=True)

    facts: ComplianceFacts
    verdict: Verdict
    run_id: str


class ComplianceInput(BaseModel):
    """The refresh workflow's input (the Schedule's action carries it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    alibaba_task_queue: str = "alibaba1688"
    warning_days: Annotated[int, Field(ge=0, le=365)] = EXPIRY_WARNING.days


class ComplianceReport(BaseModel):
    """What one refresh found: every supplier judged, the alerts it raised, what failed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    checked: int = 0
    verdicts: list[Verdict] = []
    alerts_raised: list[str] = []  # supplier ids alerted on in this run (each state once ever)
    failed: dict[str, str] = {}  # supplier id -> why it could not be refreshed this time

    def with_status(self, status: ComplianceStatus) -> list[Verdict]:
        return [v for v in self.verdicts if v.status == status]
