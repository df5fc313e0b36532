"""One reader per API: a decoded reply body in, the public model out (or a typed error).

Each reader picks the API's envelope (:mod:`envelope`), validates the payload against its wire
model (:mod:`wire`) and converts units and names. A ``ValidationError`` raised here becomes a
:class:`~alibaba1688.errors.MalformedReplyError` in the transport, with the API's name on it.
"""

from __future__ import annotations

from typing import Any

from . import apis, models, wire
from .envelope import malformed, unwrap_nested, unwrap_top_level
from .errors import BusinessError, NotShippedError, error_for
from .transport import Reader


def _seller(data: wire.SearchSellerData | wire.DetailSellerData | None) -> models.SellerData | None:
    if data is None:
        return None
    detail = isinstance(data, wire.DetailSellerData)
    return models.SellerData(
        tp_year=None if detail else data.tp_year,  # type: ignore[union-attr]
        repeat_purchase_rate=data.repeat_purchase_percent,
        trade_medal_level=data.trade_medal_level,
        composite_service_score=data.composite_service_score,
        logistics_experience_score=data.logistics_experience_score,
        dispute_complaint_score=data.dispute_complaint_score,
        after_sales_experience_score=data.after_sales_experience_score,
        on_time_ship_rate=data.collect30_day_within48_h_percent if detail else None,  # type: ignore[union-attr]
        dispute_rate=data.quality_refund_within30_day if detail else None,  # type: ignore[union-attr]
    )


def _payload(api: apis.Api, value: Any, status: int) -> Any:
    if value is None:
        raise malformed(api.key, "the reply carries no result", status)
    return value


# --- products -------------------------------------------------------------------------------


def search_page(body: Any, status: int, api: apis.Api = apis.SEARCH_OFFERS) -> models.SearchPage:
    page = wire.SearchResult.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    return models.SearchPage(
        offers=[
            models.OfferSummary(
                offer_id=row.offer_id,
                subject=row.subject,
                price=row.price_info.price,
                min_order_quantity=row.min_order_quantity,
                repurchase_rate=row.repurchase_rate,
                month_sold=row.month_sold,
                image_url=row.image_url,
                seller=_seller(row.seller_data_info),
                seller_open_id=row.seller_open_id,
            )
            for row in page.data
        ],
        total_records=page.total_records,
        total_pages=page.total_page,
        page=page.current_page,
        page_size=page.page_size,
    )


def offer_detail(body: Any, status: int) -> models.OfferDetail:
    api = apis.OFFER_DETAIL
    detail = wire.ProductDetail.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    sale = detail.product_sale_info
    mix = detail.seller_mix_setting
    return models.OfferDetail(
        offer_id=detail.offer_id,
        subject=detail.subject,
        status=detail.status,
        category_id=detail.category_id,
        unit=sale.unit_info.unit if sale.unit_info else None,
        min_order_quantity=detail.min_order_quantity,
        quote_type=sale.quote_type,
        price_tiers=[
            models.PriceTier(start_quantity=tier.start_quantity, price=tier.price)
            for tier in sale.price_range_list
        ],
        skus=[
            models.Sku(
                spec_id=sku.spec_id,
                sku_id=sku.sku_id,
                price=sku.price,
                stock=sku.amount_on_sale,
                attributes={attr.attribute_name: attr.value for attr in sku.sku_attributes},
            )
            for sku in detail.product_sku_infos
        ],
        stock=sale.amount_on_sale,
        mix_batch=(
            models.MixBatchRule(
                enabled=mix.general_hunpi, min_amount=mix.mix_amount, min_quantity=mix.mix_number
            )
            if mix is not None
            else None
        ),
        seller_open_id=detail.seller_open_id,
        company_name=detail.company_name,
        seller=_seller(detail.seller_data_info),
        description=detail.description,
        images=_images(detail.product_image),
        attributes=_attributes(detail.product_attribute),
        weight_grams=detail.product_shipping_info.weight if detail.product_shipping_info else None,
    )


def _images(image: wire.ProductImage | None) -> list[str]:
    """The gallery, then the white-background image (marketplaces like one as a main image)."""
    if image is None:
        return []
    urls = [url for url in image.images if url]
    if image.white_image and image.white_image not in urls:
        urls.append(image.white_image)
    return urls


def _attributes(rows: list[wire.ProductAttribute]) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in rows:
        if row.attribute_name and row.value and row.attribute_name not in found:
            found[row.attribute_name] = row.value
    return found


def freight_estimate(body: Any, status: int) -> models.FreightEstimate:
    api = apis.ESTIMATE_FREIGHT
    result = wire.FreightResult.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    return models.FreightEstimate(
        offer_id=result.offer_id,
        freight=result.freight,
        free_postage=result.free_postage,
        first_unit=result.first_unit,
        first_fee=result.first_fee,
        next_unit=result.next_unit,
        next_fee=result.next_fee,
        charge_type=result.charge_type,
    )


def seller_offers(body: Any, status: int) -> models.SearchPage:
    """``product.search.querySellerOfferList``: the keyword search's page shape, rows without
    seller figures."""
    return search_page(body, status, apis.SELLER_OFFERS)


def supplier_profile(body: Any, status: int) -> models.SupplierProfile:
    api = apis.SUPPLIER_PROFILE
    basic = wire.CrossBasicReply.model_validate(unwrap_top_level(api.key, body, status)).result
    if basic.login_id is None:
        raise malformed(api.key, "the profile names no loginId", status)
    return models.SupplierProfile(
        login_id=basic.login_id,
        company_name=basic.company_name,
        supplier_name=basic.supplier_name,
        category_name=basic.category_name,
        shop_url=basic.shop_url,
    )


def open_uid_login(body: Any, status: int) -> str:
    """``wangwangnick.openuid.decrypt``: ``{"wangwangNick": ...}``, the seller's login name."""
    api = apis.OPEN_UID_DECRYPT
    return wire.OpenUidDecrypted.model_validate(unwrap_top_level(api.key, body, status)).wangwang_nick


# --- orders ---------------------------------------------------------------------------------


def order_preview(body: Any, status: int) -> models.OrderPreview:
    api = apis.PREVIEW_ORDER
    reply = wire.PreviewReply.model_validate(unwrap_top_level(api.key, body, status))
    return models.OrderPreview(
        orders=[
            models.PreviewedOrder(
                sum_payment=wire.fen_to_yuan(result.sum_payment),
                sum_carriage=wire.fen_to_yuan(result.sum_carriage),
                sum_payment_no_carriage=wire.fen_to_yuan(result.sum_payment_no_carriage),
                discount=wire.fen_to_yuan(result.discount_fee or 0),
                flow=result.flow_flag,
                trade_modes=list(result.trade_mode_name_list or []),
                lines=[
                    models.PreviewLine(
                        offer_id=cargo.offer_id,
                        spec_id=cargo.spec_id,
                        amount=cargo.amount,
                        unit_price=cargo.final_unit_price,
                        result_code=cargo.result_code,
                        message=cargo.message,
                    )
                    for cargo in result.cargo_list or []
                ],
            )
            for result in reply.order_preview_resuslt
        ]
    )


# Codes a create reply may carry in code/message that do not mean a refusal.
_NOT_AN_ERROR = ("", "200", "0", "success", "SUCCESS")


def created_order(body: Any, status: int) -> models.CreatedOrder:
    """``fastCreateOrder``: ``{"success", "result": {orderId | multiOrders, ...}}``.

    Refusals come as ``errorCode``/``errorMessage`` (the API page) or as ``code``/``message``
    (the SDKs' result model), at the top or inside ``result``; both are mapped. After a split
    ``orderId`` and ``postFee`` are empty and the orders are in ``multiOrders``.
    """
    api = apis.CREATE_ORDER
    outer = unwrap_top_level(api.key, body, status)
    inner = outer.get("result")
    for container in (outer, inner if isinstance(inner, dict) else {}):
        code = container.get("code")
        if code not in (None, *_NOT_AN_ERROR) and not _has_order(container):
            message = container.get("message") or container.get("errorMessage") or ""
            raise error_for(str(code), str(message), api=api.key, http_status=status)
    if isinstance(inner, dict):
        # The create result repeats {success, code, message} inside "result".
        unwrap_top_level(api.key, inner, status)
    result = wire.CreateReply.model_validate(outer).result
    if result.multi_orders:
        parts = [
            models.CreatedPart(
                order_id=part.order_id,
                total=wire.fen_to_yuan(part.total_success_amount) if part.total_success_amount is not None else None,
                post_fee=wire.fen_to_yuan(part.post_fee) if part.post_fee is not None else None,
            )
            for part in result.multi_orders
        ]
    elif result.order_id:
        parts = [
            models.CreatedPart(
                order_id=result.order_id,
                total=wire.fen_to_yuan(result.total_success_amount),
                post_fee=wire.fen_to_yuan(result.post_fee) if result.post_fee is not None else None,
            )
        ]
    elif result.total_success_amount > 0:
        raise malformed(api.key, "the create reply charges an amount but names no order", status)
    else:
        parts = []
    return models.CreatedOrder(
        order_id=parts[0].order_id if parts else "",
        total_success_amount=wire.fen_to_yuan(result.total_success_amount),
        post_fee=wire.fen_to_yuan(result.post_fee)
        if result.post_fee is not None and not result.multi_orders
        else None,
        failed_offers=[
            models.FailedOffer(
                offer_id=failed.offer_id,
                spec_id=failed.spec_id,
                error_code=failed.error_code,
                error_message=failed.error_message,
            )
            for failed in result.failed_offer_list or []
        ],
        orders=parts,
    )


def _has_order(container: dict[str, Any]) -> bool:
    return bool(container.get("orderId") or container.get("multiOrders"))


def _order(view: wire.OrderView) -> models.Order:
    base = view.base_info
    return models.Order(
        order_id=base.id_of_str or base.id,
        status=base.status,
        total_amount=base.total_amount,
        shipping_fee=base.shipping_fee,
        # The list and detail write a reduction as negative fen; ours is a positive amount off.
        discount=wire.fen_to_yuan(-base.discount) if base.discount is not None else None,
        out_order_id=base.out_order_id,
        seller_member_id=base.seller_id,
        seller_login_id=base.seller_login_id,
        created_at=base.create_time,
        paid_at=base.pay_time,
        refund_status=base.refund_status,
        refunded=base.refund,
        lines=[
            models.OrderLine(
                entry_id=item.sub_item_id_string or item.sub_item_id,
                offer_id=item.product_id,
                spec_id=item.spec_id,
                sku_id=item.sku_id,
                name=item.name,
                quantity=item.quantity,
                price=item.price,
                amount=item.item_amount,
                status=item.status,
            )
            for item in view.product_items or []
        ],
    )


def order(body: Any, status: int) -> models.Order:
    api = apis.GET_ORDER
    reply = wire.OrderViewReply.model_validate(unwrap_top_level(api.key, body, status))
    return _order(reply.result)


def order_page(body: Any, status: int) -> models.OrderPage:
    api = apis.LIST_ORDERS
    listing = wire.OrderList.model_validate(unwrap_top_level(api.key, body, status))
    if listing.result is None and listing.total_record is None:
        # An empty page says totalRecord 0. A reply with neither is not "no such order": read
        # that way, the lookup before a second create would order twice.
        raise malformed(api.key, "the order list carries neither result nor totalRecord", status)
    orders = [_order(view) for view in listing.result or []]
    return models.OrderPage(
        orders=orders,
        total=listing.total_record if listing.total_record is not None else len(orders),
    )


def protocol_pay_open(body: Any, status: int) -> bool:
    api = apis.PROTOCOL_PAY_IS_OPEN
    info = wire.ProtocolPayInfo.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    return any(a.binding_status and a.signed_status for a in info.payment_agreements or [])


def pay_result(order_id: str) -> Reader[models.PayResult]:
    def read(body: Any, status: int) -> models.PayResult:
        api = apis.PREPARE_PAY
        result = wire.PreparePayResult.model_validate(
            _payload(api, unwrap_nested(api.key, body, status), status)
        )
        return models.PayResult(
            order_id=order_id, pay_success=result.pay_success, pay_channel=result.pay_channel
        )

    return read


def payment_url(body: Any, status: int) -> str:
    api = apis.PAYMENT_URL
    return wire.PayUrlReply.model_validate(unwrap_top_level(api.key, body, status)).pay_url


# --- logistics, receipt, refunds ----------------------------------------------------------


def _entry_ids(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def logistics_info(order_id: str) -> Reader[models.LogisticsInfo]:
    def read(body: Any, status: int) -> models.LogisticsInfo:
        api = apis.LOGISTICS_INFO
        try:
            reply = wire.LogisticsInfosReply.model_validate(
                unwrap_top_level(api.key, body, status)
            )
        except NotShippedError:
            return models.LogisticsInfo(order_id=order_id, shipped=False)
        shipments = [
            models.Shipment(
                logistics_id=item.logistics_id,
                bill_no=item.logistics_bill_no,
                company_name=item.logistics_company_name,
                status=item.status,
                order_entry_ids=_entry_ids(item.order_entry_ids),
            )
            for item in reply.result or []
        ]
        return models.LogisticsInfo(
            order_id=order_id, shipped=bool(shipments), shipments=shipments
        )

    return read


#: The trace API's code for "无法找到相对应的物流单跟踪信息" (no tracking information yet).
NO_TRACKING_YET = "404"


def logistics_trace(order_id: str) -> Reader[models.LogisticsTrace]:
    def read(body: Any, status: int) -> models.LogisticsTrace:
        api = apis.LOGISTICS_TRACE
        try:
            reply = wire.LogisticsTraceReply.model_validate(
                unwrap_top_level(api.key, body, status)
            )
        except NotShippedError:
            return models.LogisticsTrace(order_id=order_id, shipped=False)
        except BusinessError as error:
            if error.code != NO_TRACKING_YET:
                raise
            # Right after shipping the courier has reported nothing yet: an empty trace.
            return models.LogisticsTrace(order_id=order_id, shipped=True)
        shipments = [
            models.ShipmentTrace(
                logistics_id=trace.logistics_id,
                bill_no=trace.logistics_bill_no,
                steps=[
                    models.TraceStep(accepted_at=step.accept_time, remark=step.remark)
                    for step in trace.logistics_steps or []
                ],
            )
            for trace in reply.logistics_trace or []
        ]
        return models.LogisticsTrace(
            order_id=order_id, shipped=bool(shipments), shipments=shipments
        )

    return read


def receipt_confirmed(body: Any, status: int) -> None:
    api = apis.CONFIRM_RECEIPT
    # {"result": {"success", "errorCode", "errorInfo"}}: the nested shape without a payload.
    unwrap_nested(api.key, body, status)


def refund_reasons(body: Any, status: int) -> list[models.RefundReason]:
    api = apis.REFUND_REASONS
    reasons = wire.RefundReasons.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    return [
        models.RefundReason(reason_id=r.id, name=r.name, need_voucher=r.need_voucher)
        for r in reasons.reasons or []
    ]


def refund_created(body: Any, status: int) -> models.CreatedRefund:
    api = apis.CREATE_REFUND
    created = wire.RefundCreated.model_validate(
        _payload(api, unwrap_nested(api.key, body, status), status)
    )
    return models.CreatedRefund(refund_id=created.refund_id)


def _refund(row: wire.RefundModel) -> models.RefundView:
    return models.RefundView(
        refund_id=row.refund_id,
        order_id=row.order_id,
        status=row.status,  # type: ignore[arg-type]  # checked against the six statuses in wire
        entry_ids=list(row.order_entry_id_list or []),
        entry_counts=dict(row.order_entry_count_map or {}),
        apply_payment=wire.fen_to_yuan(row.apply_payment or 0),
        apply_carriage=wire.fen_to_yuan(row.apply_carriage or 0),
        refund_payment=wire.fen_to_yuan(row.refund_payment or 0),
        refund_carriage=wire.fen_to_yuan(row.refund_carriage or 0),
        apply_reason=row.apply_reason,
        reject_reason=row.reject_reason,
        reject_times=row.reject_times or 0,
        refund_goods=row.refund_goods,
        buyer_sent_goods=row.buyer_send_goods,
        freight_bill=row.freight_bill,
        seller_receive_address=", ".join(
            part for part in (row.seller_real_name, row.seller_mobile, row.seller_receive_address) if part
        ) or None,
        seller_member_id=row.seller_member_id,
        applied_at=row.gmt_apply,
        modified_at=row.gmt_modified,
        completed_at=row.gmt_completed,
    )


def refund_page(body: Any, status: int) -> models.RefundPage:
    """``queryOrderRefundList``: ``{"result": {opOrderRefundModels, totalCount, currentPageNum},
    "success": true}``; errors carry ``errorCode`` and ``errorMsg``."""
    api = apis.LIST_REFUNDS
    listing = wire.RefundListReply.model_validate(unwrap_top_level(api.key, body, status)).result
    return models.RefundPage(
        refunds=[_refund(row) for row in listing.op_order_refund_models or []],
        total=listing.total_count,
        page=listing.current_page_num,
    )


def refund_detail(body: Any, status: int) -> models.RefundView:
    """``OpQueryOrderRefund``: ``{"result": {"opOrderRefundModelDetail": {...}}}``, no success
    flag; errors carry ``errorCode`` and ``errorMessage`` at the top."""
    api = apis.GET_REFUND
    detail = wire.RefundDetailReply.model_validate(unwrap_top_level(api.key, body, status))
    return _refund(detail.result.op_order_refund_model_detail)


def goods_returned(body: Any, status: int) -> None:
    api = apis.RETURN_GOODS
    # {"result": {"success", "errorCode", "errorInfo"}}, as confirm-receipt answers.
    unwrap_nested(api.key, body, status)


def order_cancelled(body: Any, status: int) -> None:
    unwrap_top_level(apis.CANCEL_ORDER.key, body, status)

