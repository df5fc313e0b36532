"""Reply bodies in the shapes of docs/1688-wire-format.md, for unit tests (our own data)."""

from __future__ import annotations

from typing import Any

from fakes_1688 import nested

ORDER_ID = "3701234567000010007"  # above 2^53: must never pass through a float
ENTRY_ID = "3701234567000010008"

SELLER_OPEN_ID = "BBBgGWh2O6JFI6v1aQuZVgRIA"

# Search rows write repeatPurchasePercent in percent ("32"), detail as a fraction ("0.32"):
# the published samples do ("11" and "0.4666"); docs/1688-client.md, "Rate units".
SELLER_DATA = {
    "tpYear": 5,
    "repeatPurchasePercent": "32",
    "tradeMedalLevel": "4",
    "compositeServiceScore": "4.8",
    "logisticsExperienceScore": "4.8",
    "disputeComplaintScore": "4.9",
    "afterSalesExperienceScore": "4.8",
}

DETAIL_SELLER_DATA = {
    "repeatPurchasePercent": "0.32",
    "tradeMedalLevel": "4",
    "compositeServiceScore": "4.8",
    "collect30DayWithin48HPercent": "95",
    "qualityRefundWithin30Day": "1",
}


def search_result(count: int = 1) -> dict[str, Any]:
    rows = [
        {
            "offerId": 610000000001 + i,
            "subject": "秋季纯棉T恤 男款",
            "priceInfo": {"price": "45.00"},
            "minOrderQuantity": 50,
            "monthSold": 1200,
            "repurchaseRate": "32%",
            "imageUrl": "https://img.example/1.jpg",
            "sellerDataInfo": SELLER_DATA,
            "sellerOpenId": SELLER_OPEN_ID,
        }
        for i in range(count)
    ]
    return nested(
        {"totalRecords": count, "totalPage": 1, "pageSize": 20, "currentPage": 1, "data": rows}
    )


def detail_result(**overrides: Any) -> dict[str, Any]:
    detail = {
        "offerId": 610000000001,
        "categoryId": 1031910,
        "subject": "秋季纯棉T恤 男款",
        "status": "published",
        "minOrderQuantity": 50,
        "productSaleInfo": {
            "amountOnSale": 1000,
            "quoteType": 2,
            "priceRangeList": [
                {"startQuantity": 50, "price": "45.00"},
                {"startQuantity": 200, "price": "42.50"},
            ],
            "unitInfo": {"unit": "件"},
        },
        "productSkuInfos": [
            {
                "skuId": 610000000001001,
                "specId": "a1",
                "price": "45.00",
                "amountOnSale": 1000,
                "skuAttributes": [{"attributeId": 3216, "attributeName": "颜色", "value": "白色"}],
            }
        ],
        "sellerMixSetting": {"generalHunpi": True, "mixAmount": 100, "mixNumber": 10},
        "sellerOpenId": SELLER_OPEN_ID,
        "companyName": "A 服饰",
        "sellerDataInfo": DETAIL_SELLER_DATA,
    }
    detail.update(overrides)
    return nested(detail)


def freight_result() -> dict[str, Any]:
    return nested(
        {
            "offerId": 610000000001,
            "freight": "100.00",
            "freePostage": False,
            "chargeType": "1",
            "firstUnit": "1",
            "firstFee": "100.00",
            "nextUnit": "1",
            "nextFee": "0.00",
        }
    )


def preview_result() -> dict[str, Any]:
    return {
        "success": True,
        "orderPreviewResuslt": [
            {
                "status": True,
                "flowFlag": "general",
                "tradeModeNameList": ["assureTrade"],
                "sumPayment": 235000,
                "sumCarriage": 10000,
                "sumPaymentNoCarriage": 225000,
                "discountFee": 0,
                "cargoList": [
                    {
                        "offerId": 610000000001,
                        "specId": "a1",
                        "amount": "2250.00",
                        "finalUnitPrice": "45.00",
                        "resultCode": "200",
                    }
                ],
            }
        ],
    }


def create_result(failed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "success": True,
        "result": {
            "success": True,
            "code": None,
            "message": None,
            "orderId": ORDER_ID,
            "totalSuccessAmount": 235001,
            "postFee": 10000,
            "failedOfferList": failed or [],
        },
    }


def order_view(status: str = "waitbuyerpay", out_order_id: str = "PR-1-o1") -> dict[str, Any]:
    return {
        "baseInfo": {
            "id": int(ORDER_ID),
            "idOfStr": ORDER_ID,
            "outOrderId": out_order_id,
            "status": status,
            "totalAmount": "2350.01",
            "shippingFee": "100.00",
            "discount": 0,
            "createTime": "20260526090000000+0800",
            "payTime": None,
            "sellerID": "b2b-1001",
            "sellerLoginId": "supplier-a",
            "refundStatus": None,
        },
        "productItems": [
            {
                "subItemID": int(ENTRY_ID),
                "subItemIDString": ENTRY_ID,
                "productID": 610000000001,
                "skuID": 610000000001001,
                "specId": "a1",
                "name": "秋季纯棉T恤 男款",
                "quantity": 50,
                "price": "45.00",
                "itemAmount": "2250.00",
                "status": status,
            }
        ],
    }


def order_result(status: str = "waitbuyerpay") -> dict[str, Any]:
    return {"success": "true", "result": order_view(status)}


def logistics_result() -> dict[str, Any]:
    return {
        "success": True,
        "result": [
            {
                "logisticsId": "LP0037012345670000",
                "logisticsBillNo": "SF1000000001",
                "orderEntryIds": ENTRY_ID,
                "status": "TRANSPORT",
                "logisticsCompanyName": "顺丰速运",
                "receiver": {"receiverName": "张三", "receiverMobile": "15251667788"},
            }
        ],
    }


def trace_result() -> dict[str, Any]:
    return {
        "success": True,
        "logisticsTrace": [
            {
                "logisticsId": "LP0037012345670000",
                "logisticsBillNo": "SF1000000001",
                "orderId": int(ORDER_ID),
                "logisticsSteps": [
                    {"acceptTime": "2026-05-27 09:00:00", "remark": "卖家已发货"},
                    {"acceptTime": "2026-05-27 11:00:00", "remark": "快递员已揽件"},
                ],
            }
        ],
    }


NOT_SHIPPED = {"success": False, "errorCode": "500_2", "errorMessage": "该订单还未发货"}
