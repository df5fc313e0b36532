"""Reading refunds: the platform's published replies, what goes on the wire, and replies that are
not what the refund APIs promise (a MalformedReplyError, never "no refunds")."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

import published_1688 as published
import samples_1688 as samples
from alibaba1688 import BusinessError, MalformedReplyError
from fakes_1688 import FakeGateway, make_client, ok, raw

LIST = "alibaba.trade.refund.buyer.queryOrderRefundList"
DETAIL = "alibaba.trade.refund.OpQueryOrderRefund"
RETURN = "alibaba.trade.refund.returnGoods"


def text(body: str) -> Any:
    """The published text exactly as printed, served as the gateway would send it."""
    return raw(body, content_type="application/json;charset=UTF-8")


def refund_row(refund_id: str = "TQ37000000000001", status: str = "waitselleragree", **extra: Any) -> dict[str, Any]:
    row = {"refundId": refund_id, "id": int(refund_id[2:]), "orderId": int(samples.ORDER_ID),
           "orderEntryIdList": [int(samples.ENTRY_ID)], "status": status, "applyPayment": 9000, "applyCarriage": 0,
           "refundPayment": 0, "refundCarriage": 0, "applyReason": "质量问题", "rejectTimes": 0,
           "gmtApply": "20260527090000000+0800", "gmtModified": "20260527090000000+0800"}
    row.update(extra)
    return row


def listing(*rows: dict[str, Any], total: int | None = None, page: int = 0) -> dict[str, Any]:
    return {"result": {"opOrderRefundModels": list(rows), "totalCount": len(rows) if total is None else total,
                       "currentPageNum": page}, "success": True}


# --- the published samples --------------------------------------------------------------------------


async def test_the_published_refund_list_reads_exactly() -> None:
    fake = FakeGateway().on(LIST, text(published.REFUND_LIST))
    async with make_client(fake) as client:
        [refund] = await client.list_refunds("177681528398969811")
    assert refund.refund_id == "TQ10426553019961198"
    assert refund.order_id == "177681528398969811"  # above 2^53, kept exact
    assert refund.status == "refundclose" and not refund.is_open
    assert refund.apply_payment == Decimal("0.01") and refund.apply_carriage == Decimal("0.00")
    # A closed refund gave nothing back, whatever refundPayment says (the sample shows 1 fen).
    assert refund.refund_payment == Decimal("0.01") and refund.refunded == Decimal("0.00")
    assert refund.reject_times == 0 and not refund.refused_by_seller
    assert refund.apply_reason == "不想买了，已与卖家协商一致"
    assert refund.seller_member_id == "b2b-1623492085"
    assert refund.applied_at is not None and refund.applied_at.year == 2018
    assert refund.completed_at is not None and refund.completed_at.month == 7
    assert refund.entry_ids == []  # the published row names no entries
    # What went out: the order, every kind of refund (the API's own spelling), the first page.
    form = fake.calls(LIST)[0].form
    assert (form["orderId"], form["dipsuteType"], form["currentPageNum"]) == ("177681528398969811", "0", "0")
    assert "refundStatusSet" not in form


async def test_the_published_refund_detail_reads_exactly() -> None:
    fake = FakeGateway().on(DETAIL, text(published.REFUND_DETAIL))
    async with make_client(fake) as client:
        refund = await client.get_refund("TQ8651493722961198", with_operations=True)
    assert refund.refund_id == "TQ8651493722961198" and refund.order_id == "151267031008969811"
    assert refund.status == "refundsuccess" and refund.refunded == Decimal("0.01")
    assert refund.entry_ids == ["151267031009969811"]
    assert refund.entry_counts == {"151267031009969811": 2}
    assert refund.refund_goods is True and refund.buyer_sent_goods is True
    assert refund.freight_bill == "12345134135435234"
    assert refund.seller_receive_address == "琳琳, 19926555555, 山东 聊城 解决了交流交流链接连接"
    assert refund.modified_at is not None and refund.modified_at.minute == 47
    form = fake.calls(DETAIL)[0].form
    assert (form["refundId"], form["needOrderRefundOperation"]) == ("TQ8651493722961198", "true")


async def test_the_published_create_and_return_replies() -> None:
    fake = (FakeGateway().on("alibaba.trade.createRefund", text(published.CREATE_REFUND))
            .on(RETURN, text(published.RETURN_GOODS_REFUSED)))
    async with make_client(fake) as client:
        created = await client.create_refund(
            samples.ORDER_ID, [samples.ENTRY_ID], dispute_request="returnRefund", apply_payment=Decimal("90.00"),
            apply_reason_id="20011", description="两件有破洞", goods_status="refundBuyerReceived",
            order_entry_counts={samples.ENTRY_ID: 2})
        with pytest.raises(BusinessError) as refused:
            await client.return_goods(created.refund_id, "ZTO", "3110044550034338", "退回两件")
    assert created.refund_id == "TQ34931008034741532"
    assert (refused.value.code, refused.value.message) == ("4004", "物流公司编号和运单号校验不通过")
    form = fake.calls("alibaba.trade.createRefund")[0].form
    # Pieces per entry travel as the API's OrderEntryCountModel list, ids as exact JSON numbers.
    assert json.loads(form["orderEntryCountList"]) == [{"id": int(samples.ENTRY_ID), "count": 2}]
    assert form["orderEntryCountList"] == f'[{{"id":{samples.ENTRY_ID},"count":2}}]'
    sent = fake.calls(RETURN)[0].form
    assert (sent["refundId"], sent["logisticsCompanyNo"], sent["freightBill"]) == (
        "TQ34931008034741532", "ZTO", "3110044550034338")


# --- statuses, pages, errors ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["waitselleragree", "WaitBuyerModify", "waitbuyersend", "waitsellerreceive"])
async def test_open_statuses_are_normalised(status: str) -> None:
    fake = FakeGateway().on(DETAIL, ok({"result": {"opOrderRefundModelDetail": refund_row(status=status)}}))
    async with make_client(fake) as client:
        refund = await client.get_refund("TQ37000000000001")
    assert refund.status == status.lower() and refund.is_open and refund.refunded == Decimal("0.00")
    assert refund.applied == Decimal("90.00")


async def test_a_seller_refusal_is_read_with_its_reason() -> None:
    row = refund_row(status="waitbuyermodify", rejectReason="商品无质量问题", rejectReasonId=1, rejectTimes=1)
    async with make_client(FakeGateway().on(LIST, ok(listing(row)))) as client:
        [refund] = await client.list_refunds(samples.ORDER_ID, statuses=["waitbuyermodify"])
    assert refund.reject_reason == "商品无质量问题" and refund.refused_by_seller


async def test_every_page_is_read_and_a_repeated_page_ends_the_reading() -> None:
    rows = [refund_row(f"TQ3700000000000{n}") for n in range(1, 4)]
    fake = FakeGateway().on(LIST, ok(listing(*rows[:2], total=3)), ok(listing(rows[2], total=3, page=1)))
    async with make_client(fake) as client:
        found = await client.list_refunds(samples.ORDER_ID)
    assert [r.refund_id for r in found] == [r["refundId"] for r in rows]
    assert [c.form["currentPageNum"] for c in fake.calls(LIST)] == ["0", "1"]

    # A gateway that numbers pages from 1 answers page 0 and page 1 alike: read once, not forever.
    again = FakeGateway().on(LIST, ok(listing(*rows[:2], total=5)))
    async with make_client(again) as client:
        assert len(await client.list_refunds(samples.ORDER_ID)) == 2
    assert len(again.calls(LIST)) == 2


async def test_no_refunds_is_an_empty_list() -> None:
    async with make_client(FakeGateway().on(LIST, ok({"result": {"totalCount": 0}, "success": True}))) as client:
        assert await client.list_refunds(samples.ORDER_ID) == []


async def test_refund_api_errors_are_typed() -> None:
    list_error = {"success": False, "errorCode": "APPLY_TIME_ERROR", "errorMsg": "只能查询近730天的退款单"}
    detail_error = {"errorCode": "500", "errorMessage": "SERVICE:INVOKE_FAIL:退款数据错误"}
    fake = FakeGateway().on(LIST, ok(list_error)).on(DETAIL, ok(detail_error))
    async with make_client(fake) as client:
        with pytest.raises(BusinessError) as listed:
            await client.list_refunds(samples.ORDER_ID)
        with pytest.raises(BusinessError) as detail:
            await client.get_refund("TQ1")
    assert (listed.value.code, listed.value.message) == ("APPLY_TIME_ERROR", "只能查询近730天的退款单")
    assert detail.value.code == "500" and not detail.value.retryable


# --- malformed -------------------------------------------------------------------------------------

MALFORMED_LISTS = {
    # Read as "no refunds", each of these would let a lost createRefund be filed twice.
    "only success": {"success": True},
    "no total": {"result": {"opOrderRefundModels": []}, "success": True},
    "result as text": {"result": json.dumps(listing(refund_row())["result"]), "success": True},
    "rows not a list": {"result": {"opOrderRefundModels": {"refundId": "TQ1"}, "totalCount": 1}, "success": True},
    "row without id": listing({k: v for k, v in refund_row().items() if k != "refundId"}),
    "unknown status": listing(refund_row(status="waitplatform")),
    "fractional fen": listing(refund_row(applyPayment="90.5")),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_LISTS))
async def test_a_list_that_is_not_one_is_malformed_never_empty(case: str) -> None:
    async with make_client(FakeGateway().on(LIST, ok(MALFORMED_LISTS[case]))) as client:
        with pytest.raises(MalformedReplyError) as spoiled:
            await client.list_refunds(samples.ORDER_ID)
    assert spoiled.value.outcome_unknown and not spoiled.value.retryable


@pytest.mark.parametrize("spoil", ["missing detail", "missing status", "html"])
async def test_a_detail_that_is_not_one_is_malformed(spoil: str) -> None:
    body = {"result": {"opOrderRefundModelDetail": refund_row()}}
    reply = ok(body)
    if spoil == "missing detail":
        reply = ok({"result": {}})
    elif spoil == "missing status":
        spoiled = copy.deepcopy(body)
        spoiled["result"]["opOrderRefundModelDetail"].pop("status")
        reply = ok(spoiled)
    elif spoil == "html":
        reply = raw("<html><body>502 Bad Gateway</body></html>")
    async with make_client(FakeGateway().on(DETAIL, reply)) as client:
        with pytest.raises(MalformedReplyError):
            await client.get_refund("TQ37000000000001")


async def test_a_return_reply_without_its_flag_is_malformed() -> None:
    async with make_client(FakeGateway().on(RETURN, ok({"result": {"errorCode": None}}))) as client:
        with pytest.raises(MalformedReplyError):
            await client.return_goods("TQ1", "SF", "SF1234567890")

