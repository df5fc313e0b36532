"""Secrets never show in repr, logs, exception text or audit records; every call is recorded."""

from __future__ import annotations

import json
import logging
import traceback

import httpx
import pytest

import samples_1688 as samples
from alibaba1688 import (
    Address,
    Alibaba1688Error,
    CallRecord,
    CargoLine,
    MalformedReplyError,
    OutOfStockError,
    SignatureError,
    redact_params,
)
from fakes_1688 import (
    ACCESS_TOKEN,
    APP_SECRET,
    REFRESH_TOKEN,
    FakeGateway,
    Recorder,
    gateway_error,
    make_client,
    ok,
    raw,
)

SECRETS = (APP_SECRET, ACCESS_TOKEN, REFRESH_TOKEN)
NEW_TOKEN = "access-token-new-111"


def assert_clean(text: str) -> None:
    for secret in (*SECRETS, NEW_TOKEN):
        assert secret not in text


def error_texts(error: BaseException) -> str:
    return "\n".join(
        [str(error), repr(error), *traceback.format_exception(error), str(error.args)]
    )


async def test_client_and_tokens_do_not_print_secrets() -> None:
    async with make_client(FakeGateway()) as client:
        assert_clean(repr(client))
        assert_clean(repr(client.tokens))
        assert_clean(str(client.tokens))
        assert_clean(repr(client.access_token))
        assert_clean(str(vars(client.tokens)))


async def test_a_reply_quoting_our_secrets_is_scrubbed() -> None:
    echo = gateway_error(
        "gw.SignatureInvalid",
        f"bad sign; base string param2/1/x/y/1000000access_token{ACCESS_TOKEN} "
        f"secret {APP_SECRET} refresh {REFRESH_TOKEN}",
    )
    fake = FakeGateway().on("product.search.keywordQuery", echo)
    async with make_client(fake) as client:
        with pytest.raises(SignatureError) as caught:
            await client.search_offers("T恤")
    assert_clean(error_texts(caught.value))
    assert "***" in caught.value.message


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
async def test_transport_errors_carry_no_request_body(failure: Exception) -> None:
    fake = FakeGateway().on("alibaba.trade.fastCreateOrder", failure)
    address = Address(full_name="张三", mobile="15251667788", province_text="浙江省",
                      city_text="杭州市", address="网商路699号")
    async with make_client(fake) as client:
        with pytest.raises(Alibaba1688Error) as caught:
            await client.create_order(address, [CargoLine(offer_id="1", quantity=1)], "o-1")
    error = caught.value
    assert_clean(error_texts(error))
    assert "15251667788" not in error_texts(error)
    assert error.__cause__ is None and error.__context__ is None


async def test_malformed_token_reply_does_not_echo_the_new_token() -> None:
    # A token reply with a wrong type: the validation message must not quote the reply.
    bad = ok({"access_token": NEW_TOKEN, "expires_in": f"soon-{NEW_TOKEN}"})
    fake = FakeGateway().on("getToken", bad)
    async with make_client(fake) as client:
        with pytest.raises(MalformedReplyError) as caught:
            await client.refresh_access_token()
    assert_clean(error_texts(caught.value))


async def test_logging_shows_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def broken_hook(record: CallRecord) -> None:
        raise RuntimeError("audit store down")

    fake = (
        FakeGateway()
        .on("product.search.keywordQuery", gateway_error("401", "expired", 401),
            ok(samples.search_result()))
        .on("getToken", ok({"access_token": NEW_TOKEN, "expires_in": "36000"}))
    )
    async with make_client(fake, on_call=broken_hook) as client:
        await client.search_offers("T恤")  # a failing audit hook never loses the result
    assert "on_call hook failed" in caplog.text
    assert_clean(caplog.text)


async def test_every_call_is_recorded_redacted() -> None:
    recorder = Recorder()
    refusal = {"success": False, "errorCode": "500_004", "errorMsg": "库存不足"}
    fake = (
        FakeGateway()
        .on("product.search.keywordQuery", ok(samples.search_result()))
        .on("alibaba.createOrder.preview", ok(refusal))
        .on("product.search.queryProductDetail", raw("<html>oops</html>"))
    )
    address = Address(full_name="张三", mobile="15251667788", phone="0571-88157858",
                      province_text="浙江省", city_text="杭州市", address="网商路699号")
    async with make_client(fake, on_call=recorder) as client:
        await client.search_offers("T恤")
        with pytest.raises(OutOfStockError):
            await client.preview_order(address, [CargoLine(offer_id="1", quantity=1)])
        with pytest.raises(MalformedReplyError):
            await client.get_offer_detail("1")

    search, preview, detail = recorder.records
    assert (search.outcome, search.error_code, search.http_status) == ("ok", None, 200)
    assert search.api == "com.alibaba.fenxiao.crossborder:product.search.keywordQuery"
    assert json.loads(search.params_redacted["offerQueryParam"])["keyword"] == "T恤"
    assert (preview.outcome, preview.error_code, preview.error_type, preview.retryable) == (
        "error", "500_004", "OutOfStockError", False)
    assert (detail.outcome, detail.error_code) == ("error", "malformed_reply")
    for record in recorder.records:
        assert record.latency_ms >= 0
        assert record.params_redacted["access_token"] == "***"
        assert record.params_redacted["_aop_signature"] == "***"
        assert_clean(record.model_dump_json())
    address_param = json.loads(preview.params_redacted["addressParam"])
    assert address_param["mobile"] == "152****7788"
    assert address_param["phone"] == "057******7858"
    # The receiver's name and street used to be stored in clear (issue 11): now masked; the
    # province and city stay, so a row still says where the order went.
    assert address_param["fullName"] == "张*"
    assert address_param["address"] == "***"
    assert address_param["provinceText"] == "浙江省" and address_param["cityText"] == "杭州市"


def test_redact_params() -> None:
    params = {
        "access_token": ACCESS_TOKEN,
        "_aop_signature": "ABCDEF",
        "client_secret": APP_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "grant_type": "refresh_token",
        "addressParam": json.dumps({"fullName": "张三", "mobile": "15251667788"},
                                   ensure_ascii=False),
        "receiver": {"receiverMobile": "13800001111", "mobile": 13800001111, "tel": "1234"},
        "orderId": "3701234567000010007",
    }
    before = json.dumps(params, ensure_ascii=False, sort_keys=True)
    redacted = redact_params(params)
    assert json.dumps(params, ensure_ascii=False, sort_keys=True) == before  # input untouched
    assert {redacted[k] for k in ("access_token", "_aop_signature", "client_secret",
                                  "refresh_token")} == {"***"}
    assert redacted["grant_type"] == "refresh_token"
    # Names keep their first character, phones their ends (issue 11: names were kept in clear).
    assert json.loads(redacted["addressParam"]) == {"fullName": "张*", "mobile": "152****7788"}
    assert redacted["receiver"]["mobile"] == "138****1111"
    assert redacted["receiver"]["receiverMobile"] == "138****1111"
    assert redacted["receiver"]["tel"] == "**34"
    assert redacted["orderId"] == "3701234567000010007"


def test_receiver_name_and_street_are_masked_everywhere() -> None:
    address = {"fullName": "欧阳娜娜", "mobile": "15251667788", "provinceText": "浙江省", "cityText": "杭州市",
               "areaText": "滨江区", "townText": "长河街道", "address": "网商路699号 3幢 501"}
    invoice = {"invoiceType": 1, "fullName": "张五", "address": "网商路699号", "companyName": "测试公司"}
    redacted = redact_params({
        "addressParam": json.dumps(address, ensure_ascii=False),
        "invoiceParam": json.dumps(invoice, ensure_ascii=False),
        "receiverInfo": {"toFullName": "张三", "toArea": "浙江省 杭州市 滨江区 网商路699号"},
    })
    masked = json.loads(redacted["addressParam"])
    assert masked == {"fullName": "欧***", "mobile": "152****7788", "provinceText": "浙江省", "cityText": "杭州市",
                      "areaText": "滨江区", "townText": "***", "address": "***"}
    assert json.loads(redacted["invoiceParam"])["fullName"] == "张*"
    assert json.loads(redacted["invoiceParam"])["address"] == "***"
    assert json.loads(redacted["invoiceParam"])["companyName"] == "测试公司"
    assert redacted["receiverInfo"] == {"toFullName": "张*", "toArea": "***"}
    text = json.dumps(redacted, ensure_ascii=False)
    for secret in ("欧阳娜娜", "网商路699号", "长河街道", "15251667788"):
        assert secret not in text
