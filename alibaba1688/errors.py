"""Typed errors of the 1688 client, and the one table that maps a reply's code to its class.

Every failure a caller can see is an :class:`Alibaba1688Error`. Each carries the API it came
from, the platform's code, whether retrying the same call can help (``retryable``), and whether
the platform may have acted although we saw no answer (``outcome_unknown``: a timeout after the
request left, a 5xx, an unreadable reply). Activities turn ``retryable`` into Temporal's retry
decision; ``outcome_unknown`` on a create or pay means "look the order up before trying again".

Messages never contain secrets: the client scrubs its app secret and tokens out of any text a
server sends back before an error is built, and never chains the httpx exception (whose request
object holds the signed form body).
"""

from __future__ import annotations

from typing import ClassVar


class Alibaba1688Error(Exception):
    """Base class of every error the client raises."""

    #: Whether repeating the same call can succeed. A class default, overridable per instance.
    retryable: bool = False
    default_code: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        api: str = "",
        code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable
        self.message = message
        self.api = api
        self.code = code if code is not None else self.default_code
        self.http_status = http_status
        self.request_id = request_id
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        where = f"{self.api}: " if self.api else ""
        code = f"[{self.code}] " if self.code else ""
        return f"{where}{code}{self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api={self.api!r}, code={self.code!r}, "
            f"message={self.message!r}, retryable={self.retryable})"
        )


# --- the gateway refused the call before any business logic ran ---------------------------


class GatewayError(Alibaba1688Error):
    """The gateway refused the call (``error_code`` in the body); nothing was executed."""


class AppKeyNotFoundError(GatewayError):
    default_code = "gw.AppKeyNotFound"


class SignatureError(GatewayError):
    """``gw.SignatureInvalid``: wrong secret, or the signed bytes differ from the sent ones."""

    default_code = "gw.SignatureInvalid"


class ApiUnsupportedError(GatewayError):
    """``gw.APIUnsupported``: wrong namespace, API name or version."""

    default_code = "gw.APIUnsupported"


class AclError(GatewayError):
    """``gw.APIACLDecline``: the app has not been granted this API."""

    default_code = "gw.APIACLDecline"


class ParamMissingError(GatewayError):
    default_code = "gw.ParamMissing"


class AuthError(GatewayError):
    """``401``: the access token is missing, expired or revoked (or refreshing it failed).

    When the platform refuses the refresh token itself, only a person can help: the message
    then starts with :data:`AUTHORISATION_EXPIRED` and the code is
    :data:`AUTHORISATION_EXPIRED_CODE`.
    """

    default_code = "401"


#: How an :class:`AuthError` starts when the refresh token was refused (dead, revoked): the
#: words ops search the worker log and the Web UI for.
AUTHORISATION_EXPIRED = "1688 authorisation expired: run `procure authorize`"
AUTHORISATION_EXPIRED_CODE = "authorisation_expired"


def authorisation_expired(api: str, why: str) -> AuthError:
    """The error for a call that cannot be made until someone authorises the app again."""
    return AuthError(
        f"{AUTHORISATION_EXPIRED} ({why})", api=api, code=AUTHORISATION_EXPIRED_CODE
    )


class ThrottledError(GatewayError):
    """The app or API call rate is over the platform's limit: back off ``retry_after`` seconds."""

    retryable = True
    default_code = "gw.QosAPIFrequencyLimit"
    default_delay: ClassVar[float] = 1.0

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        if self.retry_after is None:
            self.retry_after = self.default_delay


class QuotaExhaustedError(GatewayError):
    """``gw.NoUsageLeftError``: the paid call quota is used up; waiting seconds will not help."""

    default_code = "gw.NoUsageLeftError"


# --- the call did not complete, or its answer could not be read -----------------------------


class TransportError(Alibaba1688Error):
    """Connection refused, reset or timed out. ``outcome_unknown`` once the request had left."""

    retryable = True
    default_code = "transport"


class ServerError(Alibaba1688Error):
    """HTTP 5xx without a recognisable error code. The call may or may not have run."""

    retryable = True
    default_code = "http_5xx"


class MalformedReplyError(Alibaba1688Error):
    """A reply that is not what the API promises: not JSON, HTML, a missing field, a wrong type.

    A body that is not JSON at all (a proxy's error page, a truncated read) is retryable; JSON
    that breaks the API's schema is not, since asking again gives the same answer. The platform
    may have acted either way, so ``outcome_unknown`` is set: a write is looked up before it is
    repeated.
    """

    retryable = True
    default_code = "malformed_reply"


# --- the business logic answered "no" -------------------------------------------------------


class BusinessError(Alibaba1688Error):
    """The API ran and refused the request with a business code; repeating it will not help."""


class ProductOfflineError(BusinessError):
    """The offer (or the SKU spec asked for) does not exist, is expired, deleted or otherwise
    not purchasable (``500_001`` in order checks, ``OFFER_NOT_FOUND`` in product queries)."""


class OutOfStockError(BusinessError):
    default_code = "500_004"


class BelowMinimumOrderError(BusinessError):
    default_code = "500_005"


class MixedBatchNotMetError(BusinessError):
    """The supplier's mixed-batch rule (minimum amount or pieces across offers) is not met."""

    default_code = "500_006"


class OrderNotFoundError(BusinessError):
    default_code = "ORDER_NOT_EXIST"


class OrderStatusError(BusinessError):
    """The order is not in a state that allows this action (e.g. cancelling a paid order)."""

    default_code = "ORDER_STATUS_ERROR"


class CloseOrderTooFastError(BusinessError):
    """An order cannot be cancelled within about 10 seconds of its creation: try again later."""

    retryable = True
    default_code = "CLOSE_ORDER_TOO_FAST"

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        if self.retry_after is None:
            self.retry_after = 10.0


class NotPermittedError(BusinessError):
    """The authorised user is not the buyer of this order (or may not act on it)."""

    default_code = "400_3"


class NotShippedError(BusinessError):
    """``500_2``: the order has no logistics yet. The logistics methods turn it into a result."""

    default_code = "500_2"


class PaymentError(BusinessError):
    """Password-free payment refused (not signed, not enough balance, amount mismatch...)."""


# The platform's codes, exact and case-sensitive as they appear on the wire.
_BY_CODE: dict[str, type[Alibaba1688Error]] = {
    "gw.AppKeyNotFound": AppKeyNotFoundError,
    "gw.SignatureInvalid": SignatureError,
    "gw.APIUnsupported": ApiUnsupportedError,
    "gw.APIACLDecline": AclError,
    "gw.ParamMissing": ParamMissingError,
    "401": AuthError,
    "gw.QosAppFrequencyLimit": ThrottledError,
    "gw.QosAPIFrequencyLimit": ThrottledError,
    "gw.NoUsageLeftError": QuotaExhaustedError,
    "500_004": OutOfStockError,
    "500_005": BelowMinimumOrderError,
    "500_006": MixedBatchNotMetError,
    "500_2": NotShippedError,
    "ORDER_NOT_EXIST": OrderNotFoundError,
    "ORDER_NOT_FOUND": OrderNotFoundError,
    "ORDER_STATUS_ERROR": OrderStatusError,
    "CLOSE_ORDER_TOO_FAST": CloseOrderTooFastError,
    "400_3": NotPermittedError,
    "order.nopermission.buyer": NotPermittedError,
    "500_001": ProductOfflineError,
    "OFFER_NOT_FOUND": ProductOfflineError,
    "PAY_AMOUNT_MISMATCH": PaymentError,
    "PAY_REFUSED": PaymentError,
    "PROTOCOL_PAY_NOT_OPEN": PaymentError,
}


def error_class_for(
    code: str, *, gateway: bool = False, http_status: int | None = None
) -> type[Alibaba1688Error]:
    """The error class for a platform code; unknown codes are gateway or business errors.

    An unknown gateway code that comes with HTTP 5xx (``gw.ServiceUnavailable``...) is a
    :class:`ServerError`: the gateway itself is failing, and that passes.
    """
    known = _BY_CODE.get(code)
    if known is not None:
        return known
    if gateway or code.startswith("gw.") or code.startswith("isv."):
        return ServerError if http_status is not None and http_status >= 500 else GatewayError
    return BusinessError


def error_for(
    code: str,
    message: str,
    *,
    api: str,
    gateway: bool = False,
    http_status: int | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> Alibaba1688Error:
    """Build the typed error for a code found in a reply."""
    cls = error_class_for(code, gateway=gateway, http_status=http_status)
    return cls(
        message or code,
        api=api,
        code=code,
        http_status=http_status,
        request_id=request_id,
        retry_after=retry_after,
        outcome_unknown=cls is ServerError,
    )


__all__ = [
    "AUTHORISATION_EXPIRED",
    "AUTHORISATION_EXPIRED_CODE",
    "AclError",
    "Alibaba1688Error",
    "ApiUnsupportedError",
    "AppKeyNotFoundError",
    "AuthError",
    "BelowMinimumOrderError",
    "BusinessError",
    "CloseOrderTooFastError",
    "GatewayError",
    "MalformedReplyError",
    "MixedBatchNotMetError",
    "NotPermittedError",
    "NotShippedError",
    "OrderNotFoundError",
    "OrderStatusError",
    "OutOfStockError",
    "ParamMissingError",
    "PaymentError",
    "ProductOfflineError",
    "QuotaExhaustedError",
    "ServerError",
    "SignatureError",
    "ThrottledError",
    "TransportError",
    "authorisation_expired",
    "error_class_for",
    "error_for",
]
