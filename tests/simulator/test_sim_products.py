"""Search, detail, freight and supplier profile: shapes, units, filters, paging, errors."""

from __future__ import annotations

from typing import Any

from sim_support import OFFER_A, Gateway, demo_data, running

# The published samples name a seller only by sellerOpenId and write each rate in its API's own
# unit; the simulator used to add sellerMemberId, sellerLoginId, sellerProfile and ext rates to
# crossBasic, and to write every rate as a fraction (issue 11).
EXT_FIELDS = {"sellerMemberId", "sellerLoginId", "sellerProfile", "taxRate", "memberId"}


async def search(gw: Gateway, **query: Any) -> dict[str, Any]:
    body = await gw.ok("product.search.keywordQuery", {"offerQueryParam": query})
    assert body["result"]["success"] is True, body
    return body["result"]["result"]


async def test_search_rows_have_the_real_shape(gw: Gateway) -> None:
    page = await search(gw, keyword="纯棉T恤", beginPage=1, pageSize=20)
    assert page["totalRecords"] == 4 and page["totalPage"] == 1 and page["currentPage"] == 1
    row = next(r for r in page["data"] if r["offerId"] == int(OFFER_A))
    assert row["subject"] == "秋季纯棉T恤 男款"
    assert row["priceInfo"]["price"] == "45.00"
    assert row["minOrderQuantity"] == 50 and row["monthSold"] == 1200
    assert row["repurchaseRate"] == "32%"
    assert row["sellerDataInfo"]["tpYear"] == 5
    assert row["sellerDataInfo"]["repeatPurchasePercent"] == "32"  # percent in search rows
    assert row["sellerOpenId"] == "b2b-1001"  # the demo catalog sets no open_id: the member id
    assert not EXT_FIELDS & row.keys()


async def test_every_term_must_occur_in_the_subject_case_insensitively(gw: Gateway) -> None:
    assert [r["offerId"] for r in (await search(gw, keyword="纯棉T恤 女款"))["data"]] == [610000000004]
    assert (await search(gw, keyword="纯棉t恤 女款"))["totalRecords"] == 1
    assert (await search(gw, keyword="纯棉T恤 不存在的词"))["totalRecords"] == 0


async def test_expired_offers_are_not_found_by_search(gw: Gateway) -> None:
    assert 610000000005 not in [r["offerId"] for r in (await search(gw, keyword="旧款"))["data"]]


async def test_price_filter_uses_the_first_tier(gw: Gateway) -> None:
    rows = (await search(gw, keyword="纯棉T恤", priceStart="40", priceEnd="46.00"))["data"]
    assert sorted(r["offerId"] for r in rows) == [610000000001, 610000000004]


async def test_category_sort_and_paging(gw: Gateway) -> None:
    assert (await search(gw, keyword="帆布包", categoryId=1031910))["totalRecords"] == 0
    by_price = await search(gw, keyword="纯棉T恤", sort='{"price":"asc"}', pageSize=3)
    assert [r["priceInfo"]["price"] for r in by_price["data"]] == ["32.00", "45.00", "46.00"]
    assert by_price["totalPage"] == 2
    second = await search(gw, keyword="纯棉T恤", sort='{"price":"asc"}', pageSize=3, beginPage=2)
    assert [r["priceInfo"]["price"] for r in second["data"]] == ["48.00"]


async def test_search_without_keyword_is_a_business_error(gw: Gateway) -> None:
    body = await gw.ok("product.search.keywordQuery", {"offerQueryParam": {"beginPage": 1}})
    assert body["result"]["success"] is False and body["result"]["code"] == "PARAM_ERROR"


async def test_detail_carries_tiers_skus_mix_batch_and_seller(gw: Gateway) -> None:
    body = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": 610000000004}})
    detail = body["result"]["result"]
    assert detail["status"] == "published" and detail["minOrderQuantity"] == 50
    assert detail["productSaleInfo"]["priceRangeList"] == [{"startQuantity": 50, "price": "46.00"},
                                                           {"startQuantity": 300, "price": "43.50"}]
    assert detail["productSaleInfo"]["quoteType"] == 2
    sku = detail["productSkuInfos"][0]
    assert sku["specId"] == "d1" and sku["amountOnSale"] == 600 and sku["price"] == "46.00"
    assert {"attributeName": "尺码", "value": "M"}.items() <= sku["skuAttributes"][1].items()
    assert detail["sellerMixSetting"] == {"generalHunpi": True, "mixAmount": 100, "mixNumber": 10}
    assert not EXT_FIELDS & detail.keys()
    data = detail["sellerDataInfo"]
    assert "tpYear" not in data  # the published detail states no years
    assert data["repeatPurchasePercent"] == "0.32"  # a fraction in detail
    assert data["collect30DayWithin48HPercent"] == "95" and data["qualityRefundWithin30Day"] == "1"  # percent


async def test_detail_of_an_offline_offer_shows_its_status(gw: Gateway) -> None:
    body = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": "610000000005"}})
    assert body["result"]["result"]["status"] == "expired"


async def test_detail_of_an_unknown_offer(gw: Gateway) -> None:
    body = await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": 610000000099}})
    assert body["result"] == {"success": False, "code": "OFFER_NOT_FOUND",
                              "message": "商品不存在: 610000000099", "result": None}


async def freight(gw: Gateway, offer_id: int, total: int) -> dict[str, Any]:
    body = await gw.ok("product.freight.estimate", {"productFreightQueryParamsNew": {
        "offerId": offer_id, "toProvinceCode": "330000", "toCityCode": "330100", "toCountryCode": "330108",
        "totalNum": total, "logisticsSkuNumModels": [{"skuId": "1", "number": total}]}})
    return body["result"]


async def test_freight_flat_per_piece_and_free(gw: Gateway) -> None:
    flat = await freight(gw, 610000000001, 50)
    assert flat["success"] and flat["result"]["freight"] == "100.00" and flat["result"]["freePostage"] is False
    per_piece = (await freight(gw, 610000000003, 5))["result"]  # 8.00 for the first, 2.00 each after
    assert per_piece["freight"] == "16.00" and per_piece["firstFee"] == "8.00" and per_piece["nextFee"] == "2.00"
    assert (await freight(gw, 610000000101, 100))["result"]["freight"] == "24.00"  # 6 + ceil(90/10) x 2
    free = (await freight(gw, 610000000201, 20))["result"]
    assert free["freight"] == "0.00" and free["freePostage"] is True
    assert (await freight(gw, 610000000099, 1))["code"] == "OFFER_NOT_FOUND"


async def test_supplier_profile_from_cross_basic(gw: Gateway) -> None:
    body = await gw.ok("alibaba.account.agent.crossBasic", {"loginId": "supplier-a"})
    assert body["success"] is True
    result = body["result"]
    assert result == {"loginId": "supplier-a", "companyName": "A 服饰", "supplierName": "supplier-a",
                      "categoryName": result["categoryName"], "shopUrl": "https://supplier-a.1688.com",
                      "kuaJingBao": False}  # the published fields, nothing more
    by_domain = await gw.ok("alibaba.account.agent.crossBasic", {"domain": "cheap-tees.1688.com"})
    assert by_domain["result"]["loginId"] == "cheap-tees"
    unknown = await gw.ok("alibaba.account.agent.crossBasic", {"loginId": "nobody"})
    assert unknown["success"] is False and unknown["errorCode"] == "USER_NOT_FOUND"
    missing = await gw.call("alibaba.account.agent.crossBasic", {"memberId": "b2b-1002"})
    assert missing.json()["error_code"] == "gw.ParamMissing"  # no member-id lookup on the platform


async def test_open_id_to_login_and_the_sellers_listings(gw: Gateway) -> None:
    login = await gw.ok("wangwangnick.openuid.decrypt", {"openUid": "b2b-1001"})
    assert login == {"wangwangNick": "supplier-a"}
    unknown = await gw.ok("wangwangnick.openuid.decrypt", {"openUid": "BBBnobody"})
    assert unknown["errorCode"] == "USER_NOT_FOUND"
    body = await gw.ok("product.search.querySellerOfferList",
                       {"offerQueryParam": {"sellerOpenId": "b2b-1001", "beginPage": 1, "pageSize": 50}})
    page = body["result"]["result"]
    assert page["totalRecords"] >= 1 and OFFER_A in [str(r["offerId"]) for r in page["data"]]
    assert all("sellerDataInfo" not in r for r in page["data"])  # the published rows carry none


async def test_generated_catalog_is_searchable() -> None:
    from simulator import generate_catalog

    data = generate_catalog(7).model_dump(mode="json")
    async with running(data) as (_, gw):
        page = await search(gw, keyword="保温杯", pageSize=50)
        assert page["totalRecords"] > 0
        assert all("保温杯" in row["subject"] for row in page["data"])
    assert demo_data()["app"]["app_key"] == "1000000"


async def test_a_catalog_open_id_is_what_rows_and_detail_name() -> None:
    data = demo_data()
    data["suppliers"][0]["open_id"] = "BBBgGWh2O6JFI6v1aQuZVgRIA"
    async with running(data) as (_, gw):
        row = next(r for r in (await search(gw, keyword="纯棉T恤"))["data"] if r["offerId"] == int(OFFER_A))
        detail = (await gw.ok("product.search.queryProductDetail", {"offerDetailParam": {"offerId": OFFER_A}}))
        login = await gw.ok("wangwangnick.openuid.decrypt", {"openUid": "BBBgGWh2O6JFI6v1aQuZVgRIA"})
    assert row["sellerOpenId"] == detail["result"]["result"]["sellerOpenId"] == "BBBgGWh2O6JFI6v1aQuZVgRIA"
    assert login == {"wangwangNick": data["suppliers"][0]["login_id"]}


async def test_discount_knob_positive_in_preview_negative_in_the_order() -> None:
    data = demo_data()
    data["suppliers"][0].setdefault("behaviour", {})["discount"] = "12.34"
    address = {"fullName": "张三", "mobile": "15251667788", "provinceText": "浙江省", "cityText": "杭州市",
               "address": "网商路699号"}
    cargo = [{"offerId": int(OFFER_A), "specId": "a1", "quantity": 50}]
    async with running(data) as (_, gw):
        preview = await gw.ok("alibaba.createOrder.preview", {"addressParam": address, "cargoParamList": cargo})
        created = await gw.ok("alibaba.trade.fastCreateOrder", {"flow": "general", "addressParam": address,
                                                                "cargoParamList": cargo, "outOrderId": "d-1"})
        listing = await gw.ok("alibaba.trade.getBuyerOrderList", {"outOrderId": "d-1"})
    first = preview["orderPreviewResuslt"][0]
    assert first["discountFee"] == 1234 and first["sumPayment"] == 225000 + 10000 - 1234
    assert created["result"]["totalSuccessAmount"] == first["sumPayment"]
    base = listing["result"][0]["baseInfo"]
    assert base["discount"] == -1234 and base["totalAmount"] == "2337.66"
