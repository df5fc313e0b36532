"""A worker (`python -m bench.activation_timer`) that measures the CPU of every workflow activation.

The SDK kills a workflow task whose activation runs for more than 2 s (deadlock detection), and
issue 13 asks that no workflow task of a 200-line request take more than 200 ms of CPU. History
timestamps cannot show that: a workflow task also waits for the local activities it runs and for
the machine. This wraps the sandbox's `activate` (decoding the activity results, the workflow code,
encoding the commands) and reads the thread's CPU clock around it, which counts only the worker
thread running the activation. Every new largest figure per workflow kind is written to the JSON
file named by `PROCURE_ACTIVATION_LOG`: {kind: {"cpu_ms", "workflow_id", "activations", "over_200_ms",
"replays", "largest", "evictions"}}, where "replays" counts workflows started again from their first
event (the worker had lost them from its cache), "largest" lists the five largest activations with
the jobs each carried, and "evictions" counts each reason the worker gave for dropping a workflow
from its cache (the workflow's end included).

For benchmarks only: the product's worker is `python -m worker`, which this runs unchanged.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from temporalio.bridge.proto.workflow_activation import workflow_activation_pb2
from temporalio.worker import _workflow
from temporalio.worker.workflow_sandbox import _runner

LOG = Path(os.environ.get("PROCURE_ACTIVATION_LOG", "activations.json"))
OVER_MS = 200.0

_lock = threading.Lock()
_figures: dict[str, dict[str, Any]] = {}
_activate = _runner._Instance.activate
_evict = _workflow._WorkflowWorker._handle_cache_eviction


# Garbage collection runs in whichever thread allocates when a threshold is reached: the time each
# collection took, by generation, so an activation that met a full collection says so.
_gc_ms = threading.local()
_gc_started: dict[int, float] = {}


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    ident = threading.get_ident()
    if phase == "start":
        _gc_started[ident] = time.thread_time()
    elif ident in _gc_started:
        spent = (time.thread_time() - _gc_started.pop(ident)) * 1000
        tally = getattr(_gc_ms, "tally", None)
        if tally is not None:
            tally[info["generation"]] += spent


def _timed_activate(self: Any, act: Any) -> Any:
    _gc_ms.tally = [0.0, 0.0, 0.0]
    started = time.thread_time()
    completion = None
    try:
        completion = _activate(self, act)
        return completion
    finally:
        cpu_ms = (time.thread_time() - started) * 1000
        tally, _gc_ms.tally = _gc_ms.tally, None
        workflow_id = self.instance_details.info.workflow_id
        gc_note = f" [GC {tally[2]:.0f} ms full, {tally[0] + tally[1]:.0f} ms young]" if sum(tally) >= 1 else ""
        _note("order" if "-order-" in workflow_id else "procurement", workflow_id, cpu_ms, act, completion, gc_note)


async def _noted_eviction(self: Any, act: Any, job: Any) -> None:
    """Why the worker dropped a workflow from its cache (each drop is a replay from the first event
    at the workflow's next task): the core's reason and message, counted per workflow kind."""
    running = self._running_workflows.get(act.run_id)
    workflow_id = running.workflow_id if running is not None else ""
    reason = workflow_activation_pb2.RemoveFromCache.EvictionReason.Name(job.reason)
    why = f"{reason}: {' '.join(job.message.split())[:160]}"
    with _lock:
        figure = _figure("order" if "-order-" in workflow_id else "procurement")
        figure["evictions"][why] = figure["evictions"].get(why, 0) + 1
        LOG.write_text(json.dumps(_figures, indent=1), encoding="utf-8")
    await _evict(self, act, job)


def _figure(kind: str) -> dict[str, Any]:
    return _figures.setdefault(kind, {"cpu_ms": 0.0, "workflow_id": "", "activations": 0, "over_200_ms": 0,
                                      "replays": 0, "largest": [], "evictions": {}})


def _count(kinds: list[str]) -> str:
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} x{n}" for kind, n in sorted(counts.items(), key=lambda item: -item[1]))


def _jobs(act: Any, completion: Any) -> str:
    """What an activation carried and what it answered: `resolve_activity x12 -> schedule_activity x12`."""
    jobs = _count([job.WhichOneof("variant") or "?" for job in act.jobs])
    commands = []
    if completion is not None and completion.HasField("successful"):
        for command in completion.successful.commands:
            kind = command.WhichOneof("variant") or "?"
            step = getattr(command, kind).activity_type if kind.startswith("schedule") and "activity" in kind else ""
            commands.append(f"{kind} {step}".strip())
    replay = ", replaying" if act.is_replaying else ""
    return f"{jobs} -> {_count(commands) or 'no command'} (history {act.history_length}{replay})"


def _note(kind: str, workflow_id: str, cpu_ms: float, act: Any, completion: Any, gc_note: str) -> None:
    with _lock:
        figure = _figure(kind)
        figure["activations"] += 1
        # A workflow started again from its first event while it had more: the worker lost it
        # from its cache (evicted, or a task given to it without its sticky queue).
        figure["replays"] += act.is_replaying and any(job.HasField("initialize_workflow") for job in act.jobs)
        figure["over_200_ms"] += cpu_ms > OVER_MS
        if cpu_ms > figure["cpu_ms"]:
            figure.update(cpu_ms=round(cpu_ms, 1), workflow_id=workflow_id)
        largest = figure["largest"]
        if len(largest) < 5 or cpu_ms > largest[-1][0]:
            largest.append((round(cpu_ms, 1), _jobs(act, completion) + gc_note))
            largest.sort(key=lambda item: -item[0])
            del largest[5:]
        # Written after every activation, outside the timed part: the worker is stopped with a
        # signal, so nothing is left to write at exit.
        LOG.write_text(json.dumps(_figures, indent=1), encoding="utf-8")


def main() -> None:
    _runner._Instance.activate = _timed_activate  # type: ignore[method-assign]
    _workflow._WorkflowWorker._handle_cache_eviction = _noted_eviction  # type: ignore[method-assign]
    gc.callbacks.append(_on_gc)
    import worker

    worker.entry()


if __name__ == "__main__":
    main()
