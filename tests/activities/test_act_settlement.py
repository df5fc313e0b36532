"""The settlement activities against the simulator over real HTTP: a refund is filed once even
when createRefund's reply is lost, for what the 1688 order charged, and followed to the money.

The simulator's clock is frozen and moved through its admin endpoints; nothing here sleeps.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from attempts import attempt

from activities.settlement import SettlementActivities
from alibaba1688 import Address, Alibaba1688Client, CargoLine
from domain.refund import RefundLine, RefundQuery, RefundReceipt, RefundRequest, RefundState, RefundView, ReturnShipment
from simulator import SimClock, Simulator, parse_catalog
from simulator.catalog import DEMO_CATALOG_PATH
from simulator.server import serve

CREATE = "alibaba.trade.createRefund"
SHIRTS = "610000000001"
ADDRESS = Address(full_name="张三", mobile="15251667788", province_text="浙江省", city_text="杭州市",
                  area_text="滨江区", address="网商路699号")


@dataclass
class Stack:
    client: Alibaba1688Client
    admin: httpx.AsyncClient
    settlement: SettlementActivities
    env: ActivityEnvironment

    async def sim(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await (self.admin.post(f"/_sim/{path}", json=body) if body is not None
                          else self.admin.get(f"/_sim/{path}"))
        response.raise_for_status()
        return response.json()

    async def run(self, activity: Callable[..., Any], arg: Any) -> Any:
        return await self.env.run(activity, arg)

    async def refunds(self) -> list[dict[str, Any]]:
        return [r for r in await self.sim("refunds") if r["kind"] == "buyer"]

    async def creates(self) -> list[str]:
        return [c["outcome"] for c in await self.sim("calls") if c["api"] == CREATE]


@asynccontextmanager
async def stack(*, tax_rate: str | None = None, denied: list[str] | None = None,
                **behaviour: Any) -> AsyncIterator[Stack]:
    data = json.loads(DEMO_CATALOG_PATH.read_text(encoding="utf-8"))
    data["app"]["access_token_ttl_seconds"] = 365 * 24 * 3600  # the clock moves by days here
    data["app"]["denied_apis"] = denied or []
    data["suppliers"][0]["behaviour"].update(behaviour)
    if tax_rate is not None:
        data["offers"][0]["tax_rate"] = tax_rate
    app = data["app"]
    simulator = Simulator(parse_catalog(data), clock=SimClock.frozen())
    async with serve(simulator, "127.0.0.1", 0, ready_timeout=10) as url:
        client = Alibaba1688Client(f"{url}/openapi/", app["app_key"], app["app_secret"], app["access_token"],
                                   app["refresh_token"], timeout=10)
        async with client, httpx.AsyncClient(base_url=url, timeout=10) as admin:
            yield Stack(client, admin, SettlementActivities(client), attempt())


async def shipped_order(s: Stack, *, vat_invoice: bool = False) -> str:
    """50 shirts at 45.00 (plus the offer's VAT surcharge), paid and on their way."""
    created = await s.client.create_order(ADDRESS, [CargoLine(offer_id=SHIRTS, spec_id="a1", quantity=50)], "PR-S-o1",
                                          invoice={"invoiceType": 1} if vat_invoice else None)
    await s.client.prepare_pay(created.order_id, created.total_success_amount, "pay-PR-S-o1")
    await s.sim("advance", {"steps": 1})  # the seller ships: waitbuyerreceive
    return created.order_id


def qc_refund(order_id: str, rejected: int = 10) -> RefundRequest:
    return RefundRequest(order_id=order_id, refund_key="qc-PR-S-o1", reason="line l1: 10 rejected, 破洞",
                         lines=[RefundLine(offer_id=SHIRTS, spec_id="a1", quantity=rejected)])


async def test_a_lost_create_refund_reply_files_one_refund_and_the_retry_finds_it() -> None:
    async with stack(refund_agree_after_hours=48) as s:  # the refund stays pending: order.refunded shows nothing
        order_id = await shipped_order(s)
        await s.sim("faults", {"lost_reply": {CREATE: 1}})
        with pytest.raises(ApplicationError) as lost:
            await s.run(s.settlement.file_refund, qc_refund(order_id))
        assert lost.value.type == "Transport" and not lost.value.non_retryable  # Temporal tries again
        [filed] = await s.refunds()
        assert filed["status"] == "waitselleragree"
        assert (await s.client.get_order(order_id)).refunded == Decimal("0.00")  # invisible to the order

        retry: RefundReceipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        assert (retry.refund_id, retry.found_existing, retry.state) == (filed["refund_id"], True, RefundState.REQUESTED)
        assert retry.amount == Decimal("450.00") and retry.status == "waitselleragree"
        assert len(await s.refunds()) == 1 and await s.creates() == ["lost_reply"]

        # A later repeat (a workflow replaying its step, a person asking again) changes nothing either.
        assert (await s.run(s.settlement.file_refund, qc_refund(order_id))).refund_id == filed["refund_id"]
        assert len(await s.refunds()) == 1


async def test_the_amount_is_what_the_1688_order_charged_with_its_tax() -> None:
    async with stack(tax_rate="0.06") as s:
        order_id = await shipped_order(s, vat_invoice=True)  # 47.70 a shirt on the order, 45.00 in the plan
        receipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        assert (receipt.amount, receipt.found_existing) == (Decimal("477.00"), False)
        [filed] = await s.refunds()
        assert (filed["amount"], filed["reason"], filed["dispute_request"]) == ("477.00", "质量问题", "returnRefund")
        assert filed["entry_counts"] == {filed["entry_ids"][0]: 10}  # 10 of the entry's 50 pieces go back
        assert filed["status"] == "refundsuccess"  # this seller agrees at once
        assert (await s.client.get_order(order_id)).refunded == Decimal("477.00")


async def test_more_pieces_than_the_order_holds_is_refused_before_anything_is_filed() -> None:
    async with stack() as s:
        order_id = await shipped_order(s)
        with pytest.raises(ApplicationError) as refused:
            await s.run(s.settlement.file_refund, qc_refund(order_id, rejected=51))
        assert refused.value.type == "RefundLines" and refused.value.non_retryable
        assert await s.creates() == []


async def test_a_refusal_is_followed_and_never_filed_again() -> None:
    async with stack(refuse_refund=True, refund_agree_after_hours=24) as s:
        order_id = await shipped_order(s)
        receipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        query = RefundQuery(order_id=order_id, refund_id=receipt.refund_id)
        waiting: RefundView = await s.run(s.settlement.get_refund, query)
        assert (waiting.state, waiting.status, waiting.refunded) == (RefundState.REQUESTED, "waitselleragree", 0)

        await s.sim("advance", {"hours": 24})
        refused: RefundView = await s.run(s.settlement.get_refund, query)
        assert (refused.state, refused.status, refused.applied) == (RefundState.REFUSED, "waitbuyermodify",
                                                                     Decimal("450.00"))
        assert refused.seller_reason and not refused.closed_by_buyer
        await s.sim("advance", {"hours": 72})
        closed: RefundView = await s.run(s.settlement.get_refund, query)
        assert (closed.state, closed.status, closed.seller_reason) == (RefundState.REFUSED, "refundclose",
                                                                         refused.seller_reason)
        assert not closed.closed_by_buyer  # the seller refused: for a person, not for another request

        again = await s.run(s.settlement.file_refund, qc_refund(order_id))
        assert (again.refund_id, again.found_existing, again.state) == (receipt.refund_id, True, RefundState.REFUSED)
        assert await s.creates() == ["ok"]


async def test_the_goods_go_back_and_the_money_comes_back() -> None:
    async with stack(refund_needs_return=True, refund_agree_after_hours=24) as s:
        order_id = await shipped_order(s)
        receipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        query = RefundQuery(order_id=order_id, refund_id=receipt.refund_id)
        shipment = ReturnShipment(order_id=order_id, refund_id=receipt.refund_id, courier_code="SF",
                                  tracking_no="SF1234567890", note="退回不合格品 10 件")
        with pytest.raises(ApplicationError) as early:
            await s.run(s.settlement.return_goods, shipment)  # the seller has not asked yet
        assert early.value.type == "RefundStatus" and early.value.non_retryable

        await s.sim("advance", {"hours": 24})
        asked: RefundView = await s.run(s.settlement.get_refund, query)
        assert asked.state == RefundState.RETURN_REQUESTED and asked.return_address
        sent: RefundView = await s.run(s.settlement.return_goods, shipment)
        assert (sent.state, sent.refunded) == (RefundState.RETURN_SENT, Decimal(0))
        assert (await s.run(s.settlement.return_goods, shipment)).state == RefundState.RETURN_SENT  # no second call
        returns = [c for c in await s.sim("calls") if c["api"] == "alibaba.trade.refund.returnGoods"]
        assert [c["outcome"] for c in returns] == ["ok"]

        await s.sim("advance", {"hours": 24})
        done: RefundView = await s.run(s.settlement.get_refund, query)
        assert (done.state, done.status, done.refunded) == (RefundState.COMPLETED, "refundsuccess", Decimal("450.00"))


async def test_following_a_refund_without_the_detail_api_reads_the_list() -> None:
    async with stack(refund_agree_after_hours=24, denied=["alibaba.trade.refund.OpQueryOrderRefund"]) as s:
        order_id = await shipped_order(s)
        receipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        view: RefundView = await s.run(s.settlement.get_refund, RefundQuery(order_id=order_id, refund_id=receipt.refund_id))
        assert (view.refund_id, view.state) == (receipt.refund_id, RefundState.REQUESTED)
        with pytest.raises(ApplicationError) as unknown:
            await s.run(s.settlement.get_refund, RefundQuery(order_id=order_id, refund_id="TQ404"))
        assert unknown.value.type == "RefundNotFound" and unknown.value.non_retryable


async def test_a_refund_of_another_order_is_not_this_orders() -> None:
    async with stack() as s:
        order_id = await shipped_order(s)
        receipt = await s.run(s.settlement.file_refund, qc_refund(order_id))
        with pytest.raises(ApplicationError) as wrong:
            await s.run(s.settlement.get_refund, RefundQuery(order_id="3701234567999999999", refund_id=receipt.refund_id))
        assert wrong.value.type == "RefundNotFound"
        with pytest.raises(ApplicationError) as gone:
            await s.run(s.settlement.get_refund, RefundQuery(order_id=order_id, refund_id="TQ404"))
        assert gone.value.type == "Business" and gone.value.non_retryable  # 1688's "500": no such refund


async def test_the_older_request_form_still_files_once() -> None:
    async with stack(refund_agree_after_hours=48) as s:
        order_id = await shipped_order(s)
        older = RefundRequest(order_id=order_id, refund_key="qc-PR-S-o1", reason="QC rejected", offer_ids=[SHIRTS],
                              amount="90.00")
        first = await s.run(s.settlement.file_refund, older)
        second = await s.run(s.settlement.file_refund, older)
        assert (first.amount, first.found_existing, second.found_existing) == (Decimal("90.00"), False, True)
        assert second.refund_id == first.refund_id and await s.creates() == ["ok"]
