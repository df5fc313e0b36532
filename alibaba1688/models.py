"""What callers give the client and get back from it: snake_case, yuan ``Decimal``, string ids.

These are the client's promises, independent of how each API happens to spell or scale a field
on the wire (see :mod:`alibaba1688.wire`): every amount here is ``Decimal`` yuan whether the API
sent fen integers or yuan strings, and every id (orders exceed 2^53) is a string.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inputs -------------------------------------------------------------------------------


class Address(_Model):
    """Where an order ships (``addressParam``). Text fields as the buyer would write them."""

    full_name: str = Field(min_length=1)
    mobile: str = Field(min_length=1)
    phone: str | None = None
    post_code: str | None = None
    province_text: str = Field(min_length=1)
    city_text: str = Field(min_length=1)
    area_text: str | None = None
    town_text: str | None = None
    address: str = Field(min_length=1)
    district_code: str | None = None
    address_id: str | None = None


class CargoLine(_Model):
    """One line of an order: an offer, its SKU spec (if the offer has SKUs) and a quantity."""

    offer_id: str = Field(min_length=1)
    spec_id: str | None = None
    quantity: int = Field(gt=0)


# --- search and product --------------------------------------------------------------------


class SellerData(_Model):
    """Seller figures carried by search rows and product detail (``sellerDataInfo``).

    Rates are fractions in 0..1, whatever unit the API wrote them in (``"11"`` percent in search
    rows, ``"0.4666"`` fraction in detail: see docs/1688-client.md, "Rate units").
    """

    tp_year: int | None = None
    """Years as a paying (诚信通) member; only search rows state it."""
    repeat_purchase_rate: Decimal | None = None
    trade_medal_level: str | None = None
    composite_service_score: Decimal | None = None
    logistics_experience_score: Decimal | None = None
    dispute_complaint_score: Decimal | None = None
    after_sales_experience_score: Decimal | None = None
    on_time_ship_rate: Decimal | None = None
    """48-hour pickup rate (``collect30DayWithin48HPercent``), a fraction."""
    dispute_rate: Decimal | None = None
    """30-day quality refund rate (``qualityRefundWithin30Day``), a fraction."""


class OfferSummary(_Model):
    """One row of a search page."""

    offer_id: str
    subject: str
    price: Decimal
    """Wholesale price in yuan (first tier)."""
    min_order_quantity: int | None = None
    repurchase_rate: Decimal | None = None
    month_sold: int | None = None
    image_url: str | None = None
    seller: SellerData | None = None
    seller_open_id: str | None = None
    """The seller, as the platform names it to this app (``sellerOpenId``, an encrypted id)."""


class SearchPage(_Model):
    offers: list[OfferSummary]
    total_records: int
    total_pages: int
    page: int
    page_size: int


class PriceTier(_Model):
    """From ``start_quantity`` pieces on, each piece costs ``price`` yuan."""

    start_quantity: int
    price: Decimal


class Sku(_Model):
    spec_id: str
    sku_id: str | None = None
    price: Decimal | None = None
    """Yuan; ``None`` when the offer is priced by quantity tiers only."""
    stock: int
    attributes: dict[str, str] = Field(default_factory=dict)


class MixBatchRule(_Model):
    """The seller's mixed-batch rule: an order across offers qualifies by amount or by pieces."""

    enabled: bool
    min_amount: Decimal | None = None
    min_quantity: int | None = None


class OfferDetail(_Model):
    offer_id: str
    subject: str
    status: str
    """``published`` is buyable; ``expired``, ``deleted`` and the rest are not."""
    category_id: str | None = None
    unit: str | None = None
    min_order_quantity: int
    quote_type: int | None = None
    """0 by quantity without SKUs, 1 by SKU price, 2 by quantity with SKUs."""
    price_tiers: list[PriceTier]
    skus: list[Sku]
    stock: int | None = None
    mix_batch: MixBatchRule | None = None
    seller_open_id: str | None = None
    """The seller (``sellerOpenId``); the detail names no member id."""
    company_name: str | None = None
    seller: SellerData | None = None
    description: str | None = None
    images: list[str] = []
    """``productImage.images``: URLs (the published sample holds a placeholder word; kept as sent)."""
    attributes: dict[str, str] = {}
    """``productAttribute``: name -> value (the first value of a repeated name)."""
    weight_grams: float | None = None
    """``productShippingInfo.weight``; the platform states no unit (docs/export.md)."""
    tax_rate: Decimal | None = None
    """VAT-invoice surcharge rate: the platform publishes none (``invoiceInfo`` only says which
    invoices the seller issues), so this stays ``None``; kept for callers that set it."""

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    def tier_price(self, quantity: int) -> Decimal | None:
        """The tier price for ``quantity`` pieces, or ``None`` below the first tier."""
        price = None
        for tier in sorted(self.price_tiers, key=lambda t: t.start_quantity):
            if quantity >= tier.start_quantity:
                price = tier.price
        return price

    def sku(self, spec_id: str) -> Sku | None:
        return next((sku for sku in self.skus if sku.spec_id == spec_id), None)


class FreightEstimate(_Model):
    offer_id: str
    freight: Decimal
    """Estimated freight for the whole quantity, yuan (0 when postage is free)."""
    free_postage: bool
    first_unit: Decimal | None = None
    first_fee: Decimal | None = None
    next_unit: Decimal | None = None
    next_fee: Decimal | None = None
    charge_type: str | None = None
    """0 by weight, 1 by pieces, 2 by volume."""


class SupplierProfile(_Model):
    """``alibaba.account.agent.crossBasic``: a seller's account by login id. The API states no
    member id, years or rates."""

    login_id: str
    company_name: str | None = None
    supplier_name: str | None = None
    category_name: str | None = None
    shop_url: str | None = None


class SellerProfile(_Model):
    """A seller known by its open id, put together from the APIs that describe it
    (:meth:`Alibaba1688Client.get_seller`): the login id behind the open id, the account
    (``crossBasic``), and the figures of one of its listings' detail. Rates are fractions."""

    open_id: str
    login_id: str | None = None
    company_name: str | None = None
    category_name: str | None = None
    repurchase_rate: Decimal | None = None
    on_time_ship_rate: Decimal | None = None
    """30-day 48-hour pickup rate (``collect30DayWithin48HPercent``)."""
    dispute_rate: Decimal | None = None
    """30-day quality refund rate (``qualityRefundWithin30Day``)."""
    years: int | None = None
    """Not stated by any of those APIs (search rows carry ``tpYear``): ``None`` here."""
    sample_offer_id: str | None = None
    """The listing whose detail gave the rates."""


# --- ordering -------------------------------------------------------------------------------


class PreviewLine(_Model):
    offer_id: str
    spec_id: str | None = None
    amount: Decimal | None = None
    unit_price: Decimal | None = None
    result_code: str | None = None
    message: str | None = None


class PreviewedOrder(_Model):
    """One order the platform would create (it splits automatically in some cases)."""

    sum_payment: Decimal
    """Total to pay, yuan (the API sends fen)."""
    sum_carriage: Decimal
    sum_payment_no_carriage: Decimal
    discount: Decimal = Decimal("0.00")
    """The reduction, yuan, positive (``discountFee``, fen)."""
    flow: str | None = None
    trade_modes: list[str] = Field(default_factory=list)
    lines: list[PreviewLine] = Field(default_factory=list)


class OrderPreview(_Model):
    orders: list[PreviewedOrder]

    @property
    def total_payment(self) -> Decimal:
        return sum((order.sum_payment for order in self.orders), Decimal("0.00"))

    @property
    def total_carriage(self) -> Decimal:
        return sum((order.sum_carriage for order in self.orders), Decimal("0.00"))


class FailedOffer(_Model):
    offer_id: str
    spec_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class CreatedPart(_Model):
    """One of the orders a create made. Amounts are yuan where the reply states them."""

    order_id: str
    total: Decimal | None = None
    post_fee: Decimal | None = None


class CreatedOrder(_Model):
    """What ``fastCreateOrder`` did. Lines in ``failed_offers`` were not ordered: a partial
    success is data, not an error.

    The platform may split one purchase into several orders (``multiOrders``): ``orders`` lists
    every order made, in the platform's order; ``order_id`` is the first one's (empty when
    nothing was ordered at all) and ``total_success_amount`` is for all of them.
    """

    order_id: str
    total_success_amount: Decimal
    """Yuan (the API sends fen), every order together."""
    post_fee: Decimal | None = None
    """Freight of the single order; ``None`` after a split (each part states its own, if any)."""
    failed_offers: list[FailedOffer] = Field(default_factory=list)
    orders: list[CreatedPart] = Field(default_factory=list)

    @property
    def is_partial(self) -> bool:
        return bool(self.failed_offers)

    @property
    def is_split(self) -> bool:
        return len(self.orders) > 1


OrderStatus = Literal[
    "waitbuyerpay",
    "waitsellersend",
    "waitbuyerreceive",
    "confirm_goods",
    "success",
    "cancel",
    "terminated",
]


class OrderLine(_Model):
    entry_id: str
    """The sub-order id (``subItemID``) that confirm-receipt and refunds name."""
    offer_id: str | None = None
    spec_id: str | None = None
    sku_id: str | None = None
    name: str | None = None
    quantity: Decimal
    price: Decimal | None = None
    amount: Decimal | None = None
    status: str | None = None


class Order(_Model):
    """An order as the buyer sees it (amounts in yuan)."""

    order_id: str
    status: str
    """One of :data:`OrderStatus` on the real platform; kept open for new values."""
    total_amount: Decimal
    shipping_fee: Decimal | None = None
    discount: Decimal | None = None
    """The reduction, yuan, positive (the order list sends it in fen, negative)."""
    out_order_id: str | None = None
    seller_member_id: str | None = None
    seller_login_id: str | None = None
    created_at: datetime | None = None
    paid_at: datetime | None = None
    refund_status: str | None = None
    refunded: Decimal | None = None
    """Yuan refunded so far (``baseInfo.refund``)."""
    lines: list[OrderLine] = Field(default_factory=list)

    @property
    def is_paid(self) -> bool:
        return self.status in ("waitsellersend", "waitbuyerreceive", "confirm_goods", "success")


class OrderPage(_Model):
    """Orders from ``getBuyerOrderList``, newest first; ``total`` counts every page."""

    orders: list[Order]
    total: int


class PayResult(_Model):
    order_id: str
    pay_success: bool
    """``False`` after a timeout can still mean charged: re-read the order before paying again."""
    pay_channel: str | None = None


# --- logistics, receipt, refunds ----------------------------------------------------------


class Shipment(_Model):
    logistics_id: str
    bill_no: str | None = None
    company_name: str | None = None
    status: str | None = None
    """WAITACCEPT, ACCEPT, TRANSPORT, SIGN..."""
    order_entry_ids: list[str] = Field(default_factory=list)


class LogisticsInfo(_Model):
    """``shipped`` is ``False`` (and ``shipments`` empty) before the seller ships (``500_2``)."""

    order_id: str
    shipped: bool
    shipments: list[Shipment] = Field(default_factory=list)


class TraceStep(_Model):
    accepted_at: datetime | None = None
    remark: str


class ShipmentTrace(_Model):
    logistics_id: str | None = None
    bill_no: str | None = None
    steps: list[TraceStep] = Field(default_factory=list)


class LogisticsTrace(_Model):
    """``shipped`` is ``False`` (and ``shipments`` empty) before the seller ships (``500_2``).
    A shipped order whose courier has reported nothing yet has no ``shipments`` (the API's
    ``404`` "no tracking information")."""

    order_id: str
    shipped: bool
    shipments: list[ShipmentTrace] = Field(default_factory=list)


class RefundReason(_Model):
    reason_id: str
    name: str
    need_voucher: bool | None = None


class CreatedRefund(_Model):
    refund_id: str


RefundStatus = Literal[
    "waitselleragree",
    "waitbuyermodify",
    "waitbuyersend",
    "waitsellerreceive",
    "refundsuccess",
    "refundclose",
]
"""A refund's status on 1688, lower-case: waiting for the seller; refused by the seller and waiting
for the buyer to change it; waiting for the buyer to send the goods back; waiting for the seller
to receive them; refunded; closed without (further) money."""

OPEN_REFUND_STATUSES: frozenset[str] = frozenset(
    {"waitselleragree", "waitbuyermodify", "waitbuyersend", "waitsellerreceive"}
)


class RefundView(_Model):
    """One refund request (``TQ...``) as the buyer sees it; amounts in yuan, ids as strings."""

    refund_id: str
    order_id: str
    status: RefundStatus
    entry_ids: list[str] = Field(default_factory=list)
    """The order entries (sub-orders) the refund is for."""
    entry_counts: dict[str, int] = Field(default_factory=dict)
    """Pieces per entry to return, where the platform says."""
    apply_payment: Decimal = Decimal("0.00")
    apply_carriage: Decimal = Decimal("0.00")
    refund_payment: Decimal = Decimal("0.00")
    """What the platform reports as refunded for the goods (counts only at ``refundsuccess``)."""
    refund_carriage: Decimal = Decimal("0.00")
    apply_reason: str | None = None
    reject_reason: str | None = None
    """The seller's reason for refusing, when it refused."""
    reject_times: int = 0
    refund_goods: bool | None = None
    """Whether the request includes sending the goods back."""
    buyer_sent_goods: bool | None = None
    freight_bill: str | None = None
    """The return parcel's waybill number, once the buyer sent the goods back."""
    seller_receive_address: str | None = None
    """Where the seller wants the goods returned (name, phone and address as one text)."""
    seller_member_id: str | None = None
    applied_at: datetime | None = None
    modified_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Still in progress: the platform refuses another request for the same entries."""
        return self.status in OPEN_REFUND_STATUSES

    @property
    def applied(self) -> Decimal:
        return self.apply_payment + self.apply_carriage

    @property
    def refunded(self) -> Decimal:
        """Money back: the refunded amounts once the refund succeeded, else nothing."""
        if self.status != "refundsuccess":
            return Decimal("0.00")
        return self.refund_payment + self.refund_carriage

    @property
    def refused_by_seller(self) -> bool:
        return self.reject_times > 0 or bool(self.reject_reason)


class RefundPage(_Model):
    """One page of ``queryOrderRefundList``; ``total`` counts every page."""

    refunds: list[RefundView]
    total: int
    page: int | None = None
