"""Yuan amounts: accepted forms, JSON as decimal strings, fen conversions."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from domain.money import Yuan, fen_to_yuan, yuan, yuan_to_fen


class Priced(BaseModel):
    amount: Yuan


@pytest.mark.parametrize("raw", ["45.00", " 45.00 ", Decimal("45.00"), 45, 45.0])
def test_amounts_are_accepted_as_text_decimal_int_or_float(raw: Any) -> None:
    assert Priced(amount=raw).amount == Decimal("45")


def test_a_float_keeps_the_digits_that_were_typed() -> None:
    assert Priced(amount=0.1).amount == Decimal("0.1")


@pytest.mark.parametrize("raw", [True, "abc", "NaN", "Infinity", "1E+20", "1E+999999", [], "9" * 100])
def test_nonsense_is_refused(raw: Any) -> None:
    with pytest.raises(ValidationError):
        Priced(amount=raw)


@pytest.mark.parametrize(
    ("value", "text"),
    [("45", "45.00"), ("45.5", "45.50"), ("1E+2", "100.00"), ("86.4000", "86.40"),
     ("49.666666", "49.666666"), ("0.0050", "0.005"), ("-3", "-3.00")],
)
def test_json_is_a_decimal_string_with_at_least_two_places_and_no_lost_digits(value: str, text: str) -> None:
    dumped = Priced(amount=Decimal(value)).model_dump_json()
    assert json.loads(dumped) == {"amount": text}
    assert Priced.model_validate_json(dumped).amount == Decimal(value)


def test_python_mode_keeps_the_decimal() -> None:
    assert Priced(amount="1.50").model_dump() == {"amount": Decimal("1.50")}


@pytest.mark.parametrize(("value", "shown"), [("49.665", "49.67"), ("49.664999", "49.66"), ("2", "2.00")])
def test_yuan_rounds_half_up_to_the_fen_for_display(value: str, shown: str) -> None:
    assert str(yuan(Decimal(value))) == shown


def test_fen_conversions() -> None:
    assert fen_to_yuan(4500) == Decimal("45.00")
    assert str(fen_to_yuan(7)) == "0.07"
    assert yuan_to_fen(Decimal("45.00")) == 4500
    assert yuan_to_fen(Decimal("0.005")) == 1
    with pytest.raises(TypeError):
        yuan_to_fen(45.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        fen_to_yuan(True)
