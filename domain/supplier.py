"""Suppliers as the platform describes them, and as our own deliveries and QC have found them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from domain.money import Yuan

Rate = Annotated[Decimal, Field(ge=0, le=1)]
"""A fraction from 0 to 1 (0.32 is 32 %)."""

# Platform data gains fields over time; ignoring unknown ones lets a newer activity hand its result
# to an older workflow (and lets a simulator catalog entry validate directly).
PLATFORM_DATA = ConfigDict(extra="ignore", frozen=True)


class MixBatchRule(BaseModel):
    """1688's mixed batch (混批, `sellerMixSetting`): below-MOQ quantities of several products are
    accepted when the order to this supplier reaches these totals together.

    Every threshold that is set must be met. 1688 sellers usually set one of them; when both are
    set we require both, because an order the preview rejects (500_006) costs a round trip and a
    fallback, while a line sent to its next candidate costs only the price difference.
    """

    model_config = PLATFORM_DATA

    min_amount: Annotated[Yuan, Field(ge=0)] | None = Field(
        default=None, validation_alias=AliasChoices("min_amount", "mixAmount")
    )
    min_quantity: Annotated[int, Field(ge=0)] | None = Field(
        default=None, validation_alias=AliasChoices("min_quantity", "mixNumber")
    )

    def is_met(self, amount: Decimal, quantity: int) -> bool:
        if self.min_amount is not None and amount < self.min_amount:
            return False
        return self.min_quantity is None or quantity >= self.min_quantity

    def describe(self) -> str:
        parts = []
        if self.min_amount is not None:
            parts.append(f"{self.min_amount} yuan")
        if self.min_quantity is not None:
            parts.append(f"{self.min_quantity} pieces")
        return " and ".join(parts) or "no minimum"


class SupplierProfile(BaseModel):
    """What 1688 tells us about a seller (search `sellerDataInfo`, `crossBasic`).

    Rates are fractions (0.32 is 32 %). A signal the platform does not publish is `None`: it counts
    as middling in the score and fails a policy that sets a threshold on it.
    """

    model_config = PLATFORM_DATA

    supplier_id: str = Field(
        min_length=1, max_length=64, validation_alias=AliasChoices("supplier_id", "member_id")
    )
    login_id: str = ""
    company_name: str = ""
    years: Annotated[int, Field(ge=0)] = 0
    repurchase_rate: Rate | None = None
    on_time_ship_rate: Rate | None = None
    dispute_rate: Rate | None = None
    credit_level: str | None = None
    license_expires_on: date | None = None
    province: str = ""
    city: str = ""
    mix_batch: MixBatchRule | None = None
    compliance_problem: str | None = None
    """Why the last compliance refresh found the supplier non-compliant (workflows/compliance.py),
    beyond an expired licence, which `license_expires_on` already carries; None when compliant
    or never checked."""

    def credit_rank(self) -> int | None:
        """'L3' -> 3; None when the level is missing or not one of L1..L5."""
        level = (self.credit_level or "").strip().upper()
        if len(level) == 2 and level[0] == "L" and level[1] in "12345":
            return int(level[1])
        return None


class SupplierHistory(BaseModel):
    """Our own record with a supplier, from the ledger: deliveries and warehouse QC."""

    model_config = PLATFORM_DATA

    orders_delivered: Annotated[int, Field(ge=0)] = 0
    on_time_deliveries: Annotated[int, Field(ge=0)] = 0
    qc_inspected: Annotated[int, Field(ge=0)] = 0
    qc_passed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _counts_consistent(self) -> Self:
        if self.on_time_deliveries > self.orders_delivered:
            raise ValueError("on_time_deliveries cannot exceed orders_delivered")
        if self.qc_passed > self.qc_inspected:
            raise ValueError("qc_passed cannot exceed qc_inspected")
        return self

    @property
    def observations(self) -> int:
        return max(self.orders_delivered, self.qc_inspected)
