"""The API's own settings, on top of the settings every process shares (starter.settings)."""

from __future__ import annotations

from pydantic import Field, ValidationError

from runtime.settings import Settings, SettingsError, load_settings


class ApiSettings(Settings):
    # Read like every other variable: the environment or .env.
    api_requests_per_minute: int = Field(default=600, gt=0, le=1_000_000)  # per key
    api_burst: int = Field(default=60, gt=0, le=100_000)  # calls one key may make at once
    api_failed_sign_ins_per_minute: int = Field(default=20, gt=0, le=100_000)  # per address
    # A purchase request of 200 long lines is about 100 kB; a megabyte leaves room and stops abuse.
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Where people reach the API; `procure api-key link` prints sign-in links under it.
    procure_api_url: str = "http://127.0.0.1:8000"


def load_api_settings() -> ApiSettings:
    load_settings()  # reports every bad shared variable by name
    try:
        return ApiSettings()
    except ValidationError as exc:
        raise SettingsError([f"{'_'.join(str(p) for p in e['loc'][:1]).upper()}: "
                             f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]) from None
