"""The async client: one typed method per 1688 API the procurement flow uses.

```python
async with Alibaba1688Client(gateway_url, app_key, app_secret, access_token, refresh_token) as c:
    page = await c.search_offers("纯棉T恤")
```

The client never retries on its own except once after a rejected token (refresh, then the same
call once more). Throttling, timeouts and 5xx surface as retryable typed errors for the caller's
retry policy (Temporal's, in this project) to act on.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
from pydantic import SecretStr

from . import apis, replies
from .apis import Api
from .audit import OnCall
from .envelope import unwrap_bare
from .errors import AuthError, BusinessError
from .models import (
    Address,
    CargoLine,
    CreatedOrder,
    CreatedRefund,
    FreightEstimate,
    LogisticsInfo,
    LogisticsTrace,
    OfferDetail,
    Order,
    OrderPage,
    OrderPreview,
    PayResult,
    RefundReason,
    SearchPage,
    SupplierProfile,
)
from .pacing import CallPacer
from .tokens import TokenSet, token_set_from_reply
from .transport import Gateway, Reader
from .wire import yuan_to_fen

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_GATEWAY_URL = "https://gw.open.1688.com/openapi/"
MAX_CARGO_LINES = 50

OnTokenRefreshed = Callable[[TokenSet], Awaitable[None] | None]


def _secret(value: SecretStr | str) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


class Alibaba1688Client:
    """Typed async client for the 1688 Open Platform (httpx underneath).

    ``transport`` lets tests and the in-process simulator stand in for the network
    (``httpx.MockTransport``, ``httpx.ASGITransport``). ``on_call`` receives a redacted
    :class:`~alibaba1688.audit.CallRecord` for every HTTP call made, token refreshes included.
    ``on_token_refreshed`` receives the new :class:`~alibaba1688.tokens.TokenSet` after each
    refresh (sync or async), so a worker can persist it. ``pace`` is awaited before every
    business call is sent (see :mod:`alibaba1688.pacing`); it may wait, or refuse the call.
    """

    def __init__(
        self,
        gateway_url: str,
        app_key: str,
        app_secret: SecretStr | str,
        access_token: SecretStr | str,
        refresh_token: SecretStr | str | None = None,
        *,
        access_token_expires_at: datetime | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 20.0,
        on_call: OnCall | None = None,
        on_token_refreshed: OnTokenRefreshed | None = None,
        pace: CallPacer | None = None,
        web_site: str = "1688",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not app_key or not _secret(app_secret).get_secret_value():
            raise ValueError("app_key and app_secret are required")
        self._gateway_url = gateway_url if gateway_url.endswith("/") else gateway_url + "/"
        self._app_key = app_key
        self._app_secret = _secret(app_secret)
        self._tokens = TokenSet(
            access_token=_secret(access_token),
            refresh_token=_secret(refresh_token) if refresh_token else None,
            access_token_expires_at=access_token_expires_at,
        )
        self._on_token_refreshed = on_token_refreshed
        self._pace = pace
        self._web_site = web_site
        self._clock = clock
        self._refresh_lock = asyncio.Lock()
        self._secrets: set[str] = set()
        self._remember_secrets()
        self._http = httpx.AsyncClient(
            base_url=self._gateway_url, transport=transport, timeout=timeout
        )
        self._gateway = Gateway(
            self._http,
            app_key,
            self._app_secret.get_secret_value(),
            on_call=on_call,
            scrub=self._scrub,
            clock=clock,
        )

    # --- lifecycle and state -------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"Alibaba1688Client(gateway_url={self._gateway_url!r}, app_key={self._app_key!r})"

    @property
    def app_key(self) -> str:
        return self._app_key

    @property
    def tokens(self) -> TokenSet:
        """The tokens in use now (after any refresh)."""
        return self._tokens

    @property
    def access_token(self) -> SecretStr:
        return self._tokens.access_token

    def _remember_secrets(self) -> None:
        # Old tokens stay on the list: a late error message may still quote one.
        for secret in (self._app_secret, self._tokens.access_token, self._tokens.refresh_token):
            if secret is not None and len(secret.get_secret_value()) >= 4:
                self._secrets.add(secret.get_secret_value())

    def _scrub(self, text: str) -> str:
        """Remove every secret the client holds from a text that may leave it (error messages)."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    # --- calling ---------------------------------------------------------------------------

    async def _call(self, api: Api, params: Mapping[str, Any], read: Reader[T]) -> T:
        """One business call with the user's token; on ``401`` refresh once and retry once.

        Each send waits for its turn first (``pace``) and reads the token after, so a token is
        never held while waiting; the retry takes its turn before refreshing, so the new token
        goes out at once.
        """
        await self._take_turn(api)
        just_refreshed = await self._refresh_if_expired()
        token_sent = self._tokens.access_token.get_secret_value()
        try:
            return await self._gateway.call(api, params, read, access_token=token_sent)
        except AuthError:
            if self._tokens.refresh_token is None or just_refreshed:
                raise  # nothing to refresh with, or a brand-new token was refused: stop here
        await self._take_turn(api)  # the refused call counted against the quota; so does the retry
        await self._refresh_after_rejection(api, token_sent)
        return await self._gateway.call(
            api, params, read, access_token=self._tokens.access_token.get_secret_value()
        )

    async def _take_turn(self, api: Api) -> None:
        # Business calls count against the app's quota; token exchanges do not, so only these wait.
        if self._pace is not None:
            await self._pace(api.key)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    async def _refresh_if_expired(self) -> bool:
        """Refresh ahead of the call when the token's known expiry has passed (or nearly)."""
        margin = timedelta(minutes=1)
        if self._tokens.refresh_token is None or not self._tokens.access_token_expired(
            self._now(), margin
        ):
            return False
        async with self._refresh_lock:
            if not self._tokens.access_token_expired(self._now(), margin):
                return False  # another call refreshed meanwhile
            await self._refresh_locked()
            return True

    async def _refresh_after_rejection(self, api: Api, token_sent: str) -> None:
        async with self._refresh_lock:
            if self._tokens.access_token.get_secret_value() != token_sent:
                return  # another call refreshed while this one was in flight
            try:
                await self._refresh_locked()
            except (AuthError, BusinessError) as exc:
                raise AuthError(
                    f"access token rejected and refreshing it failed: [{exc.code}] {exc.message}",
                    api=api.key,
                    http_status=exc.http_status,
                ) from None

    async def refresh_access_token(self) -> TokenSet:
        """Exchange the refresh token for a new access token (``system.oauth2/getToken``).

        The new :class:`TokenSet` replaces the current one and is passed to
        ``on_token_refreshed``. Raises :class:`AuthError` when there is no refresh token or the
        platform refuses it.
        """
        async with self._refresh_lock:
            return await self._refresh_locked()

    async def _refresh_locked(self) -> TokenSet:
        refresh = self._tokens.refresh_token
        if refresh is None:
            raise AuthError("no refresh token configured", api=apis.REFRESH_TOKEN.key)
        previous = self._tokens
        params = {
            "grant_type": "refresh_token",
            "client_id": self._app_key,
            "client_secret": self._app_secret.get_secret_value(),
            "refresh_token": refresh.get_secret_value(),
        }

        def read(body: Any, status: int) -> TokenSet:
            reply = unwrap_bare(apis.REFRESH_TOKEN.key, body, status)
            return token_set_from_reply(apis.REFRESH_TOKEN.key, reply, previous, self._now())

        tokens = await self._gateway.call(apis.REFRESH_TOKEN, params, read, access_token=None)
        self._tokens = tokens
        self._remember_secrets()
        if self._on_token_refreshed is not None:
            try:
                outcome = self._on_token_refreshed(tokens)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # noqa: BLE001 - the refresh itself succeeded; keep the call going
                log.warning("on_token_refreshed hook failed", exc_info=True)
        return tokens

    # --- products ------------------------------------------------------------------------

    async def search_offers(
        self,
        keyword: str,
        page: int = 1,
        page_size: int = 20,
        *,
        price_start: Decimal | str | None = None,
        price_end: Decimal | str | None = None,
        category_id: int | str | None = None,
        sort: Mapping[str, str] | str | None = None,
        country: str = "en",
    ) -> SearchPage:
        """Keyword search (``product.search.keywordQuery``); prices are yuan, pages 1-based.

        ``sort`` is e.g. ``{"price": "asc"}`` or ``{"monthSold": "desc"}``; it travels as JSON
        text inside the query object, as the platform expects.
        """
        if isinstance(sort, Mapping):
            sort = json.dumps(dict(sort), separators=(",", ":"))
        query = _without_none(
            {
                "keyword": keyword,
                "beginPage": page,
                "pageSize": page_size,
                "priceStart": _yuan_text(price_start),
                "priceEnd": _yuan_text(price_end),
                "categoryId": _number(category_id),
                "sort": sort,
                "country": country,
            }
        )
        return await self._call(
            apis.SEARCH_OFFERS, {"offerQueryParam": query}, replies.search_page
        )

    async def get_offer_detail(self, offer_id: str, *, country: str = "en") -> OfferDetail:
        """Tiers, MOQ, SKUs with stock, mixed-batch rule, status and seller data of one offer."""
        param = {"offerId": _number(offer_id), "country": country}
        return await self._call(
            apis.OFFER_DETAIL, {"offerDetailParam": param}, replies.offer_detail
        )

    async def estimate_freight(
        self,
        offer_id: str,
        to_province_code: str,
        to_city_code: str,
        total_num: int,
        sku_nums: Mapping[str, int] | None = None,
        *,
        to_area_code: str | None = None,
    ) -> FreightEstimate:
        """Domestic freight for ``total_num`` pieces to a province/city (codes like ``330000``).

        ``sku_nums`` maps sku ids to pieces when the split matters to the seller's template.
        """
        param = _without_none(
            {
                "offerId": _number(offer_id),
                "toProvinceCode": to_province_code,
                "toCityCode": to_city_code,
                "toCountryCode": to_area_code,
                "totalNum": total_num,
                "logisticsSkuNumModels": [
                    {"skuId": sku_id, "number": number} for sku_id, number in sku_nums.items()
                ]
                if sku_nums
                else None,
            }
        )
        return await self._call(
            apis.ESTIMATE_FREIGHT,
            {"productFreightQueryParamsNew": param},
            replies.freight_estimate,
        )

    async def get_supplier_profile(
        self, member_id: str | None = None, *, login_id: str | None = None
    ) -> SupplierProfile:
        """A supplier's basic profile (``alibaba.account.agent.crossBasic``).

        The real API is keyed by ``login_id``; ``member_id`` is understood by the simulator.
        """
        if not member_id and not login_id:
            raise ValueError("give member_id or login_id")
        params = {"memberId": member_id, "loginId": login_id}
        return await self._call(apis.SUPPLIER_PROFILE, params, replies.supplier_profile)

    # --- ordering ------------------------------------------------------------------------

    async def preview_order(
        self,
        address: Address,
        cargo: Sequence[CargoLine],
        *,
        flow: str | None = "general",
        invoice: Mapping[str, Any] | None = None,
    ) -> OrderPreview:
        """Check stock, MOQ and mixed batch and price an order without creating it.

        Refusals raise :class:`OutOfStockError` (500_004), :class:`BelowMinimumOrderError`
        (500_005), :class:`MixedBatchNotMetError` (500_006), :class:`ProductOfflineError`...
        """
        params = {
            "addressParam": _address_param(address),
            "cargoParamList": _cargo_param(cargo),
            "flow": flow,
            "invoiceParam": dict(invoice) if invoice else None,
        }
        return await self._call(apis.PREVIEW_ORDER, params, replies.order_preview)

    async def create_order(
        self,
        address: Address,
        cargo: Sequence[CargoLine],
        out_order_id: str,
        message: str | None = None,
        *,
        flow: str = "general",
        invoice: Mapping[str, Any] | None = None,
    ) -> CreatedOrder:
        """Create one order with one supplier (``fastCreateOrder``, up to 50 lines).

        Not idempotent on the platform: give every intended order a stable ``out_order_id`` and,
        after an error with ``outcome_unknown``, call :meth:`find_order_by_out_order_id` before
        creating again. Lines the platform refused come back in ``failed_offers`` (a partial
        success is not an error).
        """
        if not out_order_id:
            raise ValueError("out_order_id is required: it is how a lost reply is recovered")
        params = {
            "flow": flow,
            "addressParam": _address_param(address),
            "cargoParamList": _cargo_param(cargo),
            "message": message,
            "outOrderId": out_order_id,
            "invoiceParam": dict(invoice) if invoice else None,
        }
        return await self._call(apis.CREATE_ORDER, params, replies.created_order)

    async def get_order(self, order_id: str) -> Order:
        """The buyer's view of one order (``alibaba.trade.get.buyerView``)."""
        params = {"webSite": self._web_site, "orderId": order_id}
        return await self._call(apis.GET_ORDER, params, replies.order)

    async def list_orders(
        self,
        *,
        out_order_id: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> OrderPage:
        """The buyer's orders, newest first (``alibaba.trade.getBuyerOrderList``)."""
        params = {
            "outOrderId": out_order_id,
            "orderStatus": status,
            "page": page,
            "pageSize": page_size,
        }
        return await self._call(apis.LIST_ORDERS, params, replies.order_page)

    async def find_order_by_out_order_id(self, out_order_id: str) -> Order | None:
        """The most recent order created with ``out_order_id``, or ``None`` if there is none.

        The check to make before re-creating an order whose create reply was lost. Only orders
        that carry this very ``outOrderId`` count, whatever the gateway's filter returned.
        """
        if not out_order_id:
            raise ValueError("out_order_id is required")
        page = await self.list_orders(out_order_id=out_order_id, page_size=50)
        matching = [order for order in page.orders if order.out_order_id == out_order_id]
        return matching[0] if matching else None

    # --- payment ---------------------------------------------------------------------------

    async def is_protocol_pay_open(self) -> bool:
        """Whether password-free (protocol) payment is signed and bound for the buyer."""
        return await self._call(apis.PROTOCOL_PAY_IS_OPEN, {}, replies.protocol_pay_open)

    async def prepare_pay(
        self,
        order_id: str,
        amount: Decimal | None = None,
        op_request_id: str | None = None,
        *,
        pay_channel: str | None = None,
    ) -> PayResult:
        """Pay an order password-free (``protocolPay.preparePay``); ``amount`` in yuan.

        ``pay_success`` may be ``False`` after a timeout although the money moved, and a lost
        reply raises with ``outcome_unknown``: re-read the order (:meth:`get_order`) before
        paying again. ``op_request_id`` should be stable per intended payment.
        """
        param = _without_none(
            {
                "orderId": _number(order_id),
                "payChannel": pay_channel,
                "payAmount": yuan_to_fen(amount) if amount is not None else None,
                "opRequestId": op_request_id,
            }
        )
        return await self._call(
            apis.PREPARE_PAY,
            {"tradeWithholdPreparePayParam": param},
            replies.pay_result(order_id),
        )

    async def get_payment_url(self, order_ids: Sequence[str]) -> str:
        """A cashier link a person can pay in (``alibaba.alipay.url.get``), for 1..100 orders."""
        if not 1 <= len(order_ids) <= 100:
            raise ValueError("between 1 and 100 order ids")
        params = {"orderIdList": [_number(order_id) for order_id in order_ids]}
        return await self._call(apis.PAYMENT_URL, params, replies.payment_url)

    # --- logistics, receipt, refunds, cancel ------------------------------------------------

    async def get_logistics_info(self, order_id: str) -> LogisticsInfo:
        """The order's shipments; ``shipped=False`` before the seller ships (``500_2``)."""
        params = {"orderId": order_id, "webSite": self._web_site}
        return await self._call(apis.LOGISTICS_INFO, params, replies.logistics_info(order_id))

    async def get_logistics_trace(
        self, order_id: str, logistics_id: str | None = None
    ) -> LogisticsTrace:
        """Courier steps per shipment; ``shipped=False`` before the seller ships (``500_2``)."""
        params = {"orderId": order_id, "webSite": self._web_site, "logisticsId": logistics_id}
        return await self._call(
            apis.LOGISTICS_TRACE, params, replies.logistics_trace(order_id)
        )

    async def confirm_receipt(self, order_id: str, order_entry_ids: Sequence[str]) -> None:
        """Confirm the goods arrived (``trade.receivegoods.confirm``) for these order lines."""
        if not order_entry_ids:
            raise ValueError("at least one order entry id")
        params = {
            "orderId": order_id,
            "orderEntryIds": [_number(entry) for entry in order_entry_ids],
        }
        await self._call(apis.CONFIRM_RECEIPT, params, replies.receipt_confirmed)

    async def get_refund_reasons(
        self, order_id: str, order_entry_ids: Sequence[str], goods_status: str
    ) -> list[RefundReason]:
        """The refund reasons the platform accepts for these lines in this goods state.

        ``goods_status``: ``refundWaitSellerSend``, ``refundWaitBuyerReceive``,
        ``refundBuyerReceived``, ``aftersaleBuyerNotReceived`` or ``aftersaleBuyerReceived``.
        """
        params = {
            "orderId": order_id,
            "orderEntryIds": [_number(entry) for entry in order_entry_ids],
            "goodsStatus": goods_status,
        }
        return await self._call(apis.REFUND_REASONS, params, replies.refund_reasons)

    async def create_refund(
        self,
        order_id: str,
        order_entry_ids: Sequence[str],
        *,
        dispute_request: Literal["refund", "returnRefund"],
        apply_payment: Decimal,
        apply_reason_id: str,
        description: str,
        goods_status: str,
        apply_carriage: Decimal = Decimal("0"),
    ) -> CreatedRefund:
        """File a refund (``alibaba.trade.createRefund``); amounts in yuan, sent as fen.

        ``description`` must be 2-150 characters; ``apply_reason_id`` comes from
        :meth:`get_refund_reasons` for the same ``goods_status``.
        """
        if not 2 <= len(description) <= 150:
            raise ValueError("a refund description is 2 to 150 characters")
        params = {
            "orderId": order_id,
            "orderEntryIds": [_number(entry) for entry in order_entry_ids],
            "disputeRequest": dispute_request,
            "applyPayment": yuan_to_fen(apply_payment),
            "applyCarriage": yuan_to_fen(apply_carriage),
            "applyReasonId": apply_reason_id,
            "description": description,
            "goodsStatus": goods_status,
        }
        return await self._call(apis.CREATE_REFUND, params, replies.refund_created)

    async def cancel_order(
        self,
        order_id: str,
        reason: Literal["buyerCancel", "sellerGoodsLack", "other"] = "buyerCancel",
        remark: str | None = None,
    ) -> None:
        """Cancel an unpaid order. Within ~10 s of creation this raises the retryable
        :class:`CloseOrderTooFastError`; a paid order raises :class:`OrderStatusError`."""
        params = {
            "webSite": self._web_site,
            "tradeID": order_id,
            "cancelReason": reason,
            "remark": remark,
        }
        await self._call(apis.CANCEL_ORDER, params, replies.order_cancelled)


def _without_none(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def _number(identifier: str | int | None) -> int | str | None:
    """Ids go inside JSON parameters as bare numbers (exact Python ints), like the platform's own
    SDKs send them; anything that is not all digits is passed on as text."""
    if identifier is None or isinstance(identifier, int):
        return identifier
    text = str(identifier).strip()
    return int(text) if text.isdigit() else text


def _yuan_text(amount: Decimal | str | None) -> str | None:
    return None if amount is None else str(amount)


def _address_param(address: Address) -> dict[str, Any]:
    return _without_none(
        {
            "addressId": _number(address.address_id),
            "fullName": address.full_name,
            "mobile": address.mobile,
            "phone": address.phone,
            "postCode": address.post_code,
            "provinceText": address.province_text,
            "cityText": address.city_text,
            "areaText": address.area_text,
            "townText": address.town_text,
            "address": address.address,
            "districtCode": address.district_code,
        }
    )


def _cargo_param(cargo: Sequence[CargoLine]) -> list[dict[str, Any]]:
    if not 1 <= len(cargo) <= MAX_CARGO_LINES:
        raise ValueError(f"an order has 1 to {MAX_CARGO_LINES} cargo lines, got {len(cargo)}")
    return [
        _without_none(
            {"offerId": _number(line.offer_id), "specId": line.spec_id, "quantity": line.quantity}
        )
        for line in cargo
    ]


__all__ = ["DEFAULT_GATEWAY_URL", "MAX_CARGO_LINES", "Alibaba1688Client", "OnTokenRefreshed"]
