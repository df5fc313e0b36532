"""Wire-level vocabulary shared by the API handlers: parameters, envelopes, errors, time formats.

1688 has no common business envelope, so each helper here is named after the shape it builds;
handlers pick the one their real API uses (see docs/1688-wire-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.clock import SHANGHAI


def compact_time(moment: datetime) -> str:
    """Order-detail time: ``20260526174405000+0800``."""
    local = moment.astimezone(SHANGHAI)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}+0800"


def trace_time(moment: datetime) -> str:
    """Logistics time: ``2026-05-26 17:44:05`` (Shanghai)."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def parse_compact_time(text: str) -> datetime:
    digits = text.split("+")[0]
    return datetime.strptime(digits[:14], "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)


class GatewayError(Exception):
    """A refusal by the gateway itself (``error_code`` body), not by the business API."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def param_missing(name: str) -> GatewayError:
    return GatewayError("gw.ParamMissing", f"Required parameter '{name}' is missing")


def param_invalid(name: str, why: str) -> GatewayError:
    return GatewayError("gw.ParamInvalid", f"Parameter '{name}' is invalid: {why}")


class Params:
    """The form parameters of one call, with typed accessors that fail as the gateway would."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = dict(form)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.form.get(name)
        return value if value not in (None, "") else default

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise param_missing(name)
        return value

    def json(self, name: str) -> Any:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise param_invalid(name, f"not JSON ({exc.msg})") from None

    def json_object(self, name: str) -> dict[str, Any]:
        value = self.json(name)
        if value is None:
            raise param_missing(name)
        if not isinstance(value, dict):
            raise param_invalid(name, "a JSON object is expected")
        return value

    def json_list(self, name: str) -> list[Any]:
        value = self.json(name)
        if value is None:
            raise param_missing(name)
        if not isinstance(value, list):
            raise param_invalid(name, "a JSON list is expected")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        raw = self.text(name)
        if raw is None:
            return default
        return as_int(raw, name)


def as_int(value: Any, name: str) -> int:
    """A Long parameter: JSON number or digit text; never a float (ids exceed 2^53)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise param_invalid(name, "an integer is expected")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise param_invalid(name, f"an integer is expected, got {value!r}")
    return int(text)


@dataclass
class Reply:
    """What a business handler answers: the body, its business error code (if any), and whether
    it committed a change (only committed replies can be "lost" by the lost-reply fault)."""

    body: dict[str, Any]
    error_code: str | None = None
    committed: bool = False
    status: int = 200


def nested_ok(result: Any, code: str | None = "200", message: str | None = "成功") -> Reply:
    """``{result: {success, code, message, result}}``: search, detail, freight, pay, refunds."""
    return Reply({"result": {"success": True, "code": code, "message": message, "result": result}})


def nested_error(code: str, message: str) -> Reply:
    return Reply({"result": {"success": False, "code": code, "message": message, "result": None}}, error_code=code)


def trade_ok(**fields: Any) -> Reply:
    """``{success, ...}`` at the top level: trade and logistics."""
    return Reply({"success": True, **fields})


def trade_error(code: str, message: str, **fields: Any) -> Reply:
    return Reply({"success": False, "errorCode": code, "errorMessage": message, **fields}, error_code=code)
