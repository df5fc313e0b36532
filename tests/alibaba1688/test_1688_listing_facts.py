"""What a marketplace listing needs from the published product-detail sample: description,
images (the page prints the word 图片 where the gallery's URLs go; the white image is a URL),
attributes and the shipping weight (200.0, no unit stated: read as grams, docs/export.md)."""

from __future__ import annotations

from test_1688_conformance import serve


async def test_detail_sample_gives_description_images_attributes_and_weight() -> None:
    detail, _ = await serve("product.search.queryProductDetail", lambda c: c.get_offer_detail("34513534353434"))
    assert detail.images == ["图片", "https://cbu01.alicdn.com/img/ibank/O1CN01pEsVS41Bs2uny9oka_!!0-0-cib.jpg"]
    assert detail.attributes == {"1": "1"}
    assert detail.weight_grams == 200.0
    assert detail.description == "1"
