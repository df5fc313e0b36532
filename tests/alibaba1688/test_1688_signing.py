"""The request signature: the official vector, the sort rule, and exactly-what-is-sent encoding."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from alibaba1688.signing import encode_param, encode_params, sign, sign_push_message

OFFICIAL_PATH = "param2/1/system/currentTime/1000000"


def hmac_hex(message: str, secret: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha1).hexdigest().upper()


def test_official_vector() -> None:
    assert sign(OFFICIAL_PATH, {"b": "2", "a": "1"}, "test123") == (
        "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"
    )


def test_signature_param_itself_is_not_signed() -> None:
    params = {"b": "2", "a": "1", "_aop_signature": "ANYTHING"}
    assert sign(OFFICIAL_PATH, params, "test123") == "33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88"


def test_prefix_names_sort_by_joined_string_not_by_name() -> None:
    # "a" is a prefix of "ab". Joined strings sort "ab1" < "ax" ('b' < 'x'); by name "a" < "ab".
    params = {"a": "x", "ab": "1"}
    official = hmac_hex(OFFICIAL_PATH + "ab1" + "ax", "test123")
    by_name = hmac_hex(OFFICIAL_PATH + "ax" + "ab1", "test123")
    assert official != by_name
    assert sign(OFFICIAL_PATH, params, "test123") == official


def test_push_message_signature_has_empty_path() -> None:
    message = '{"msgId":1,"type":"ORDER_BUYER_VIEW_ORDER_PAY"}'
    assert sign_push_message(message, "test123") == hmac_hex("message" + message, "test123")


def test_objects_are_compact_utf8_json() -> None:
    address = {"fullName": "张三", "address": "网商路699号", "tags": ["a", "b"]}
    assert encode_param(address) == '{"fullName":"张三","address":"网商路699号","tags":["a","b"]}'


def test_booleans_nulls_and_empties() -> None:
    encoded = encode_params({"yes": True, "no": False, "none": None, "empty": "", "zero": 0})
    assert encoded == {"yes": "true", "no": "false", "zero": "0"}


names = st.text(alphabet="abcdefgAB_", min_size=1, max_size=5)
values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)


@given(st.dictionaries(names, values, min_size=1, max_size=6))
def test_signature_is_hmac_over_sorted_joined_strings(params: dict[str, str]) -> None:
    expected = hmac_hex(
        OFFICIAL_PATH + "".join(sorted(name + value for name, value in params.items())), "s3"
    )
    assert sign(OFFICIAL_PATH, params, "s3") == expected
    # The order the caller builds its dict in never matters.
    assert sign(OFFICIAL_PATH, dict(reversed(list(params.items()))), "s3") == expected
