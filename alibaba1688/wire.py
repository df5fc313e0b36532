"""The reply payloads as 1688 sends them (camelCase, mixed units), validated strictly enough that a
reply which is not what the API promises fails here, as a ``ValidationError`` the transport turns
into :class:`~alibaba1688.errors.MalformedReplyError`.

Only the fields the client reads are declared; the rest are ignored. Conversion to the public
models (yuan, snake_case, string ids) happens in :mod:`alibaba1688.replies`, one reader per API.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .tokens import parse_platform_time

BEIJING = timezone(timedelta(hours=8))
CENT = Decimal("0.01")


def _id_text(value: Any) -> Any:
    """Ids arrive as JSON numbers or strings; they are kept as exact strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _decimal(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value  # left for pydantic to reject
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value[:20]!r}") from None
    return value


def _optional_decimal(value: Any) -> Any:
    return None if value == "" else _decimal(value)


def _fen(value: Any) -> Any:
    """Integer cents; tolerate ``"235000"`` and ``235000.0`` but never a fraction of a fen."""
    if isinstance(value, bool):
        raise ValueError("an amount in fen cannot be a boolean")
    if isinstance(value, str | Decimal):
        amount = _decimal(value)
        if amount != amount.to_integral_value():
            raise ValueError("an amount in fen must be whole")
        return int(amount)
    return value


def _rate_number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    number = _decimal(value.strip() if isinstance(value, str) else value)
    if not isinstance(number, Decimal):
        raise ValueError(f"not a rate: {value!r}")
    return number


def _percent(value: Any) -> Any:
    """A rate the API writes in percent: ``"11"`` or ``"11%"`` -> 0.11.

    The unit is the field's, from the API's documentation (docs/1688-client.md, "Rate units"),
    never guessed from the value: a percent above 100 is not a rate, and fails the reply.
    """
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    number = _rate_number(value)
    if number is None:
        return None
    if not 0 <= number <= 100:
        raise ValueError(f"a percent must be within 0..100, got {number}")
    return number / 100


def _fraction(value: Any) -> Any:
    """A rate the API writes as a fraction: ``"0.4666"`` -> 0.4666 (never rescaled)."""
    number = _rate_number(value)
    if number is None:
        return None
    if not 0 <= number <= 1:
        raise ValueError(f"a fraction must be within 0..1, got {number}")
    return number


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _text(value: Any) -> Any:
    """Optional text: empty strings mean "absent"; numbers (codes like 200) become text."""
    if value == "":
        return None
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


def _platform_time(value: Any) -> Any:
    """``20260526090000000+0800`` (order detail) or ``2026-05-27 09:00:00`` (logistics, Beijing)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_platform_time(value)
        if parsed is not None:
            return parsed
        try:
            return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        except ValueError:
            raise ValueError(f"not a platform time: {value[:30]!r}") from None
    return value


IdText = Annotated[str, BeforeValidator(_id_text)]
Yuan = Annotated[Decimal, BeforeValidator(_decimal)]
OptYuan = Annotated[Decimal | None, BeforeValidator(_optional_decimal)]
Fen = Annotated[int, BeforeValidator(_fen)]
Percent = Annotated[Decimal | None, BeforeValidator(_percent)]
Fraction = Annotated[Decimal | None, BeforeValidator(_fraction)]
Flag = Annotated[bool, BeforeValidator(_flag)]
OptText = Annotated[str | None, BeforeValidator(_text)]
PlatformTime = Annotated[datetime | None, BeforeValidator(_platform_time)]


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)


def yuan_to_fen(yuan: Decimal) -> int:
    """Yuan to whole fen; refuses sub-fen amounts rather than silently rounding money."""
    fen = Decimal(yuan) * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{yuan} yuan is not a whole number of fen")
    return int(fen)


class Wire(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


# --- products -------------------------------------------------------------------------------


class _SellerScores(Wire):
    trade_medal_level: OptText = None
    composite_service_score: OptYuan = None
    logistics_experience_score: OptYuan = None
    dispute_complaint_score: OptYuan = None
    after_sales_experience_score: OptYuan = None


class SearchSellerData(_SellerScores):
    """``sellerDataInfo`` of a keyword-search row (``SellerDataInfoV1``): the only place the
    platform states the seller's years; ``repeatPurchasePercent`` is in percent ("11")."""

    tp_year: int | None = None
    repeat_purchase_percent: Percent = None


class DetailSellerData(_SellerScores):
    """``sellerDataInfo`` of a product detail (``SellerDataInfo``): no years;
    ``repeatPurchasePercent`` is a fraction ("0.4666"), the 30-day rates are percent ("1", "2")."""

    repeat_purchase_percent: Fraction = None
    # 48-hour pickup rate and 30-day quality refund rate: the platform's closest figures to
    # "ships on time" and "disputes", which a buyer's supplier policy sets thresholds on.
    collect30_day_within48_h_percent: Percent = None
    quality_refund_within30_day: Percent = None


class PriceInfo(Wire):
    price: Yuan


class SearchRow(Wire):
    offer_id: IdText
    subject: str
    price_info: PriceInfo
    min_order_quantity: int | None = None
    month_sold: int | None = None
    repurchase_rate: Percent = None  # "10%"
    image_url: OptText = None
    seller_data_info: SearchSellerData | None = None
    # The only seller identity a row carries (an app-specific, encrypted id).
    seller_open_id: OptText = None


class SearchResult(Wire):
    total_records: int
    total_page: int
    page_size: int
    current_page: int
    data: list[SearchRow] = Field(default_factory=list)


class PriceRange(Wire):
    start_quantity: int
    price: Yuan


class UnitInfo(Wire):
    unit: OptText = None


class SaleInfo(Wire):
    amount_on_sale: int | None = None
    quote_type: int | None = None
    price_range_list: list[PriceRange] = Field(default_factory=list)
    unit_info: UnitInfo | None = None


class SkuAttribute(Wire):
    attribute_name: str
    value: str


class SkuInfo(Wire):
    sku_id: IdText | None = None
    spec_id: str
    price: OptYuan = None
    amount_on_sale: int
    sku_attributes: list[SkuAttribute] = Field(default_factory=list)


class SellerMixSetting(Wire):
    general_hunpi: Flag
    mix_amount: OptYuan = None
    mix_number: int | None = None


class ProductImage(Wire):
    images: list[str] = Field(default_factory=list)
    white_image: OptText = None


class ProductAttribute(Wire):
    attribute_name: OptText = None
    value: OptText = None


class ShippingInfo(Wire):
    # The published sample gives 200.0 with a 1 x 2 x 3 size and states no unit; read as grams
    # (docs/export.md says so, and the export refuses a weight it cannot read).
    weight: float | None = None


class ProductDetail(Wire):
    offer_id: IdText
    subject: str
    status: str
    category_id: IdText | None = None
    min_order_quantity: int
    product_sale_info: SaleInfo
    product_sku_infos: list[SkuInfo] = Field(default_factory=list)
    seller_mix_setting: SellerMixSetting | None = None
    seller_open_id: OptText = None
    company_name: OptText = None
    seller_data_info: DetailSellerData | None = None
    description: OptText = None
    product_image: ProductImage | None = None
    product_attribute: list[ProductAttribute] = Field(default_factory=list)
    product_shipping_info: ShippingInfo | None = None


class FreightResult(Wire):
    offer_id: IdText
    freight: Yuan
    free_postage: Flag = False
    first_unit: OptYuan = None
    first_fee: OptYuan = None
    next_unit: OptYuan = None
    next_fee: OptYuan = None
    charge_type: OptText = None


class CrossBasic(Wire):
    """``alibaba.account.simpleAccountInfo``: who a seller is, by login id; no member id, no
    figures (years and rates come from search rows and product detail)."""

    login_id: OptText = None
    company_name: OptText = None
    supplier_name: OptText = None
    category_name: OptText = None
    shop_url: OptText = None


class CrossBasicReply(Wire):
    result: CrossBasic


class OpenUidDecrypted(Wire):
    wangwang_nick: str = Field(min_length=1)


# --- orders ---------------------------------------------------------------------------------


class PreviewCargo(Wire):
    offer_id: IdText
    spec_id: OptText = None
    amount: OptYuan = None
    final_unit_price: OptYuan = None
    result_code: OptText = None
    message: OptText = None


class PreviewResult(Wire):
    sum_payment: Fen
    sum_carriage: Fen
    sum_payment_no_carriage: Fen
    discount_fee: Fen | None = None  # fen, positive for a reduction
    flow_flag: OptText = None
    trade_mode_name_list: list[str] | None = None
    cargo_list: list[PreviewCargo] | None = None


class PreviewReply(Wire):
    # The real field name is misspelt; the simulator keeps the spelling.
    order_preview_resuslt: list[PreviewResult] = Field(min_length=1)


class FailedOfferWire(Wire):
    offer_id: IdText
    spec_id: OptText = None
    error_code: OptText = None
    error_message: OptText = None


def _empty_fen(value: Any) -> Any:
    return None if value == "" else _fen(value)


OptFen = Annotated[int | None, BeforeValidator(_empty_fen)]


class MultiOrder(Wire):
    """One element of ``multiOrders``. The SDKs type the list as a bare object; the id is read
    from ``orderId`` (text or number) and the amounts, when present, in fen."""

    order_id: IdText
    total_success_amount: OptFen = None
    post_fee: OptFen = None


class CreateResult(Wire):
    # Empty when the platform split the purchase: the ids are in multiOrders then.
    order_id: OptText = None
    total_success_amount: Fen
    post_fee: OptFen = None
    failed_offer_list: list[FailedOfferWire] | None = None
    multi_orders: list[MultiOrder] | None = None


class CreateReply(Wire):
    result: CreateResult


class BaseInfo(Wire):
    id: IdText
    id_of_str: OptText = None
    status: str
    total_amount: Yuan
    shipping_fee: OptYuan = None
    discount: Fen | None = None  # fen, negative for a reduction
    out_order_id: OptText = None
    seller_id: OptText = Field(default=None, alias="sellerID")
    seller_login_id: OptText = None
    create_time: PlatformTime = None
    pay_time: PlatformTime = None
    refund_status: OptText = None
    refund: OptYuan = None  # yuan refunded so far


class ProductItem(Wire):
    sub_item_id: IdText = Field(alias="subItemID")
    sub_item_id_string: OptText = Field(default=None, alias="subItemIDString")
    product_id: IdText | None = Field(default=None, alias="productID")
    sku_id: IdText | None = Field(default=None, alias="skuID")
    spec_id: OptText = None
    name: OptText = None
    quantity: Yuan
    price: OptYuan = None
    item_amount: OptYuan = None
    status: OptText = None


class OrderView(Wire):
    base_info: BaseInfo
    product_items: list[ProductItem] | None = None


class OrderViewReply(Wire):
    result: OrderView


class OrderList(Wire):
    result: list[OrderView] | None = None
    total_record: int | None = None


class PaymentAgreement(Wire):
    pay_channel: OptText = None
    binding_status: Flag = False
    signed_status: Flag = False


class ProtocolPayInfo(Wire):
    payment_agreements: list[PaymentAgreement] | None = None


class PreparePayResult(Wire):
    pay_channel: OptText = None
    pay_success: Flag


class PayUrlReply(Wire):
    pay_url: str = Field(min_length=1)


# --- logistics and after-sale -------------------------------------------------------------


class LogisticsOrder(Wire):
    logistics_id: IdText
    logistics_bill_no: OptText = None
    order_entry_ids: OptText = None
    status: OptText = None
    logistics_company_name: OptText = None


class LogisticsInfosReply(Wire):
    result: list[LogisticsOrder] | None = None


class LogisticsStep(Wire):
    accept_time: PlatformTime = None
    remark: str


class LogisticsTraceWire(Wire):
    logistics_id: OptText = None
    logistics_bill_no: OptText = None
    logistics_steps: list[LogisticsStep] | None = None


class LogisticsTraceReply(Wire):
    logistics_trace: list[LogisticsTraceWire] | None = None


class RefundReasonWire(Wire):
    id: IdText
    name: str
    need_voucher: Flag | None = None


class RefundReasons(Wire):
    reasons: list[RefundReasonWire] | None = None


class RefundCreated(Wire):
    refund_id: IdText


REFUND_STATUSES = frozenset(
    {"waitselleragree", "waitbuyermodify", "waitbuyersend", "waitsellerreceive", "refundsuccess", "refundclose"}
)


def _refund_status(value: Any) -> Any:
    """One of the six statuses the refund APIs document, lower-cased; anything else is not a refund
    status we can act on (a guess could file a second refund or give up on the money)."""
    if isinstance(value, str):
        status = value.strip().lower()
        if status not in REFUND_STATUSES:
            raise ValueError(f"not a refund status: {value[:30]!r}")
        return status
    return value


RefundStatusText = Annotated[str, BeforeValidator(_refund_status)]


class RefundModel(Wire):
    """``alibaba.trade.refund.OpOrderRefundModel``: the list's rows and the detail's payload."""

    refund_id: IdText
    order_id: IdText
    status: RefundStatusText
    order_entry_id_list: list[IdText] | None = None
    order_entry_count_map: dict[str, int] | None = None
    apply_payment: Fen | None = None  # fen, goods
    apply_carriage: Fen | None = None  # fen
    refund_payment: Fen | None = None  # fen actually refunded
    refund_carriage: Fen | None = None
    apply_reason: OptText = None
    reject_reason: OptText = None
    reject_reason_id: int | None = None
    reject_times: int | None = None
    # The published samples spell the flags both ways ("refundGoods", "isRefundGoods").
    refund_goods: Flag | None = Field(default=None, validation_alias=AliasChoices("refundGoods", "isRefundGoods"))
    buyer_send_goods: Flag | None = None
    goods_status: int | None = None
    freight_bill: OptText = None
    seller_receive_address: OptText = None
    seller_real_name: OptText = None
    seller_mobile: OptText = None
    seller_member_id: OptText = None
    gmt_apply: PlatformTime = None
    gmt_modified: PlatformTime = None
    gmt_completed: PlatformTime = None


class RefundList(Wire):
    # Required: a page that says nothing about its size is not "no refunds" (read that way, the
    # look-up before a second createRefund would file one twice).
    total_count: int
    op_order_refund_models: list[RefundModel] | None = None
    current_page_num: int | None = None


class RefundListReply(Wire):
    result: RefundList


class RefundDetail(Wire):
    op_order_refund_model_detail: RefundModel


class RefundDetailReply(Wire):
    result: RefundDetail
