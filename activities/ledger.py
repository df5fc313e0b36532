"""Ledger activities: thin wrappers that let workflows write to PostgreSQL idempotently."""

from __future__ import annotations

from typing import Any

import asyncpg
from pydantic import BaseModel, Field
from temporalio import activity

from ledger import trace


class TraceEventInput(BaseModel):
    workflow_id: str
    step: str = Field(description="stable for the step, so a retried write adds no row")
    kind: str
    detail: dict[str, Any] = Field(default_factory=dict)


class LedgerActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn
    async def record_trace_event(self, event: TraceEventInput) -> bool:
        return await trace.record_trace_event(
            self._pool, event.workflow_id, event.step, event.kind, event.detail
        )
