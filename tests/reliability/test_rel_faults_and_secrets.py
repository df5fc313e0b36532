"""Gateway faults over real HTTP, bad updates and SQL-looking text through `procure`, and, after all
of that, a search of every history, log line and ledger row for secrets.

One multi-process stack serves the whole module (one worker; a distinctive app secret, access
and refresh token on both the simulator and the worker; payload encryption on). The tests run in
file order and the last one searches everything the earlier ones left behind; each test also
stands alone (`-k`), since it starts its own procurements.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.messages import QcInput, QcLineInput, QcResult
from domain.progress import ProcurementState
from rel_stack import (
    PHONE, AppCredentials, Stack, StackOptions, all_histories, check_nothing_doubled, drive, hold_at_qc,
    mixed_requests, procure, purchase_request, read_books, running_stack, until,
)
from starter.codec import generate_key

pytestmark = pytest.mark.reliability

SECRET = "S3CR3T-app-7f3a9c2e"
ACCESS_TOKEN = "ACCESS-TOKEN-5d1e8b44"  # refreshed tokens start with it: "ACCESS-TOKEN-5d1e8b44-2"
REFRESH_TOKEN = "REFRESH-TOKEN-9c2f4a17"
APP = AppCredentials(app_key="2000001", app_secret=SECRET, access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN)

CREATE = "alibaba.trade.fastCreateOrder"
PAY = "alibaba.trade.pay.protocolPay.preparePay"
GET_ORDER = "alibaba.trade.get.buyerView"
LIST_ORDERS = "alibaba.trade.getBuyerOrderList"
LOGISTICS = "alibaba.trade.getLogisticsInfos.buyerView"
GET_TOKEN = "getToken"

SQL = "'; DROP TABLE orders; --"


@pytest.fixture(scope="module")
async def stack():
    options = StackOptions(workers=1, app=APP, payload_key=generate_key("rel-test"))
    async with running_stack(options, prefix="procure-rel-faults-") as stack:
        yield stack


@pytest.fixture(autouse=True)
async def no_faults_left(stack: Stack):
    yield
    await stack.sim_post("faults", {})


async def new_calls(stack: Stack, before: int) -> list[dict]:
    return (await stack.sim_get("calls"))[before:]


# --- lost replies ---------------------------------------------------------------------------------


async def test_lost_create_and_pay_replies_over_http_never_double_anything(stack: Stack):
    before = len(await stack.sim_get("calls"))
    await stack.sim_post("faults", {"lost_reply": {CREATE: 3, PAY: 3}})
    ids = [(await stack.start_procurement(r)).id for r in mixed_requests("LOST", 5, seed=11)]
    report = await drive(stack, ids, timeout=180)
    counts = check_nothing_doubled(await read_books(stack), report, ids)
    assert (await stack.sim_get("faults"))["lost_reply"] == {}, "every lost reply was served"
    calls = await new_calls(stack, before)
    creates = Counter(c["outcome"] for c in calls if c["api"] == CREATE)
    pays = Counter(c["outcome"] for c in calls if c["api"] == PAY)
    # Each intended order reached 1688 exactly once, each payment once: the retries looked first.
    assert creates == Counter({"ok": counts["orders"] - 3, "lost_reply": 3}), creates
    assert pays == Counter({"ok": counts["payments"] - 3, "lost_reply": 3}), pays
    lookups = sum(1 for c in calls if c["api"] == LIST_ORDERS)
    assert lookups >= 3
    print("lost replies:", json.dumps({**counts, "creates": dict(creates), "pays": dict(pays), "lookups": lookups,
                                       "seconds": round(report.seconds)}))


# --- token expiry ---------------------------------------------------------------------------------


async def test_an_access_token_that_expires_mid_procurement_is_refreshed_once(stack: Stack):
    handle = await stack.start_procurement(purchase_request("TOKEN-1", [("1", "纯棉T恤", 30), ("2", "帆布包", 20)]))

    async def paid() -> bool:
        state = await handle.query("state", result_type=ProcurementState, rpc_timeout=timedelta(seconds=10))
        return any(o.status.is_paid for o in state.orders)

    await until(paid, "an order to be paid", 60)
    before = len(await stack.sim_get("calls"))
    expired = await stack.sim_post("tokens/expire", {})
    assert expired["expired_access_tokens"] >= 1
    report = await drive(stack, [handle.id], timeout=120)
    check_nothing_doubled(await read_books(stack), report, [handle.id])
    calls = await new_calls(stack, before)
    refreshes = [c for c in calls if c["api"] == GET_TOKEN]
    rejected = [c for c in calls if c["error_code"] == "401"]
    assert [r["outcome"] for r in refreshes] == ["ok"], f"one refresh (one worker), got {refreshes}"
    assert rejected, "the expired token was used before the refresh"
    # Calls already in flight with the old token may still be refused just after the refresh;
    # each is then repeated with the new token, without a second refresh. After those, none.
    first_refresh = calls.index(refreshes[0])
    late = [c for c in calls[first_refresh + 1:] if c["error_code"] == "401"]
    assert len(late) <= 3, calls[first_refresh - 2:first_refresh + 10]
    print("token expiry:", json.dumps({"refreshes": len(refreshes), "calls_refused_401": len(rejected),
                                       "refused_after_the_refresh": len(late),
                                       "calls_after_refresh": len(calls) - first_refresh - 1}))


# --- malformed replies --------------------------------------------------------------------------

MALFORMED = [
    ("truncated", CREATE, "create_order"),
    ("html", PAY, "pay_order"),
    ("wrong_type", PAY, "pay_order"),
    ("missing_field", GET_ORDER, "get_order"),
    ("wrong_type", LOGISTICS, "poll_order"),
]


@pytest.mark.parametrize(("kind", "api", "activity"), MALFORMED, ids=[f"{k}-{a}" for k, _, a in MALFORMED])
async def test_a_malformed_reply_is_a_typed_error_with_an_audit_row_then_a_retry(stack: Stack, kind, api, activity):
    request_id = f"MAL-{kind}-{activity}".replace("_", "-").upper()
    await stack.sim_post("faults", {"malformed": {api: {"kind": kind, "count": 1}}})
    handle = await stack.start_procurement(purchase_request(request_id, [("1", "保温杯", 20)]))
    report = await drive(stack, [handle.id], timeout=120)
    check_nothing_doubled(await read_books(stack), report, [handle.id])
    assert (await stack.sim_get("faults"))["malformed"] == {}, "the malformed reply was served"

    assert stack.pool is not None
    pool = stack.pool

    async def audit_rows() -> list:
        return await pool.fetch(
            "SELECT * FROM api_calls WHERE api LIKE $1 AND error_code = 'malformed_reply' AND workflow_id LIKE $2",
            f"%:{api}", f"pr-{request_id}%")

    # Rows wait in the worker while PostgreSQL is slow to answer: wait for it, with a deadline.
    rows = await until(audit_rows, "the audit row of the malformed reply", 30)
    assert [r["outcome"] for r in rows] == ["error"], "one audit row for the malformed reply"
    history = await stack.client.get_workflow_handle(rows[0]["workflow_id"]).fetch_history()
    names = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
             for e in history.events if e.HasField("activity_task_scheduled_event_attributes")}
    retried = [e.activity_task_started_event_attributes for e in history.events
               if e.HasField("activity_task_started_event_attributes")
               and names[e.activity_task_started_event_attributes.scheduled_event_id] == activity
               and e.activity_task_started_event_attributes.attempt > 1]
    assert [r.last_failure.application_failure_info.type for r in retried] == ["MalformedReply"], \
        f"{activity} failed once with a typed MalformedReply, then succeeded on its retry"


async def test_a_garbled_lookup_reply_never_makes_a_second_order(stack: Stack):
    """A create whose reply is lost, then a lookup whose reply has no payload: the lookup must not
    read as "no such order" (it did, and 1688 got the order twice: fixed in alibaba1688/replies.py)."""
    await stack.sim_post("faults", {"lost_reply": {CREATE: 1}, "malformed": {LIST_ORDERS: {"kind": "missing_field"}}})
    handle = await stack.start_procurement(purchase_request("MAL-LOOKUP", [("1", "保温杯", 20)]))
    report = await drive(stack, [handle.id], timeout=120)
    check_nothing_doubled(await read_books(stack), report, [handle.id])


# --- bad updates through `procure` --------------------------------------------------------------


async def test_bad_qc_approval_and_cancel_messages_are_refused_and_change_nothing(stack: Stack):
    handle = await stack.start_procurement(purchase_request("BADMSG-1", [("1", "纯棉T恤", 30)]))
    order = await hold_at_qc(stack, handle.id)
    env = stack.cli_environment()
    order_id = order.order_id
    assert order_id is not None
    cases = [
        (["qc", "999999999999", "accept"], 1, "no open order 999999999999"),
        (["qc", "not-an-order", "accept"], 2, "a 1688 order id is a string of digits"),
        (["qc", order_id, "reject", "--line", "9", "--rejected", "1", "--reason", "torn"], 2, "line '9' is not in order"),
        (["qc", order_id, "reject", "--line", "1", "--rejected", "31", "--reason", "torn"], 2,
         "31 rejected but only 30 arrived"),
        (["qc", order_id, "reject", "--line", "1", "--rejected", "5"], 2, "give --reason TEXT"),
        (["qc", order_id, "reject", "--line", "1", "--rejected", "0", "--reason", "torn"], 2, "above 0"),
        (["qc", order_id, "accept", "--line", "1", "--rejected", "2"], 2, "accept takes no --line"),
        (["approve", "BADMSG-1"], 1, "no payment is waiting for approval"),
        (["approve", "NO-SUCH-REQUEST"], 1, "no procurement NO-SUCH-REQUEST"),
        (["cancel", "NO-SUCH-REQUEST", "--reason", "test"], 1, "no procurement NO-SUCH-REQUEST"),
        (["cancel", "BADMSG-1", "--reason", ""], 2, "reason"),
        (["approve", "bad id with spaces"], 2, "is not a request id"),
    ]
    outcomes = []
    for args, code, message in cases:
        result = await procure(env, *args)
        outcomes.append((args, result.code, result.err.strip()))
        assert result.code == code and message in result.err, (args, result)
        assert "Traceback" not in result.err

    # A program talking to Temporal directly (an ERP) meets the same checks in the workflow itself.
    child = stack.client.get_workflow_handle(order.workflow_id)
    direct = [
        (QcInput(order_id=order_id, decision="reject", lines=[QcLineInput(line_id="1", rejected_qty=5)]),
         "a reason is required"),
        (QcInput(order_id="123456789", decision="accept"), "not 123456789"),
        (QcInput(order_id=order_id, decision="reject", lines=[]), "at least one line"),
    ]
    for message, why in direct:
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await child.execute_update("qc", message, result_type=QcResult)
        assert why in str(refused.value.cause)
        outcomes.append((["(update qc)", message.model_dump_json(exclude_none=True)], "refused", str(refused.value.cause)))

    # Nothing reached the histories, the order, 1688 or the ledger.
    for workflow_id in (handle.id, order.workflow_id):
        history = await stack.client.get_workflow_handle(workflow_id).fetch_history()
        assert not [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    state = await handle.query("state", result_type=ProcurementState)
    assert state.orders[0].qc is None and state.orders[0].status.value == "awaiting_qc"
    assert stack.pool is not None
    assert await stack.pool.fetchval("SELECT count(*) FROM qc_results WHERE order_id = $1", order_id) == 0
    assert [r for r in await stack.sim_get("refunds") if r["order_id"] == order_id] == []

    good = await procure(env, "qc", order_id, "accept", "--by", "qc-7")
    assert good.code == 0, good
    report = await drive(stack, [handle.id], timeout=90)
    check_nothing_doubled(await read_books(stack), report, [handle.id])
    late = await procure(env, "cancel", "BADMSG-1", "--reason", "too late")
    assert late.code == 1 and "finished" in late.err, late
    print("refused messages:", json.dumps([[" ".join(a), c, e] for a, c, e in outcomes], ensure_ascii=False))


# --- SQL-looking text ---------------------------------------------------------------------------


async def test_sql_looking_text_is_taken_and_stored_verbatim(stack: Stack, tmp_path):
    request = purchase_request("SQL-1", [("1", "帆布包", 20)], requester=f"store-17{SQL}").model_dump(mode="json")
    request["delivery"]["address"] = f"网商路699号{SQL}"
    request["delivery"]["full_name"] = f"张三{SQL}"
    path = tmp_path / "sql.json"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    started = await procure(stack.cli_environment(), "start", str(path), "--json")
    assert started.code == 0, started
    assert json.loads(started.out)["workflow_id"] == "pr-SQL-1"
    assert stack.pool is not None
    stored = await until(lambda: stack.pool.fetchval("SELECT request FROM purchase_requests WHERE request_id = 'SQL-1'"),
                         "the request in the ledger", 30)
    stored = json.loads(stored)
    assert stored["requester"] == f"store-17{SQL}"
    assert stored["delivery"]["address"] == f"网商路699号{SQL}"
    assert stored["delivery"]["full_name"] == f"张三{SQL}"
    report = await drive(stack, ["pr-SQL-1"], timeout=90)
    check_nothing_doubled(await read_books(stack), report, ["pr-SQL-1"])
    # The address went to 1688 verbatim too; the audit row keeps the parameters with the
    # receiver's street masked and the name cut to its first character.
    [order] = [o for o in await stack.sim_get("orders") if o["out_order_id"].startswith("pr-SQL-1")]
    assert order["address"]["address"] == f"网商路699号{SQL}" and order["address"]["fullName"] == f"张三{SQL}"
    params = await stack.pool.fetchval(
        "SELECT params::text FROM api_calls WHERE api LIKE '%fastCreateOrder' AND workflow_id = 'pr-SQL-1'")
    audited = json.loads(json.loads(params)["addressParam"])
    assert SQL not in audited["address"] and audited["fullName"].startswith("张") and SQL not in audited["fullName"]
    assert await stack.pool.fetchval("SELECT count(*) FROM orders") > 0  # the table is still there


# --- secrets, last: after everything above ------------------------------------------------------

_BASE64 = re.compile(r"^[A-Za-z0-9+/=_-]{8,}$")


def _decoded_strings(value) -> list[str]:
    """Every string in a JSON tree, plus what each base64-looking one decodes to."""
    found: list[str] = []
    if isinstance(value, dict):
        for item in value.values():
            found += _decoded_strings(item)
    elif isinstance(value, list):
        for item in value:
            found += _decoded_strings(item)
    elif isinstance(value, str):
        found.append(value)
        if _BASE64.match(value):
            try:
                found.append(base64.b64decode(value + "=" * (-len(value) % 4), validate=False).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                pass
    return found


def leaks(where: str, text: str, needles: dict[str, str]) -> list[str]:
    return [f"{name} in {where}" for name, needle in needles.items() if needle in text]


async def test_no_secret_token_or_phone_in_histories_logs_or_ledger(stack: Stack):
    # One more full procurement with a token refresh in the middle, so a refreshed token exists too.
    handle = await stack.start_procurement(purchase_request("SECRETS-1", [("1", "保温杯", 20), ("2", "纯棉T恤", 20)]))
    await hold_at_qc(stack, handle.id)
    await stack.sim_post("tokens/expire", {})
    report = await drive(stack, [handle.id], timeout=120)
    check_nothing_doubled(await read_books(stack), report, [handle.id])
    refreshed = [c for c in await stack.sim_get("calls") if c["api"] == GET_TOKEN and c["outcome"] == "ok"]
    assert refreshed, "no token was refreshed: the refreshed token was not put to the test"

    secrets = {"app secret": SECRET, "access token": ACCESS_TOKEN, "refresh token": REFRESH_TOKEN}
    with_phone = {**secrets, "receiver's phone": PHONE}
    found: list[str] = []

    # Every history of the stack (all tests of this module), raw and with base64 fields decoded.
    histories = await all_histories(stack)
    assert len(histories) >= 3
    for history in histories:
        raw = history.to_json()
        text = raw + "\n".join(_decoded_strings(json.loads(raw)))
        found += leaks(f"history {history.workflow_id}", text, with_phone)
    # Positive control: the phone is in there, encrypted; the codec gives it back.
    started = histories[0].events[0].workflow_execution_started_event_attributes
    decoded = await stack.converter().payload_codec.decode(list(started.input.payloads))
    assert all(p.metadata.get("encoding") == b"binary/encrypted" for p in started.input.payloads)
    assert any(PHONE.encode() in p.data for p in decoded), "control: the codec did not reveal the phone"

    # Temporal's own database files (histories and visibility at rest).
    for path in stack.root.glob("temporal.db*"):
        data = path.read_bytes()
        found += [f"{name} in {path.name}" for name, needle in with_phone.items() if needle.encode() in data]

    # Every log line of every process (workers, simulator, Temporal), killed ones included.
    for name, text in stack.all_logs().items():
        found += leaks(f"log {name}", text, with_phone)

    # Every ledger row, as text. The phone is allowed in one place: the request as accepted
    # (purchase_requests.request, the delivery address the ERP reads); audit rows mask it.
    assert stack.pool is not None
    tables = [r["table_name"] for r in await stack.pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")]
    rows_searched = 0
    for table in tables:
        rows = [r[0] for r in await stack.pool.fetch(f'SELECT row_to_json(t)::text FROM "{table}" t')]
        rows_searched += len(rows)
        found += leaks(f"ledger {table}", "\n".join(rows), secrets if table == "purchase_requests" else with_phone)
    requests = "\n".join(r[0] for r in await stack.pool.fetch("SELECT request::text FROM purchase_requests"))
    assert PHONE in requests, "control: the ledger search can find the phone where it is kept"
    masked = await stack.pool.fetchval("SELECT count(*) FROM api_calls WHERE params::text LIKE '%152****7788%'")
    assert masked > 0, "control: audit rows carry the masked phone"

    print("secrets search:", json.dumps({"histories": len(histories), "ledger_tables": len(tables),
                                         "ledger_rows": rows_searched, "logs": len(stack.all_logs()),
                                         "audit_rows_with_masked_phone": masked}))
    assert not found, found
