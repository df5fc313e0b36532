"""Administrative division codes (GB/T 2260) that the freight estimate wants for a destination.

Only provinces and the cities our buyers ship to most are listed; an unlisted city falls back to
its province's code, which the estimate accepts as a coarser destination.
"""

from __future__ import annotations

PROVINCES = {
    "北京市": "110000", "天津市": "120000", "河北省": "130000", "山西省": "140000",
    "内蒙古自治区": "150000", "辽宁省": "210000", "吉林省": "220000", "黑龙江省": "230000",
    "上海市": "310000", "江苏省": "320000", "浙江省": "330000", "安徽省": "340000",
    "福建省": "350000", "江西省": "360000", "山东省": "370000", "河南省": "410000",
    "湖北省": "420000", "湖南省": "430000", "广东省": "440000", "广西壮族自治区": "450000",
    "海南省": "460000", "重庆市": "500000", "四川省": "510000", "贵州省": "520000",
    "云南省": "530000", "西藏自治区": "540000", "陕西省": "610000", "甘肃省": "620000",
    "青海省": "630000", "宁夏回族自治区": "640000", "新疆维吾尔自治区": "650000",
}

CITIES = {
    "北京市": "110100", "天津市": "120100", "上海市": "310100", "重庆市": "500100",
    "杭州市": "330100", "宁波市": "330200", "温州市": "330300", "金华市": "330700",
    "义乌市": "330782", "南京市": "320100", "苏州市": "320500", "无锡市": "320200",
    "广州市": "440100", "深圳市": "440300", "东莞市": "441900", "佛山市": "440600",
    "汕头市": "440500", "泉州市": "350500", "厦门市": "350200", "福州市": "350100",
    "成都市": "510100", "武汉市": "420100", "长沙市": "430100", "郑州市": "410100",
    "济南市": "370100", "青岛市": "370200", "合肥市": "340100", "西安市": "610100",
}


def destination_codes(province: str, city: str) -> tuple[str, str] | None:
    """Province and city codes for a delivery address; None for a province we do not know
    (the offer's own freight template is used then)."""
    province_code = PROVINCES.get(province) or PROVINCES.get(province + "省")
    if province_code is None:
        return None
    city_code = CITIES.get(city) or CITIES.get(city + "市") or province_code
    return province_code, city_code
