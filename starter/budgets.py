"""`procure budgets set|show`: requesters' budgets over a period, stored in PostgreSQL.

Every payment checks them (activity `check_payment`): an order whose money would take its
requester's committed money for the period above the budget waits for approval with the reason.
Requester `*` is the default for every requester without a budget of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from domain.request import MONEY_LIMIT
from domain.spend import BUDGET_PERIODS, period_start
from ledger import spend
from starter.exit_status import BadInput
from starter.payments import ledger_pool
from starter.settings import Settings


def budget_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadInput(f"budget amount {text!r} is not a number of yuan (e.g. 20000.00)") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= MONEY_LIMIT:
        raise BadInput(f"budget amount {text!r} must be 0 or more yuan, at most two decimals, below {MONEY_LIMIT}")
    return amount


async def set_budget(settings: Settings, requester: str, period: str, amount_text: str) -> str:
    if not requester.strip():
        raise BadInput("budgets set: the requester is empty (use '*' for everyone's default)")
    if period not in BUDGET_PERIODS:
        raise BadInput(f"budgets set: period {period!r} is not one of {', '.join(BUDGET_PERIODS)}")
    amount = budget_amount(amount_text)
    pool = await ledger_pool(settings)
    try:
        await spend.set_budget(pool, requester.strip(), period, amount)
    finally:
        await pool.close()
    who = "every requester without a budget of their own" if requester.strip() == "*" else f"requester {requester.strip()}"
    return f"{period}ly budget of {who}: {amount:.2f} yuan"


async def show_budgets(settings: Settings, requester: str, now: datetime | None = None) -> str:
    at = now or datetime.now(UTC)
    pool = await ledger_pool(settings)
    try:
        budgets = await spend.budgets_of(pool, requester)
        lines = []
        for period in BUDGET_PERIODS:
            if period not in budgets:
                continue
            since = period_start(at, period)
            used = await spend.committed_since(pool, requester, since)
            lines.append(f"{period:8} budget {budgets[period]:>12.2f}  committed {used:>12.2f}  "
                         f"left {budgets[period] - used:>12.2f}  (since {since:%Y-%m-%d} UTC)")
    finally:
        await pool.close()
    if not lines:
        return f"requester {requester} has no budget (nor is there a default '*')"
    return f"requester {requester}:\n" + "\n".join(lines)
