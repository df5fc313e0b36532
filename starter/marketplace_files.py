"""Bulk-upload files for Amazon and Shopee, from `domain.cross_border.Listing` rows.

- Amazon: the category inventory flat file (tab-delimited text, UTF-8), three header rows as
  Seller Central's templates have them: the template line (``TemplateType=fptcustom``,
  ``Version=2021.1014``), the column labels, then the attribute names; one row per listing after.
- Shopee: the Seller Centre mass-upload basic template (``.xlsx``, sheet ``Template``), one header
  row of the basic template's column names (2024 layout), one row per listing.

docs/export.md lists the columns and which are required; tests parse the files back.
"""

from __future__ import annotations

import csv
from pathlib import Path

from domain.cross_border import Listing

AMAZON_TEMPLATE_LINE = ["TemplateType=fptcustom", "Version=2021.1014", "TemplateSignature=R0VORVJJQw=="]
# (attribute name, label, required by us)
AMAZON_COLUMNS: list[tuple[str, str, bool]] = [
    ("feed_product_type", "Product Type", True),
    ("item_sku", "Seller SKU", True),
    ("brand_name", "Brand Name", True),
    ("item_name", "Item Name (aka Title)", True),
    ("external_product_id", "Product ID", False),
    ("external_product_id_type", "Product ID Type", False),
    ("standard_price", "Standard Price", True),
    ("currency", "Currency", True),
    ("quantity", "Quantity", True),
    ("main_image_url", "Main Image URL", True),
    *[(f"other_image_url{n}", f"Other Image URL{n}", False) for n in range(1, 9)],
    ("product_description", "Product Description", True),
    *[(f"bullet_point{n}", f"Key Product Features{n}", False) for n in range(1, 6)],
    ("website_shipping_weight", "Shipping Weight", True),
    ("website_shipping_weight_unit_of_measure", "Website Shipping Weight Unit Of Measure", True),
    ("update_delete", "Update Delete", True),
]
AMAZON_REQUIRED = [name for name, _, required in AMAZON_COLUMNS if required]

SHOPEE_COLUMNS: list[tuple[str, bool]] = [
    ("Category", False), ("Product Name", True), ("Product Description", True), ("Parent SKU", True),
    ("Variation Integration No.", False), ("Variation Name1", False), ("Option for Variation 1", False),
    ("Price", True), ("Stock", True), ("SKU", True), ("Cover image", True),
    *[(f"Item image {n}", False) for n in range(1, 9)],
    ("Weight", True), ("Length", False), ("Width", False), ("Height", False), ("Brand", True),
]
SHOPEE_REQUIRED = [name for name, required in SHOPEE_COLUMNS if required]
SHOPEE_SHEET = "Template"


def _bullets(listing: Listing) -> list[str]:
    return [f"{name}: {value}" for name, value in sorted(listing.attributes.items())][:5]


def amazon_row(listing: Listing, product_type: str) -> dict[str, str]:
    row = {name: "" for name, _, _ in AMAZON_COLUMNS}
    row.update({
        "feed_product_type": product_type, "item_sku": listing.sku, "brand_name": listing.brand,
        "item_name": listing.title[:200], "standard_price": f"{listing.price}", "currency": listing.currency,
        "quantity": str(listing.quantity), "main_image_url": listing.images[0],
        "product_description": listing.description[:2000],
        "website_shipping_weight": f"{listing.weight_grams:g}", "website_shipping_weight_unit_of_measure": "GR",
        "update_delete": "Update",
    })
    for n, url in enumerate(listing.images[1:9], 1):
        row[f"other_image_url{n}"] = url
    for n, bullet in enumerate(_bullets(listing), 1):
        row[f"bullet_point{n}"] = bullet[:500]
    return row


def write_amazon(listings: list[Listing], path: Path, product_type: str = "home") -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(AMAZON_TEMPLATE_LINE)
        writer.writerow([label for _, label, _ in AMAZON_COLUMNS])
        writer.writerow([name for name, _, _ in AMAZON_COLUMNS])
        for listing in listings:
            row = amazon_row(listing, product_type)
            writer.writerow([row[name] for name, _, _ in AMAZON_COLUMNS])
    return path


def shopee_row(listing: Listing) -> dict[str, str | int | float]:
    row: dict[str, str | int | float] = {name: "" for name, _ in SHOPEE_COLUMNS}
    first = next(iter(sorted(listing.attributes.items())), None)
    row.update({
        "Product Name": listing.title[:120], "Product Description": listing.description[:3000],
        "Parent SKU": listing.sku, "SKU": listing.sku, "Price": float(listing.price), "Stock": listing.quantity,
        "Cover image": listing.images[0], "Weight": round(listing.weight_grams / 1000, 3),  # kg in Shopee's sheet
        "Brand": listing.brand,
    })
    if first is not None:
        row["Variation Name1"], row["Option for Variation 1"] = first
    for n, url in enumerate(listing.images[1:9], 1):
        row[f"Item image {n}"] = url
    return row


def write_shopee(listings: list[Listing], path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = SHOPEE_SHEET
    sheet.append([name for name, _ in SHOPEE_COLUMNS])
    for listing in listings:
        row = shopee_row(listing)
        sheet.append([row[name] for name, _ in SHOPEE_COLUMNS])
    book.save(path)
    return path
