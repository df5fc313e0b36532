"""`procure export` against real procurements: goods received through the real workflow, product
facts read from the simulator's 1688 detail, files parsed back column by column."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import httpx
from openpyxl import load_workbook

from alibaba1688 import Alibaba1688Client
from domain.cross_border import ExportOptions, Marketplace
from domain.progress import Stage
from starter.export import export
from starter.marketplace_files import AMAZON_REQUIRED, SHOPEE_REQUIRED, SHOPEE_SHEET
from starter.translation import Glossary
from wf_harness import Stack, accept_all, catalog_with, offer, procurement_stack, request, supplier

CATALOG = catalog_with(
    [supplier("b2b-A"), supplier("b2b-B")],
    [
        offer("610000000001", "b2b-A", "纯棉T恤 白色", "45.00", 10, freight={"flat": "50.00"},
              description="秋季纯棉T恤 舒适 透气", weight_grams=220,
              images=["https://img.example/t1.jpg", "https://img.example/t2.jpg"],
              attributes={"材质": "纯棉", "产地": "中国"}),
        # The cup's listing on 1688 states no weight and no material.
        offer("610000000002", "b2b-B", "保温杯 不锈钢", "30.00", 10, freight={"free": True},
              description="不锈钢 保温杯", images=["https://img.example/c1.jpg"]),
    ],
)
OPTIONS = ExportOptions(margin=Decimal("0.35"), exchange_rate=Decimal("0.14"), currency="USD",
                        required_attributes=("材质",))


def _gateway(stack: Stack) -> Alibaba1688Client:
    app = CATALOG["app"]
    return Alibaba1688Client("http://sim/openapi/", app["app_key"], app["app_secret"], app["access_token"],
                             app["refresh_token"], transport=httpx.ASGITransport(app=stack.sim.app))


async def test_export_writes_both_files_and_reports_missing_attributes_per_row(time_env, db_pool, tmp_path: Path):
    async with procurement_stack(time_env, db_pool, CATALOG) as stack:
        # Both at once: the test server skips time for everything (tokens included).
        # Line 2 finds nothing on 1688: it is named in the export's warnings, not skipped silently.
        first = await stack.start(request("PR-EXP-1", ("1", "纯棉T恤", 20), ("2", "不存在的商品", 5)))
        second = await stack.start(request("PR-EXP-2", ("1", "保温杯", 12)))
        shirts = await accept_all(stack, first)
        cups = await accept_all(stack, second)
        assert cups.stage == Stage.COMPLETED
        assert [(l.line_id, l.received_qty) for l in shirts.lines] == [("1", 20), ("2", 0)]
        landed = shirts.lines[0].chosen.landed_unit_cost

        async with _gateway(stack) as gateway:
            # A good lacking weight and material, and an unknown procurement: reported, nothing written.
            refused = await export(stack.client, gateway, ["PR-EXP-1", "PR-EXP-2", "PR-NOPE"],
                                   [Marketplace.AMAZON, Marketplace.SHOPEE], tmp_path / "refused", OPTIONS, Glossary())
            assert refused.files == [] and not (tmp_path / "refused").exists()
            assert sorted(refused.problems) == [
                "PR-EXP-2 line 1 (offer 610000000002): no weight, attribute 材质 missing",
                "PR-NOPE: no such procurement",
            ]

            done = await export(stack.client, gateway, ["PR-EXP-1"], [Marketplace.AMAZON, Marketplace.SHOPEE],
                                tmp_path / "out", OPTIONS, Glossary())
        assert done.problems == []
        assert done.warnings == [f"PR-EXP-1 line 2: not listed, nothing received ({shirts.lines[1].status.value})"]
        price = (landed * Decimal("1.35") * Decimal("0.14")).quantize(Decimal("0.01"), rounding="ROUND_CEILING")

        amazon = list(csv.reader((tmp_path / "out" / "amazon-flat-file.txt").open(encoding="utf-8"), delimiter="\t"))
        assert amazon[0][:2] == ["TemplateType=fptcustom", "Version=2021.1014"]
        names = amazon[2]
        rows = [dict(zip(names, row)) for row in amazon[3:]]
        assert len(rows) == 1
        row = rows[0]
        for column in AMAZON_REQUIRED:
            assert row[column], f"Amazon column {column} is empty"
        assert row["item_sku"] == "PR-EXP-1-1"
        assert row["item_name"] == "Cotton T-Shirt White"
        assert row["product_description"] == "Autumn Cotton T-Shirt Comfortable Breathable"
        assert Decimal(row["standard_price"]) == price and row["currency"] == "USD"
        assert row["quantity"] == "20"
        assert row["main_image_url"] == "https://img.example/t1.jpg"
        assert row["other_image_url1"] == "https://img.example/t2.jpg"
        assert row["website_shipping_weight"] == "220" and row["website_shipping_weight_unit_of_measure"] == "GR"
        assert {row[f"bullet_point{n}"] for n in (1, 2, 3)} >= {"Material: Cotton", "Origin: China"}

        sheet = load_workbook(tmp_path / "out" / "shopee-mass-upload.xlsx")[SHOPEE_SHEET]
        header, *data = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert len(data) == 1
        shopee = dict(zip(header, data[0]))
        for column in SHOPEE_REQUIRED:
            assert shopee[column] not in (None, ""), f"Shopee column {column} is empty"
        assert shopee["Product Name"] == "Cotton T-Shirt White"
        assert Decimal(str(shopee["Price"])) == price
        assert shopee["Stock"] == 20 and shopee["Weight"] == 0.22
        assert shopee["Cover image"] == "https://img.example/t1.jpg"
