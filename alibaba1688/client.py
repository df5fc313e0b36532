"""The async client: one typed method per 1688 API the procurement flow uses.

```python
async with Alibaba1688Client(gateway_url, app_key, app_secret, access_token, refresh_token) as c:
    page = await c.search_offers("纯棉T恤")
```

The client never retries on its own except once after a rejected token (refresh, then the same
call once more). Throttling, timeouts and 5xx surface as retryable typed errors for the caller's
retry policy (Temporal's, in this project) to act on.

When the platform refuses the refresh token itself (expired after about six months, or the
authorisation revoked), no call can succeed until a person authorises the app again: the call
fails with an :class:`AuthError` starting with "1688 authorisation expired: run `procure
authorize`", logged once at ERROR per token version, and the client does not ask again for
``authorisation_retry_after`` seconds unless its token source holds newer tokens meanwhile.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import httpx
from pydantic import SecretStr

from . import apis, inquiries, replies
from .apis import Api
from .audit import OnCall
from .envelope import unwrap_bare
from .errors import AuthError, BusinessError, MalformedReplyError, authorisation_expired
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
    RefundStatus,
    RefundView,
    SearchPage,
    SellerProfile,
    SupplierProfile,
)
from .pacing import CallPacer
from .tokens import TokenSet, TokenSource, token_set_from_reply
from .transport import Gateway, Reader
from .wire import yuan_to_fen

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_GATEWAY_URL = "https://gw.open.1688.com/openapi/"
MAX_CARGO_LINES = 50
REFUND_PAGE_SIZE = 20
MAX_REFUND_PAGES = 50  # 1,000 refunds on one order: far beyond any real one
MAX_ORDER_PAGES = 10  # 500 orders under one outOrderId: far beyond any real split

OnTokenRefreshed = Callable[[TokenSet], Awaitable[None] | None]

#: Seconds between two attempts to refresh with a refresh token the platform refused, unless the
#: token source holds newer tokens sooner.
AUTHORISATION_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class _RefreshRefused:
    """The platform refused our refresh token: what to answer calls until it is worth asking again."""

    version: int | None  # the token version that was refused
    at: float  # clock() when it was last refused
    message: str
    code: str


def _secret(value: SecretStr | str) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)


class Alibaba1688Client:
    """Typed async client for the 1688 Open Platform (httpx underneath).

    ``transport`` lets tests and the in-process simulator stand in for the network
    (``httpx.MockTransport``, ``httpx.ASGITransport``). ``on_call`` receives a redacted
    :class:`~alibaba1688.audit.CallRecord` for every HTTP call made, token refreshes included.
    ``on_token_refreshed`` receives the new :class:`~alibaba1688.tokens.TokenSet` after each
    refresh (sync or async). ``pace`` is awaited before every business call is sent (see
    :mod:`alibaba1688.pacing`); it may wait, or refuse the call.

    ``token_source`` (a :class:`~alibaba1688.tokens.TokenSource`) shares tokens between
    processes: before every business call the client loads the stored set and uses it when its
    version differs from the one in use; every refreshed set is saved there. The constructor's
    tokens only seed an empty source. Without a source the client keeps its tokens in memory.
    ``access_token`` may be ``None`` when a source is given, or when the first tokens come from
    :meth:`exchange_code`.
    """

    def __init__(
        self,
        gateway_url: str,
        app_key: str,
        app_secret: SecretStr | str,
        access_token: SecretStr | str | None,
        refresh_token: SecretStr | str | None = None,
        *,
        access_token_expires_at: datetime | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 20.0,
        on_call: OnCall | None = None,
        on_token_refreshed: OnTokenRefreshed | None = None,
        token_source: TokenSource | None = None,
        authorisation_retry_after: float = AUTHORISATION_RETRY_AFTER,
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
            access_token=_secret(access_token or ""),  # empty: none yet (see _call)
            refresh_token=_secret(refresh_token) if refresh_token else None,
            access_token_expires_at=access_token_expires_at,
        )
        self._on_token_refreshed = on_token_refreshed
        self._source = token_source
        self._source_failing = False
        self._adopted = 0  # counts every change of self._tokens, so a late load never undoes one
        self._refused: _RefreshRefused | None = None
        self._retry_refresh_after = authorisation_retry_after
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

        Newer stored tokens are picked up first, and a call that cannot succeed (no token, or a
        refused refresh token within its back-off) fails before it takes a turn. Each send waits
        for its turn (``pace``) and reads the token after, so a token is never held while
        waiting; the retry takes its turn before refreshing, so the new token goes out at once.
        """
        await self._pick_up_stored_tokens()
        self._refuse_while_unauthorised(api)
        await self._take_turn(api)
        just_refreshed = await self._refresh_if_expired(api)
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

    async def _refresh_if_expired(self, api: Api) -> bool:
        """Refresh ahead of the call when the token's known expiry has passed (or nearly)."""
        margin = timedelta(minutes=1)
        if self._tokens.refresh_token is None or not self._tokens.access_token_expired(
            self._now(), margin
        ):
            return False
        async with self._refresh_lock:
            if not self._tokens.access_token_expired(self._now(), margin):
                return False  # another call refreshed meanwhile
            await self._pick_up_stored_tokens()  # or another process did
            if self._tokens.refresh_token is None or not self._tokens.access_token_expired(
                self._now(), margin
            ):
                return False
            self._refuse_while_unauthorised(api)
            await self._refresh_or_give_up(api)
            return True

    async def _refresh_after_rejection(self, api: Api, token_sent: str) -> None:
        async with self._refresh_lock:
            if self._tokens.access_token.get_secret_value() != token_sent:
                return  # another call refreshed while this one was in flight
            await self._pick_up_stored_tokens()
            if self._tokens.access_token.get_secret_value() != token_sent:
                return  # another process refreshed, or someone authorised the app again
            self._refuse_while_unauthorised(api)  # calls that met the same 401 ask only once
            await self._refresh_or_give_up(api)

    async def _refresh_or_give_up(self, api: Api) -> None:
        try:
            await self._refresh_locked()
        except (AuthError, BusinessError) as exc:
            raise self._refresh_refused(api, exc) from None

    def _refresh_refused(self, api: Api, exc: AuthError | BusinessError) -> AuthError:
        """The platform refused our refresh token: remember it, say so once, and what to do."""
        if exc.code == "invalid_client":
            # The app key or secret is wrong: a new authorisation would not help.
            error = AuthError(
                f"access token rejected and refreshing it failed: [{exc.code}] {exc.message}",
                api=api.key,
                http_status=exc.http_status,
            )
        else:
            why = f"the refresh token was refused: [{exc.code}] {exc.message}"
            error = authorisation_expired(api.key, why)
        version = self._tokens.version
        first = self._refused is None or self._refused.version != version
        self._refused = _RefreshRefused(version, self._clock(), error.message, error.code)
        if first:
            log.error(
                "%s; every 1688 call of app %s fails until then (token version %s)",
                error.message,
                self._app_key,
                "not stored" if version is None else version,
            )
        return error

    def _refuse_while_unauthorised(self, api: Api) -> None:
        """Fail at once when no call can succeed: no token at all, or a refused refresh token
        that is not worth asking about again yet (the same version, within the back-off)."""
        if not self._tokens.access_token.get_secret_value():
            raise authorisation_expired(api.key, "no access token is stored for this app yet")
        refused = self._refused
        if refused is None or refused.version != self._tokens.version:
            return
        if self._clock() - refused.at < self._retry_refresh_after:
            raise AuthError(refused.message, api=api.key, code=refused.code)

    async def _pick_up_stored_tokens(self) -> None:
        """Use the token source's set when its version differs from ours; seed an empty source.

        One read per call. A source that cannot be read (PostgreSQL down) is logged once; the
        client goes on with the tokens it holds.
        """
        if self._source is None:
            return
        adopted = self._adopted
        try:
            stored = await self._source.load()
            if stored is None and self._tokens.access_token.get_secret_value():
                # Nothing stored for this app yet: our tokens (the environment's) are the seed.
                stored = await self._source.save(self._tokens.model_copy(update={"version": None}))
        except Exception as exc:  # noqa: BLE001 - the tokens in memory still work
            if not self._source_failing:
                self._source_failing = True
                log.warning(
                    "the stored 1688 tokens cannot be read (%s: %s); using the ones in memory",
                    type(exc).__name__,
                    self._scrub(str(exc)),
                )
            return
        if self._source_failing:
            self._source_failing = False
            log.info("the stored 1688 tokens can be read again")
        if stored is None or adopted != self._adopted:
            return  # nothing to use, or newer tokens were adopted while this read was on its way
        if stored.version != self._tokens.version:
            log.info("using the stored 1688 tokens of app %s, version %s", self._app_key, stored.version)
            self._use(stored)

    def _use(self, tokens: TokenSet) -> None:
        if tokens.version != self._tokens.version:
            self._refused = None  # new tokens deserve a try
        self._tokens = tokens
        self._adopted += 1
        self._remember_secrets()

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
        self._use(tokens)
        self._refused = None
        if self._source is not None:
            try:
                # Another process may have stored newer tokens meanwhile: then those are used.
                self._use(await self._source.save(tokens))
            except Exception as exc:  # noqa: BLE001 - the refresh itself succeeded
                log.warning(
                    "the refreshed 1688 tokens could not be stored (%s); this process keeps them "
                    "in memory",
                    type(exc).__name__,
                )
        tokens = self._tokens
        if self._on_token_refreshed is not None:
            try:
                outcome = self._on_token_refreshed(tokens)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:  # noqa: BLE001 - the refresh itself succeeded; keep the call going
                log.warning("on_token_refreshed hook failed", exc_info=True)
        return tokens

    async def exchange_code(self, code: str, redirect_uri: str) -> TokenSet:
        """Exchange an authorisation code for the user's tokens (``getToken`` over ``http/1``).

        The code is single use and lives about 2 minutes; ``redirect_uri`` is the app's callback
        address, the one the authorisation link named. The client uses the new tokens at once; it
        does not store them (``procure authorize`` does). A used, expired or unknown code raises
        :class:`AuthError` with the platform's code (``invalid_grant``) and reason.
        """
        if len(code) >= 4:
            self._secrets.add(code)  # a refusal may quote it
        params = {
            "grant_type": "authorization_code",
            "need_refresh_token": True,
            "client_id": self._app_key,
            "client_secret": self._app_secret.get_secret_value(),
            "redirect_uri": redirect_uri,
            "code": code,
        }
        none_yet = TokenSet(access_token=SecretStr(""))

        def read(body: Any, status: int) -> TokenSet:
            reply = unwrap_bare(apis.EXCHANGE_CODE.key, body, status)
            return token_set_from_reply(apis.EXCHANGE_CODE.key, reply, none_yet, self._now())

        async with self._refresh_lock:
            tokens = await self._gateway.call(apis.EXCHANGE_CODE, params, read, access_token=None)
            self._use(tokens)
            self._refused = None
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

    async def search_seller_offers(
        self, seller_open_id: str, page: int = 1, page_size: int = 20, *, country: str = "en"
    ) -> SearchPage:
        """One seller's listings (``product.search.querySellerOfferList``), by its open id. The
        rows carry no seller figures."""
        query = {
            "sellerOpenId": seller_open_id,
            "beginPage": page,
            "pageSize": page_size,
            "country": country,
        }
        return await self._call(apis.SELLER_OFFERS, {"offerQueryParam": query}, replies.seller_offers)

    async def get_supplier_profile(
        self, login_id: str | None = None, *, domain: str | None = None
    ) -> SupplierProfile:
        """A seller's account (``alibaba.account.agent.crossBasic``) by login id or shop domain
        (``{loginId}.1688.com``): company, main category, shop. No member id, years or rates."""
        if not login_id and not domain:
            raise ValueError("give login_id or domain")
        params = {"loginId": login_id, "domain": domain}
        return await self._call(apis.SUPPLIER_PROFILE, params, replies.supplier_profile)

    async def login_id_of(self, open_id: str) -> str:
        """The login name behind a seller's open id (``wangwangnick.openuid.decrypt``).

        The platform risk-controls this API (no automated bulk use): call it once per seller
        and keep the answer (the worker caches it in the ledger)."""
        if not open_id:
            raise ValueError("open_id is required")
        return await self._call(apis.OPEN_UID_DECRYPT, {"openUid": open_id}, replies.open_uid_login)

    async def get_seller(self, open_id: str) -> SellerProfile:
        """Everything the platform says about a seller known only by its open id (what search
        rows and product detail name it by):

        1. ``wangwangnick.openuid.decrypt`` -> its login id, then ``crossBasic`` -> company and
           main category;
        2. ``querySellerOfferList`` -> one of its listings, then ``queryProductDetail`` -> the
           seller's 30-day figures (repeat purchase, 48-hour pickup, quality refunds).

        Four calls: cache the result. Years are not among them (only search rows state
        ``tpYear``). A seller with no listing left has no figures (``None``).
        """
        login_id = await self.login_id_of(open_id)
        account = await self.get_supplier_profile(login_id)
        listings = await self.search_seller_offers(open_id, page_size=1)
        figures = None
        sample = None
        company = account.company_name
        if listings.offers:
            sample = listings.offers[0].offer_id
            detail = await self.get_offer_detail(sample)
            if detail.seller_open_id not in (None, open_id):
                raise MalformedReplyError(
                    f"offer {sample} of seller {open_id} names another seller",
                    api=apis.SELLER_OFFERS.key,
                    outcome_unknown=False,
                    retryable=False,
                )
            figures = detail.seller
            company = company or detail.company_name
        return SellerProfile(
            open_id=open_id,
            login_id=account.login_id,
            company_name=company,
            category_name=account.category_name,
            repurchase_rate=figures.repeat_purchase_rate if figures else None,
            on_time_ship_rate=figures.on_time_ship_rate if figures else None,
            dispute_rate=figures.dispute_rate if figures else None,
            sample_offer_id=sample,
        )

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
        """Create an order with one supplier (``fastCreateOrder``, up to 50 lines).

        The platform may split it into several orders (per warehouse, per shop activity...):
        ``orders`` lists every one. Not idempotent on the platform: give every intended order a
        stable ``out_order_id`` and, after an error with ``outcome_unknown``, call
        :meth:`find_orders_by_out_order_id` before creating again. Lines the platform refused
        come back in ``failed_offers`` (a partial success is not an error).
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

    async def find_orders_by_out_order_id(self, out_order_id: str) -> list[Order]:
        """Every order created with ``out_order_id``, newest first (a split create makes
        several; so does a create repeated after a lost reply).

        The check to make before re-creating an order whose create reply was lost. Only orders
        that carry this very ``outOrderId`` count, whatever the gateway's filter returned; every
        page is read.
        """
        if not out_order_id:
            raise ValueError("out_order_id is required")
        found: dict[str, Order] = {}
        for page_no in range(1, MAX_ORDER_PAGES + 1):
            page = await self.list_orders(out_order_id=out_order_id, page=page_no, page_size=50)
            fresh = [o for o in page.orders if o.order_id not in found]
            found.update((o.order_id, o) for o in fresh)
            if not fresh or page_no * 50 >= page.total:
                break
        return [order for order in found.values() if order.out_order_id == out_order_id]

    async def find_order_by_out_order_id(self, out_order_id: str) -> Order | None:
        """The most recent order created with ``out_order_id``, or ``None`` if there is none
        (see :meth:`find_orders_by_out_order_id` for all of them)."""
        matching = await self.find_orders_by_out_order_id(out_order_id)
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
        order_entry_counts: Mapping[str, int] | None = None,
    ) -> CreatedRefund:
        """File a refund (``alibaba.trade.createRefund``); amounts in yuan, sent as fen.

        ``description`` must be 2-150 characters; ``apply_reason_id`` comes from
        :meth:`get_refund_reasons` for the same ``goods_status``. ``order_entry_counts`` (entry
        id -> pieces, ``orderEntryCountList``) returns part of an entry; the platform accepts it
        only with ``refundBuyerReceived`` and otherwise means every piece.

        Not idempotent: the platform refuses a second request for entries with a refund in
        progress (``5010``), but a refund it already closed does not stop another. After an error
        with ``outcome_unknown``, look with :meth:`list_refunds` before filing again.
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
            "orderEntryCountList": [
                {"id": _number(entry), "count": count} for entry, count in order_entry_counts.items()
            ]
            if order_entry_counts
            else None,
        }
        return await self._call(apis.CREATE_REFUND, params, replies.refund_created)

    async def list_refunds(
        self, order_id: str, *, statuses: Sequence[RefundStatus] | None = None
    ) -> list[RefundView]:
        """Every refund filed for one order (``alibaba.trade.refund.buyer.queryOrderRefundList``),
        during and after the trade, newest first as the platform lists them.

        Reads every page. The sample request numbers pages from 0 (``currentPageNum``); a page
        that brings nothing new ends the reading either way, so a gateway counting from 1 is read
        correctly too. The API refuses sub-accounts: authorise the app with the main account.
        """
        found: dict[str, RefundView] = {}
        for page in range(MAX_REFUND_PAGES):
            params = {
                "orderId": order_id,
                "refundStatusSet": list(statuses) if statuses else None,
                "currentPageNum": page,
                "pageSize": REFUND_PAGE_SIZE,
                "dipsuteType": 0,  # sic: 0 = refunds during and after the trade
            }
            listing = await self._call(apis.LIST_REFUNDS, params, replies.refund_page)
            fresh = [refund for refund in listing.refunds if refund.refund_id not in found]
            found.update((refund.refund_id, refund) for refund in fresh)
            if not fresh or len(found) >= listing.total:
                break
        return list(found.values())

    async def get_refund(self, refund_id: str, *, with_operations: bool = False) -> RefundView:
        """One refund by its id (``TQ...``; ``alibaba.trade.refund.OpQueryOrderRefund``).

        The platform grants this API on request only. An unknown refund id is a
        :class:`BusinessError` with code ``500`` (the platform's own).
        """
        params = {
            "refundId": refund_id,
            "needOrderRefundOperation": True if with_operations else None,
        }
        return await self._call(apis.GET_REFUND, params, replies.refund_detail)

    async def return_goods(
        self,
        refund_id: str,
        logistics_company_no: str,
        freight_bill: str,
        description: str | None = None,
    ) -> None:
        """Tell the seller the goods are on their way back (``alibaba.trade.refund.returnGoods``),
        once the refund waits for them (``waitbuyersend``). ``logistics_company_no`` is the
        courier's code (``ZTO``, ``SF``...), ``freight_bill`` its waybill number."""
        if description is not None and not 2 <= len(description) <= 200:
            raise ValueError("a return description is 2 to 200 characters")
        params = {
            "refundId": refund_id,
            "logisticsCompanyNo": logistics_company_no,
            "freightBill": freight_bill,
            "description": description,
        }
        await self._call(apis.RETURN_GOODS, params, replies.goods_returned)

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

    # --- buyer inquiries (alibaba1688/inquiries.py) ---------------------------------------------

    async def post_buy_offer(
        self, *, pr_id: str, subject: str, description: str, items: Sequence[Mapping[str, Any]],
        login_ids: Sequence[str], quotation_expires_at: datetime,
    ) -> str:
        """Send one inquiry to the named sellers (``caigou.api.buyoffer.postBuyoffer``); its id.

        ``pr_id`` is our RFQ id: an inquiry posted again with it is the same one (the simulator
        answers the first id; for the real platform the caller looks before posting again)."""
        params = {
            "prId": pr_id, "subject": subject, "description": description or subject,
            "gmtQuotationExpire": inquiries.platform_time(quotation_expires_at), "subBizType": "singlepurchase",
            "sourceMethodType": "selectedmysupplier", "selectedmysupplier": "true",
            "supplierLoginIds": list(login_ids), "includeTax": "true", "quoteHasPostFee": "true",
            "allowPartOffer": "false", "visibleAfterEndQuote": "false", "items": [dict(i) for i in items],
        }
        return await self._call(inquiries.POST_BUY_OFFER, params, inquiries.buy_offer_posted)

    async def list_quotations(self, buy_offer_id: str) -> list[inquiries.Quotation]:
        """Every quotation received so far (``caigou.api.quotation.buyerGetQuotationListByBuyOfferId``)."""
        return await self._call(inquiries.QUOTATION_LIST, {"buyOfferId": buy_offer_id}, inquiries.quotation_list)

    async def close_buy_offer(self, buy_offer_id: str, reason: str) -> None:
        """Stop taking quotations (``caigou.api.buyoffer.closeBuyOffer``)."""
        params = {"buyOfferId": buy_offer_id, "closeReason": "other", "closeDesc": reason[:100]}
        await self._call(inquiries.CLOSE_BUY_OFFER, params, inquiries.buy_offer_closed)


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


__all__ = [
    "AUTHORISATION_RETRY_AFTER",
    "DEFAULT_GATEWAY_URL",
    "MAX_CARGO_LINES",
    "Alibaba1688Client",
    "OnTokenRefreshed",
]
