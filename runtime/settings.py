"""The one settings object, read from the environment and an optional ``.env`` file.

Variable names are a product decision (INTERFACES.md section 3). Secrets are ``SecretStr`` so
they print as ``**********`` in any repr, log line or traceback. Every process of ours (workers,
the `procure` command line, the codec server, the push receiver) reads the same object; the
settings for running in a cluster (worker tuning, versioning, metrics, tracing, logs) are listed
in docs/deploy.md.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local simulator's default app (simulator catalog "app" section), used only when no real
# gateway is configured, so the demo works with no set-up and a real gateway never gets these.
SIMULATOR_APP_KEY = "1000000"
SIMULATOR_APP_SECRET = "test123"
SIMULATOR_ACCESS_TOKEN = "TEST-TOKEN"
SIMULATOR_REFRESH_TOKEN = "TEST-REFRESH"
DEFAULT_SIMULATOR_PORT = 8688
# `procure worker --role`: each role serves its own task queue, so each scales on its own.
WORKER_ROLES = ("workflows", "1688", "all")

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)")
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: Any) -> timedelta:
    """Read ``4h``, ``90m``, ``1h30m``, ``45s``, ``2d`` or a bare number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text)
        else:
            parts = _DURATION_PART.findall(text)
            if not parts or _DURATION_PART.sub("", text).strip():
                raise ValueError(f"not a duration ({str(value)[:40]!r}); use e.g. 4h, 30m, 45s or 1h30m")
            seconds = sum(float(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ValueError("must be a positive duration")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in problems))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_api_key: SecretStr | None = None
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    # A server CA (self-hosted clusters with their own CA) and the name its certificate carries.
    temporal_tls_ca: Path | None = None
    temporal_tls_server_name: str | None = None
    # TLS without a client certificate (a server behind TLS that does not ask for one).
    temporal_tls: bool = False
    # A Temporal environment-configuration profile (the TOML file `temporal config` writes):
    # read when either is set; the TEMPORAL_* variables above override what it says.
    temporal_profile: str | None = None
    temporal_config_file: Path | None = None

    procurement_task_queue: str = "procurement"
    alibaba_task_queue: str = "alibaba1688"

    # None means "the local simulator" (started by `procure up`).
    alibaba_gateway_url: str | None = None
    alibaba_app_key: str | None = None
    alibaba_app_secret: SecretStr | None = None
    alibaba_access_token: SecretStr | None = None
    alibaba_refresh_token: SecretStr | None = None
    # The app's registered callback address, sent with `procure authorize`'s code exchange.
    alibaba_redirect_uri: str | None = None
    # Seals the 1688 tokens in PostgreSQL; None means a key derived from the app secret.
    token_encryption_key: SecretStr | None = None
    alibaba_calls_per_minute: int = Field(default=600, gt=0, le=100_000)
    # Supplier compliance (docs/compliance.md): where licences and permits are read (None: the
    # local simulator's register), how often the refresh runs, and how late a missed run may start.
    compliance_licence_register_url: str | None = None
    compliance_every: Duration = timedelta(days=1)
    compliance_catchup_window: Duration = timedelta(hours=12)
    # `procure export`'s translation plug-in, package.module:factory (None: the offline glossary).
    export_translator: str | None = None

    # A URL may carry a password, so it is a secret too. None means the embedded PostgreSQL.
    database_url: SecretStr | None = None
    payload_encryption_key: SecretStr | None = None

    logistics_poll_interval: Duration = timedelta(hours=4)
    qc_reminder_after: Duration = timedelta(hours=24)
    qc_escalate_after: Duration = timedelta(hours=72)
    approval_timeout: Duration = timedelta(hours=48)

    # Notifications (docs/notifications.md): the routes file (YAML: channels with their URLs and
    # secrets, and which events go where); None means nobody is told. How often the outbox is read.
    notification_routes: Path | None = None
    notification_poll_interval: Duration = timedelta(seconds=2)
    # Store replenishment (docs/replenishment.md): the per-store file (YAML) of reorder points,
    # order-up-to quantities and 1688 keywords; how long a store's low SKUs are gathered into one
    # procurement; how long a store may stay silent before the daily sweep looks at it.
    replenishment_config: Path | None = None
    replenishment_batch_window: Duration = timedelta(minutes=10)
    replenishment_quiet_after: Duration = timedelta(hours=24)

    # --- running in a cluster (docs/deploy.md) -------------------------------------------------
    # Which task queues a `procure worker` serves: workflows (and ledger steps), 1688, or all.
    worker_role: str = "all"
    # Workflows kept in memory between tasks; each costs memory but saves a replay of its history.
    max_cached_workflows: int = Field(default=1000, ge=0, le=1_000_000)
    max_concurrent_workflow_tasks: int | None = Field(default=None, gt=1, le=10_000)
    max_concurrent_activities: int | None = Field(default=None, gt=0, le=10_000)
    # SIGTERM: stop polling, let running steps finish this long, then cancel them (they are retried
    # elsewhere after their heartbeat timeout). Kubernetes' grace period must be longer.
    worker_graceful_shutdown: Duration = timedelta(seconds=30)
    # Worker Versioning: set the deployment name to turn it on; the build id is baked into the image.
    temporal_deployment_name: str | None = None
    temporal_worker_build_id: str | None = None
    # The SDK's and our own Prometheus metrics on http://METRICS_HOST:METRICS_PORT/metrics.
    metrics_port: int | None = Field(default=None, ge=0, lt=65536)
    metrics_host: str = "0.0.0.0"
    metrics_refresh: Duration = timedelta(seconds=30)
    # OpenTelemetry tracing (the SDK's TracingInterceptor) when an OTLP/HTTP endpoint is set.
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None
    # Logs: text for people, json for a log pipeline; httpx's line per request only when asked.
    log_format: str = "text"
    log_level: str = "INFO"
    log_http_requests: bool = False

    procure_data_dir: Path = Path(".procure")
    # Where people open the Web UI; None means the dev server's convention (gRPC port + 1000).
    procure_ui_url: str | None = None
    simulator_port: int = Field(default=DEFAULT_SIMULATOR_PORT, gt=0, lt=65536)

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:7233")
        return value

    @field_validator("worker_role")
    @classmethod
    def _role(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in WORKER_ROLES:
            raise ValueError(f"must be one of {', '.join(WORKER_ROLES)}")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("temporal_deployment_name", "temporal_worker_build_id", "otel_exporter_otlp_endpoint",
                     "temporal_profile", "temporal_tls_server_name")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _versioning(self) -> "Settings":
        if self.temporal_deployment_name and not self.temporal_worker_build_id:
            raise ValueError("TEMPORAL_WORKER_BUILD_ID: required when TEMPORAL_DEPLOYMENT_NAME is set "
                             "(the image bakes it in; set it by hand outside the image)")
        if bool(self.temporal_tls_cert) != bool(self.temporal_tls_key):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both for mTLS, or neither")
        return self

    @field_validator("alibaba_gateway_url")
    @classmethod
    def _gateway(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL ending in /openapi/")
        return value if value.endswith("/") else value + "/"

    @field_validator("alibaba_redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be the app's http(s) callback address, as registered on open.1688.com")
        return value

    @field_validator("token_encryption_key")
    @classmethod
    def _token_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from ledger.credentials import parse_token_key  # the one parser; imported late, it pulls asyncpg

        parse_token_key(value.get_secret_value())  # raises ValueError, never quoting the key
        return value

    @property
    def uses_simulator(self) -> bool:
        return self.alibaba_gateway_url is None

    @property
    def gateway_url(self) -> str:
        if self.alibaba_gateway_url is not None:
            return self.alibaba_gateway_url
        return f"http://127.0.0.1:{self.simulator_port}/openapi/"

    @property
    def licence_register_url(self) -> str | None:
        """None against the real gateway without a register: licences are then unknown."""
        if self.compliance_licence_register_url is not None:
            return self.compliance_licence_register_url
        if not self.uses_simulator:
            return None
        return f"http://127.0.0.1:{self.simulator_port}/licence-register/v1/"

    def alibaba_app(self) -> tuple[str, SecretStr]:
        """App key and app secret: all `procure authorize` needs (it obtains the tokens)."""
        if self.uses_simulator:
            return (
                self.alibaba_app_key or SIMULATOR_APP_KEY,
                self.alibaba_app_secret or SecretStr(SIMULATOR_APP_SECRET),
            )
        missing = [
            name
            for name, value in (("ALIBABA_APP_KEY", self.alibaba_app_key), ("ALIBABA_APP_SECRET", self.alibaba_app_secret))
            if not value
        ]
        if missing:
            raise SettingsError([f"{name}: required when ALIBABA_GATEWAY_URL is set" for name in missing])
        assert self.alibaba_app_key and self.alibaba_app_secret
        return self.alibaba_app_key, self.alibaba_app_secret

    def alibaba_credentials(self) -> tuple[str, SecretStr, SecretStr, SecretStr | None]:
        """App key, app secret, access token and refresh token for the configured gateway."""
        if self.uses_simulator:
            return (
                self.alibaba_app_key or SIMULATOR_APP_KEY,
                self.alibaba_app_secret or SecretStr(SIMULATOR_APP_SECRET),
                self.alibaba_access_token or SecretStr(SIMULATOR_ACCESS_TOKEN),
                self.alibaba_refresh_token or SecretStr(SIMULATOR_REFRESH_TOKEN),
            )
        missing = [
            name
            for name, value in (
                ("ALIBABA_APP_KEY", self.alibaba_app_key),
                ("ALIBABA_APP_SECRET", self.alibaba_app_secret),
                ("ALIBABA_ACCESS_TOKEN", self.alibaba_access_token),
            )
            if not value
        ]
        if missing:
            raise SettingsError([f"{name}: required when ALIBABA_GATEWAY_URL is set" for name in missing])
        assert self.alibaba_app_key and self.alibaba_app_secret and self.alibaba_access_token
        return (
            self.alibaba_app_key,
            self.alibaba_app_secret,
            self.alibaba_access_token,
            self.alibaba_refresh_token,
        )

    @property
    def alibaba_calls_per_second(self) -> float:
        return self.alibaba_calls_per_minute / 60.0


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = "_".join(str(part) for part in error["loc"][:1]).upper()
            message = error["msg"].removeprefix("Value error, ")
            # A check across variables names them in its own message.
            problems.append(f"{variable}: {message}" if variable else message)
        raise SettingsError(problems) from None
