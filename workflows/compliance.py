"""Supplier compliance refresh: one run per Schedule tick (starter/compliance.py creates it).

The story: list every supplier we bought from or that a running procurement may buy from;
for each, read its profile from 1688 and its licence and permits from the licence register (at
low priority: procurements keep the call quota), judge it (`domain.compliance.judge`), and write
the verdict; a state that deserves an alert raises one, once. Sourcing reads the verdicts, so a
non-compliant supplier is excluded from the next procurement with its reason.

Idempotent: a second run on the same facts writes the same verdicts and raises no alert. A
supplier that cannot be read this time keeps its last verdict and is listed in the report.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import Priority, RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.compliance import COMPLIANCE_WORKFLOW, ComplianceFacts, ComplianceInput, ComplianceReport, RecordVerdictInput, Verdict, judge
    from workflows.steps import BUSINESS_REFUSALS, LEDGER_RETRY, failure_text, record

# Priority keys run 1 (first) to 5 (last); 3 is the default every procurement step has.
LOW_PRIORITY = Priority(priority_key=5)

# A supplier's refresh may wait long for idle quota turns, but one that keeps failing is
# reported and the run goes on; the next run tries again.
REFRESH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), backoff_coefficient=2.0,
                            maximum_interval=timedelta(minutes=2), maximum_attempts=0,
                            non_retryable_error_types=[*BUSINESS_REFUSALS, "MalformedReply"])
REFRESH_WINDOW = timedelta(minutes=20)


@workflow.defn(name=COMPLIANCE_WORKFLOW)
class ComplianceRefreshWorkflow:
    def __init__(self) -> None:
        self._report = ComplianceReport()

    @workflow.query
    def report(self) -> ComplianceReport:
        return self._report

    @workflow.run
    async def run(self, input: ComplianceInput) -> ComplianceReport:
        suppliers = await workflow.execute_activity(
            "list_suppliers_to_check", result_type=list[str], start_to_close_timeout=timedelta(seconds=30),
            retry_policy=LEDGER_RETRY, summary="suppliers to check")
        today = workflow.now().date()
        run_id = workflow.info().run_id
        verdicts: list[Verdict] = []
        alerts: list[str] = []
        failed: dict[str, str] = {}
        for n, supplier_id in enumerate(suppliers, 1):
            workflow.set_current_details(f"checking supplier {n} of {len(suppliers)}: `{supplier_id}`")
            try:
                facts = await workflow.execute_activity(
                    "refresh_supplier", supplier_id, result_type=ComplianceFacts,
                    task_queue=input.alibaba_task_queue, priority=LOW_PRIORITY,
                    start_to_close_timeout=timedelta(seconds=90), heartbeat_timeout=timedelta(seconds=15),
                    schedule_to_close_timeout=REFRESH_WINDOW, retry_policy=REFRESH_RETRY,
                    summary=f"refresh supplier {supplier_id}"[:200],
                )
            except ActivityError as error:
                kind, message = failure_text(error)
                failed[supplier_id] = f"{kind}: {message}"[:300]
                continue
            verdict = judge(facts, today, timedelta(days=input.warning_days))
            verdicts.append(verdict)
            raised = await record("record_compliance", RecordVerdictInput(facts=facts, verdict=verdict, run_id=run_id),
                                  result_type=bool, summary=f"compliance of {supplier_id}: {verdict.status.value}")
            if raised:
                alerts.append(supplier_id)
            self._report = ComplianceReport(checked=n, verdicts=verdicts, alerts_raised=alerts, failed=failed)
        self._report = ComplianceReport(checked=len(suppliers), verdicts=verdicts, alerts_raised=alerts, failed=failed)
        workflow.set_current_details(
            f"{len(suppliers)} suppliers checked; {len(alerts)} new alerts; {len(failed)} could not be read")
        return self._report
