"""Payload encryption: AES-256-GCM with a rotating key ring, end to end through a real dev server."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from codec_workflows import LabelWorkflow, RefusingWorkflow, shipping_label
from domain.request import DeliveryAddress
from starter.codec import (
    EncryptionCodec,
    KeyRing,
    PayloadDecryptionError,
    UnknownKeyError,
    codec_from_settings,
    derived_key_id,
    generate_key,
)
from starter.connection import data_converter
from starter.settings import SettingsError, load_settings
from starter.stack import temporal_cli_path

PHONE = "15251667788"
KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(100, 132))).decode()


def address() -> DeliveryAddress:
    return DeliveryAddress(
        full_name="王小明", mobile=PHONE, province="浙江省", city="杭州市", address="文一西路 969 号"
    )


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


def codec(config: str) -> EncryptionCodec:
    return EncryptionCodec(KeyRing.parse(config))


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    monkeypatch.delenv("PAYLOAD_ENCRYPTION_KEY", raising=False)


async def test_round_trip_hides_the_data_and_names_the_key():
    ring = codec(f"k1:{KEY_1}")
    original = plain(PHONE)
    [sealed] = await ring.encode([original])
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert sealed.metadata["encryption-key-id"] == b"k1"
    assert PHONE.encode() not in sealed.SerializeToString()
    assert b"json/plain" not in sealed.SerializeToString()  # the inner metadata is sealed too
    assert await ring.decode([sealed]) == [original]


async def test_each_encryption_uses_a_fresh_nonce():
    ring = codec(f"k1:{KEY_1}")
    first, second = await ring.encode([plain(PHONE), plain(PHONE)])
    assert first.data != second.data


async def test_a_payload_written_with_an_old_key_decodes_after_rotation():
    [old] = await codec(f"k1:{KEY_1}").encode([plain(PHONE)])
    rotated = codec(f"k2:{KEY_2},k1:{KEY_1}")
    assert await rotated.decode([old]) == [plain(PHONE)]
    [new] = await rotated.encode([plain(PHONE)])
    assert new.metadata["encryption-key-id"] == b"k2"  # the first key encrypts


async def test_an_unknown_key_id_is_a_clear_error():
    [old] = await codec(f"k1:{KEY_1}").encode([plain(PHONE)])
    with pytest.raises(UnknownKeyError) as caught:
        await codec(f"k2:{KEY_2}").decode([old])
    message = str(caught.value)
    assert "'k1'" in message and "PAYLOAD_ENCRYPTION_KEY" in message and "k2" in message
    assert KEY_1 not in message and KEY_2 not in message


@pytest.mark.parametrize("tamper", ["flip_ciphertext", "truncate", "empty", "relabel", "same_id_other_key"])
async def test_a_tampered_payload_fails_authentication(tamper):
    ring = codec(f"k1:{KEY_1},k2:{KEY_2}")
    [sealed] = await ring.encode([plain(PHONE)])
    if tamper == "flip_ciphertext":
        data = bytearray(sealed.data)
        data[20] ^= 0x01
        sealed.data = bytes(data)
    elif tamper == "truncate":
        sealed.data = sealed.data[:-1]
    elif tamper == "empty":
        sealed.data = b""
    elif tamper == "relabel":
        sealed.metadata["encryption-key-id"] = b"k2"
    else:
        ring = codec(f"k1:{KEY_2}")
    with pytest.raises(PayloadDecryptionError, match="'k.'.*failed authentication"):
        await ring.decode([sealed])


async def test_payloads_not_marked_encrypted_pass_through_unchanged():
    ring = codec(f"k1:{KEY_1}")
    written_before_the_key = [plain(PHONE), Payload(metadata={"encoding": b"binary/null"})]
    assert await ring.decode(written_before_the_key) == written_before_the_key


def test_a_bare_key_gets_an_id_derived_from_its_hash():
    ring = KeyRing.parse(KEY_1)
    [key_id] = ring.key_ids
    assert key_id == derived_key_id(base64.b64decode(KEY_1))
    assert KEY_1 not in key_id and key_id not in KEY_1
    assert KeyRing.parse(f" {KEY_2} , {KEY_1} ").key_ids == [derived_key_id(base64.b64decode(KEY_2)), key_id]


def test_generated_keys_are_ready_ring_entries():
    entry = generate_key()
    other = generate_key("k2026")
    ring = KeyRing.parse(f"{other},{entry}")
    assert ring.key_ids[0] == "k2026"
    assert entry.partition(":")[0] == ring.key_ids[1]
    assert len(base64.b64decode(entry.partition(":")[2])) == 32
    assert generate_key() != entry


def test_reprs_show_key_ids_only():
    ring = KeyRing.parse(f"k2:{KEY_2},k1:{KEY_1}")
    for text in (repr(ring), repr(EncryptionCodec(ring)), repr(ring.current)):
        assert KEY_1 not in text and KEY_2 not in text
    assert "k2" in repr(ring)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (base64.b64encode(b"x" * 16).decode(), "decodes to 16 bytes; AES-256 needs 32"),
        ("k1:" + base64.b64encode(b"y" * 48).decode(), "(id 'k1') decodes to 48 bytes"),
        ("k1:not*base64*at*all!!", "(id 'k1') is not valid base64"),
        (f"k1:{KEY_1},", "entry 2 is empty"),
        (f"k1:{KEY_1},k1:{KEY_2}", "key id 'k1' appears twice"),
        (f"bad id:{KEY_1}", "the key id must be"),
    ],
)
def test_a_bad_key_config_names_the_variable_and_never_the_key(monkeypatch, config, expected):
    monkeypatch.setenv("PAYLOAD_ENCRYPTION_KEY", config)
    with pytest.raises(SettingsError) as caught:
        data_converter(load_settings())
    message = str(caught.value)
    assert "PAYLOAD_ENCRYPTION_KEY: " in message
    assert expected in message
    for part in config.replace(",", ":").split(":"):
        if len(part) > 8:  # every secret-looking piece of the value
            assert part not in message


def test_no_key_means_the_plain_pydantic_converter(monkeypatch):
    monkeypatch.setenv("PAYLOAD_ENCRYPTION_KEY", "")
    assert codec_from_settings(load_settings()) is None
    assert data_converter(load_settings()) is pydantic_data_converter


async def test_the_data_converter_encrypts_models_and_failure_messages():
    converter = data_converter(load_settings(payload_encryption_key=SecretStr(f"k1:{KEY_1}")))
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes
    payloads = await converter.encode([address()])
    assert all(PHONE.encode() not in p.SerializeToString() for p in payloads)
    assert "杭州市".encode() not in payloads[0].SerializeToString()
    assert await converter.decode(payloads, [DeliveryAddress]) == [address()]

    failure = Failure()
    await converter.encode_failure(ApplicationError(f"refused by {PHONE}", type="Refused"), failure)
    assert PHONE.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    decoded = await converter.decode_failure(failure)
    assert PHONE in str(decoded)


def phone_in_clear(history_json: str) -> bool:
    """Whether the phone shows anywhere, including inside base64 payload ``data`` fields."""

    def strings(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    for text in strings(json.loads(history_json)):
        if PHONE in text:
            return True
        try:
            if PHONE.encode() in base64.b64decode(text, validate=True):
                return True
        except ValueError:
            pass
    return False


async def test_history_on_a_real_server_holds_no_phone_number_in_clear(dev_env):
    target = dev_env.client.service_client.config.target_host
    task_queue = f"codec-{uuid.uuid4()}"

    # Control: without a key the phone is in history, and phone_in_clear finds it.
    plain_id = f"codec-plain-{uuid.uuid4()}"
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[LabelWorkflow], activities=[shipping_label]):
        await dev_env.client.execute_workflow(LabelWorkflow.run, address(), id=plain_id, task_queue=task_queue)
    assert phone_in_clear((await dev_env.client.get_workflow_handle(plain_id).fetch_history()).to_json())
    assert phone_in_clear(await _temporal_workflow_show(target, plain_id))

    converter = data_converter(load_settings(payload_encryption_key=SecretStr(f"k1:{KEY_1}")))
    client = await Client.connect(target, data_converter=converter)
    ok_id, refused_id = f"codec-ok-{uuid.uuid4()}", f"codec-refused-{uuid.uuid4()}"
    async with Worker(client, task_queue=task_queue, workflows=[LabelWorkflow, RefusingWorkflow],
                      activities=[shipping_label]):
        result = await client.execute_workflow(LabelWorkflow.run, address(), id=ok_id, task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as caught:
            await client.execute_workflow(RefusingWorkflow.run, address(), id=refused_id, task_queue=task_queue)

    # The client holding the key reads everything back.
    assert result.mobile == PHONE and f"王小明 {PHONE} 杭州市" in result.address
    assert isinstance(caught.value.cause, ApplicationError)
    assert caught.value.cause.message == f"courier refused delivery to {PHONE}"

    for workflow_id in (ok_id, refused_id):
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        assert not phone_in_clear(history.to_json())
        assert base64.b64encode(b"binary/encrypted").decode() in history.to_json()
        shown = await _temporal_workflow_show(target, workflow_id)
        assert json.loads(shown)["events"]  # the CLI really returned the history
        assert not phone_in_clear(shown)


async def _temporal_workflow_show(address: str, workflow_id: str) -> str:
    process = await asyncio.create_subprocess_exec(
        temporal_cli_path(), "workflow", "show", "--address", address, "-w", workflow_id, "--output", "json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()
