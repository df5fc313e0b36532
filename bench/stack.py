"""The stack a benchmark runs against: the reliability tests' multi-process stack, reused.

`tests/reliability/rel_stack.py` already starts every part as production runs it (the Temporal
dev server on SQLite with WAL, the embedded PostgreSQL, the 1688 simulator over real HTTP,
`python -m worker` processes) on free ports and stops them all; a benchmark must measure that same
stack, so it borrows it rather than keeping a second copy that would drift. This module only makes
it importable from `bench/` and adds what benchmarks read: process memory and CPU, the ledger's
call audit, and fetched histories.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests", ROOT / "tests" / "reliability"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import psutil  # noqa: E402
from temporalio.client import WorkflowHistory  # noqa: E402

import rel_stack  # noqa: E402  (tests/reliability/rel_stack.py)


def _compile_bytecode() -> None:
    """Byte-compile our packages, as the image does (deploy/docker/Dockerfile, `compileall`).
    With PYTHONDONTWRITEBYTECODE set and no __pycache__, the workflow sandbox would compile the
    workflow modules from source for every workflow it starts: a cost production does not pay."""
    import compileall

    for package in ("workflows", "domain", "activities", "alibaba1688", "ledger", "runtime", "simulator", "api", "starter"):
        compileall.compile_dir(str(ROOT / package), quiet=1)
    compileall.compile_file(str(ROOT / "worker.py"), quiet=1)


_compile_bytecode()
from rel_stack import (  # noqa: E402,F401  (re-exported for the benchmarks)
    RELIABILITY_TIMING, AppCredentials, Child, DriveReport, Stack, StackOptions, accept, drive, hold_at_qc,
    offer, purchase_request, reliability_catalog, running_stack, supplier, until,
)

__all__ = [
    "RELIABILITY_TIMING", "AppCredentials", "DriveReport", "ProcessUse", "Stack", "StackOptions", "accept",
    "api_calls_by_workflow", "drive", "histories", "hold_at_qc", "offer", "process_use", "purchase_request",
    "rel_stack", "reliability_catalog", "running_stack", "supplier", "until", "workflow_kind",
]


@dataclass(frozen=True)
class ProcessUse:
    rss_mb: float  # resident memory of the process and its children
    cpu_seconds: float  # user + system, the process and its children


def process_use(child: Child) -> ProcessUse:
    """Memory and CPU of a stack process (its whole process group: `temporal` forks nothing, but
    a worker may)."""
    root = psutil.Process(child.process.pid)
    rss = 0
    cpu = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            rss += proc.memory_info().rss
            times = proc.cpu_times()
            cpu += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return ProcessUse(rss / 1e6, cpu)


def workflow_kind(workflow_id: str | None) -> str:
    """`procurement` for `pr-{request}`, `order` for `pr-{request}-order-{n}`."""
    if not workflow_id:
        return "none"
    return "order" if "-order-" in workflow_id else "procurement"


async def api_calls_by_workflow(stack: Stack, workflow_ids: set[str] | None = None) -> Counter[tuple[str, str]]:
    """(workflow kind, api) -> calls, from the ledger's audit of every 1688 call attempt."""
    assert stack.pool is not None
    rows = await stack.pool.fetch("SELECT workflow_id, api FROM api_calls")
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        procurement = (row["workflow_id"] or "").split("-order-")[0]
        if workflow_ids is None or procurement in workflow_ids:
            counts[(workflow_kind(row["workflow_id"]), row["api"])] += 1
    return counts


async def histories(stack: Stack) -> list[WorkflowHistory]:
    """Every run of every workflow on the stack's task queue."""
    return await rel_stack.all_histories(stack)
