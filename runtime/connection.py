"""How every process of ours reaches Temporal: one data converter, one way to connect.

The connection comes from the environment (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
`TEMPORAL_API_KEY` or `TEMPORAL_TLS_CERT` + `TEMPORAL_TLS_KEY`, ...) or from a Temporal
environment-configuration profile (`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`, the TOML file the
`temporal config` command writes); a variable that is set wins over the profile.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from runtime.codec import codec_from_settings
from runtime.settings import Settings, SettingsError


class TemporalUnreachable(Exception):
    """Temporal could not be reached at the configured address (exit status 3 for people)."""


class DatabaseUnreachable(Exception):
    """PostgreSQL could not be reached (exit status 3 for people); the message names no password."""


def data_converter(settings: Settings) -> DataConverter:
    # Pydantic models cross Temporal as JSON, Decimals as strings: money never becomes a float.
    codec = codec_from_settings(settings)
    if codec is None:
        return pydantic_data_converter
    # Failure messages and stack traces can quote a phone or an address too: encrypt them as well.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def _profile(settings: Settings) -> dict[str, Any]:
    """What the envconfig profile says, when one is asked for; {} otherwise."""
    if settings.temporal_profile is None and settings.temporal_config_file is None:
        return {}
    from temporalio.envconfig import ClientConfigProfile

    path = settings.temporal_config_file
    if path is not None and not path.is_file():
        raise SettingsError([f"TEMPORAL_CONFIG_FILE: no such file: {path}"])
    try:
        # disable_env: our own variables are applied on top below, by the same names.
        profile = ClientConfigProfile.load(settings.temporal_profile, config_source=path, disable_env=True,
                                           config_file_strict=True)
    except Exception as exc:  # a missing profile or a TOML error; never quotes a key
        raise SettingsError([f"TEMPORAL_PROFILE/TEMPORAL_CONFIG_FILE: {exc}"]) from None
    return dict(profile.to_client_connect_config())


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SettingsError([f"{variable}: cannot read {path} ({exc.strerror})"]) from None


def connect_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `Client.connect`: the profile, then every variable that is set."""
    options = _profile(settings)
    given = settings.model_fields_set
    if "temporal_address" in given or "target_host" not in options:
        options["target_host"] = settings.temporal_address
    if "temporal_namespace" in given or "namespace" not in options:
        options["namespace"] = settings.temporal_namespace
    if settings.temporal_api_key is not None and settings.temporal_api_key.get_secret_value():
        options["api_key"] = settings.temporal_api_key.get_secret_value()
        options.setdefault("tls", True)  # Temporal Cloud with an API key is always TLS
    tls_files = settings.temporal_tls_cert or settings.temporal_tls_ca
    if tls_files or settings.temporal_tls or settings.temporal_tls_server_name:
        base = options.get("tls") if isinstance(options.get("tls"), TLSConfig) else TLSConfig()
        options["tls"] = dataclasses.replace(
            base,
            client_cert=_read(settings.temporal_tls_cert, "TEMPORAL_TLS_CERT") if settings.temporal_tls_cert else base.client_cert,
            client_private_key=(_read(settings.temporal_tls_key, "TEMPORAL_TLS_KEY") if settings.temporal_tls_key
                                else base.client_private_key),
            server_root_ca_cert=(_read(settings.temporal_tls_ca, "TEMPORAL_TLS_CA") if settings.temporal_tls_ca
                                 else base.server_root_ca_cert),
            domain=settings.temporal_tls_server_name or base.domain,
        )
    options.setdefault("tls", False)
    return options


def describe_target(settings: Settings) -> str:
    options = connect_options(settings)
    return f"{options['target_host']} (namespace {options['namespace']})"


async def connect_temporal(settings: Settings, *, runtime: Runtime | None = None,
                           interceptors: list[Interceptor] | None = None) -> Client:
    options = connect_options(settings)
    target = options.pop("target_host")
    try:
        return await Client.connect(
            target,
            data_converter=data_converter(settings),
            runtime=runtime,
            interceptors=interceptors or [],
            **options,
        )
    except RuntimeError as exc:  # the SDK reports a refused connection as RuntimeError
        raise TemporalUnreachable(
            f"cannot reach Temporal at {target} (namespace {options['namespace']}): {readable(str(exc))}"
        ) from None


def readable(error: str) -> str:
    """The OS's own words from the SDK's connect error, which ends in a Rust debug dump."""
    head, sep, tail = error.partition("Failed client connect")
    reason = re.search(r'message: "([^"]+)"', tail)
    if sep and reason:
        return reason.group(1).lower()
    return error.splitlines()[0][:300] if error else "no answer"
