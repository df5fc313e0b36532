"""The real 1688 APIs this project calls (1688-PROTOCOL.md, section 5), by namespace and name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Api:
    """One API of the open platform. ``path`` is the signed URL path without the appKey."""

    namespace: str
    name: str
    version: int = 1
    protocol: str = "param2"

    @property
    def path(self) -> str:
        return f"{self.protocol}/{self.version}/{self.namespace}/{self.name}"

    def url_path(self, app_key: str) -> str:
        """``param2/1/{namespace}/{name}/{appKey}``: what is signed and appended to the gateway."""
        return f"{self.path}/{app_key}"

    @property
    def signed(self) -> bool:
        """``http/1`` calls (the code exchange) are sent unsigned, as the platform asks."""
        return self.protocol != "http"

    @property
    def key(self) -> str:
        """``namespace:name``, the name used in errors and audit records."""
        return f"{self.namespace}:{self.name}"

    def __str__(self) -> str:
        return self.key


_CROSSBORDER = "com.alibaba.fenxiao.crossborder"
_TRADE = "com.alibaba.trade"
_LOGISTICS = "com.alibaba.logistics"

SEARCH_OFFERS = Api(_CROSSBORDER, "product.search.keywordQuery")
OFFER_DETAIL = Api(_CROSSBORDER, "product.search.queryProductDetail")
ESTIMATE_FREIGHT = Api(_CROSSBORDER, "product.freight.estimate")
SELLER_OFFERS = Api(_CROSSBORDER, "product.search.querySellerOfferList")
SUPPLIER_PROFILE = Api("com.alibaba.account", "alibaba.account.agent.crossBasic")
# The login name behind a seller's open id. The platform risk-controls it (no automated bulk
# use): the client calls it once per seller, and the worker caches what it learns.
OPEN_UID_DECRYPT = Api("com.alibaba.account", "wangwangnick.openuid.decrypt")
PREVIEW_ORDER = Api(_TRADE, "alibaba.createOrder.preview")
CREATE_ORDER = Api(_TRADE, "alibaba.trade.fastCreateOrder")
GET_ORDER = Api(_TRADE, "alibaba.trade.get.buyerView")
LIST_ORDERS = Api(_TRADE, "alibaba.trade.getBuyerOrderList")
PROTOCOL_PAY_IS_OPEN = Api(_TRADE, "alibaba.trade.pay.protocolPay.isopen")
PREPARE_PAY = Api(_TRADE, "alibaba.trade.pay.protocolPay.preparePay")
PAYMENT_URL = Api(_TRADE, "alibaba.alipay.url.get")
LOGISTICS_INFO = Api(_LOGISTICS, "alibaba.trade.getLogisticsInfos.buyerView")
LOGISTICS_TRACE = Api(_LOGISTICS, "alibaba.trade.getLogisticsTraceInfo.buyerView")
CONFIRM_RECEIPT = Api(_TRADE, "trade.receivegoods.confirm")
REFUND_REASONS = Api(_TRADE, "alibaba.trade.getRefundReasonList")
CREATE_REFUND = Api(_TRADE, "alibaba.trade.createRefund")
LIST_REFUNDS = Api(_TRADE, "alibaba.trade.refund.buyer.queryOrderRefundList")
GET_REFUND = Api(_TRADE, "alibaba.trade.refund.OpQueryOrderRefund")
RETURN_GOODS = Api(_TRADE, "alibaba.trade.refund.returnGoods")
CANCEL_ORDER = Api(_TRADE, "alibaba.trade.cancel")
REFRESH_TOKEN = Api("system.oauth2", "getToken")
# The same API over `http/1`, unsigned: an authorisation code exchanged for the first tokens.
EXCHANGE_CODE = Api("system.oauth2", "getToken", protocol="http")
