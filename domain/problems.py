"""Turn a pydantic `ValidationError` into one short, plain message per problem.

Pydantic's own text is written for programmers ("Input should be a valid integer, unable to parse
string as an integer") and its `str()` repeats the input, which for a 10 MB field is 10 MB of
error. People who write purchase requests get `lines[0].quantity: must be greater than 0`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

MAX_PROBLEMS = 50

_PLAIN: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be a list",
    "date_type": "must be a date like 2026-06-30",
    "date_parsing": "must be a date like 2026-06-30",
    "date_from_datetime_parsing": "must be a date like 2026-06-30",
}


def field_path(loc: Sequence[int | str]) -> str:
    """('lines', 0, 'quantity') -> 'lines[0].quantity'; the whole document is 'request'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "request"


def _message(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in _PLAIN:
        return _PLAIN[kind]
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else (
            f"must be at least {ctx['min_length']} characters"
        )
    if kind == "string_too_long":
        got = error.get("input")
        size = f" ({len(got)} characters)" if isinstance(got, str) else ""
        return f"is too long{size}; at most {ctx['max_length']} characters"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items, not {ctx.get('actual_length', 'more')}"
    if kind == "decimal_max_places":
        return f"must have at most {ctx['decimal_places']} decimal places"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    # Our own PydanticCustomErrors carry a message written for people, without the input.
    return str(error["msg"])


def problems_from(error: ValidationError, *, limit: int = MAX_PROBLEMS) -> list[str]:
    """Every problem as 'path: message', in document order, at most `limit` plus a count."""
    problems: list[str] = []
    for item in error.errors(include_url=False):
        text = f"{field_path(item['loc'])}: {_message(item)}"
        if text not in problems:
            problems.append(text)
    return cap(problems, limit)


def cap(problems: list[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """A flood of errors hides the first, real one; keep `limit` and say how many were left out."""
    if len(problems) <= limit:
        return problems
    return [*problems[:limit], f"... and {len(problems) - limit} more problems"]
