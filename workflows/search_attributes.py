"""The custom search attributes ops filter on in the Web UI and `procure list`.

They must be registered on every cluster before a workflow upserts them (a workflow that upserts
an unknown attribute fails its task and retries forever): `procure up` and the tests register
them from ``ALL``; docs/operations.md shows the command for a real cluster.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

REQUEST_ID = SearchAttributeKey.for_keyword("ProcurementRequestId")
STAGE = SearchAttributeKey.for_keyword("ProcurementStage")
REQUESTER = SearchAttributeKey.for_keyword("ProcurementRequester")
SUPPLIERS = SearchAttributeKey.for_keyword_list("ProcurementSuppliers")
ORDER_IDS = SearchAttributeKey.for_keyword_list("ProcurementOrderIds")
AMOUNT = SearchAttributeKey.for_float("ProcurementAmount")

ALL: tuple[SearchAttributeKey, ...] = (REQUEST_ID, STAGE, REQUESTER, SUPPLIERS, ORDER_IDS, AMOUNT)

_CLI_TYPE_NAMES = {
    "KEYWORD": "Keyword",
    "KEYWORD_LIST": "KeywordList",
    "DOUBLE": "Double",
    "TEXT": "Text",
    "INT": "Int",
    "BOOL": "Bool",
    "DATETIME": "Datetime",
}


def cli_arguments() -> list[str]:
    """``--search-attribute Name=Type`` pairs for ``temporal server start-dev``."""
    args: list[str] = []
    for key in ALL:
        args += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type.name]}"]
    return args
