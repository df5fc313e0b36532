"""Worker Versioning: how each workflow type meets a new build (docs/deploy.md, "Upgrades").

- PINNED: a workflow runs its whole life on the build it started on. Code changes need no patch,
  but the old build's workers must keep running until its last workflow closes (or continues as
  new onto the new build with `initial_versioning_behavior=AUTO_UPGRADE`).
- AUTO_UPGRADE: a running workflow moves to the current build at its next workflow task; code
  changes that alter its commands go through `workflow.patched`, and the replay tests
  (tests/workflows/test_wf_replay.py) check every recorded history against the new code.

Both of ours are AUTO_UPGRADE. A procurement lives as long as its slowest order and never
continues as new; an order lives for weeks, mostly waiting for an approver, a courier or the
warehouse, and continues as new only while its parcel travels. Pinned, every build would keep its
workers for weeks, one Deployment per build still serving; auto-upgraded, a deploy is one rollout
and the old workers drain at once.

The SDK lets a workflow class declare its behaviour in `@workflow.defn(versioning_behavior=...)`,
but then every worker of it must be versioned (the server refuses the declaration from an
unversioned worker, as in the tests and the local stack). So the choice lives here, per type,
and the worker gives it as the deployment's default when versioning is on.
"""

from __future__ import annotations

from temporalio.common import VersioningBehavior

from domain import messages, replenishment
from domain.compliance import COMPLIANCE_WORKFLOW

BEHAVIOUR: dict[str, VersioningBehavior] = {
    messages.PROCUREMENT_WORKFLOW: VersioningBehavior.AUTO_UPGRADE,
    messages.SUPPLIER_ORDER_WORKFLOW: VersioningBehavior.AUTO_UPGRADE,
    # A store's workflow lives as long as the store and continues as new between batches.
    replenishment.REPLENISHMENT_WORKFLOW: VersioningBehavior.AUTO_UPGRADE,
    replenishment.SWEEP_WORKFLOW: VersioningBehavior.AUTO_UPGRADE,
    # An RFQ lives hours (a deadline, then an award); it follows the others so one worker runs all.
    "RfqWorkflow": VersioningBehavior.AUTO_UPGRADE,
    # A refresh lives minutes; auto-upgraded like the others, since one worker serves them all.
    COMPLIANCE_WORKFLOW: VersioningBehavior.AUTO_UPGRADE,
}


def deployment_default(workflow_types: list[str]) -> VersioningBehavior:
    """The one behaviour the given workflow types share; a type without a choice is an error."""
    missing = [name for name in workflow_types if name not in BEHAVIOUR]
    if missing:
        raise ValueError(f"no versioning behaviour chosen for {', '.join(missing)} in workflows/versioning.py")
    chosen = {BEHAVIOUR[name] for name in workflow_types}
    if len(chosen) != 1:
        raise ValueError("workflow types on one worker differ in versioning behaviour: declare it on each "
                         "@workflow.defn and run those workers versioned only")
    return chosen.pop()
