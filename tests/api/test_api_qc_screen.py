"""The warehouse's QC screen (/qc/) on a phone-sized headless Chromium, against the real stack.

QC staff sign in with a short-lived link (`procure api-key link`), see the order whose goods
arrived, enter accepted and rejected quantities, and send. The order's own validator decides:
a rejection without a reason is refused, and the screen shows the refusal in the validator's
words; with a reason it is taken, and the procurement says so. Debian's chromium is driven as in
tests/starter/test_web_ui.py (never a downloaded browser); every wait is for an element or a
state, with a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_stack import ApiStack
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
WAIT_MS = 20_000

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # `make test` installs it; a skip here would hide a broken CI.
    assert Path(CHROMIUM).exists(), f"the QC screen test needs Debian's chromium at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def order_awaiting_qc(api_stack: ApiStack) -> dict[str, Any]:
    state = api_stack.wait_for(api_stack.qc_request_id, "goods in the warehouse",
                               lambda s: any(o["status"] == "awaiting_qc" for o in s["orders"]))
    return next(o for o in state["orders"] if o["status"] == "awaiting_qc")


def test_sign_in_refuses_a_wrong_key_and_a_key_of_another_role(api_stack: ApiStack, phone: Page):
    phone.goto(f"{api_stack.api}/qc/")
    expect(phone.get_by_role("heading", name="到货质检 Goods-in QC")).to_be_visible()
    key_field = phone.get_by_label("仓库密钥 Warehouse key")
    sign_in = phone.get_by_role("button", name="登录 Sign in")

    key_field.fill("prk_not-a-key")
    sign_in.click()
    expect(phone.locator("#sign-in-error")).to_have_text("密钥无效或已过期 This key is not valid or has expired")

    key_field.fill(api_stack.new_key("pos"))
    sign_in.click()
    expect(phone.locator("#sign-in-error")).to_have_text("此密钥不能做质检 This key may not send QC results")
    expect(phone.locator("#work")).to_be_hidden()


def test_a_warehouse_link_sends_qc_and_the_orders_validator_decides(api_stack: ApiStack, phone: Page, tmp_path: Path):
    order = order_awaiting_qc(api_stack)
    order_id = order["order_id"]
    arrived = order["line_details"][0]["quantity"]

    # Other roles cannot send QC over the API either; the order still waits.
    for role in ("approver", "erp"):
        refused = api_stack.call("POST", f"/v1/orders/{order_id}/qc", api_stack.new_key(role), json={"decision": "accept"})
        assert refused.status_code == 403, refused.text

    link = api_stack.procure("api-key", "link", "--name", "li.wei-phone", "--expires", "1h", "--api-url", api_stack.api)
    assert link.returncode == 0, link.stderr
    assert re.fullmatch(rf"{re.escape(api_stack.api)}/qc/#key=prk_[A-Za-z0-9_-]+\n", link.stdout), link.stdout

    phone.goto(link.stdout.strip())
    card = phone.locator("li.order", has=phone.get_by_role("heading", name=f"订单 Order {order_id}"))
    expect(card).to_be_visible()
    assert "#key=" not in phone.url  # the key left the address bar (and the browser history)
    expect(card).to_contain_text(f"采购单 Request {api_stack.qc_request_id}")
    expect(card.locator("legend")).to_have_text(f"第 1 行 Line 1 · 纯棉T恤 · 到货 Arrived {arrived}")

    # Phone-sized: nothing sticks out sideways.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_label("检验员 Inspector").fill("li.wei")
    accepted = card.get_by_label("合格 Accepted")
    rejected = card.get_by_label("不合格 Rejected")
    expect(accepted).to_have_value(str(arrived))
    rejected.fill("5")
    expect(accepted).to_have_value(str(arrived - 5))  # the two always add up to what arrived

    # No reason: the order's validator refuses, in its own words, and nothing is recorded.
    card.get_by_role("button", name="提交 Send").click()
    outcome = card.get_by_role("alert")
    expect(outcome).to_have_text(f"被拒绝 Refused: line '1': a reason is required for a rejection")
    phone.screenshot(path=str(tmp_path / "qc-refused.png"), full_page=True, animations="disabled")
    state = api_stack.state(api_stack.qc_request_id)
    assert state is not None
    assert next(o for o in state["orders"] if o["order_id"] == order_id)["qc"] is None

    card.get_by_label("原因 Reason").fill("污渍 stains")
    card.get_by_role("button", name="提交 Send").click()
    expect(outcome).to_have_text(f"已提交 Sent: 合格 {arrived - 5} accepted, 不合格 5 rejected")
    expect(rejected).to_be_disabled()

    qc = api_stack.wait_for(api_stack.qc_request_id, "the QC result on the order",
                            lambda s: next(o for o in s["orders"] if o["order_id"] == order_id)["qc"] is not None)
    taken = next(o for o in qc["orders"] if o["order_id"] == order_id)["qc"]
    assert taken["decision"] == "reject" and taken["inspector"] == "li.wei"
    assert [(l["line_id"], l["accepted_qty"], l["rejected_qty"], l["reason"]) for l in taken["lines"]] == [
        ("1", arrived - 5, 5, "污渍 stains")]

    # The screen's calls are audited under the link's key: the refusal and the result.
    audit = api_stack.ledger("SELECT action, status FROM api_key_audit WHERE key_name = 'li.wei-phone' ORDER BY id")
    assert [(a["action"], a["status"]) for a in audit if a["action"] == "qc"] == [("qc", 409), ("qc", 200)]

