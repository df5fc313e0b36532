"""Money: yuan as `Decimal`, never a float, serialised as a decimal string.

Amounts are kept exact while they are computed (a landed cost per unit may have many decimals) and
rounded to the fen only for display or when the 1688 API wants integer fen. JSON keeps every digit,
so a value read back from a Temporal history is the value that was written and a workflow that
re-ranks after a replay gets the same answer.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

FEN = Decimal("0.01")

# The bound keeps absurd inputs (1E+999999) out of arithmetic where they would raise or
# allocate. It sits far above any real amount so that sums and products of bounded inputs (unit
# prices below 1E9 times quantities below 1E7, over 500 lines) always fit.
_LIMIT = Decimal(10) ** 20

# One explicit context for the divisions we do, so a caller that changed the thread's decimal
# context cannot change a ranking.
ARITHMETIC = Context(prec=28, rounding=ROUND_HALF_UP)


def _parse_yuan(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise PydanticCustomError("yuan", 'must be an amount in yuan like "45.00"')
    if isinstance(value, float):
        # repr() is the shortest text that reads back as this float: the digits the sender typed.
        value = repr(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:
            raise PydanticCustomError("yuan", 'must be an amount in yuan like "45.00"')
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise PydanticCustomError("yuan", 'must be an amount in yuan like "45.00"') from None
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise PydanticCustomError("yuan", 'must be an amount in yuan like "45.00"')
    if not value.is_finite():
        raise PydanticCustomError("yuan", "must be a finite amount")
    if abs(value) >= _LIMIT:
        raise PydanticCustomError("yuan", "is too large")
    return value


def format_yuan(value: Decimal) -> str:
    """The JSON text of an amount: "45.00" for whole fen, every digit otherwise ("49.6666...67")."""
    whole_fen = value.quantize(FEN)
    if whole_fen == value:
        return str(whole_fen)
    return format(value.normalize(), "f")


Yuan = Annotated[
    Decimal,
    BeforeValidator(_parse_yuan),
    PlainSerializer(format_yuan, return_type=str, when_used="json"),
]
"""An amount in yuan. Accepts "45.00", Decimal and int (floats by their shortest text); JSON is a string."""


def yuan(value: Decimal | int | str) -> Decimal:
    """The amount rounded to the fen for display (half up, as Chinese invoices round)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def fen_to_yuan(fen: int) -> Decimal:
    """1688 order APIs speak integer fen; 4500 -> Decimal("45.00")."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("fen must be an int")
    return (Decimal(fen) / 100).quantize(FEN)


def yuan_to_fen(amount: Decimal) -> int:
    """Integer fen for the 1688 APIs, rounded exactly as `yuan()` rounds, so paid equals shown."""
    if not isinstance(amount, Decimal):
        raise TypeError("amount must be a Decimal")
    return int(yuan(amount) * 100)
