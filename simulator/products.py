"""Product-side APIs: keyword search, product detail, freight estimate, supplier profile.

The shapes follow the published samples of the real APIs (tests/alibaba1688/samples/): a seller
is named only by its open id, and nothing the platform does not send is added
(docs/1688-wire-format.md, 4 and 9).
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from simulator.catalog import Offer, Supplier
from simulator.money import percent_text, rate_text, whole_yuan_up, yuan, yuan_text
from simulator.wire import Params, Reply, as_int, nested_error, nested_ok, trade_error, trade_ok

if TYPE_CHECKING:
    from simulator.market import Market

MAX_PAGE_SIZE = 50
_KNOWN_ATTRIBUTE_IDS = {"颜色": 3216, "尺码": 450, "容量": 1632, "尺寸": 100017, "款式": 1217, "规格": 1398}


def seller_open_id(member_id: str) -> str:
    """An opaque, stable stand-in for the platform's encrypted seller id."""
    return "BBB" + hashlib.sha1(member_id.encode("utf-8")).hexdigest()[:22]


def _score(value: float) -> str:
    """A 3.0-5.0 service score with one decimal, as the real ``sellerDataInfo`` strings look."""
    clipped = min(1.0, max(0.0, value))
    return f"{(Decimal('3') + Decimal('2') * Decimal(str(clipped))).quantize(Decimal('0.1'))}"


def _composite(supplier: Supplier) -> float:
    return 0.6 * supplier.on_time_ship_rate + 0.4 * max(0.0, 1 - 10 * supplier.dispute_rate)


def _percent_number(rate: float) -> str:
    """A fraction as a bare percent number (``0.32`` -> ``"32"``), as the sample rows write it."""
    return f"{(Decimal(str(rate)) * 100).quantize(Decimal('0.01')).normalize():f}"


def seller_data_info(supplier: Supplier, detail: bool = False) -> dict[str, Any]:
    """``sellerDataInfo`` in each API's own units (docs/1688-client.md, "Rate units"): search
    rows state years and write repeatPurchasePercent in percent ("11"); detail states no years,
    writes repeatPurchasePercent as a fraction ("0.4666") and its two 30-day rates in percent."""
    composite = _composite(supplier)
    info: dict[str, Any] = {
        "tradeMedalLevel": str(min(5, 1 + supplier.years // 2)),
        "compositeServiceScore": _score(composite),
        "logisticsExperienceScore": _score(supplier.on_time_ship_rate),
        "disputeComplaintScore": _score(max(0.0, 1 - 10 * supplier.dispute_rate)),
        "offerExperienceScore": _score(composite),
        "afterSalesExperienceScore": _score(composite),
        "consultingExperienceScore": _score(composite),
    }
    if detail:
        info["repeatPurchasePercent"] = rate_text(supplier.repurchase_rate)
        info["collect30DayWithin48HPercent"] = _percent_number(supplier.on_time_ship_rate)
        info["qualityRefundWithin30Day"] = _percent_number(supplier.dispute_rate)
    else:
        info["repeatPurchasePercent"] = _percent_number(supplier.repurchase_rate)
        info["tpYear"] = supplier.years
    return info


def _ship_guarantee(supplier: Supplier) -> str:
    return "shipIn24Hours" if supplier.behaviour.ship_after_hours <= 24 else "shipIn48Hours"


def _image(offer: Offer) -> str:
    return f"https://sim.1688.local/img/{offer.offer_id}.jpg"


def search_row(offer: Offer, supplier: Supplier) -> dict[str, Any]:
    on_time = Decimal(str(supplier.on_time_ship_rate))
    return {
        "offerId": int(offer.offer_id),
        "subject": offer.subject,
        "subjectTrans": offer.subject,
        "imageUrl": _image(offer),
        "priceInfo": {"price": yuan_text(offer.price_ranges[0].price),
                      "consignPrice": yuan_text(offer.price_ranges[0].price)},
        "minOrderQuantity": offer.min_order_quantity,
        "monthSold": offer.month_sold,
        "repurchaseRate": percent_text(supplier.repurchase_rate),
        "thirdCategoryId": offer.category_id,
        "tradeScore": _score(_composite(supplier)),
        "sellerOpenId": supplier.seller_open_id,
        "sellerIdentities": ["tp_member"] + (["powerful_merchants"] if supplier.years >= 5 else []),
        "sellerDataInfo": seller_data_info(supplier),
        "productSimpleShippingInfo": {
            "shippingTimeGuarantee": _ship_guarantee(supplier),
            "pickupWithin24hRate30d": percent_text(on_time),
            "perfectFulfillmentRate30d": percent_text(on_time),
            "qualityReturnRate30d": percent_text(supplier.dispute_rate),
        },
    }


def _decimal_param(value: Any, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{name} must be a decimal amount, got {value!r}") from None


def keyword_query(market: Market, params: Params) -> Reply:
    query = params.json_object("offerQueryParam")
    keyword = str(query.get("keyword") or "").strip()
    if not keyword:
        return nested_error("PARAM_ERROR", "keyword is required")
    try:
        page = max(1, as_int(query.get("beginPage", 1), "beginPage"))
        size = min(MAX_PAGE_SIZE, max(1, as_int(query.get("pageSize", 20), "pageSize")))
        price_start = _decimal_param(query.get("priceStart"), "priceStart")
        price_end = _decimal_param(query.get("priceEnd"), "priceEnd")
        category = query.get("categoryId")
        category_id = as_int(category, "categoryId") if category not in (None, "") else None
        sort = query.get("sort")
        sort = json.loads(sort) if isinstance(sort, str) and sort else (sort or {})
    except (ValueError, json.JSONDecodeError) as exc:
        return nested_error("PARAM_ERROR", str(exc))
    terms = [t.lower() for t in keyword.split() if t]
    matches = []
    for offer in market.catalog.offers:
        if offer.status != "published":
            continue
        subject = offer.subject.lower()
        if not all(term in subject for term in terms):
            continue
        first_price = offer.price_ranges[0].price
        if price_start is not None and first_price < price_start:
            continue
        if price_end is not None and first_price > price_end:
            continue
        if category_id is not None and offer.category_id != category_id:
            continue
        matches.append(offer)
    if isinstance(sort, dict):
        if sort.get("price") in ("asc", "desc"):
            matches.sort(key=lambda o: o.price_ranges[0].price, reverse=sort["price"] == "desc")
        elif sort.get("monthSold") in ("asc", "desc"):
            matches.sort(key=lambda o: o.month_sold, reverse=sort["monthSold"] == "desc")
    total = len(matches)
    rows = [search_row(o, market.supplier_of(o)) for o in matches[(page - 1) * size: page * size]]
    return nested_ok({
        "totalRecords": total,
        "totalPage": math.ceil(total / size) if total else 0,
        "pageSize": size,
        "currentPage": page,
        "data": rows,
    })


def _attribute_id(name: str) -> int:
    return _KNOWN_ATTRIBUTE_IDS.get(name, 100000 + zlib.crc32(name.encode("utf-8")) % 900000)


def quote_type(offer: Offer) -> int:
    """0: one attribute-less SKU (quoted by product quantity); 2: SKUs, quoted by quantity."""
    return 0 if len(offer.skus) == 1 and not offer.skus[0].attributes else 2


def product_detail(market: Market, params: Params) -> Reply:
    query = params.json_object("offerDetailParam")
    try:
        offer_id = str(as_int(query.get("offerId"), "offerId"))
    except Exception:
        return nested_error("PARAM_ERROR", "offerId is required")
    offer = market.catalog.offer(offer_id)
    if offer is None:
        return nested_error("OFFER_NOT_FOUND", f"商品不存在: {offer_id}")
    supplier = market.supplier_of(offer)
    first_price = yuan_text(offer.price_ranges[0].price)
    skus = []
    for i, sku in enumerate(offer.skus):
        skus.append({
            "skuId": offer.sku_id(i),
            "specId": sku.spec_id,
            "price": first_price,
            "amountOnSale": market.stock[(offer.offer_id, sku.spec_id)],
            "skuAttributes": [{"attributeId": _attribute_id(k), "attributeName": k, "value": v}
                              for k, v in sku.attributes.items()],
        })
    mix = supplier.mix_batch
    return nested_ok({
        "offerId": int(offer.offer_id),
        "categoryId": offer.category_id,
        "subject": offer.subject,
        "subjectTrans": offer.subject,
        "status": offer.status,
        "minOrderQuantity": offer.min_order_quantity,
        "batchNumber": 1,
        "soldOut": str(offer.month_sold),
        "description": offer.description,
        "productImage": {"images": offer.images or [_image(offer)], "whiteImage": ""},
        "productAttribute": [{"attributeId": _attribute_id(k), "attributeName": k, "value": v}
                             for k, v in offer.attributes.items()],
        "productSaleInfo": {
            "amountOnSale": sum(s["amountOnSale"] for s in skus),
            "quoteType": quote_type(offer),
            "priceRangeList": [{"startQuantity": t.start_quantity, "price": yuan_text(t.price)}
                               for t in offer.price_ranges],
            "unitInfo": {"unit": offer.unit, "transUnit": offer.unit},
        },
        "productSkuInfos": skus,
        "productShippingInfo": {"sendGoodsAddressText": f"{supplier.province} {supplier.city}",
                                **({"weight": offer.weight_grams} if offer.weight_grams else {}),
                                "shippingTimeGuarantee": _ship_guarantee(supplier)},
        "sellerMixSetting": {"generalHunpi": mix is not None,
                             "mixAmount": whole_yuan_up(mix.min_amount) if mix else 0,
                             "mixNumber": mix.min_quantity if mix else 0},
        "sellerOpenId": supplier.seller_open_id,
        "companyName": supplier.company_name,
        "tradeScore": _score(_composite(supplier)),
        "sellerDataInfo": seller_data_info(supplier, detail=True),
        "invoiceInfo": {"supportOnlineInvoice": True, "supportFastInvoice": False,
                        "invoiceTypes": ["普票", "专票"], "taxpayerType": "一般纳税人"},
    })


def freight_for(offer: Offer, quantity: int) -> Decimal:
    """The freight one order pays for ``quantity`` pieces of ``offer``."""
    rule = offer.freight
    if rule.kind == "free" or quantity <= 0:
        return yuan(0)
    if rule.kind == "flat":
        return yuan(rule.flat or 0)
    assert rule.first_unit and rule.next_unit and rule.first_fee is not None and rule.next_fee is not None
    extra_units = math.ceil(max(0, quantity - rule.first_unit) / rule.next_unit)
    return yuan(rule.first_fee + extra_units * rule.next_fee)


def freight_estimate(market: Market, params: Params) -> Reply:
    query = params.json_object("productFreightQueryParamsNew")
    try:
        offer_id = str(as_int(query.get("offerId"), "offerId"))
        total = as_int(query.get("totalNum"), "totalNum")
    except Exception:
        return nested_error("PARAM_ERROR", "offerId and totalNum are required integers")
    if total <= 0:
        return nested_error("PARAM_ERROR", "totalNum must be positive")
    offer = market.catalog.offer(offer_id)
    if offer is None:
        return nested_error("OFFER_NOT_FOUND", f"商品不存在: {offer_id}")
    rule = offer.freight
    freight = freight_for(offer, total)
    base: dict[str, Any] = {"offerId": int(offer.offer_id), "freight": yuan_text(freight),
                            "templateId": 900000 + zlib.crc32(offer.supplier_id.encode()) % 100000,
                            "discount": "1", "singleProductWeight": 0.3, "sizeValueType": 1}
    if rule.kind == "free":
        base.update(freePostage=True, templateType=1, templateName="卖家承担运费", subTemplateType=0,
                    subTemplateName="快递", chargeType="1", firstUnit="1", firstFee="0.00",
                    nextUnit="1", nextFee="0.00")
    elif rule.kind == "flat":
        base.update(freePostage=False, templateType=2, templateName="固定运费", subTemplateType=0,
                    subTemplateName="快递", chargeType="1", firstUnit="1", firstFee=yuan_text(rule.flat or 0),
                    nextUnit="1", nextFee="0.00")
    else:
        base.update(freePostage=False, templateType=2, templateName="按件计费", subTemplateType=0,
                    subTemplateName="快递", chargeType="1", firstUnit=str(rule.first_unit),
                    firstFee=yuan_text(rule.first_fee or 0), nextUnit=str(rule.next_unit),
                    nextFee=yuan_text(rule.next_fee or 0))
    return nested_ok(base)


def cross_basic(market: Market, params: Params) -> Reply:
    """``alibaba.account.agent.crossBasic`` by ``loginId`` or shop ``domain``: the published
    fields only (no member id, years or rates)."""
    login_id = params.text("loginId")
    domain = params.text("domain")
    if domain and not login_id:
        login_id = domain.removeprefix("https://").removeprefix("http://").split(".")[0]
    supplier = next((s for s in market.catalog.suppliers if login_id and s.login_id == login_id), None)
    if supplier is None:
        return trade_error("USER_NOT_FOUND", f"用户不存在: {login_id}")
    return trade_ok(result={
        "loginId": supplier.login_id,
        "companyName": supplier.company_name,
        "supplierName": supplier.login_id,
        "categoryName": supplier.category_name,
        "shopUrl": f"https://{supplier.login_id}.1688.com",
        "kuaJingBao": False,
    })


def open_uid_decrypt(market: Market, params: Params) -> Reply:
    """``wangwangnick.openuid.decrypt``: ``{"wangwangNick": loginId}`` (the published result
    field, bare); an unknown open id is ``USER_NOT_FOUND`` **(sim)**."""
    open_id = params.required("openUid")
    supplier = market.catalog.supplier_by_open_id(open_id)
    if supplier is None:
        return trade_error("USER_NOT_FOUND", f"openUid 无法解密: {open_id}")
    return Reply({"wangwangNick": supplier.login_id})


def seller_offer_list(market: Market, params: Params) -> Reply:
    """``product.search.querySellerOfferList``: one seller's published offers, rows as the
    published model (no seller figures)."""
    query = params.json_object("offerQueryParam")
    open_id = str(query.get("sellerOpenId") or "")
    if not open_id:
        return nested_error("PARAM_ERROR", "sellerOpenId is required")
    try:
        page = max(1, as_int(query.get("beginPage", 1), "beginPage"))
        size = min(MAX_PAGE_SIZE, max(1, as_int(query.get("pageSize", 20), "pageSize")))
    except ValueError as exc:
        return nested_error("PARAM_ERROR", str(exc))
    supplier = market.catalog.supplier_by_open_id(open_id)
    offers = [o for o in market.catalog.offers
              if supplier is not None and o.supplier_id == supplier.member_id and o.status == "published"]
    keyword = str(query.get("keyword") or "").lower().split()
    offers = [o for o in offers if all(term in o.subject.lower() for term in keyword)]
    rows = []
    for offer in offers[(page - 1) * size: page * size]:
        first = yuan_text(offer.price_ranges[0].price)
        rows.append({
            "offerId": int(offer.offer_id), "subject": offer.subject, "subjectTrans": offer.subject,
            "imageUrl": _image(offer), "repurchaseRate": percent_text(supplier.repurchase_rate),  # type: ignore[union-attr]
            "monthSold": offer.month_sold, "priceInfo": {"price": first, "consignPrice": first},
        })
    total = len(offers)
    return nested_ok({"totalRecords": total, "totalPage": math.ceil(total / size) if total else 0,
                      "pageSize": size, "currentPage": page, "data": rows})
