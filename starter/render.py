"""Plain-text tables for people at a terminal.

Chinese keywords and supplier names take two columns each on a terminal, so widths are counted
in display columns, not characters, or every column after a keyword would drift.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from domain.money import yuan

MAX_CELL = 48  # long cells are cut (except in the last column); --json always has the full text


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cut(text: str, limit: int = MAX_CELL) -> str:
    text = " ".join(text.split())  # a newline inside a cell would break the table
    if display_width(text) <= limit:
        return text
    out, width = "", 0
    for ch in text:
        width += display_width(ch)
        if width > limit - 1:
            break
        out += ch
    return out + "…"


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()) -> str:
    """Columns separated by two spaces; ``right`` lists the columns (numbers, money) aligned right."""
    # The last column (notes, reasons) is never cut: nothing follows it that would lose alignment.
    last = len(headers) - 1
    cells = [[_cut("" if value is None else str(value), MAX_CELL if i < last else 10**6) for i, value in enumerate(row)]
             for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    lines = ["  ".join(_pad(h, widths[i], i in right) for i, h in enumerate(headers)).rstrip()]
    lines += ["  ".join(_pad(c, widths[i], i in right) for i, c in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines)


def money(value: Decimal | int | str | None) -> str:
    return "-" if value is None else str(yuan(value))


def section(title: str, body: str) -> str:
    return f"{title}\n{body}"
