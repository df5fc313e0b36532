"""Malformed purchase requests are refused by `procure start` with a clear message per problem,
exit status 2, and no workflow started.

The corpus lives in tests/reliability/bad_requests/ (one file per way to get it wrong); the huge
ones (a 10 MB keyword, 10,000 lines, a file over the size limit, JSON nested 100,000 deep) are
made by the test instead of being committed. Each is sent through the real command line against
a real Temporal dev server, so a request that slipped through validation would start a workflow
there and be caught.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from rel_stack import clean_environment, procure, until

pytestmark = pytest.mark.reliability

CORPUS = Path(__file__).resolve().parent / "bad_requests"

# What each corpus file must be told (one fragment per problem, in the order they are reported).
EXPECTED: dict[str, list[str]] = {
    "address_nul_character.json": ["delivery.address: must not contain control characters"],
    "bad_json_duplicate_key.json": ['not valid JSON: the key "request_id" appears twice'],
    "bad_json_nan.json": ["not valid JSON: NaN is not a number"],
    "bad_json_single_quotes.json": ["not valid JSON: Expecting property name enclosed in double quotes at line 1"],
    "bad_json_trailing_comma.json": ["not valid JSON: Expecting property name enclosed in double quotes at line 1"],
    "bad_json_unclosed.json": ["not valid JSON: Expecting ',' delimiter at line 2"],
    "bad_yaml.yaml": ["not valid YAML: did not find expected ',' or ']' at line 5"],
    "budget_negative.json": ["budget: must be at least 0"],
    "duplicate_line_ids.json": ['lines: line_id "1" is used by more than one line'],
    "empty.json": ["not valid JSON: Expecting value at line 1 column 1"],
    "empty_keyword.json": ["lines[0].keyword: must not be empty"],
    "keyword_bell_character.json": ["lines[0].keyword: must not contain control characters"],
    "keyword_newline.json": ["lines[0].keyword: must not contain control characters"],
    "keyword_too_long.json": ["lines[0].keyword: is too long (120 characters); at most 100"],
    "lines_not_a_list.json": ["lines: must be a list"],
    "missing_delivery.json": ["delivery: is required"],
    "missing_keyword.json": ["lines[0].keyword: is required"],
    "missing_lines.json": ["lines: is required"],
    "missing_request_id.json": ["request_id: is required"],
    "mobile_letters.json": ["delivery.mobile: must be a phone number"],
    "no_lines.json": ["lines: must have at least 1 item"],
    "not_an_object.json": ["must be an object"],
    "not_utf8.json": ["not valid UTF-8 text at byte 46"],
    "post_code_letters.json": ["delivery.post_code: must be digits only"],
    "price_negative.json": ["lines[0].price_max: must be at least 0"],
    "price_not_a_number.json": ['lines[0].price_max: must be an amount in yuan like "45.00"'],
    "price_range_inverted.json": ["lines[0].price_max: must not be below price_min (50.00)"],
    "price_three_decimals.json": ["lines[0].price_max: must have at most 2 decimal places"],
    "quantity_boolean.json": ["lines[0].quantity: must be a whole number"],
    "quantity_fraction.json": ["lines[0].quantity: must be a whole number"],
    "quantity_negative.json": ["lines[0].quantity: must be greater than 0"],
    "quantity_text.json": ["lines[0].quantity: must be a whole number"],
    "quantity_zero.json": ["lines[0].quantity: must be greater than 0"],
    "request_id_path.json": ["request_id: must be 1 to 64 letters, digits"],
    "three_problems.json": ["lines[0].quantity: must be greater than 0",
                            "lines[0].price_max: must not be below price_min (9.00)", "colour: is not a known field"],
    "too_many_specs.json": ["lines[0].spec: must have at most 20 items"],
    "top_n_zero.json": ["top_n: must be at least 1"],
    "unknown_line_field.json": ["lines[0].colour: is not a known field"],
    "unknown_policy_field.json": ["supplier_policy.min_stars: is not a known field"],
    "unknown_top_field.json": ["colour: is not a known field"],
    "vat_invoice_maybe.json": ["needs_vat_invoice: must be true or false"],
}

VALID = {
    "request_id": "BAD-control-valid", "requester": "store-17",
    "lines": [{"line_id": "1", "keyword": "纯棉T恤", "quantity": 30, "price_min": "30.00", "price_max": "50.00"}],
    "delivery": {"full_name": "张三", "mobile": "15251667788", "province": "浙江省", "city": "杭州市",
                 "area": "滨江区", "address": "网商路699号"},
}


def generate_huge(directory: Path) -> dict[Path, list[str]]:
    """The big ones, written at test time."""
    made: dict[Path, list[str]] = {}
    keyword = dict(VALID, request_id="BAD-huge-keyword")
    keyword["lines"] = [dict(VALID["lines"][0], keyword="纯" + "A" * 10_000_000)]
    path = directory / "keyword_10_mb.json"
    path.write_text(json.dumps(keyword), encoding="utf-8")
    made[path] = ["lines[0].keyword: is too long (10000001 characters); at most 100"]

    lines = dict(VALID, request_id="BAD-ten-thousand-lines")
    lines["lines"] = [dict(VALID["lines"][0], line_id=str(n)) for n in range(10_000)]
    path = directory / "ten_thousand_lines.json"
    path.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
    made[path] = ["lines: must have at most 500 items"]

    path = directory / "seventeen_mb.json"
    path.write_text('{"request_id": "BAD-too-big", "requester": "' + "x" * (17 * 1024 * 1024) + '"}', encoding="utf-8")
    made[path] = ["larger than 16 MB"]

    path = directory / "nested_100000_deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    made[path] = ["not valid JSON: nested too deeply"]
    return made


async def test_the_corpus_covers_every_expectation():
    files = {p.name for p in CORPUS.iterdir() if p.is_file()}
    assert files == set(EXPECTED), (sorted(files - set(EXPECTED)), sorted(set(EXPECTED) - files))
    assert len(files) >= 30


async def test_every_malformed_request_is_refused_with_its_reasons_and_nothing_starts(dev_env, tmp_path):
    env = clean_environment()
    env["TEMPORAL_ADDRESS"] = dev_env.client.service_client.config.target_host
    env["PROCUREMENT_TASK_QUEUE"] = f"rel-bad-{uuid.uuid4().hex[:8]}"  # no worker: a start would just sit there
    cases = {CORPUS / name: fragments for name, fragments in EXPECTED.items()}
    cases.update(generate_huge(tmp_path))
    limit = asyncio.Semaphore(4)

    async def check(path: Path, fragments: list[str]) -> str | None:
        async with limit:
            result = await procure(env, "start", str(path), timeout=120)
        problems = result.err.strip().splitlines()
        prefix = f"procure start: {path}: "
        if result.code != 2:
            return f"{path.name}: exit {result.code}, stderr {result.err[:300]!r}"
        if len(problems) != len(fragments) or not all(line.startswith(prefix) for line in problems):
            return f"{path.name}: expected {len(fragments)} line(s) '{prefix}...', got {problems[:5]!r}"
        missing = [f for f, line in zip(fragments, problems) if f not in line]
        if missing or result.out or "Traceback" in result.err or len(result.err) > 2000:
            return f"{path.name}: {missing or 'unexpected output'}: {result.err[:300]!r} {result.out[:100]!r}"
        return None

    failures = [f for f in await asyncio.gather(*(check(p, f) for p, f in cases.items())) if f]
    assert not failures, "\n".join(failures)

    # Positive control: a good request through the very same path does start its workflow.
    good = tmp_path / "valid.json"
    good.write_text(json.dumps(VALID, ensure_ascii=False), encoding="utf-8")
    started = await procure(env, "start", str(good))
    assert started.code == 0, started
    client = dev_env.client
    await client.get_workflow_handle("pr-BAD-control-valid").terminate("control only")

    async def started_ids() -> list[str]:
        return [w.id async for w in client.list_workflows("WorkflowType = 'ProcurementWorkflow'")
                if w.id.startswith("pr-BAD-")]

    # Visibility may lag a moment: wait until it lists the control, then nothing else may be there.
    listed = await until(started_ids, "the control workflow in visibility", 15)
    assert listed == ["pr-BAD-control-valid"], f"workflows started from bad requests: {listed}"
    print(f"bad requests: {len(cases)} refused with exit 2, none started")
