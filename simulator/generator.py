"""A seeded catalog: a few hundred offers across several categories, identical for the same seed.

Supplier quality is spread on purpose (most good, some middling, some bad: new, low repurchase,
disputes, late or stalled shipments, sellers that close after payment, expired licences), so
sourcing rules have something to reject. Prices are built from integer fen, never floats.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from simulator.catalog import Catalog, parse_catalog


@dataclass(frozen=True)
class Category:
    category_id: int
    name: str
    cores: tuple[str, ...]
    words: tuple[str, ...]
    dimension: str
    options: tuple[str, ...]
    price_fen: tuple[int, int]
    unit: str


CATEGORIES = (
    Category(1031910, "服装", ("纯棉T恤", "短袖T恤", "polo衫", "卫衣"),
             ("男款", "女款", "宽松", "圆领", "夏季", "纯色", "印花", "oversize", "情侣装", "工装"),
             "颜色", ("白色", "黑色", "灰色", "藏青", "杏色", "酒红"), (1800, 6800), "件"),
    Category(1037004, "箱包", ("帆布包", "双肩包", "手提袋", "收纳包"),
             ("女", "学生", "大容量", "单肩", "ins风", "定制logo", "简约", "复古", "防水"),
             "颜色", ("米白", "黑色", "原色", "卡其", "墨绿"), (650, 4500), "个"),
    Category(1046601, "日用百货", ("保温杯", "玻璃杯", "马克杯", "运动水壶"),
             ("316不锈钢", "304不锈钢", "大容量", "便携", "学生", "商务", "儿童", "礼品定制"),
             "容量", ("350ml", "400ml", "500ml", "750ml", "1000ml"), (990, 5900), "个"),
    Category(1042754, "数码配件", ("数据线", "充电头", "手机壳", "充电宝"),
             ("快充", "type-c", "苹果", "安卓", "编织", "磨砂", "防摔", "20W"),
             "规格", ("1米", "1.5米", "2米", "标准版", "加强版"), (250, 3900), "条"),
    Category(1048802, "家居", ("收纳盒", "毛巾", "拖鞋", "雨伞"),
             ("家用", "加厚", "北欧", "纯棉", "折叠", "防滑", "酒店", "卡通"),
             "颜色", ("白色", "灰色", "蓝色", "粉色", "绿色"), (390, 3500), "件"),
)

PLACES = (("广东省", "广州市"), ("广东省", "深圳市"), ("广东省", "东莞市"), ("浙江省", "义乌市"),
          ("浙江省", "杭州市"), ("浙江省", "温州市"), ("浙江省", "金华市"), ("江苏省", "苏州市"),
          ("福建省", "泉州市"), ("山东省", "青岛市"), ("河北省", "保定市"), ("河南省", "郑州市"))
NAME_WORDS = ("优品", "鑫源", "华美", "恒达", "锦程", "汇丰", "佳禾", "宏图", "乐途", "诚信", "万达", "金鹰", "德润", "新锐")
SUFFIXES = ("有限公司", "贸易商行", "工厂", "实业有限公司", "制品厂")


def _money(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _supplier(rng: random.Random, n: int, category: Category, today: date) -> dict[str, Any]:
    quality = rng.choices(("good", "average", "bad"), weights=(60, 25, 15))[0]
    province, city = rng.choice(PLACES)
    if quality == "good":
        years, repurchase, on_time, dispute = rng.randint(4, 15), rng.uniform(0.28, 0.55), rng.uniform(0.9, 0.99), rng.uniform(0, 0.02)
        credit, ship, stall, closes = rng.choice(("L3", "L4", "L5")), rng.choice((12, 24, 24, 48)), None, False
    elif quality == "average":
        years, repurchase, on_time, dispute = rng.randint(2, 6), rng.uniform(0.15, 0.32), rng.uniform(0.78, 0.92), rng.uniform(0.02, 0.05)
        credit, ship, stall, closes = rng.choice(("L2", "L3")), rng.choice((24, 48, 72)), None, False
    else:
        years, repurchase, on_time, dispute = rng.randint(0, 2), rng.uniform(0.02, 0.15), rng.uniform(0.45, 0.75), rng.uniform(0.06, 0.2)
        credit, ship = rng.choice(("L1", "L2")), rng.choice((72, 96, 120))
        stall = rng.choice((None, "ACCEPT", "TRANSPORT"))
        closes = rng.random() < 0.3
    licence = today + timedelta(days=rng.randint(-120, 1500) if quality == "bad" else rng.randint(200, 2000))
    supplier: dict[str, Any] = {
        "member_id": f"b2b-{220000000 + n * 7919}",
        "login_id": f"sim-seller-{n:03d}",
        "company_name": f"{city}{rng.choice(NAME_WORDS)}{category.name}{rng.choice(SUFFIXES)}",
        "years": years, "repurchase_rate": round(repurchase, 2), "on_time_ship_rate": round(on_time, 2),
        "dispute_rate": round(dispute, 3), "credit_level": credit, "license_expires_on": licence.isoformat(),
        "province": province, "city": city, "category_name": category.name,
        "behaviour": {"ship_after_hours": ship, "stall_at": stall, "cancel_after_pay": closes},
    }
    if rng.random() < 0.4:
        supplier["mix_batch"] = {"min_amount": _money(rng.choice((10000, 20000, 50000))),
                                 "min_quantity": rng.choice((10, 20, 50))}
    return supplier


def _offer(rng: random.Random, offer_id: int, supplier_id: str, category: Category) -> dict[str, Any]:
    words = rng.sample(category.words, k=rng.randint(1, 3))
    subject = " ".join([rng.choice(category.cores)] + words)
    if rng.random() < 0.5:
        subject = rng.choice(("2026新款", "厂家直销", "批发", "跨境")) + subject
    moq = rng.choice((1, 2, 5, 10, 20, 30, 50, 100))
    base = rng.randint(*category.price_fen)
    tiers = [{"start_quantity": moq, "price": _money(base)}]
    start, price = moq, base
    for _ in range(rng.randint(0, 2)):
        start = max(start * rng.choice((3, 5, 10)), start + 1)
        price = max(1, price * rng.randint(92, 97) // 100)
        tiers.append({"start_quantity": start, "price": _money(price)})
    options = rng.sample(category.options, k=rng.randint(1, min(4, len(category.options))))
    skus = [{"spec_id": f"s{offer_id % 100000:05d}{i}", "attributes": {category.dimension: opt},
             "stock": rng.choice((0, 50, 200, 500, 1000, 5000)) if rng.random() < 0.1 else rng.randint(100, 5000)}
            for i, opt in enumerate(options)]
    kind = rng.choices(("flat", "per_piece", "free"), weights=(45, 40, 15))[0]
    if kind == "flat":
        freight: dict[str, Any] = {"flat": _money(rng.choice((800, 1000, 1500, 2000, 3000, 5000, 10000)))}
    elif kind == "per_piece":
        freight = {"first_unit": rng.choice((1, 5, 10)), "first_fee": _money(rng.choice((500, 600, 800, 1000))),
                   "next_unit": rng.choice((1, 5, 10)), "next_fee": _money(rng.choice((100, 150, 200, 300)))}
    else:
        freight = {"free": True}
    return {
        "offer_id": str(offer_id), "supplier_id": supplier_id, "subject": subject,
        "category_id": category.category_id,
        "status": rng.choices(("published", "expired"), weights=(97, 3))[0],
        "unit": category.unit, "min_order_quantity": moq, "price_ranges": tiers, "skus": skus, "freight": freight,
        "tax_rate": rng.choice(("0.00", "0.03", "0.06", "0.13")), "month_sold": rng.randint(0, 20000),
        "behaviour": {"stock_at_order": 0 if rng.random() < 0.03 else None},
        # What a listing needs (`procure export`), derived without drawing from rng so a seed
        # keeps giving the catalog it gave before these fields existed.
        "description": f"{subject}，工厂直供，品质保证",
        "attributes": {"产地": "中国"},
        "weight_grams": 100 + (offer_id % 9) * 50,
    }


def generate_catalog(seed: int, suppliers: int = 40, today: date = date(2026, 5, 26)) -> Catalog:
    """Build a catalog from ``seed``; the same seed always gives the same catalog."""
    rng = random.Random(seed)
    supplier_rows, offer_rows = [], []
    offer_id = 620_000_000_001
    for n in range(1, suppliers + 1):
        category = CATEGORIES[(n - 1) % len(CATEGORIES)]
        supplier = _supplier(rng, n, category, today)
        supplier_rows.append(supplier)
        for _ in range(rng.randint(5, 10)):
            # Mostly the supplier's own category, sometimes a neighbour's (real shops sprawl).
            own = category if rng.random() < 0.85 else rng.choice(CATEGORIES)
            offer_rows.append(_offer(rng, offer_id, supplier["member_id"], own))
            offer_id += 1
    return parse_catalog({
        "app": {"app_key": "1000000", "app_secret": "test123", "access_token": "TEST-TOKEN",
                "refresh_token": "TEST-REFRESH", "calls_per_minute": 600},
        "suppliers": supplier_rows,
        "offers": offer_rows,
    })
