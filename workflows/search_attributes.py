"""The custom search attributes ops filter on in the Web UI and `procure list`.

They must be registered on every cluster before a workflow upserts them (a workflow that upserts
an unknown attribute fails its task and retries forever): `procure up` and the tests register
them from ``ALL``; docs/operations.md shows the command for a real cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

REQUEST_ID = SearchAttributeKey.for_keyword("ProcurementRequestId")
STAGE = SearchAttributeKey.for_keyword("ProcurementStage")
REQUESTER = SearchAttributeKey.for_keyword("ProcurementRequester")
SUPPLIERS = SearchAttributeKey.for_keyword_list("ProcurementSuppliers")
ORDER_IDS = SearchAttributeKey.for_keyword_list("ProcurementOrderIds")
AMOUNT = SearchAttributeKey.for_float("ProcurementAmount")
# The open alert a person must act on ("" when none): ops filter `ProcurementAlert != ""`.
ALERT = SearchAttributeKey.for_keyword("ProcurementAlert")

ALL: tuple[SearchAttributeKey, ...] = (REQUEST_ID, STAGE, REQUESTER, SUPPLIERS, ORDER_IDS, AMOUNT, ALERT)

# Temporal refuses a search attribute value above 2 KB (the server's `limit.searchAttributesSizeOfValue`)
# and then fails the workflow task on every retry: a request spread over a hundred suppliers
# stalled with its paid orders behind it. A list keeps what fits in this many bytes of JSON
# (the payload's metadata takes the rest), in the caller's order of importance. Half the limit,
# so no value the workflows write comes near it (issue 13: every figure below half of a limit).
VALUE_BUDGET = 1000
# A keyword is at most this long (the server's limit is larger; alerts are read in the details).
KEYWORD_BUDGET = 200


def bounded_keywords(values: Iterable[str], budget: int = VALUE_BUDGET) -> list[str]:
    """The leading values, without repeats, whose JSON list fits in ``budget`` bytes."""
    kept: list[str] = []
    size = 2  # []
    for value in values:
        if value in kept:
            continue
        cost = len(json.dumps(value, ensure_ascii=False).encode("utf-8")) + (1 if kept else 0)
        if size + cost > budget:
            break
        kept.append(value)
        size += cost
    return kept


def bounded_keyword(value: str, budget: int = KEYWORD_BUDGET) -> str:
    """``value`` cut to at most ``budget`` bytes of UTF-8, on a character boundary."""
    data = value.encode("utf-8")
    if len(data) <= budget:
        return value
    return data[: budget - 3].decode("utf-8", errors="ignore") + "..."


def alert_update(alert: str | None) -> SearchAttributeUpdate:
    return ALERT.value_set(bounded_keyword(alert or ""))

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
