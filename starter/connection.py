"""How every process of ours reaches Temporal: one data converter, one way to connect."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.service import TLSConfig

from starter.codec import codec_from_settings
from starter.settings import Settings


class TemporalUnreachable(Exception):
    """Temporal could not be reached at the configured address (exit status 3 for people)."""


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


async def connect_temporal(settings: Settings) -> Client:
    tls: TLSConfig | bool = False
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=data_converter(settings),
            tls=tls or bool(api_key),
            api_key=api_key,
        )
    except RuntimeError as exc:  # the SDK reports a refused connection as RuntimeError
        raise TemporalUnreachable(
            f"cannot reach Temporal at {settings.temporal_address} "
            f"(namespace {settings.temporal_namespace}): {exc}"
        ) from None
