"""Recorded histories still replay: a change that would break running workflows fails here.

The histories in tests/histories/ come from the workflow tests' main paths (happy, fallback,
QC rejection, approval): `RECORD_HISTORIES=1 make test` writes them anew. Record again only for
a change that running workflows can take (see docs/reliability.md on `workflow.patched`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def test_histories_are_recorded_for_the_main_paths():
    names = {path.name.split("--")[0] for path in HISTORIES}
    assert {"happy", "fallback", "qc-reject", "approval"} <= names, names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.name for p in HISTORIES])
async def test_a_recorded_history_replays_with_the_current_code(path: Path):
    history = WorkflowHistory.from_json(path.stem.split("--", 1)[1], path.read_text())
    await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(history)
