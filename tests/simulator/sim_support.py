"""Helpers for the simulator tests: a small signed-request helper and catalog tweaks.

The helper builds requests exactly as the protocol says (form body, JSON-text object params, the
official signature rule from ``alibaba1688.signing``) without depending on the client package,
which is written concurrently.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from alibaba1688.signing import encode_params, sign
from simulator import SimClock, Simulator, parse_catalog
from simulator.catalog import DEMO_CATALOG_PATH

APP_KEY = "1000000"
SECRET = "test123"
TOKEN = "TEST-TOKEN"
ADDRESS = {"fullName": "张三", "mobile": "15251667788", "provinceText": "浙江省", "cityText": "杭州市",
           "areaText": "滨江区", "address": "网商路699号"}
OFFER_A, OFFER_B, OFFER_C = "610000000001", "610000000002", "610000000003"

API_NAMESPACES = {
    "product.search.keywordQuery": "com.alibaba.fenxiao.crossborder",
    "product.search.queryProductDetail": "com.alibaba.fenxiao.crossborder",
    "product.freight.estimate": "com.alibaba.fenxiao.crossborder",
    "alibaba.account.agent.crossBasic": "com.alibaba.account",
    "wangwangnick.openuid.decrypt": "com.alibaba.account",
    "product.search.querySellerOfferList": "com.alibaba.fenxiao.crossborder",
    "alibaba.trade.getLogisticsInfos.buyerView": "com.alibaba.logistics",
    "alibaba.trade.getLogisticsTraceInfo.buyerView": "com.alibaba.logistics",
    "getToken": "system.oauth2",
}


def demo_data() -> dict[str, Any]:
    """The demo catalog as plain data, for tests that tweak one knob."""
    return json.loads(DEMO_CATALOG_PATH.read_text(encoding="utf-8"))


class Gateway:
    """Signs and sends calls to one simulator; ``call`` returns the httpx response."""

    def __init__(self, http: httpx.AsyncClient, app_key: str = APP_KEY, secret: str = SECRET,
                 token: str | None = TOKEN) -> None:
        self.http = http
        self.app_key = app_key
        self.secret = secret
        self.token = token

    def form(self, api: str, params: dict[str, Any], *, namespace: str | None = None, app_key: str | None = None,
             token: str | None | bool = True) -> tuple[str, dict[str, str]]:
        namespace = namespace or API_NAMESPACES.get(api, "com.alibaba.trade")
        app_key = app_key or self.app_key
        path = f"param2/1/{namespace}/{api}/{app_key}"
        all_params = dict(params)
        access = self.token if token is True else (token or None)
        if access:
            all_params["access_token"] = access
        all_params["_aop_timestamp"] = 1780016400000
        form = encode_params(all_params)
        form["_aop_signature"] = sign(path, form, self.secret)
        return path, form

    async def call(self, api: str, params: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        path, form = self.form(api, params or {}, **kwargs)
        return await self.http.post(f"/openapi/{path}", data=form)

    async def ok(self, api: str, params: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        response = await self.call(api, params, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    # --- conveniences for the order flow -------------------------------------------------------
    async def create(self, cargo: list[dict[str, Any]], out_order_id: str | None = None) -> dict[str, Any]:
        return await self.ok("alibaba.trade.fastCreateOrder", {
            "flow": "general", "addressParam": ADDRESS, "cargoParamList": cargo, "outOrderId": out_order_id,
            "message": "测试订单"})

    async def order(self, order_id: str) -> dict[str, Any]:
        return await self.ok("alibaba.trade.get.buyerView", {"webSite": "1688", "orderId": order_id})

    async def pay(self, order_id: str, **extra: Any) -> dict[str, Any]:
        return await self.ok("alibaba.trade.pay.protocolPay.preparePay",
                             {"tradeWithholdPreparePayParam": {"orderId": int(order_id), **extra}})




async def admin(http: httpx.AsyncClient, path: str, body: dict[str, Any] | None = None) -> Any:
    response = await (http.post(f"/_sim/{path}", json=body or {}) if body is not None else http.get(f"/_sim/{path}"))
    assert response.status_code == 200, response.text
    return response.json()


@contextlib.asynccontextmanager
async def running(data: dict[str, Any], clock: SimClock | None = None) -> AsyncIterator[tuple[Simulator, Gateway]]:
    """A simulator over a tweaked catalog, mounted in-process."""
    simulator = Simulator(parse_catalog(data), clock=clock or SimClock.frozen())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app), base_url="http://sim") as client:
        yield simulator, Gateway(client)
