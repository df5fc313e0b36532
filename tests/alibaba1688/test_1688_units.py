"""Units on the wire: fen and yuan, rates, ids, platform times."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from alibaba1688 import wire
from alibaba1688.tokens import parse_platform_time


@given(st.integers(min_value=0, max_value=10**15))
def test_fen_and_yuan_round_trip(fen: int) -> None:
    yuan = wire.fen_to_yuan(fen)
    assert yuan == Decimal(fen) / 100 and yuan.as_tuple().exponent == -2
    assert wire.yuan_to_fen(yuan) == fen


def test_sub_fen_yuan_is_refused() -> None:
    with pytest.raises(ValueError):
        wire.yuan_to_fen(Decimal("0.001"))


# Each rate field has one unit, taken from the API's documentation, never from the value's size
# (it used to be guessed: "1" became 100 %). docs/1688-client.md, "Rate units".
@pytest.mark.parametrize(
    ("raw", "fraction"),
    [("32%", "0.32"), ("11", "0.11"), ("1", "0.01"), ("0.5", "0.005"), (100, "1"), ("", None), (None, None)],
)
def test_percent_fields(raw: object, fraction: str | None) -> None:
    value = TypeAdapter(wire.Percent).validate_python(raw)
    assert value == (Decimal(fraction) if fraction is not None else None)


@pytest.mark.parametrize(("raw", "fraction"), [("0.4666", "0.4666"), ("1", "1"), ("0", "0"), ("", None)])
def test_fraction_fields(raw: object, fraction: str | None) -> None:
    value = TypeAdapter(wire.Fraction).validate_python(raw)
    assert value == (Decimal(fraction) if fraction is not None else None)


@pytest.mark.parametrize(("kind", "raw"), [(wire.Percent, "101"), (wire.Percent, "-1"), (wire.Fraction, "11"),
                                           (wire.Fraction, "2"), (wire.Percent, "high")])
def test_a_rate_outside_its_unit_is_refused(kind: object, raw: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(raw)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (wire.Yuan, True),
        (wire.Yuan, "NaN"),
        (wire.Yuan, "forty"),
        (wire.Fen, True),
        (wire.Fen, "12.5"),
        (wire.IdText, 1.5),
        (wire.Flag, "maybe"),
        (wire.PlatformTime, "tomorrow"),
    ],
)
def test_wrong_types_are_refused(kind: object, raw: object) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python(raw)


def test_ids_keep_every_digit() -> None:
    assert TypeAdapter(wire.IdText).validate_python(3701234567000010007) == "3701234567000010007"


def test_platform_times() -> None:
    compact = parse_platform_time("20270526174405123+0800")
    assert compact is not None and compact.utcoffset() == timedelta(hours=8)
    assert (compact.year, compact.hour, compact.microsecond) == (2027, 17, 123000)
    step = TypeAdapter(wire.PlatformTime).validate_python("2026-05-27 09:00:00")
    assert step is not None and step.utcoffset() == timedelta(hours=8) and step.hour == 9
    assert parse_platform_time("soon") is None
    # Token replies also write it without milliseconds; that used to read as None, silently.
    short = parse_platform_time("20121222222222+0800")
    assert short is not None and (short.year, short.second, short.utcoffset()) == (2012, 22, timedelta(hours=8))
    assert parse_platform_time("201212222222+0800") is None
