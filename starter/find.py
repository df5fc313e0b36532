"""Finding the workflow that handles one 1688 order, from Temporal visibility.

Each `SupplierOrderWorkflow` puts its 1688 order id in the `ProcurementOrderIds` search
attribute. Visibility is eventually consistent (an order placed a moment ago may not be listed
yet), so the search is retried for a few seconds before we say there is no such order.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client, WorkflowExecution

from domain.messages import SUPPLIER_ORDER_WORKFLOW
from starter.exit_status import CommandError, NotFound
from workflows import search_attributes as sa

FIND_WITHIN = 5.0  # seconds; visibility lag on a healthy cluster is well below a second
_RETRY_EVERY = 0.5


def order_query(order_id: str, *, running: bool) -> str:
    if not order_id.isdigit():  # it goes into a query string: digits only, never quoted text
        raise ValueError("a 1688 order id is a string of digits")
    query = f"WorkflowType = '{SUPPLIER_ORDER_WORKFLOW}' AND {sa.ORDER_IDS.name} = '{order_id}'"
    return query + (" AND ExecutionStatus = 'Running'" if running else "")


async def _first(client: Client, query: str) -> WorkflowExecution | None:
    async for execution in client.list_workflows(query, limit=1):
        return execution
    return None


async def find_open_order(client: Client, order_id: str, *, within: float = FIND_WITHIN) -> str:
    """The workflow id of the running order workflow for ``order_id``; CommandError if none."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    query = order_query(order_id, running=True)
    while True:
        found = await _first(client, query)
        if found is not None:
            return found.id
        if loop.time() >= deadline:
            break
        await asyncio.sleep(_RETRY_EVERY)
    closed = await _first(client, order_query(order_id, running=False))
    if closed is not None:
        status = closed.status.name if closed.status is not None else "closed"
        raise CommandError(f"order {order_id} is no longer open (workflow {closed.id}, status {status})")
    raise NotFound(f"no open order {order_id}: no running order workflow lists it")
