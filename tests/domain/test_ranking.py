"""Ranking the offers for a line: the article's case, dedupe, shortlist, and order independence."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.eligibility import ExclusionCode, trim_to_spec
from domain.money import yuan
from domain.offer import Listing
from domain.ranking import LineSourcing, SupplierJudge, assess, rank_line, source_line, source_request
from domain.request import RequestLine
from domain.supplier import SupplierHistory
from sourcing_builders import TODAY, line, listing, policy, random_line, random_listing, request

SUPPLIER_A = listing("A-offer", "A", price="45.00", moq=50, freight={"flat": "100.00"})
SUPPLIER_B = listing("B-offer", "B", price="48.00", moq=30, freight={"flat": "50.00"})


def source(
    request_line: RequestLine,
    listings: list[Listing],
    *,
    top_n: int = 10,
    history: dict[str, SupplierHistory] | None = None,
    **policy_fields: object,
) -> LineSourcing:
    return source_line(
        request_line,
        listings,
        policy(**policy_fields),
        needs_vat_invoice=False,
        today=TODAY,
        top_n=top_n,
        history_by_supplier=history,
    )


def test_the_article_for_30_pieces_b_wins_because_a_is_not_eligible() -> None:
    result = source(line(quantity=30), [SUPPLIER_A, SUPPLIER_B])
    assert [c.supplier_id for c in result.ranked] == ["B"]
    assert result.ranked[0].total == Decimal("1490.00")
    assert yuan(result.ranked[0].landed_unit_cost) == Decimal("49.67")
    [excluded] = result.excluded
    assert excluded.supplier_id == "A"
    assert [r.code for r in excluded.reasons] == [ExclusionCode.BELOW_MOQ]


def test_the_article_for_50_pieces_a_wins_2350_against_2450() -> None:
    result = source(line(quantity=50), [SUPPLIER_A, SUPPLIER_B])
    assert [(c.supplier_id, c.total, c.rank) for c in result.ranked] == [
        ("A", Decimal("2350.00"), 1),
        ("B", Decimal("2450.00"), 2),
    ]
    assert result.ranked[0].reason.startswith("cheapest: 47.00 per 件 landed (2250.00 goods + 100.00 freight")
    assert "2.00 more per 件 than #1" in result.ranked[1].reason


def test_equal_landed_cost_goes_to_the_better_score_then_the_offer_id() -> None:
    strong = listing("Z", "S1", supplier_fields={"credit_level": "L5"})
    weak = listing("Y", "S2", supplier_fields={"credit_level": "L1"})
    twin = listing("X", "S3", supplier_fields={"credit_level": "L1"})
    result = source(line(), [weak, twin, strong])
    assert [c.offer_id for c in result.ranked] == ["Z", "X", "Y"]
    assert "the same as #1, but supplier score" in result.ranked[1].reason


def test_our_history_can_change_the_order_of_equally_priced_offers() -> None:
    first = listing("O1", "S1")
    second = listing("O2", "S2")
    bad_record = {"S1": SupplierHistory(orders_delivered=10, on_time_deliveries=2, qc_inspected=10, qc_passed=3)}
    assert [c.offer_id for c in source(line(), [first, second]).ranked] == ["O1", "O2"]
    assert [c.offer_id for c in source(line(), [first, second], history=bad_record).ranked] == ["O2", "O1"]


def test_the_same_offer_seen_twice_counts_once() -> None:
    result = source(line(), [SUPPLIER_B, SUPPLIER_B, SUPPLIER_B])
    assert [c.offer_id for c in result.ranked] == ["B-offer"]
    assert result.excluded == []


def test_the_same_offer_read_twice_keeps_the_better_reading_whatever_the_order() -> None:
    stale = listing("O1", "S1", skus=[{"spec_id": "w", "attributes": {"颜色": "白色"}, "stock": 0}])
    fresh = listing("O1", "S1")
    for order in ([stale, fresh], [fresh, stale]):
        result = source(line(), order)
        assert [c.offer_id for c in result.ranked] == ["O1"]
        assert result.excluded == []


def test_the_same_supplier_listing_the_same_product_twice_keeps_the_cheaper() -> None:
    dear = listing("O1", "S1", price="46.00", subject="纯棉T恤  男款")
    cheap = listing("O2", "S1", price="45.00", subject="纯棉t恤 男款")
    other_supplier = listing("O3", "S2", price="47.00", subject="纯棉T恤 男款")
    result = source(line(), [dear, cheap, other_supplier])
    assert [c.offer_id for c in result.ranked] == ["O2", "O3"]
    [duplicate] = result.excluded
    assert duplicate.offer_id == "O1"
    assert duplicate.reasons[0].code == ExclusionCode.DUPLICATE_LISTING
    assert duplicate.reasons[0].message == "the same supplier lists this product for less as offer O2"


def test_a_cheaper_duplicate_that_is_not_eligible_does_not_hide_the_eligible_one() -> None:
    dear = listing("O1", "S1", price="46.00", subject="T恤")
    cheap_but_sold_out = listing(
        "O2", "S1", price="45.00", subject="T恤", skus=[{"spec_id": "w", "attributes": {}, "stock": 0}]
    )
    result = source(line(), [dear, cheap_but_sold_out])
    assert [c.offer_id for c in result.ranked] == ["O1"]
    assert [r.code for r in result.excluded[0].reasons] == [ExclusionCode.NOT_ENOUGH_STOCK]


def test_only_the_top_n_are_kept_and_the_rest_say_why() -> None:
    listings = [listing(f"O{i}", f"S{i}", price=f"{40 + i}.00") for i in range(5)]
    result = source(line(), listings, top_n=2)
    assert [c.offer_id for c in result.ranked] == ["O0", "O1"]
    assert [c.rank for c in result.ranked] == [1, 2]
    assert {e.offer_id for e in result.excluded} == {"O2", "O3", "O4"}
    assert all(e.reasons[0].code == ExclusionCode.OUTRANKED for e in result.excluded)


def test_a_supplier_below_policy_is_excluded_with_its_score() -> None:
    result = source(line(), [listing(supplier_fields={"years": 1})], min_years=3)
    assert result.ranked == []
    [excluded] = result.excluded
    assert result.reasons_of(excluded)[0].message == "the supplier has 1 years on 1688; you require 3"
    assert result.score_of(excluded) == Decimal("3.84")


def test_the_invoice_surcharge_can_change_the_winner() -> None:
    taxed = listing("O1", "S1", price="45.00", tax_rate="0.10")
    untaxed = listing("O2", "S2", price="47.00", tax_rate="0")
    without = source_line(line(), [taxed, untaxed], policy(), needs_vat_invoice=False, today=TODAY)
    with_invoice = source_line(line(), [taxed, untaxed], policy(), needs_vat_invoice=True, today=TODAY)
    assert without.ranked[0].offer_id == "O1"
    assert with_invoice.ranked[0].offer_id == "O2"
    assert "invoice surcharge" in with_invoice.ranked[1].reason


def test_a_freight_estimate_overrides_the_offers_template() -> None:
    estimated = listing("O1", "S1", freight={"flat": "100.00"}, estimate={"kind": "estimate", "amount": "12.00"})
    [candidate] = source(line(quantity=30), [estimated]).ranked
    assert candidate.freight == Decimal("12.00")


def test_below_moq_with_mixed_batches_is_ranked_and_flagged() -> None:
    item = listing(moq=50, supplier_fields={"mix_batch": {"min_amount": "100.00", "min_quantity": 10}})
    [candidate] = source(line(quantity=30), [item]).ranked
    assert candidate.below_moq
    assert "mixed-batch minimum (100.00 yuan and 10 pieces)" in candidate.reason


def test_the_result_round_trips_through_json() -> None:
    result = source(line(quantity=30), [SUPPLIER_A, SUPPLIER_B])
    assert LineSourcing.model_validate_json(result.model_dump_json()) == result


def test_source_request_sources_every_line_in_order() -> None:
    purchase = request(line("1", quantity=30), line("2", quantity=50))
    results = source_request(purchase, {"1": [SUPPLIER_A, SUPPLIER_B], "2": [SUPPLIER_A]}, today=TODAY)
    assert [(r.line_id, [c.offer_id for c in r.ranked]) for r in results] == [
        ("1", ["B-offer"]),
        ("2", ["A-offer"]),
    ]


@st.composite
def line_and_listings(draw: st.DrawFn) -> tuple[RequestLine, list[Listing]]:
    rng = random.Random(draw(st.integers(0, 2**32)))
    count = draw(st.integers(0, 25))
    # Offer numbers repeat on purpose: the same offer seen twice, maybe read differently.
    listings = [random_listing(rng, rng.randint(0, 15)) for _ in range(count)]
    for item in list(listings):
        if rng.random() < 0.3:
            # The same offer read again, differing only where ranking does not look.
            reread = item.offer.model_copy(update={"month_sold": item.offer.month_sold + 1})
            listings.append(item.model_copy(update={"offer": reread}))
    return random_line(rng, "1"), listings


@settings(max_examples=150, deadline=None)
@given(line_and_listings(), st.randoms(use_true_random=False), st.integers(1, 12))
def test_ranking_does_not_depend_on_input_order(
    case: tuple[RequestLine, list[Listing]], shuffler: random.Random, top_n: int
) -> None:
    request_line, listings = case
    shuffled = list(listings)
    shuffler.shuffle(shuffled)
    assert source(request_line, shuffled, top_n=top_n) == source(request_line, listings, top_n=top_n)


@settings(max_examples=150, deadline=None)
@given(line_and_listings(), st.integers(1, 12))
def test_every_offer_is_ranked_or_excluded_once_and_the_ranking_is_sorted(
    case: tuple[RequestLine, list[Listing]], top_n: int
) -> None:
    request_line, listings = case
    result = source(request_line, listings, top_n=top_n)
    seen = [c.offer_id for c in result.ranked] + [e.offer_id for e in result.excluded]
    assert sorted(seen) == sorted({item.offer.offer_id for item in listings})
    assert len(result.ranked) <= top_n
    assert [c.rank for c in result.ranked] == list(range(1, len(result.ranked) + 1))
    keys = [(c.landed_unit_cost, -c.score, c.offer_id) for c in result.ranked]
    assert keys == sorted(keys)
    assert all(result.reasons_of(e) for e in result.excluded)
    for candidate in result.ranked:
        assert candidate.total == candidate.goods_total + candidate.freight + candidate.tax
        if request_line.price_max is not None:
            assert candidate.unit_price <= request_line.price_max


@settings(max_examples=100, deadline=None)
@given(line_and_listings())
def test_trimming_offers_to_the_lines_spec_does_not_change_the_outcome(
    case: tuple[RequestLine, list[Listing]],
) -> None:
    request_line, listings = case
    trimmed = [
        item.model_copy(update={"offer": trim_to_spec(item.offer, request_line.spec)}) for item in listings
    ]
    assert source(request_line, trimmed) == source(request_line, listings)


# --- judged as they arrive, ranked later (what the procurement workflow does) --------------------


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32))
def test_listings_assessed_as_they_arrive_rank_as_sourcing_them_at_once(seed: int) -> None:
    # The workflow assesses each listing when it arrives, with its seller's profile shared between
    # listings, and ranks at planning time with one judge for every line: the same outcome.
    rng = random.Random(seed)
    request_line = random_line(rng, "1")
    listings = [random_listing(rng, rng.randint(0, 15)) for _ in range(rng.randint(0, 25))]
    sellers: dict[str, object] = {}
    shared = [item.model_copy(update={"supplier": sellers.setdefault(item.supplier.model_dump_json(), item.supplier)})
              for item in listings]
    judge = SupplierJudge(policy(), TODAY, None)
    assessed = [assess(request_line, item, needs_vat_invoice=True) for item in shared]
    ranked = rank_line(request_line, assessed, judge, top_n=5)
    again = rank_line(request_line, assessed, judge, top_n=5)  # the judge's cache changes nothing
    expected = source_line(request_line, listings, policy(), needs_vat_invoice=True, today=TODAY, top_n=5)
    assert ranked == expected and again == expected


def test_an_assessment_for_another_quantity_is_refused() -> None:
    # A line bought again for the pieces still missing must be assessed afresh: tiers, freight and
    # stock depend on the quantity.
    assessed = [assess(line(quantity=50), SUPPLIER_A, needs_vat_invoice=False)]
    with pytest.raises(ValueError, match="assessed for 50 pieces"):
        rank_line(line(quantity=30), assessed, SupplierJudge(policy(), TODAY, None), top_n=3)


def test_the_judge_reads_a_changed_profile_afresh() -> None:
    judge = SupplierJudge(policy(min_years=3), TODAY, None)
    fresh = SUPPLIER_A.supplier
    assert judge.verdict(fresh).reasons == []
    junior = fresh.model_copy(update={"years": 1})
    assert [r.code for r in judge.verdict(junior).reasons] == [ExclusionCode.SUPPLIER_YEARS]
    assert judge.verdict(fresh).reasons == []


def test_an_excluded_offer_keeps_the_entry_made_when_it_was_read_and_its_supplier_is_judged_once() -> None:
    # A large request excludes thousands of offers: each one's entry is made by `assess`, where the
    # offer is read, and ranking only picks it up; the supplier's score and reasons are kept once
    # for the line, and `reasons_of` gives the offer's own reasons first, then the supplier's.
    sold_out = listing("O1", "S1", skus=[{"spec_id": "w", "attributes": {}, "stock": 0}], supplier_fields={"years": 1})
    in_stock = listing("O2", "S1", subject="another product", supplier_fields={"years": 1})
    good = listing("O3", "S2")
    request_line = line()
    assessed = [assess(request_line, item, needs_vat_invoice=False) for item in (sold_out, in_stock, good)]
    result = rank_line(request_line, assessed, SupplierJudge(policy(min_years=3), TODAY, None), top_n=5)
    assert [c.offer_id for c in result.ranked] == ["O3"]
    assert result.excluded[0] is assessed[0].excluded and result.excluded[1] is assessed[1].excluded
    assert list(result.suppliers) == ["S1"]
    assert [r.code for r in result.reasons_of(result.excluded[0])] == [
        ExclusionCode.NOT_ENOUGH_STOCK, ExclusionCode.SUPPLIER_YEARS]
    assert [r.code for r in result.reasons_of(result.excluded[1])] == [ExclusionCode.SUPPLIER_YEARS]
    assert result.score_of(result.excluded[1]) == result.suppliers["S1"].score
    # A record made before the verdicts were kept per supplier carries them on the entry itself.
    entry = result.excluded[1]
    older = result.model_copy(update={"suppliers": {}, "excluded": [entry.model_copy(update={
        "score": Decimal("3.84"), "reasons": result.reasons_of(entry)})]})
    assert older.reasons_of(older.excluded[0]) == result.reasons_of(entry)
    assert older.score_of(older.excluded[0]) == Decimal("3.84")


def test_a_supplier_read_with_two_verdicts_keeps_each_on_its_offers() -> None:
    # Two readings of one seller that differ (a fresher profile): no one verdict for the line, so
    # each excluded offer carries its own, whatever order the listings came in.
    junior = listing("O1", "S1", subject="a", supplier_fields={"years": 1})
    senior_but_sold_out = listing("O2", "S1", subject="b", skus=[{"spec_id": "w", "attributes": {}, "stock": 0}])
    for order in ([junior, senior_but_sold_out], [senior_but_sold_out, junior]):
        result = source(line(), order, min_years=3)
        assert result.suppliers == {}
        by_offer = {e.offer_id: e for e in result.excluded}
        assert [r.code for r in result.reasons_of(by_offer["O1"])] == [ExclusionCode.SUPPLIER_YEARS]
        assert [r.code for r in result.reasons_of(by_offer["O2"])] == [ExclusionCode.NOT_ENOUGH_STOCK]
        assert result.score_of(by_offer["O1"]) is not None and result.score_of(by_offer["O2"]) is not None
