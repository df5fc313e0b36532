"""Sourcing benchmark: the largest request we accept, 200 lines with 50 listings each.

Workflow tasks that run longer than 2 s are killed by the SDK as deadlocked, and ranking and
order planning run inside the workflow. The procurement judges each listing for its line as it
arrives (`ranking.assess`, in the workflow task that delivers the offer's detail: its entry among
the excluded offers and a candidate's figures are made there), and ranks the judged listings of
every line when it plans (`ranking.rank_line`, one workflow task: the suppliers' verdicts, the
order, the shortlist's candidates). This
measures both halves on that request, the two together (`source_request`) and `plan_orders`, the
joint basket choice (`choose_basket`, which replaces `plan_orders` in the workflow), and
separately the decoding of the 10,000 listings from JSON (which the pydantic data converter does
in the workflow tasks where the activity results arrive).

    .venv/bin/python bench/sourcing_bench.py [--runs 7] [--seed 1688] [--out bench/results/sourcing.txt]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
from pydantic import TypeAdapter

from domain.basket import NODE_BUDGET, choose_basket
from domain.eligibility import trim_to_spec
from domain.offer import Listing
from domain.order_plan import plan_orders
from domain.ranking import SupplierJudge, assess, rank_line, source_request
from domain.request import PurchaseRequest

LINES = 200
LISTINGS_PER_LINE = 50
SUPPLIERS = 300
DENSE_LISTINGS, DENSE_SUPPLIERS = 8, 160
TODAY = date(2026, 3, 1)
COLOURS = ["白色", "黑色", "灰色", "藏青"]
SIZES = ["M", "L", "XL"]


def make_request(rng: random.Random) -> PurchaseRequest:
    return PurchaseRequest.model_validate({
        "request_id": "PR-BENCH-200",
        "lines": [
            {
                "line_id": str(i),
                "keyword": f"纯棉T恤 {i}",
                "quantity": rng.choice([10, 30, 50, 100, 300]),
                "price_min": "5.00",
                "price_max": "60.00",
                "max_moq": 200,
                "spec": {"颜色": rng.choice(COLOURS), "尺码": rng.choice(SIZES)},
            }
            for i in range(LINES)
        ],
        "supplier_policy": {"min_years": 2, "min_repurchase_rate": "0.10",
                            "min_on_time_ship_rate": "0.80", "max_dispute_rate": "0.05", "min_score": "3.5"},
        "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省",
                     "city": "杭州市", "address": "网商路699号"},
        "needs_vat_invoice": True,
        "top_n": 10,
    })


def make_supplier(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "supplier_id": f"b2b-{number}",
        "login_id": f"supplier-{number}",
        "years": rng.randint(1, 12),
        "repurchase_rate": str(Decimal(rng.randint(5, 60)) / 100),
        "on_time_ship_rate": str(Decimal(rng.randint(75, 100)) / 100),
        "dispute_rate": str(Decimal(rng.randint(0, 8)) / 100),
        "credit_level": f"L{rng.randint(1, 5)}",
        "license_expires_on": rng.choice(["2025-12-31", "2027-06-30", "2028-01-31"]),
        "mix_batch": rng.choice([None, {"min_amount": "500.00"}, {"min_quantity": 100}]),
    }


def make_listing(rng: random.Random, line_number: int, index: int, suppliers: list[dict[str, Any]]) -> dict[str, Any]:
    supplier = rng.choice(suppliers)
    moq = rng.choice([1, 2, 10, 30, 50, 100])
    price = Decimal(rng.randint(1500, 6500)) / 100
    tiers = [
        {"start_quantity": moq, "price": str(price)},
        {"start_quantity": moq + 100, "price": str(price - Decimal("1.00"))},
        {"start_quantity": moq + 500, "price": str(price - Decimal("2.50"))},
    ]
    skus = [
        {"spec_id": f"{line_number}-{index}-{c}-{s}", "attributes": {"颜色": colour, "尺码": size},
         "stock": rng.choice([0, 50, 200, 5000])}
        for c, colour in enumerate(COLOURS) for s, size in enumerate(SIZES)
    ]
    freight = rng.choice([
        {"flat": str(Decimal(rng.randint(0, 200)))},
        {"free": True},
        {"first_unit": 1, "first_fee": "8.00", "next_unit": 10, "next_fee": "2.00"},
    ])
    return {
        "offer": {
            "offer_id": f"61{line_number:04d}{index:04d}",
            "supplier_id": supplier["supplier_id"],
            "subject": f"纯棉T恤 {line_number} 款{rng.randint(0, 40)}",
            "category_id": 1031910,
            "status": "published" if rng.random() < 0.95 else "expired",
            "min_order_quantity": moq,
            "price_tiers": tiers,
            "skus": skus,
            "freight": freight,
            "tax_rate": rng.choice(["0.00", "0.03", "0.06"]),
            "month_sold": rng.randint(0, 5000),
        },
        "supplier": supplier,
    }


class Timings(list):
    """Wall-clock seconds per run, with the CPU seconds of the same runs in `cpu`: on a machine
    shared with other work the wall clock also counts the time spent waiting for a CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu: list[float] = []


def measure(
    runs: int, action: Callable[[], object], *, collect_first: bool = True, gc_off: bool = False
) -> Timings:
    action()  # warm-up: imports, pydantic schema caches
    timings = Timings()
    for _ in range(runs):
        if collect_first:
            # Start every run from a collected heap; collections during the run still count.
            gc.collect()
        if gc_off:
            gc.disable()
        start, cpu_start = time.perf_counter(), time.process_time()
        action()
        timings.append(time.perf_counter() - start)
        timings.cpu.append(time.process_time() - cpu_start)
        gc.enable()
    return timings


def summary(name: str, timings: Timings) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<48} median {statistics.median(ordered) * 1000:7.1f} ms   "
        f"p95 {p95 * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms   "
        f"CPU median {statistics.median(timings.cpu) * 1000:7.1f} min {min(timings.cpu) * 1000:7.1f} ms"
    )


def machine() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date:     {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"load:     {load} (1/5/15 min; above the CPU count, other work shared the machine)",
        f"machine:  {cpu}, {os.cpu_count()} logical CPUs, {platform.machine()}",
        f"system:   {platform.system()} {platform.release()}",
        f"python:   {platform.python_implementation()} {platform.python_version()}, pydantic {pydantic.VERSION}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1688)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "sourcing.txt")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    request = make_request(rng)
    suppliers = [make_supplier(rng, n) for n in range(SUPPLIERS)]
    raw = {
        line.line_id: [make_listing(rng, number, i, suppliers) for i in range(LISTINGS_PER_LINE)]
        for number, line in enumerate(request.lines)
    }
    adapter = TypeAdapter(dict[str, list[Listing]])
    listings = adapter.validate_python(raw)
    payload = adapter.dump_json(listings)
    del raw  # a worker holds the decoded listings, not the dicts they came from

    sourcings = source_request(request, listings, today=TODAY)
    plan = plan_orders(request, sourcings)

    # As the workflow holds them: one seller profile object per seller (ProcurementWorkflow._seller),
    # each listing assessed for its line when it arrived.
    sellers: dict[str, Any] = {}
    shared = {
        line_id: [item.model_copy(update={"supplier": sellers.setdefault(item.supplier.supplier_id, item.supplier)})
                  for item in items]
        for line_id, items in listings.items()
    }
    vat = request.needs_vat_invoice

    def assess_all() -> dict[str, list]:
        return {line.line_id: [assess(line, item, needs_vat_invoice=vat) for item in shared[line.line_id]]
                for line in request.lines}

    assessed = assess_all()

    def rank_all() -> list:
        judge = SupplierJudge(request.supplier_policy, TODAY, None)
        return [rank_line(line, assessed[line.line_id], judge, top_n=request.top_n) for line in request.lines]

    assert [s.model_dump() for s in rank_all()] == [s.model_dump() for s in sourcings]  # the same outcome
    rank_times = measure(args.runs, rank_all)
    assess_times = measure(args.runs, assess_all)

    def source_and_plan() -> None:
        plan_orders(request, source_request(request, listings, today=TODAY))

    sourcing_times = measure(args.runs, source_and_plan)
    ranking_times = measure(args.runs, lambda: source_request(request, listings, today=TODAY))
    uncollected_times = measure(args.runs, source_and_plan, collect_first=False)
    plan_times = measure(args.runs, lambda: plan_orders(request, sourcings))
    basket = choose_basket(request, sourcings)
    basket_times = measure(args.runs, lambda: choose_basket(request, sourcings))
    decode_times = measure(args.runs, lambda: adapter.validate_json(payload))
    lines_by_id = {line.line_id: line for line in request.lines}
    trimmed = {
        line_id: [
            item.model_copy(update={"offer": trim_to_spec(item.offer, lines_by_id[line_id].spec)})
            for item in items
        ]
        for line_id, items in listings.items()
    }
    trimmed_payload = adapter.dump_json(trimmed)
    del trimmed
    trimmed_decode_times = measure(args.runs, lambda: adapter.validate_json(trimmed_payload))
    trimmed_decode_gc_off = measure(args.runs, lambda: adapter.validate_json(trimmed_payload), gc_off=True)

    # Dense: the same 200 lines with 8 listings each (the default details_per_line) over 160
    # suppliers, so the lines share suppliers and form one component. The search's leaves cost a
    # whole-basket evaluation each, and the budget takes seconds: why the procurement runs the
    # solver of a large request as a local activity (patch basket-activity-1), not in its task.
    dense_rng = random.Random(args.seed + 1)
    dense_suppliers = [make_supplier(dense_rng, n) for n in range(DENSE_SUPPLIERS)]
    dense_listings = adapter.validate_python({
        line.line_id: [make_listing(dense_rng, number, i, dense_suppliers) for i in range(DENSE_LISTINGS)]
        for number, line in enumerate(request.lines)
    })
    dense_sourcings = source_request(request, dense_listings, today=TODAY)
    dense = choose_basket(request, dense_sourcings)
    dense_times = measure(max(3, args.runs // 2), lambda: choose_basket(request, dense_sourcings))

    ranked = sum(len(s.ranked) for s in sourcings)
    excluded = sum(len(s.excluded) for s in sourcings)
    report = [
        "Sourcing benchmark (bench/sourcing_bench.py)",
        "",
        *machine(),
        "",
        f"input:    {LINES} lines x {LISTINGS_PER_LINE} listings = {LINES * LISTINGS_PER_LINE} listings, "
        f"{SUPPLIERS} suppliers, 12 SKUs and 3 price tiers per offer, VAT invoice, top_n 10",
        f"          seed {args.seed}; {len(payload) / 1e6:.1f} MB of listing JSON",
        f"outcome:  {ranked} ranked, {excluded} excluded; {len(plan.orders)} orders, "
        f"{len(plan.unplanned)} lines unplanned; plan total {plan.total:.2f} yuan",
        f"runs:     {args.runs} timed runs after one warm-up, single thread",
        "",
        summary("rank the assessed listings (target 50 ms)", rank_times),
        "  what the planning workflow task runs: each line's listings were assessed as they arrived",
        summary("assess the 10,000 listings, each for its line", assess_times),
        f"  spread over the workflow tasks that deliver the offers: "
        f"{statistics.median(assess_times.cpu) / (LINES * LISTINGS_PER_LINE) * 1e6:.0f} us of CPU per listing",
        summary("source_request + plan_orders (both halves)", sourcing_times),
        summary("  of which source_request alone", ranking_times),
        summary("  of which plan_orders alone", plan_times),
        summary("  runs back to back (full GC pauses land here)", uncollected_times),
        summary(f"choose_basket (the solver, {NODE_BUDGET} nodes at most)", basket_times),
        f"  basket {basket.plan.total:.2f} yuan in {len(basket.plan.orders)} orders against the per-line plan's "
        f"{basket.per_line_plan_total:.2f}; {basket.nodes} nodes; "
        + ("proven optimal" if basket.optimal else
           f"budget reached, at most {basket.gap:.2f} yuan ({basket.gap / basket.plan.total * 100:.2f} %) from the optimum"),
        f"  each line's own best landed cost {basket.own_best_total:.2f}; lowest headline prices {basket.headline_total:.2f}",
        summary(f"choose_basket, dense: {LINES} x {DENSE_LISTINGS} over {DENSE_SUPPLIERS} suppliers", dense_times),
        f"  {dense.nodes} nodes, {len(dense.plan.orders)} orders; "
        + ("proven optimal" if dense.optimal else f"budget reached, at most {dense.gap:.2f} yuan from the optimum")
        + "; in the procurement this runs as a local activity (basket-activity-1), outside the workflow task",
        "",
        "Not sourcing, but paid in the workflow tasks where the listings arrive as activity results; with",
        "at most 50 reads in flight (patch big-request-1) one activation decodes at most 50 of them:",
        summary(f"decode the listings ({len(payload) / 1e6:.1f} MB JSON)", decode_times),
        summary(f"decode, SKUs trimmed to spec ({len(trimmed_payload) / 1e6:.1f} MB)", trimmed_decode_times),
        summary("  the same with the garbage collector off", trimmed_decode_gc_off),
        "",
        "The SDK's deadlock detector fires at 2 s per workflow activation; bench.scale measures the",
        "largest activation of a whole 200-line procurement. Each timed run starts after",
        "gc.collect(); run back to back, a full collection over the heap of 10,000 decoded listings",
        "lands in some runs and adds about 0.3-0.4 s (third row). Decoding allocates the most and",
        "pays the most for collections (last row). Workflow code also runs in the sandbox, which",
        "adds overhead; pass `domain` through the sandbox. The CPU columns count this process's",
        "CPU time only; with other work on the machine they are the steadier figure (see the load",
        "average above).",
    ]
    text = "\n".join(report) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
