"""Logs of every long-running process: one line per event, text for people or JSON for a pipeline.

`LOG_FORMAT=json` writes one JSON object per line (`time`, `level`, `logger`, `message`, the
process's `service` and `build_id`, and `exc` for a traceback). httpx logs a line for every
HTTP request at INFO, which for a 1688 worker is a line per call: it is kept at WARNING unless
`LOG_HTTP_REQUESTS=true` (the audit trail in the ledger has every call anyway). No secret is ever
logged: settings hold them as `SecretStr`, and the 1688 client redacts what it reports.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from runtime.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that speak per request; quiet unless asked for.
CHATTY = ("httpx", "httpcore", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    def __init__(self, static: dict[str, str] | None = None) -> None:
        super().__init__()
        self._static = static or {}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self._static,
        }
        # The SDK's workflow and activity loggers attach their context as `temporal_*` extras.
        for key in ("temporal_workflow", "temporal_activity"):
            value = getattr(record, key, None)
            if isinstance(value, dict):
                line.update({f"{key.removeprefix('temporal_')}_{k}": v for k, v in value.items()
                             if k in ("workflow_id", "workflow_type", "activity_type", "attempt", "run_id")})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, *, service: str, build_id: str | None = None) -> None:
    """Set up the root logger once per process; safe to call again (it replaces its handler)."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        static = {"service": service}
        if build_id:
            static["build_id"] = build_id
        handler.setFormatter(JsonFormatter(static))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.INFO if settings.log_http_requests else logging.WARNING)
