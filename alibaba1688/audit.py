"""What the client tells its caller about every call: a redacted, timed record.

The activity layer passes an ``on_call`` hook to the client and writes each :class:`CallRecord`
as an audit row. Records only ever hold parameters that went through :func:`redact_params`,
so secrets and tokens cannot reach the ledger through them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

MASK = "***"

# Parameters whose value is a credential: the whole value is replaced.
SECRET_PARAMS = frozenset(
    {"access_token", "refresh_token", "client_secret", "_aop_signature", "code", "app_secret"}
)
# Keys (at any depth, also inside JSON-text parameters) holding a phone number are partly masked:
# "mobile", "phone", "tel" and anything ending in mobile/phone ("toMobile", "receiverPhone").
PHONE_SUFFIXES = ("mobile", "phone")
PHONE_KEYS = frozenset({"tel"})
# Keys holding a person's name ("fullName" in addressParam and invoiceParam, "toFullName",
# "receiverName", "contactPerson"): all but the first character starred.
NAME_KEYS = frozenset({"fullname", "tofullname", "receivername", "contactperson", "sellerrealname"})
# Keys holding a street address (the part below the district): masked whole. Province, city and
# area stay readable, so a row still says where an order went.
STREET_KEYS = frozenset(
    {"address", "townText".lower(), "toarea", "receiveraddress", "selleraddress", "sellerreceiveaddress"}
)


def _is_phone_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in PHONE_KEYS or lowered.endswith(PHONE_SUFFIXES)


def mask_name(value: str) -> str:
    """``张三`` -> ``张*``; ``Zhang San`` -> ``Z********``."""
    return value[:1] + "*" * (len(value) - 1) if value else value


class CallRecord(BaseModel):
    """One call to the platform, as the audit log sees it."""

    model_config = ConfigDict(frozen=True)

    api: str
    """``namespace:name``, e.g. ``com.alibaba.trade:alibaba.trade.fastCreateOrder``."""
    params_redacted: dict[str, Any]
    outcome: Literal["ok", "error"]
    error_code: str | None = None
    error_type: str | None = None
    """The client's error class name (``OutOfStockError``...), when ``outcome`` is ``error``."""
    retryable: bool | None = None
    http_status: int | None = None
    latency_ms: float
    request_id: str | None = None


OnCall = Callable[[CallRecord], Awaitable[None]]


def mask_phone(value: str) -> str:
    """Keep the first three and last four characters of a phone number, star the middle.

    ``15251667788`` -> ``152****7788``; short values keep only their last two characters.
    """
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if len(value) > 2:
        return "*" * (len(value) - 2) + value[-2:]
    return "*" * len(value)


def _redact_value(key: str, value: Any) -> Any:
    if key in SECRET_PARAMS:
        return MASK
    if _is_phone_key(key) and isinstance(value, (str, int)) and not isinstance(value, bool):
        return mask_phone(str(value))
    if isinstance(value, str) and key.lower() in NAME_KEYS:
        return mask_name(value)
    if isinstance(value, str) and key.lower() in STREET_KEYS and value:
        return MASK
    if isinstance(value, Mapping):
        return {str(k): _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(key, item) for item in value]
    if isinstance(value, str) and value[:1] in ("{", "["):
        # Object parameters travel as JSON text (addressParam...): look inside them too.
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(_redact_value(key, parsed), ensure_ascii=False, separators=(",", ":"))
    return value


def redact_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` fit for logs and audit rows.

    Credentials (``access_token``, ``refresh_token``, ``client_secret``, ``_aop_signature``,
    an authorization ``code``) become ``"***"``; phone numbers (``mobile``, ``phone``) are partly
    masked wherever they appear (``mobile``, ``phone``, ``tel``, ``toMobile``,
    ``receiverPhone``...), including inside JSON-text parameters such as ``addressParam``; a
    receiver's name (``fullName``...) keeps its first character and the street address
    (``address``, ``townText``...) becomes ``"***"``.
    Works on the encoded form (strings) and on plain dicts alike; the input is not modified.
    """
    return {str(name): _redact_value(str(name), value) for name, value in params.items()}


__all__ = ["MASK", "CallRecord", "OnCall", "mask_name", "mask_phone", "redact_params"]
