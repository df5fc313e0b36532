"""The simulated gateway: routing, the gateway checks in the platform's order, and the Simulator.

``Simulator(catalog, clock=...)`` is the Python API: ``.app`` is the ASGI app (mount it with
``httpx.ASGITransport`` for in-process tests, or serve it with :func:`simulator.server.serve`),
``.market`` the books, ``.faults`` the injected faults. Check order, as on the real gateway:
app key, API, signature, quota, rate limit, token, ACL, parameters, then business logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from alibaba1688.signing import SIGNATURE_PARAM, sign
from simulator import inquiries, logistics, orders, payments, products, refunds
from simulator.catalog import Catalog, demo_catalog
from simulator.clock import SimClock
from simulator.faults import Faults, LostReplyResponse, malformed_response
from simulator.market import Market
from simulator.push import PushSender
from simulator.ratelimit import SlidingWindow
from simulator.tokens import TokenStore
from simulator.wire import GatewayError, Params, Reply, param_missing

log = logging.getLogger("simulator")

Handler = Callable[[Market, Params], Reply]


@dataclass(frozen=True)
class ApiSpec:
    handler: Handler
    required: tuple[str, ...] = ()


TRADE = "com.alibaba.trade"
CROSSBORDER = "com.alibaba.fenxiao.crossborder"
LOGISTICS = "com.alibaba.logistics"

APIS: dict[tuple[str, str], ApiSpec] = {
    (CROSSBORDER, "product.search.keywordQuery"): ApiSpec(products.keyword_query, ("offerQueryParam",)),
    (CROSSBORDER, "product.search.queryProductDetail"): ApiSpec(products.product_detail, ("offerDetailParam",)),
    (CROSSBORDER, "product.freight.estimate"): ApiSpec(products.freight_estimate, ("productFreightQueryParamsNew",)),
    (CROSSBORDER, "product.search.querySellerOfferList"): ApiSpec(products.seller_offer_list, ("offerQueryParam",)),
    ("com.alibaba.account", "alibaba.account.agent.crossBasic"): ApiSpec(products.cross_basic),
    ("com.alibaba.account", "wangwangnick.openuid.decrypt"): ApiSpec(products.open_uid_decrypt, ("openUid",)),
    (TRADE, "alibaba.createOrder.preview"): ApiSpec(orders.preview, ("addressParam", "cargoParamList")),
    (TRADE, "alibaba.trade.fastCreateOrder"): ApiSpec(orders.fast_create, ("flow", "addressParam", "cargoParamList")),
    (TRADE, "alibaba.trade.get.buyerView"): ApiSpec(orders.get_buyer_view, ("webSite",)),
    (TRADE, "alibaba.trade.getBuyerOrderList"): ApiSpec(orders.buyer_order_list),
    (TRADE, "alibaba.trade.cancel"): ApiSpec(orders.cancel, ("webSite", "tradeID", "cancelReason")),
    (TRADE, "trade.receivegoods.confirm"): ApiSpec(orders.receive_confirm, ("orderId", "orderEntryIds")),
    (TRADE, "alibaba.trade.pay.protocolPay.isopen"): ApiSpec(payments.is_open),
    (TRADE, "alibaba.trade.pay.protocolPay.preparePay"): ApiSpec(payments.prepare_pay, ("tradeWithholdPreparePayParam",)),
    (TRADE, "alibaba.alipay.url.get"): ApiSpec(payments.alipay_url, ("orderIdList",)),
    (LOGISTICS, "alibaba.trade.getLogisticsInfos.buyerView"): ApiSpec(logistics.logistics_infos, ("orderId", "webSite")),
    (LOGISTICS, "alibaba.trade.getLogisticsTraceInfo.buyerView"): ApiSpec(logistics.logistics_trace, ("orderId", "webSite")),
    (TRADE, "alibaba.trade.getRefundReasonList"): ApiSpec(refunds.reason_list, ("orderId", "orderEntryIds", "goodsStatus")),
    (TRADE, "alibaba.trade.createRefund"): ApiSpec(refunds.create_refund, (
        "orderId", "orderEntryIds", "disputeRequest", "applyPayment", "applyReasonId", "description", "goodsStatus")),
    (TRADE, "alibaba.trade.refund.buyer.queryOrderRefundList"): ApiSpec(refunds.list_refunds),
    (TRADE, "alibaba.trade.refund.OpQueryOrderRefund"): ApiSpec(refunds.get_refund, ("refundId",)),
    (TRADE, "alibaba.trade.refund.returnGoods"): ApiSpec(refunds.return_goods, (
        "refundId", "logisticsCompanyNo", "freightBill")),
}
# Buyer inquiries and quotations (1688's procurement APIs; simulator/inquiries.py).
CAIGOU = "cn.alibaba.open"
APIS.update({
    (CAIGOU, "caigou.api.buyoffer.postBuyoffer"): ApiSpec(inquiries.post_buy_offer, ("subject", "items", "gmtQuotationExpire")),
    (CAIGOU, "caigou.api.quotation.buyerGetQuotationListByBuyOfferId"): ApiSpec(inquiries.quotation_list, ("buyOfferId",)),
    (CAIGOU, "caigou.api.buyoffer.closeBuyOffer"): ApiSpec(inquiries.close_buy_offer, ("buyOfferId",)),
})

TOKEN_API = ("system.oauth2", "getToken")


def _cross_basic_params(params: Params) -> None:
    if not (params.text("loginId") or params.text("domain")):
        raise param_missing("loginId")


class Simulator:
    """One simulated 1688 gateway with its own books; create one per test."""

    def __init__(self, catalog: Catalog | None = None, *, clock: SimClock | None = None) -> None:
        self.catalog = catalog or demo_catalog()
        self.clock = clock or SimClock()
        self.market = Market(self.catalog, self.clock)
        self.faults = Faults(self.catalog.faults)
        self.push = PushSender(self.catalog.app.app_secret)
        # One lock for every mutation: handlers are synchronous, but admin steps, the ticker and
        # push delivery interleave with requests, and the books must never be seen half-changed.
        self.lock = asyncio.Lock()
        self.ticker_interval: float | None = None  # set by simulator.server.serve
        self._reset_gateway()
        from simulator.admin import admin_routes  # admin needs the Simulator type; import late
        from simulator.licence_register import licence_routes

        routes = [
            Route("/openapi/param2/1/{namespace}/{api}/{app_key}", self._gateway, methods=["POST"]),
            Route("/param2/1/{namespace}/{api}/{app_key}", self._gateway, methods=["POST"]),
            Route("/openapi/http/1/{namespace}/{api}/{app_key}", self._oauth_http, methods=["POST"]),
            Route("/http/1/{namespace}/{api}/{app_key}", self._oauth_http, methods=["POST"]),
            *admin_routes(self),
            *licence_routes(self),
        ]
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    def _reset_gateway(self) -> None:
        app = self.catalog.app
        self.tokens = TokenStore(app, self.clock.now())
        self.limiter = SlidingWindow(app.calls_per_minute)
        self.calls: list[dict[str, Any]] = []
        self.usage_used = 0
        self._request_seq = 0

    def reset(self) -> None:
        """Back to the catalog: no orders, fresh stock and tokens, no faults, no call log."""
        self.market.reset()
        self.faults.configure(self.catalog.faults)
        self._reset_gateway()

    # --- plumbing ------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(self._tick_forever()) if self.ticker_interval else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _tick_forever(self) -> None:
        """Over HTTP, time moves without requests (the demo clock), so apply due moves regularly."""
        assert self.ticker_interval
        while True:
            await asyncio.sleep(self.ticker_interval)
            await self.tick()

    async def tick(self) -> list[dict[str, Any]]:
        """Apply due transitions and deliver pending push messages."""
        async with self.lock:
            done = self.market.catch_up()
            events, self.market.events = self.market.events, []
        await self.push.deliver(events)
        return done

    def _request_id(self) -> str:
        self._request_seq += 1
        return f"0b{self._request_seq:06x}"

    def _gateway_error(self, error: GatewayError) -> JSONResponse:
        return JSONResponse({"error_code": error.code, "error_message": error.message,
                             "exception": f"{error.code}: {error.message}", "request_id": self._request_id()},
                            status_code=error.status)

    def _record(self, api: str, namespace: str, outcome: str, error_code: str | None, app_key: str) -> None:
        self.calls.append({"api": api, "namespace": namespace, "outcome": outcome, "error_code": error_code,
                           "app_key": app_key, "at": self.clock.now().isoformat()})

    @staticmethod
    async def _form(request: Request) -> dict[str, str]:
        # Parsed by hand: the body is plain urlencoded UTF-8, and this keeps values byte-exact
        # for signature checking without pulling in a multipart parser.
        body = (await request.body()).decode("utf-8", errors="replace")
        return dict(parse_qsl(body, keep_blank_values=True))

    # --- the gateway ---------------------------------------------------------------------------
    async def _injected_fault(self, api: str, namespace: str, app_key: str) -> Response | None:
        settings = self.faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        if self.faults.draw_error():
            self._record(api, namespace, "fault", "gw.ServiceUnavailable", app_key)
            return self._gateway_error(GatewayError("gw.ServiceUnavailable", "Service temporarily unavailable", 503))
        if self.faults.draw_throttle():
            self._record(api, namespace, "fault", "gw.QosAppFrequencyLimit", app_key)
            return self._gateway_error(GatewayError("gw.QosAppFrequencyLimit", "App frequency limit exceeded"))
        return None

    def _check_signature(self, namespace: str, api: str, app_key: str, form: dict[str, str], optional: bool) -> None:
        given = form.get(SIGNATURE_PARAM)
        if given is None and optional:
            return
        expected = sign(f"param2/1/{namespace}/{api}/{app_key}", form, self.catalog.app.app_secret)
        if not given or given.upper() != expected:
            raise GatewayError("gw.SignatureInvalid", "Signature is invalid")

    def _check_quota(self, app_key: str) -> None:
        app = self.catalog.app
        if app.usage_quota is not None and self.usage_used >= app.usage_quota:
            raise GatewayError("gw.NoUsageLeftError", "No usage left for this app")
        if not self.limiter.try_acquire(app_key, self.clock.now()):
            raise GatewayError("gw.QosAppFrequencyLimit", "App frequency limit exceeded")
        self.usage_used += 1

    async def _gateway(self, request: Request) -> Response:
        namespace, api = request.path_params["namespace"], request.path_params["api"]
        app_key = request.path_params["app_key"]
        fault = await self._injected_fault(api, namespace, app_key)
        if fault is not None:
            return fault
        form = await self._form(request)
        self.market.public_url = str(request.base_url)
        async with self.lock:
            self.market.catch_up()
            try:
                if app_key != self.catalog.app.app_key:
                    raise GatewayError("gw.AppKeyNotFound", f"App key {app_key} is not found")
                if (namespace, api) == TOKEN_API:
                    self._check_signature(namespace, api, app_key, form, optional=True)
                    return self._token_reply(namespace, api, app_key, form)
                spec = APIS.get((namespace, api))
                if spec is None:
                    raise GatewayError("gw.APIUnsupported", f"API {namespace}:{api} is not supported")
                self._check_signature(namespace, api, app_key, form, optional=False)
                self._check_quota(app_key)
                if not self.tokens.access_valid(form.get("access_token"), self.clock.now()):
                    raise GatewayError("401", "Request need user authorized", status=401)
                if api in self.catalog.app.denied_apis:
                    raise GatewayError("gw.APIACLDecline", f"App is not granted API {namespace}:{api}")
                params = Params(form)
                for name in spec.required:
                    params.required(name)
                if spec.handler is products.cross_basic:
                    _cross_basic_params(params)
                reply = spec.handler(self.market, params)
            except GatewayError as error:
                self._record(api, namespace, "gateway_error", error.code, app_key)
                return self._gateway_error(error)
            if reply.committed and self.faults.take_lost_reply(api):
                self._record(api, namespace, "lost_reply", None, app_key)
                return LostReplyResponse(api)
            spoil = self.faults.take_malformed(api, reply.body)
            if spoil is not None:
                self._record(api, namespace, "malformed", reply.error_code, app_key)
                return malformed_response(spoil, reply.body, reply.status)
            self._record(api, namespace, "business_error" if reply.error_code else "ok", reply.error_code, app_key)
            return JSONResponse(reply.body, status_code=reply.status)

    def _token_reply(self, namespace: str, api: str, app_key: str, form: dict[str, str]) -> Response:
        status, body = self.tokens.grant(form, self.clock.now())
        self._record(api, namespace, "ok" if status == 200 else "business_error", body.get("error"), app_key)
        return JSONResponse(body, status_code=status)

    async def _oauth_http(self, request: Request) -> Response:
        """``http/1/system.oauth2/getToken/{appKey}``: the unsigned code exchange."""
        namespace, api = request.path_params["namespace"], request.path_params["api"]
        app_key = request.path_params["app_key"]
        form = await self._form(request)
        async with self.lock:
            if app_key != self.catalog.app.app_key:
                error = GatewayError("gw.AppKeyNotFound", f"App key {app_key} is not found")
            elif (namespace, api) != TOKEN_API:
                error = GatewayError("gw.APIUnsupported", f"API {namespace}:{api} is not supported over http/1")
            else:
                return self._token_reply(namespace, api, app_key, form)
            self._record(api, namespace, "gateway_error", error.code, app_key)
            return self._gateway_error(error)
