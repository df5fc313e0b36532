"""A refund's life in the simulator: the seller's knobs (delay, refusal, goods back), the buyer's
return, reading refunds back, and the refusals createRefund and returnGoods answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sim_support import OFFER_A, Gateway, admin, demo_data, running

from simulator import Simulator, parse_catalog
from simulator.catalog import CatalogError, SupplierBehaviour

LIST = "alibaba.trade.refund.buyer.queryOrderRefundList"
DETAIL = "alibaba.trade.refund.OpQueryOrderRefund"
RETURN = "alibaba.trade.refund.returnGoods"
CREATE = "alibaba.trade.createRefund"


@asynccontextmanager
async def seller(**behaviour: Any) -> AsyncIterator[tuple[Simulator, Gateway]]:
    """A simulator whose supplier A behaves as told after a refund request."""
    data = demo_data()
    data["app"]["access_token_ttl_seconds"] = 365 * 24 * 3600  # the clock moves by days here
    data["suppliers"][0]["behaviour"].update(behaviour)
    async with running(data) as (sim, gw):
        yield sim, gw


async def received_order(gw: Gateway, quantity: int = 50) -> tuple[str, int]:
    """A paid order of supplier A whose goods are on their way (the buyer may ask for a return)."""
    body = await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": quantity}], "PR-R-o1")
    order_id = body["result"]["orderId"]
    assert (await gw.pay(order_id))["result"]["success"] is True
    await admin(gw.http, "advance", {"steps": 1})  # shipped: waitbuyerreceive
    entry = (await gw.order(order_id))["result"]["productItems"][0]["subItemID"]
    return order_id, entry


async def ask(gw: Gateway, order_id: str, entry: int, **overrides: Any) -> dict[str, Any]:
    params = {"orderId": order_id, "orderEntryIds": [entry], "disputeRequest": "returnRefund",
              "applyPayment": 45000, "applyCarriage": 0, "applyReasonId": 20011, "description": "质检不合格 10 件",
              "goodsStatus": "refundBuyerReceived", **overrides}
    return (await gw.ok(CREATE, params))["result"]


async def listed(gw: Gateway, order_id: str, **params: Any) -> dict[str, Any]:
    return await gw.ok(LIST, {"orderId": order_id, **params})


async def detail(gw: Gateway, refund_id: str, **params: Any) -> dict[str, Any]:
    return (await gw.ok(DETAIL, {"refundId": refund_id, **params}))["result"]["opOrderRefundModelDetail"]


async def refunded(gw: Gateway, order_id: str) -> str:
    return (await gw.order(order_id))["result"]["baseInfo"]["refund"]


async def test_by_default_the_seller_agrees_within_the_call() -> None:
    async with seller() as (_, gw):
        order_id, entry = await received_order(gw)
        refund_id = (await ask(gw, order_id, entry))["result"]["refundId"]
        assert await refunded(gw, order_id) == "450.00"
        body = await listed(gw, order_id)
        assert body["success"] is True and body["result"]["totalCount"] == 1 and body["result"]["currentPageNum"] == 0
        [row] = body["result"]["opOrderRefundModels"]
        assert (row["refundId"], row["status"], row["orderId"], row["orderEntryIdList"]) == (
            refund_id, "refundsuccess", int(order_id), [entry])
        assert (row["applyPayment"], row["refundPayment"], row["applyReason"]) == (45000, 45000, "质量问题")
        assert row["id"] == int(refund_id[2:]) and row["gmtCompleted"] == row["gmtApply"]
        assert row["refundOperationList"] == []  # the list leaves the operations out


async def test_a_seller_that_takes_its_time() -> None:
    async with seller(refund_agree_after_hours=48) as (_, gw):
        order_id, entry = await received_order(gw)
        refund_id = (await ask(gw, order_id, entry))["result"]["refundId"]
        waiting = await detail(gw, refund_id)
        assert (waiting["status"], waiting["refundPayment"], waiting["gmtCompleted"]) == ("waitselleragree", 0, None)
        assert await refunded(gw, order_id) == "0.00"  # a request is not money

        # The same entries cannot be asked for twice while the first request is open (5010).
        again = await ask(gw, order_id, entry, applyPayment=100)
        assert again["code"] == "5010" and refund_id in again["message"]

        await admin(gw.http, "advance", {"hours": 47})
        assert (await detail(gw, refund_id))["status"] == "waitselleragree"
        moved = await admin(gw.http, "advance", {"hours": 1})
        assert {"order_id": order_id, "refund_id": refund_id, "event": "refund",
                "refund_status": "refundsuccess"} in moved["transitions"]
        done = await detail(gw, refund_id)
        assert (done["status"], done["refundPayment"]) == ("refundsuccess", 45000)
        assert done["gmtCompleted"] == "20260528090000000+0800"  # asked 26th 09:00 (steps keep the clock), +48 h
        assert await refunded(gw, order_id) == "450.00"
        # Done: the entry is free again, and the order can refund what is left.
        assert (await ask(gw, order_id, entry, applyPayment=190001))["code"] == "5011"
        assert (await ask(gw, order_id, entry, applyPayment=190000))["success"] is True


async def test_what_waits_counts_against_what_may_still_be_asked() -> None:
    async with seller(refund_agree_after_hours=48) as (_, gw):
        body = await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": 30},
                                {"offerId": int(OFFER_A), "specId": "a2", "quantity": 20}], "PR-R-o3")
        order_id = body["result"]["orderId"]  # 2250.00 goods + 100.00 freight
        await gw.pay(order_id)
        await admin(gw.http, "advance", {"steps": 1})
        first, second = [i["subItemID"] for i in (await gw.order(order_id))["result"]["productItems"]]
        assert (await ask(gw, order_id, first, applyPayment=135000))["success"] is True  # waiting
        assert (await ask(gw, order_id, second, applyPayment=100001))["code"] == "5011"  # 2350 - 1350 = 1000 left
        assert (await ask(gw, order_id, second, applyPayment=100000))["success"] is True
        assert len((await listed(gw, order_id))["result"]["opOrderRefundModels"]) == 2


async def test_a_seller_that_refuses() -> None:
    async with seller(refuse_refund=True, refund_agree_after_hours=24) as (_, gw):
        order_id, entry = await received_order(gw)
        refund_id = (await ask(gw, order_id, entry))["result"]["refundId"]
        await admin(gw.http, "advance", {"hours": 24})
        refused = await detail(gw, refund_id, needOrderRefundOperation="true")
        assert (refused["status"], refused["rejectTimes"], refused["rejectReasonId"]) == ("waitbuyermodify", 1, 1)
        assert refused["rejectReason"] and refused["refundPayment"] == 0
        [latest, first] = refused["refundOperationList"]  # newest first, as the API lists them
        assert (first["beforeOperateStatus"], first["afterOperateStatus"], first["operatorRoleId"]) == (
            None, "waitselleragree", 1)
        assert (latest["afterOperateStatus"], latest["operatorRoleId"], latest["rejectReason"]) == (
            "waitbuyermodify", 2, refused["rejectReason"])
        assert (await ask(gw, order_id, entry))["code"] == "5010"  # still held: the buyer may change it

        await admin(gw.http, "advance", {"hours": 72})  # the buyer lets it lapse
        closed = await detail(gw, refund_id)
        assert (closed["status"], closed["rejectReason"], closed["refundPayment"]) == (
            "refundclose", refused["rejectReason"], 0)
        assert await refunded(gw, order_id) == "0.00"
        only_open = await listed(gw, order_id, refundStatusSet=["waitselleragree", "waitbuyermodify"])
        assert only_open["result"] == {"opOrderRefundModels": [], "totalCount": 0, "currentPageNum": 0}


async def test_a_seller_that_wants_the_goods_back() -> None:
    async with seller(refund_needs_return=True, refund_agree_after_hours=24) as (_, gw):
        order_id, entry = await received_order(gw)
        refund_id = (await ask(gw, order_id, entry))["result"]["refundId"]
        too_early = await gw.ok(RETURN, {"refundId": refund_id, "logisticsCompanyNo": "SF", "freightBill": "SF1234567890"})
        assert too_early == {"result": {"success": False, "errorCode": "4007", "errorInfo": too_early["result"]["errorInfo"]}}

        await admin(gw.http, "advance", {"hours": 24})
        asked = await detail(gw, refund_id)
        assert (asked["status"], asked["refundGoods"], asked["buyerSendGoods"]) == ("waitbuyersend", True, False)
        assert asked["sellerReceiveAddress"] and asked["sellerRealName"]
        await admin(gw.http, "advance", {"hours": 500})
        assert (await detail(gw, refund_id))["status"] == "waitbuyersend"  # only the buyer moves it on

        bad_bill = await gw.ok(RETURN, {"refundId": refund_id, "logisticsCompanyNo": "SF", "freightBill": "??"})
        assert bad_bill["result"]["errorCode"] == "4004"
        unknown = await gw.ok(RETURN, {"refundId": "TQ1", "logisticsCompanyNo": "SF", "freightBill": "SF1234567890"})
        assert unknown["result"]["errorCode"] == "4005"
        missing = await gw.call(RETURN, {"refundId": refund_id, "logisticsCompanyNo": "SF"})
        assert missing.status_code == 400 and missing.json()["error_code"] == "gw.ParamMissing"

        sent = await gw.ok(RETURN, {"refundId": refund_id, "logisticsCompanyNo": "SF", "freightBill": "SF1234567890",
                                    "description": "退回不合格品 10 件"})
        assert sent == {"result": {"success": True, "errorCode": None, "errorInfo": None}}
        on_the_way = await detail(gw, refund_id)
        assert (on_the_way["status"], on_the_way["freightBill"], on_the_way["goodsStatus"]) == (
            "waitsellerreceive", "SF1234567890", 3)
        assert await refunded(gw, order_id) == "0.00"
        await admin(gw.http, "advance", {"hours": 24})
        assert (await detail(gw, refund_id))["status"] == "refundsuccess"
        assert await refunded(gw, order_id) == "450.00"


async def test_a_refund_alone_is_paid_without_a_return_even_when_the_seller_wants_goods_back() -> None:
    async with seller(refund_needs_return=True) as (_, gw):
        order_id, entry = await received_order(gw)
        refund_id = (await ask(gw, order_id, entry, disputeRequest="refund"))["result"]["refundId"]
        assert (await detail(gw, refund_id))["status"] == "refundsuccess"


async def test_a_refund_read_back_after_a_lost_create_reply() -> None:
    async with seller(refund_agree_after_hours=48) as (sim, gw):
        order_id, entry = await received_order(gw)
        await admin(gw.http, "faults", {"lost_reply": {CREATE: 1}})
        with pytest.raises(Exception):  # noqa: B017 - the in-process lost reply is an httpx.ReadTimeout
            await ask(gw, order_id, entry)
        [row] = (await listed(gw, order_id))["result"]["opOrderRefundModels"]
        assert row["status"] == "waitselleragree" and row["orderEntryIdList"] == [entry]
        assert [c["outcome"] for c in sim.calls if c["api"] == CREATE] == ["lost_reply"]


async def test_entry_counts_and_their_refusals() -> None:
    async with seller(refund_agree_after_hours=1) as (_, gw):
        order_id, entry = await received_order(gw)
        too_many = await ask(gw, order_id, entry, orderEntryCountList=[{"id": entry, "count": 51}])
        assert too_many["code"] == "5013"
        after_sale_counts = await ask(gw, order_id, entry, goodsStatus="refundWaitBuyerReceive", disputeRequest="refund",
                                      applyReasonId=20001, orderEntryCountList=[{"id": entry, "count": 5}])
        assert after_sale_counts["code"] == "5013"  # counts only while the goods arrived and the trade is open
        refund_id = (await ask(gw, order_id, entry, orderEntryCountList=[{"id": entry, "count": 10}]))["result"]["refundId"]
        row = await detail(gw, refund_id)
        assert row["orderEntryCountMap"] == {str(entry): 10}
        whole = await admin(gw.http, "refunds")
        assert [(r["refund_id"], r["status"], r["entry_counts"]) for r in whole] == [
            (refund_id, "waitselleragree", {str(entry): 10})]


async def test_reading_refunds_unknown_ids_pages_and_kinds() -> None:
    async with seller() as (_, gw):
        unknown = await gw.ok(DETAIL, {"refundId": "TQ404"})
        assert unknown["errorCode"] == "500" and "REFUND_DATA_ERROR" in unknown["errorMessage"]
        assert "result" not in unknown and "success" not in unknown
        missing = await gw.call(DETAIL, {})
        assert missing.json()["error_code"] == "gw.ParamMissing"

        order_id, entry = await received_order(gw, quantity=200)
        ids = [(await ask(gw, order_id, entry, applyPayment=1000 + n))["result"]["refundId"] for n in range(3)]
        first = await listed(gw, order_id, pageSize=2)
        second = await listed(gw, order_id, pageSize=2, currentPageNum=1)
        assert [r["refundId"] for r in first["result"]["opOrderRefundModels"]] == ids[::-1][:2]  # newest first
        assert [r["refundId"] for r in second["result"]["opOrderRefundModels"]] == ids[:1]
        assert first["result"]["totalCount"] == second["result"]["totalCount"] == 3
        assert (await listed(gw, order_id, dipsuteType=2))["result"]["totalCount"] == 0  # none after the sale
        assert (await listed(gw, order_id, dipsuteType=1))["result"]["totalCount"] == 3
        assert (await listed(gw, "3701234567999999999"))["result"]["totalCount"] == 0


async def test_a_seller_closing_the_order_files_no_refund_request() -> None:
    async with seller(cancel_after_pay=True, refund_agree_after_hours=48) as (_, gw):
        body = await gw.create([{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}], "PR-R-o2")
        order_id = body["result"]["orderId"]
        await gw.pay(order_id)
        await admin(gw.http, "advance", {"steps": 1})
        assert await refunded(gw, order_id) == "2350.00"  # the seller paid everything back at once
        assert (await listed(gw, order_id))["result"]["totalCount"] == 0


def test_refund_knobs_default_to_agreeing_at_once_and_are_checked() -> None:
    default = SupplierBehaviour()
    assert (default.refund_agree_after_hours, default.refuse_refund, default.refund_needs_return) == (0, False, False)
    data = demo_data()
    data["suppliers"][0]["behaviour"]["refund_agree_after_hours"] = -1
    data["suppliers"][1]["behaviour"]["refuse_refunds"] = True  # misspelt: refused, not ignored
    with pytest.raises(CatalogError) as bad:
        parse_catalog(data)
    assert {p.split(":")[0] for p in bad.value.problems} == {
        "suppliers[0].behaviour.refund_agree_after_hours", "suppliers[1].behaviour.refuse_refunds"}
