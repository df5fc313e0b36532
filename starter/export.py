"""`procure export`: the received goods of chosen procurements as marketplace bulk-upload files.

For each procurement: its state from Temporal (lines received, chosen offer, landed unit cost),
then each received offer's product detail from 1688 (title, description, images, attributes,
weight). Text goes through the translation hook (starter/translation.py); prices come from
`domain.cross_border.listing_price`. A good that lacks something a listing needs, an unknown
procurement or one with nothing received, is reported one line each, and nothing is written:
exit status 2 (bad input), so no half file is ever uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from temporalio.client import Client

from alibaba1688 import Alibaba1688Client, Alibaba1688Error
from domain.cross_border import ExportOptions, Listing, Marketplace, ReceivedGood, listing_price, missing
from domain.request import Identifier
from starter.exit_status import BadInput, CommandError, NotFound
from starter.marketplace_files import write_amazon, write_shopee
from starter.status import fetch_state
from starter.translation import Translator, untranslated


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per bad row: nothing was written
    warnings: list[str] = field(default_factory=list)  # written, but a person should look


def export_options(margin: str, exchange_rate: str, currency: str, brand: str,
                   required_attributes: list[str]) -> ExportOptions:
    """The options from the command line, or BadInput naming each bad value."""
    problems = []
    values: dict[str, Decimal] = {}
    for name, text in (("--margin", margin), ("--exchange-rate", exchange_rate)):
        try:
            values[name] = Decimal(text)
        except InvalidOperation:
            problems.append(f"{name} {text!r}: not a number")
    if problems:
        raise BadInput(problems[0], details=problems[1:])
    try:
        return ExportOptions(margin=values["--margin"], exchange_rate=values["--exchange-rate"],
                             currency=currency.upper(), brand=brand, required_attributes=tuple(required_attributes))
    except ValueError as exc:
        raise BadInput("export options refused", details=[str(e["loc"][0]) + ": " + e["msg"] for e in exc.errors()]) from None  # type: ignore[attr-defined]


def request_ids(values: list[str]) -> list[str]:
    bad = [v for v in values if not _valid_id(v)]
    if bad:
        raise BadInput(f"not a request id: {bad[0]!r}", details=[f"not a request id: {v!r}" for v in bad[1:]])
    return list(dict.fromkeys(values))


def _valid_id(value: str) -> bool:
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(Identifier).validate_python(value)
        return True
    except ValidationError:
        return False


async def collect_goods(client: Client, gateway: Alibaba1688Client,
                        ids: list[str]) -> tuple[list[ReceivedGood], list[str], list[str]]:
    """Every received line of the procurements, with 1688's product facts; problems per row, and
    a note per line that received nothing (said, not skipped in silence)."""
    goods: list[ReceivedGood] = []
    problems: list[str] = []
    notes: list[str] = []
    for request_id in ids:
        try:
            state = await fetch_state(client, request_id)
        except NotFound:
            problems.append(f"{request_id}: no such procurement")
            continue
        received = [line for line in state.lines if line.received_qty > 0 and line.chosen is not None]
        if not received:
            problems.append(f"{request_id}: nothing received yet (stage {state.stage.value})")
            continue
        notes += [f"{request_id} line {line.line_id}: not listed, nothing received ({line.status.value})"
                  for line in state.lines if line not in received]
        for line in received:
            chosen = line.chosen
            assert chosen is not None
            try:
                detail = await gateway.get_offer_detail(chosen.offer_id)
            except Alibaba1688Error as error:
                problems.append(f"{request_id} line {line.line_id} (offer {chosen.offer_id}): "
                                f"1688 product detail unavailable: {error}")
                continue
            sku = detail.sku(chosen.spec_id) if chosen.spec_id else None
            goods.append(ReceivedGood(
                request_id=request_id, line_id=line.line_id, offer_id=chosen.offer_id, spec_id=chosen.spec_id,
                quantity=line.received_qty, landed_unit_cost=chosen.landed_unit_cost, title=detail.subject,
                description=detail.description or "", images=detail.images,
                attributes={**detail.attributes, **(sku.attributes if sku else {})},
                weight_grams=detail.weight_grams,
            ))
    return goods, problems, notes


async def make_listings(goods: list[ReceivedGood], options: ExportOptions,
                        translator: Translator) -> tuple[list[Listing], list[str], list[str]]:
    listings, problems, warnings = [], [], []
    for good in goods:
        lacking = missing(good, options)
        if lacking:
            problems.append(f"{good.label}: {', '.join(lacking)}")
            continue
        names, values = list(good.attributes), list(good.attributes.values())
        texts = await translator.translate([good.title, good.description, *names, *values])
        if len(texts) != 2 + 2 * len(names):
            raise CommandError("the translator returned a different number of texts than it was given")
        title, description = texts[0], texts[1]
        attributes = dict(zip(texts[2:2 + len(names)], texts[2 + len(names):]))
        left = [t for t in (title, description, *attributes, *attributes.values()) if untranslated(t)]
        if left:
            warnings.append(f"{good.label}: not fully translated: {left[0][:60]!r}")
        listings.append(Listing(
            sku=good.sku, title=title, description=description,
            images=[url for url in good.images if url.startswith(("http://", "https://"))],
            attributes=attributes, weight_grams=good.weight_grams or 0, quantity=good.quantity,
            price=listing_price(good.landed_unit_cost, options), currency=options.currency, brand=options.brand,
        ))
    return listings, problems, warnings


async def export(client: Client, gateway: Alibaba1688Client, ids: list[str], marketplaces: list[Marketplace],
                 out_dir: Path, options: ExportOptions, translator: Translator) -> ExportResult:
    goods, problems, notes = await collect_goods(client, gateway, ids)
    listings, bad_rows, warnings = await make_listings(goods, options, translator)
    result = ExportResult(listings=listings, problems=problems + bad_rows, warnings=notes + warnings)
    if result.problems:
        return result  # nothing written: a file with rows missing is worse than none
    out_dir.mkdir(parents=True, exist_ok=True)
    if Marketplace.AMAZON in marketplaces:
        result.files.append(write_amazon(listings, out_dir / "amazon-flat-file.txt"))
    if Marketplace.SHOPEE in marketplaces:
        result.files.append(write_shopee(listings, out_dir / "shopee-mass-upload.xlsx"))
    return result
