"""What ops see in the Temporal Web UI, and what nobody else may see, checked in a real browser.

One `procure up` stack with a payload key (so inputs, results, summaries and details are all
encrypted, and the Web UI decodes them through our codec server), the demo catalog and a fast
simulator clock, and one procurement left waiting for QC. Headless Debian chromium (never a
downloaded browser) then looks at it as the person on call would:

- the workflow list filtered by ProcurementStage finds it, with the search attributes as columns;
- its page shows the decoded summary, details and current details, alerts included;
- its event history names every activity and timer ("search 纯棉T恤 page 1");
- the receiver's phone reads in the UI, but not in `temporal workflow show --output json`, and
  never travels to the UI server in clear.

The Web UI keeps polling, so every wait is for an element or a text, with a timeout; never for
"network idle". Screenshots go to a temporary directory; with `UPDATE_SCREENSHOTS=1` they replace
the ones in docs/screenshots/ (that needs a CJK font, e.g. Debian's fonts-noto-cjk, or the
keywords show as empty boxes).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

import psutil
import pytest

from workflows.procurement import BASKET_ACTIVITY_PATCH, BASKET_PATCH, BIG_REQUEST_PATCH, RFQ_PIN_PATCH
from workflows.steps import LEAN_HISTORY_PATCH
from workflows.supplier_order import LEAN_POLL_PATCH, MONEY_PATCH, ORDER_CHECK_PATCH, QUIET_END_PATCH, SPEND_PATCH
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright

from domain.request import parse_purchase_request
from simulator.catalog import DEMO_CATALOG_PATH
from starter.demo import NO_REAL_GATEWAY
from starter.stack import temporal_cli_path
from starter.start import summary
from ports import free_port

PROCURE = [sys.executable, "-c", "from starter.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}
WAIT_MS = 20_000  # for one element of a page the UI is still loading and decoding

REQUEST_ID = "PR-2026-0001"  # every run has a fresh stack, so a fixed id is unique
WORKFLOW_ID = f"pr-{REQUEST_ID}"
SAMPLE = json.loads((ROOT / "starter" / "sample_request.json").read_text(encoding="utf-8"))
DELIVERY = SAMPLE["delivery"]
# What only authorised people may read: the receiver's phone, name and street address.
PRIVATE = [DELIVERY["mobile"], DELIVERY["full_name"], DELIVERY["address"]]
# The SDK's marker for a local activity (our ledger writes) and the steps allowed to leave one.
LOCAL_ACTIVITY_MARKER = {"seq", "attempt", "activity_id", "activity_type", "complete_time", "backoff",
                         "original_schedule_time", "activation_index"}
LOCAL_STEPS = {"record_request", "record_stage", "record_sourcing", "record_order", "record_trace_event",
               "record_supplier_outcome", "load_supplier_history", "check_payment", "record_refund", "choose_basket"}

expect.set_options(timeout=WAIT_MS)
pytestmark = pytest.mark.usefixtures("chromium")


# --- the stack, as a person runs it -------------------------------------------------------------


@dataclass
class UiStack:
    env: dict[str, str]
    ui: str
    codec: str
    temporal: str
    output: list[str] = field(default_factory=list)

    def procure(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*PROCURE, *argv], capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=timeout)

    def status(self) -> dict[str, Any] | None:
        result = self.procure("status", REQUEST_ID, "--json")
        return json.loads(result.stdout) if result.returncode == 0 else None

    def history(self, workflow_id: str, *, decoded: bool = False) -> dict[str, Any]:
        """`temporal workflow show --output json`: raw as Temporal stores it, or through the codec server."""
        argv = [temporal_cli_path(), "workflow", "show", "-w", workflow_id, "--address", self.temporal, "--output", "json"]
        if decoded:
            argv += ["--codec-endpoint", self.codec]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def url(self, workflow_id: str = WORKFLOW_ID, tail: str = "") -> str:
        return f"{self.ui}/namespaces/default/workflows/{quote(workflow_id, safe='')}{tail}"

    def list_url(self, query: str) -> str:
        return f"{self.ui}/namespaces/default/workflows?query={quote(query, safe='')}"


def wait_until(what: str, probe: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[str], family: list[psutil.Process], deadline: float = 60) -> None:
    """Ctrl-C, as a person stops `procure up`; whatever is still alive after the deadline is killed."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=10)
    for proc in alive:  # its children run in their own sessions: a killed `procure up` leaves them
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)


@pytest.fixture(scope="module")
def stack() -> Iterator[UiStack]:
    # Not under pytest's basetemp (see the data_dir fixture in tests/conftest.py).
    data_dir = Path(tempfile.mkdtemp(prefix="procure-test-ui-"))
    data_dir.chmod(0o755)
    temporal_port, ui_port, sim_port, push_port, codec_port = (free_port() for _ in range(5))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PAYLOAD_ENCRYPTION_KEY")}
    key = subprocess.run([*PROCURE, "codec-key"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert key.returncode == 0, key.stderr
    env.update(NO_REAL_GATEWAY)
    env.update({
        "PYTHONUNBUFFERED": "1",
        "PAYLOAD_ENCRYPTION_KEY": key.stdout.strip(),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "PROCURE_UI_URL": f"http://127.0.0.1:{ui_port}",
        # Timers in seconds and 10 simulated hours per real second: goods arrive in seconds, and
        # the QC reminder fires soon after, so there is an alert to see; the escalation does not.
        "LOGISTICS_POLL_INTERVAL": "1s",
        "QC_REMINDER_AFTER": "2s",
        "QC_ESCALATE_AFTER": "1h",
    })
    stack = UiStack(env, f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{codec_port}", f"127.0.0.1:{temporal_port}")
    process = subprocess.Popen(
        [*PROCURE, "up", "--data-dir", str(data_dir), "--temporal-port", str(temporal_port), "--ui-port", str(ui_port),
         "--sim-port", str(sim_port), "--push-port", str(push_port), "--codec-port", str(codec_port),
         "--catalog", str(DEMO_CATALOG_PATH),
         "--sim-speed", "36000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    ready = threading.Event()

    def read() -> None:  # keeps the pipe drained for the stack's whole life
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line)
            if "Press Ctrl-C" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while not ready.wait(0.2):
            assert process.poll() is None and time.monotonic() < deadline, "procure up did not come up:\n" + "".join(stack.output)
        family = psutil.Process(process.pid).children(recursive=True)
        pid_file = data_dir / "postgres" / "postmaster.pid"
        if pid_file.exists():
            family.append(psutil.Process(int(pid_file.read_text().split()[0])))
        assert "Codec server    " + stack.codec in "".join(stack.output)
        _start_and_wait_for_qc(stack, data_dir)
        yield stack
    finally:
        _stop(process, family)
        reader.join(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def _start_and_wait_for_qc(stack: UiStack, data_dir: Path) -> None:
    # The sample request without an approval threshold: nothing waits for a person but QC.
    body = {**SAMPLE, "request_id": REQUEST_ID, "approval_threshold": None}
    path = data_dir / "request.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    started = stack.procure("start", str(path), "--json")
    assert started.returncode == 0, started.stderr

    def at_qc_with_an_alert() -> dict[str, Any] | None:
        state = stack.status()
        if not state or state["stage"] != "AWAITING_QC" or not state["orders"]:
            return None
        if all(o["status"] == "awaiting_qc" and o["alerts"] for o in state["orders"]):
            return state
        return None

    wait_until(f"{REQUEST_ID} awaiting QC with its reminders sent", at_qc_with_an_alert, timeout=60)

    def listed() -> bool:  # `procure list` and the Web UI read visibility, a moment behind
        result = stack.procure("list", "--stage", "AWAITING_QC", "--json")
        return result.returncode == 0 and any(r["request_id"] == REQUEST_ID for r in json.loads(result.stdout))

    wait_until("AWAITING_QC in visibility", listed, timeout=15)


# --- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return tmp_path_factory.mktemp("web-ui-screenshots")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    assert fonts.stdout.strip(), "UPDATE_SCREENSHOTS=1 needs a CJK font (apt-get install fonts-noto-cjk)"
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return DOCS_SCREENSHOTS


@pytest.fixture(scope="module")
def chromium() -> str:
    # Checked before the stack starts. `make test` installs it; a skip here would hide a broken CI.
    assert Path(CHROMIUM).exists(), f"the Web UI test needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Sent:
    url: str
    body: bytes


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC", color_scheme="light")
    context.set_default_timeout(WAIT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def sent() -> list[Sent]:
    """Every request the test's page made, for the privacy check."""
    return []


@pytest.fixture
def page(context: BrowserContext, sent: list[Sent]) -> Page:
    page = context.new_page()

    def record(request: Request) -> None:
        sent.append(Sent(request.url, request.post_data_buffer or b""))

    page.on("request", record)
    return page


def open_tab(page: Page, name: str) -> None:
    label = re.compile(rf"^{re.escape(name)}\b")  # a tab's name may end in a count: "Event History 573"
    page.get_by_role("link", name=label).or_(page.get_by_role("tab", name=label)).first.click()


def collapse_navigation(page: Page) -> None:
    """Room for the columns and details that matter (the UI remembers the choice)."""
    page.get_by_role("button", name="Collapse Navigation").click()


def shoot(page: Page, directory: Path, name: str, *, full_page: bool = False) -> None:
    # Transitions (the navigation folding away) are finished first, so the picture is settled.
    page.screenshot(path=str(directory / name), animations="disabled", full_page=full_page)


def as_ui_number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")  # 5210.0 -> "5210", as JavaScript prints it


# --- payloads -------------------------------------------------------------------------------------


def payloads(node: Any) -> Iterator[dict[str, Any]]:
    """Every Payload in a history in proto3 JSON: a dict with ``metadata`` and ``data``."""
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "data" in node:
            yield node
        for value in node.values():
            yield from payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from payloads(value)


def encoding(payload: dict[str, Any]) -> str:
    return base64.b64decode(payload["metadata"].get("encoding", "")).decode()


def data(payload: dict[str, Any]) -> str:
    return base64.b64decode(payload.get("data", "")).decode("utf-8", errors="replace")


def started_event(history: dict[str, Any]) -> dict[str, Any]:
    return history["events"][0]


# --- the checks -----------------------------------------------------------------------------------


def test_the_list_filtered_by_stage_finds_the_procurement_and_its_orders(stack, page, screenshots):
    state = stack.status()
    assert state is not None
    # The filter really filters: with the workflow type too, the orders drop out of the list;
    # another stage finds nothing.
    page.goto(stack.list_url('WorkflowType = "ProcurementWorkflow" AND ProcurementStage = "AWAITING_QC"'))
    expect(page.get_by_role("link", name=WORKFLOW_ID, exact=True)).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Select Workflow "))).to_have_count(1)
    page.goto(stack.list_url('ProcurementStage = "COMPLETED"'))
    expect(page.get_by_text("No Workflows Found")).to_be_visible()
    expect(page.get_by_role("link", name=WORKFLOW_ID, exact=True)).to_have_count(0)

    # As ops read it: one stage, the request and its orders, our search attributes as columns.
    page.goto(stack.list_url('ProcurementStage = "AWAITING_QC"'))
    collapse_navigation(page)
    for order in state["orders"]:
        expect(page.get_by_role("link", name=order["workflow_id"], exact=True)).to_be_visible()
    page.get_by_role("button", name="Configure Columns").click()
    for column in ("ProcurementStage", "ProcurementRequestId", "ProcurementAmount"):
        page.get_by_role("button", name=f"Add {column} column").click()
    for column in ("Run ID", "Type", "End"):
        page.get_by_role("button", name=f"Remove {column} column").click()
    page.reload()  # the choice of columns is kept (local storage); the drawer closes
    paid = sum(float(o["amount"]) for o in state["orders"])
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=WORKFLOW_ID, exact=True))
    for cell in ("AWAITING_QC", REQUEST_ID, as_ui_number(paid)):
        expect(row.get_by_role("cell", name=cell, exact=True)).to_be_in_viewport()
    shoot(page, screenshots, "web-ui-list-by-stage.png")


def test_a_procurement_shows_its_decoded_summary_details_and_current_details(stack, page, screenshots):
    state = stack.status()
    assert state is not None
    request = parse_purchase_request(json.dumps({**SAMPLE, "request_id": REQUEST_ID, "approval_threshold": None}))

    # Temporal stores them encrypted: only the codec server can make them readable.
    metadata = started_event(stack.history(WORKFLOW_ID))["userMetadata"]
    assert {encoding(metadata["summary"]), encoding(metadata["details"])} == {"binary/encrypted"}
    assert summary(request) not in data(metadata["summary"])

    page.goto(stack.url())
    collapse_navigation(page)
    open_tab(page, "User Metadata")
    expect(page.frame_locator("#user-metadata-summary").get_by_text(summary(request))).to_be_visible()
    details = page.frame_locator("#user-metadata-details").locator("body")
    expect(details).to_contain_text("deliver to 浙江省 杭州市")
    expect(details).to_contain_text("纯棉T恤")
    current = page.frame_locator("#user-metadata-current-details").locator("body")
    expect(current).to_contain_text(f"{REQUEST_ID}: AWAITING_QC")
    for order in state["orders"]:
        expect(current).to_contain_text(order["order_id"])
    # An order's alert reaches the page the person on call opens first.
    alerts = current.get_by_role("listitem").filter(has_text="waits for a QC result since the goods arrived")
    expect(alerts).to_have_count(len(state["orders"]))  # one per order, rendered as a list
    shoot(page, screenshots, "web-ui-current-details.png", full_page=True)

    # One order's own page: the summary its parent gave it, and where its goods are.
    order = state["orders"][0]
    page.goto(stack.url(order["workflow_id"]))
    open_tab(page, "User Metadata")
    expect(page.frame_locator("#user-metadata-summary").locator("body")).to_contain_text(
        f"{REQUEST_ID}: 1688 order {order['order_id']} from {order['supplier_id']}")
    current = page.frame_locator("#user-metadata-current-details").locator("body")
    expect(current).to_contain_text(f"Order {order['order_id']}")
    expect(current).to_contain_text("awaiting_qc")
    expect(current).to_contain_text(f"Shipment: SIGN {order['shipment']['company']} {order['shipment']['tracking_no']}")
    expect(current).to_contain_text(f"order {order['order_id']} waits for a QC result")


def test_the_event_history_says_what_each_activity_and_timer_did(stack, page, screenshots):
    state = stack.status()
    assert state is not None
    page.goto(stack.url())
    open_tab(page, "Event History")
    page.wait_for_url(re.compile(r"/history"))
    page.goto(page.url.split("?")[0] + "?sort=ascending")  # the story from its beginning
    first_search = page.get_by_text("search 纯棉T恤 page 1", exact=True)
    expect(first_search).to_be_visible()
    for text in (f"ledger: request {REQUEST_ID}", "search 帆布包 page 1", "search 保温杯 page 1"):
        expect(page.get_by_text(text, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^detail of offer \d+$")).first).to_be_visible()
    # The compact view: one row per activity, with what it did.
    collapse_navigation(page)
    page.get_by_role("button", name="Compact", exact=True).click()
    expect(page.get_by_role("button", name="Compact", exact=True)).to_have_class(re.compile(r"\bactive\b"))
    expect(page.get_by_text("search 纯棉T恤 page 1", exact=True)).to_be_visible()
    page.get_by_role("heading", name="Event History").evaluate("el => { el.scrollIntoView({block: 'start'}); window.scrollBy(0, -24); }")
    shoot(page, screenshots, "web-ui-activity-summaries.png")

    # An order's latest events: its logistics polls and the QC timers, each with its summary.
    order = next(o for o in state["orders"] if o["order_id"])
    page.goto(stack.url(order["workflow_id"]))
    open_tab(page, "Event History")
    page.wait_for_url(re.compile(r"/history"))
    page.goto(page.url.split("?")[0] + "?sort=descending")
    expect(page.get_by_text(f"QC escalation for order {order['order_id']}", exact=True).first).to_be_visible()
    expect(page.get_by_text("alert: qc-reminder", exact=True).first).to_be_visible()


def test_the_delivery_address_reads_in_the_ui_but_never_in_clear_outside_it(stack, page, sent, screenshots):
    # The Input panel of the procurement's page, decoded by the browser through the codec server.
    page.goto(stack.url())
    expect(page.locator(".cm-scroller").filter(has_text=f'"request_id": "{REQUEST_ID}"')).to_be_visible()
    # Found by position: once scrolled, the line it was found by is no longer drawn.
    index = page.locator(".cm-scroller").evaluate_all(
        f"""els => els.findIndex(el => el.textContent.includes('"request_id": "{REQUEST_ID}"'))""")
    editor = page.locator(".cm-scroller").nth(index)
    # The editor draws only the lines in view: scroll it until the delivery block is at the top.
    found = editor.evaluate("""async (el) => {
        const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        for (let top = 0; top <= el.scrollHeight; top += el.clientHeight / 2) {
            el.scrollTop = top;
            await frame();
            const line = [...el.querySelectorAll('.cm-line')].find(l => l.textContent.includes('"delivery"'));
            if (line) {
                el.scrollTop += line.getBoundingClientRect().top - el.getBoundingClientRect().top;
                await frame();
                return true;
            }
        }
        return false;
    }""")
    assert found, "no delivery block in the decoded input"
    for text in PRIVATE:
        expect(editor.get_by_text(text)).to_be_visible()
    shoot(page, screenshots, "web-ui-decoded-input.png")
    open_tab(page, "User Metadata")  # markdown is rendered by the UI server: it must not get them
    expect(page.frame_locator("#user-metadata-current-details").locator("body")).to_contain_text(REQUEST_ID)

    assert any(s.url.startswith(stack.codec + "/decode") for s in sent), "the browser never asked the codec server"
    to_ui = [s for s in sent if s.url.startswith(stack.ui)]
    assert any("/render?" in s.url for s in to_ui)  # the check below would be empty otherwise
    for s in to_ui:
        readable = unquote_plus(s.url) + s.body.decode("utf-8", errors="replace")
        assert not [p for p in PRIVATE if p in readable], f"sent to the UI server in clear: {s.url[:200]}"

    # Temporal keeps the address (the codec server reads it back) but never in clear.
    raw, decoded = stack.history(WORKFLOW_ID), stack.history(WORKFLOW_ID, decoded=True)
    started_input = started_event(decoded)["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert json.loads(data(started_input))["request"]["delivery"]["mobile"] == DELIVERY["mobile"]
    assert sum(DELIVERY["mobile"] in data(p) for p in payloads(decoded)) >= 2  # the input, and the order request
    raw_payloads = list(payloads(raw))
    assert encoding(started_event(raw)["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]) == "binary/encrypted"
    for secret in PRIVATE:
        assert secret not in json.dumps(raw, ensure_ascii=False)
        assert not [p for p in raw_payloads if secret in data(p)], f"{secret!r} is in clear in a stored payload"
    # What does stay in clear is visibility: our search attributes and nothing of ours besides;
    # and the SDK's own patch markers (`workflow.patched`), which name a code version, nothing else.
    clear = {encoding(p) for p in raw_payloads} - {"binary/encrypted"}
    assert clear <= {"json/plain"}, clear
    for p in raw_payloads:
        if encoding(p) == "json/plain" and not p["metadata"].get("type"):
            marker = json.loads(data(p))
            if "activity_type" in marker:
                # A local activity's marker (ledger writes, the basket solver): which step and which
                # attempt, no data; the step's result beside it is encrypted like any other payload.
                assert set(marker) <= LOCAL_ACTIVITY_MARKER and marker["activity_type"] in LOCAL_STEPS, marker
                continue
            assert set(marker) == {"id", "deprecated"} and marker["id"] in {MONEY_PATCH, BASKET_PATCH, SPEND_PATCH, ORDER_CHECK_PATCH, LEAN_POLL_PATCH,
                                                                          RFQ_PIN_PATCH, LEAN_HISTORY_PATCH, BIG_REQUEST_PATCH, BASKET_ACTIVITY_PATCH,
                                                                          QUIET_END_PATCH}, \
                f"a json/plain payload that is not a search attribute or a patch marker: {data(p)[:80]}"
