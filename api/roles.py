"""Who may do what: the roles of API keys and the one table of their permissions.

INTERFACES.md section 5 names the roles and who may start, approve, cancel and send QC; reading
is open to every role whose people act on what they read. A route names its action; the gate in
`api.endpoint` refuses a key whose role is not listed for it (403), before anything is done.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ERP = "erp"  # the buyer's ERP: starts and cancels procurements
    POS = "pos"  # a store's point of sale: sends stock levels
    WAREHOUSE = "warehouse"  # QC staff: the result of inspecting goods that arrived
    APPROVER = "approver"  # releases payments held for approval
    OPS = "ops"  # the people on call


class Action(StrEnum):
    START = "start_purchase_request"
    READ = "read_purchase_requests"
    APPROVE = "approve"
    CANCEL = "cancel"
    LIST_QC = "list_orders_awaiting_qc"
    QC = "qc"
    STOCK_LEVELS = "send_stock_levels"
    READ_REPLENISHMENT = "read_replenishment_batches"


PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.START: frozenset({Role.ERP, Role.OPS}),
    Action.READ: frozenset({Role.ERP, Role.WAREHOUSE, Role.APPROVER, Role.OPS}),
    Action.APPROVE: frozenset({Role.APPROVER}),
    Action.CANCEL: frozenset({Role.ERP, Role.OPS}),
    Action.LIST_QC: frozenset({Role.WAREHOUSE, Role.OPS}),
    Action.QC: frozenset({Role.WAREHOUSE}),
    Action.STOCK_LEVELS: frozenset({Role.POS}),
    Action.READ_REPLENISHMENT: frozenset({Role.ERP, Role.POS, Role.OPS}),
}


def allowed(role: Role, action: Action) -> bool:
    return role in PERMISSIONS[action]


def roles_for(action: Action) -> list[str]:
    """The roles allowed, in the order of `Role`, for messages and the OpenAPI document."""
    return [role.value for role in Role if role in PERMISSIONS[action]]
