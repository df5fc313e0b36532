"""Models built from valid values without validation are the models validation would build."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, PrivateAttr

from domain.eligibility import Exclusion, ExclusionCode
from domain.prevalidated import prevalidated, prevalidated_values
from domain.ranking import Candidate, ExcludedCandidate, LineSourcing, source_line
from sourcing_builders import TODAY, policy, random_line, random_listing

REASON = {"code": ExclusionCode.OUTRANKED, "message": "eligible, but 3 cheaper offers were kept"}


def test_an_instance_equals_the_validated_one_field_for_field() -> None:
    values = {"offer_id": "61001", "supplier_id": "b2b-A", "spec_id": None, "subject": "T恤",
              "unit_price": Decimal("12.50"), "landed_unit_cost": Decimal("13.1666"), "score": Decimal("4.20"),
              "reasons": [Exclusion(**REASON)]}
    built = prevalidated(ExcludedCandidate, **values)
    validated = ExcludedCandidate(**values)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    assert built.model_fields_set == validated.model_fields_set


def test_values_given_out_of_field_order_keep_the_field_order() -> None:
    built = prevalidated(Exclusion, message=REASON["message"], code=REASON["code"])
    assert list(built.__dict__) == ["code", "message"]
    assert built.model_dump_json() == Exclusion(**REASON).model_dump_json()


def test_a_dict_of_values_becomes_the_instances_own_in_field_order() -> None:
    # Ranking builds each candidate from a copy of fields made when the offer was read.
    values = {"code": REASON["code"], "message": REASON["message"]}
    built = prevalidated_values(Exclusion, values)
    assert built.__dict__ is values and built == Exclusion(**REASON)
    reordered = prevalidated_values(Exclusion, {"message": REASON["message"], "code": REASON["code"]})
    assert list(reordered.__dict__) == ["code", "message"]
    with pytest.raises(TypeError, match="missing \\['message'\\]"):
        prevalidated_values(Exclusion, {"code": ExclusionCode.OUTRANKED})


def test_the_instance_stays_frozen() -> None:
    built = prevalidated(Exclusion, **REASON)
    with pytest.raises(Exception, match="frozen"):
        built.message = "changed"  # type: ignore[misc]


def test_every_field_must_be_stated() -> None:
    with pytest.raises(TypeError, match="missing \\['message'\\]"):
        prevalidated(Exclusion, code=ExclusionCode.OUTRANKED)
    with pytest.raises(TypeError, match="unknown field"):
        prevalidated(Exclusion, code=ExclusionCode.OUTRANKED, note="x")


def test_a_model_with_private_attributes_is_refused() -> None:
    class WithPrivate(BaseModel):
        name: str
        _cache: int = PrivateAttr(default=0)

    with pytest.raises(TypeError, match="validate it instead"):
        prevalidated(WithPrivate, name="x")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 12))
def test_ranking_results_are_what_validation_makes_of_them(seed: int, top_n: int) -> None:
    # Ranking builds its candidates and exclusions without validation (for speed): validating the
    # same values again must change nothing, on random lines and listings.
    rng = random.Random(seed)
    listings = [random_listing(rng, rng.randint(0, 15)) for _ in range(rng.randint(0, 25))]
    result = source_line(random_line(rng, "1"), listings, policy(), needs_vat_invoice=rng.random() < 0.5,
                         today=TODAY, top_n=top_n)
    for candidate in result.ranked:
        assert Candidate.model_validate(candidate.model_dump()) == candidate
    for excluded in result.excluded:
        assert ExcludedCandidate.model_validate(excluded.model_dump()) == excluded
    assert LineSourcing.model_validate_json(result.model_dump_json()) == result
