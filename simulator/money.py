"""Money as the simulator keeps it (Decimal yuan) and as the wire carries it (fen ints, yuan text).

1688 mixes units by API family: create/preview/pay speak integer fen, product prices and order
detail speak yuan decimals. Keeping one internal unit (Decimal yuan, two places) and converting only
at the wire edge is what keeps the two families consistent with each other.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def yuan(value: Decimal | int | str) -> Decimal:
    """Round to the fen (half up), the precision every 1688 amount has."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    """Yuan -> integer fen, for the create/preview/pay family."""
    return int((yuan(amount) * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return yuan(Decimal(fen) / 100)


def yuan_text(amount: Decimal) -> str:
    """Yuan -> ``"45.00"``, for product prices and order detail."""
    return f"{yuan(amount):.2f}"


def whole_yuan_up(amount: Decimal) -> int:
    """Whole yuan rounded up: ``sellerMixSetting.mixAmount`` is an integer on the wire."""
    return int(Decimal(amount).to_integral_value(rounding=ROUND_CEILING))


def rate_text(rate: float | Decimal) -> str:
    """A fraction as the wire shows it (``"0.32"``); rates are not money, but never print floats raw."""
    return f"{Decimal(str(rate)).quantize(Decimal('0.0001')).normalize():f}"


def percent_text(rate: float | Decimal) -> str:
    """A fraction as a percent string (``"32%"``), as search rows carry ``repurchaseRate``."""
    pct = (Decimal(str(rate)) * 100).quantize(Decimal("0.01")).normalize()
    return f"{pct:f}%"
