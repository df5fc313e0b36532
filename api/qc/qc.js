// The warehouse's QC screen. Plain JavaScript, no framework, nothing fetched but our own API.
// The key lives in sessionStorage (this tab only); every text from the server is set with
// textContent, never parsed as HTML.
"use strict";

const KEY = "procure.qc.key";
const INSPECTOR = "procure.qc.inspector";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// Chinese first, English after: one label serves both.
const T = {
  order: "订单 Order",
  request: "采购单 Request",
  supplier: "供应商 Supplier",
  line: (id) => `第 ${id} 行 Line ${id}`,
  arrived: "到货 Arrived",
  accepted: "合格 Accepted",
  rejected: "不合格 Rejected",
  reason: "原因 Reason",
  send: "提交 Send",
  sending: "提交中… Sending…",
  none: "没有等待质检的订单 No orders waiting for QC",
  loading: "加载中… Loading…",
  loaded: (n) => `${n} 个订单等待质检 ${n} order${n === 1 ? "" : "s"} waiting for QC`,
  badKey: "密钥无效或已过期 This key is not valid or has expired",
  notWarehouse: "此密钥不能做质检 This key may not send QC results",
  refused: "被拒绝 Refused: ",
  invalid: "无法提交 Not sent: ",
  busy: (s) => `请求过多，请 ${s} 秒后再试 Too many requests; try again in ${s} s`,
  failed: "出错 Error: ",
  done: (a, r) => `已提交 Sent: 合格 ${a} accepted, 不合格 ${r} rejected`,
};

function key() { return sessionStorage.getItem(KEY); }

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + key() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    return { status: 0, data: { error: String(error) } };
  }
  let data = {};
  try { data = await response.json(); } catch (error) { data = { error: response.statusText }; }
  return { status: response.status, data, retryAfter: response.headers.get("Retry-After") };
}

function show(signedIn) {
  $("sign-in").hidden = signedIn;
  $("work").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  $("orders").replaceChildren();
  $("sign-in-error").textContent = message || "";
  show(false);
  $("key").focus();
}

function explain(result) {
  if (result.status === 409) return T.refused + (result.data.reason || result.data.error);
  if (result.status === 422) return T.invalid + (result.data.problems || [result.data.error]).join("; ");
  if (result.status === 429) return T.busy(result.retryAfter || "?");
  if (result.status === 403) return T.notWarehouse;
  return T.failed + (result.data.error || result.status);
}

function lineInputs(order, line) {
  const prefix = `o${order.order_id}-l${line.line_id}`;
  const accepted = el("input", { id: prefix + "-accepted", type: "number", inputmode: "numeric", min: "0", step: "1" });
  const rejected = el("input", { id: prefix + "-rejected", type: "number", inputmode: "numeric", min: "0", step: "1" });
  const reason = el("input", { id: prefix + "-reason", type: "text", maxlength: "500" });
  accepted.value = String(line.quantity);
  rejected.value = "0";
  // The two always add up to what arrived; the order's validator judges the numbers.
  accepted.addEventListener("input", () => { rejected.value = String(line.quantity - Number(accepted.value || 0)); });
  rejected.addEventListener("input", () => { accepted.value = String(line.quantity - Number(rejected.value || 0)); });
  const title = [T.line(line.line_id), line.keyword, `${T.arrived} ${line.quantity}`].filter(Boolean).join(" · ");
  const fieldset = el("fieldset", { className: "line", "data-line-id": line.line_id },
    el("legend", { text: title }),
    el("div", { className: "quantities" },
      el("div", {}, el("label", { for: accepted.id, text: T.accepted }), accepted),
      el("div", {}, el("label", { for: rejected.id, text: T.rejected }), rejected)),
    el("label", { for: reason.id, text: T.reason }), reason);
  return { fieldset, line, accepted, rejected, reason };
}

function orderCard(order) {
  const lines = order.lines.map((line) => lineInputs(order, line));
  const outcome = el("p", { className: "outcome", role: "alert" });
  const send = el("button", { className: "send", type: "button", text: T.send });
  const card = el("li", { className: "order", "data-order-id": order.order_id },
    el("h2", { text: `${T.order} ${order.order_id}` }),
    el("p", { className: "meta", text: `${T.request} ${order.request_id} · ${T.supplier} ${order.supplier_id}` }));
  for (const alert of order.alerts || []) card.append(el("p", { className: "alerts", text: alert }));
  for (const line of lines) card.append(line.fieldset);
  card.append(send, outcome);

  send.addEventListener("click", async () => {
    const rejectedLines = lines
      .map((l) => ({ line_id: l.line.line_id, rejected_qty: numberOrText(l.rejected.value), reason: l.reason.value.trim() || null }))
      .filter((l) => l.rejected_qty !== 0);
    const inspector = $("inspector").value.trim();
    const body = {
      decision: rejectedLines.length ? "reject" : "accept",
      inspector: inspector || null,
      lines: rejectedLines,
    };
    send.disabled = true;
    send.textContent = T.sending;
    outcome.className = "outcome";
    outcome.textContent = "";
    const result = await api("POST", `/v1/orders/${encodeURIComponent(order.order_id)}/qc`, body);
    send.textContent = T.send;
    if (result.status === 401) return signOut(T.badKey);
    if (result.status === 200) {
      const sum = (counts) => Object.values(counts || {}).reduce((a, b) => a + b, 0);
      outcome.className = "outcome done";
      outcome.textContent = T.done(sum(result.data.accepted), sum(result.data.rejected));
      for (const l of lines) for (const input of [l.accepted, l.rejected, l.reason]) input.disabled = true;
      card.classList.add("sent");
      return;
    }
    send.disabled = false;
    outcome.className = "outcome refused";
    outcome.textContent = explain(result);
  });
  return card;
}

function numberOrText(value) {
  // Whatever was typed goes to the API as typed; the API says what is wrong with it.
  if (value.trim() === "") return 0;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

async function load() {
  $("status").textContent = T.loading;
  const result = await api("GET", "/v1/orders?status=awaiting_qc");
  if (result.status === 401) return signOut(T.badKey);
  if (result.status === 403) return signOut(T.notWarehouse);
  show(true);
  if (result.status !== 200) {
    $("status").textContent = explain(result);
    return;
  }
  const orders = result.data.items;
  $("status").textContent = orders.length ? T.loaded(orders.length) : T.none;
  $("orders").replaceChildren(...orders.map(orderCard));
}

function start() {
  // A short-lived link carries its key in the fragment, which browsers never send to a server.
  const link = location.hash.match(/^#key=([A-Za-z0-9_-]+)$/);
  if (link) {
    sessionStorage.setItem(KEY, link[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
  $("inspector").value = localStorage.getItem(INSPECTOR) || "";
  $("inspector").addEventListener("change", () => localStorage.setItem(INSPECTOR, $("inspector").value.trim()));
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    $("key").value = "";
    $("sign-in-error").textContent = "";
    load();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("refresh").addEventListener("click", load);
  if (key()) load(); else show(false);
}

start();
