// Drops and auctions on the viewer page (Buy → Pay, bid) and in the host console (start,
// live stock, bids). Room events arrive as window events "chuhai:drop" / "chuhai:auction"
// from the page's live client; everything else is plain fetch against /api.
import { readAddress, renderAddressFields, showAddressErrors } from "./address-form.js";

const $ = (id) => document.getElementById(id);
const root = $("viewer") || $("host");
const cfg = root ? root.dataset : {};
const csrf = cfg.csrf || "";
const isViewer = !!$("viewer");
const key = () => `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const state = { drops: new Map(), auctions: new Map(), reservation: null, order: null };

async function api(method, url, body) {
  const resp = await fetch(url, {
    method, credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = resp.status === 204 ? {} : await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(data.detail || `HTTP ${resp.status}`), { code: data.code, data });
  return data;
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : document.createTextNode(String(k)));
  return e;
}

function money(amount, currency) {
  try { return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency }).format(Number(amount)); }
  catch { return `${amount} ${currency}`; }
}

function left(iso) {
  const s = Math.max(0, Math.round((new Date(iso) - Date.now()) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` : `${s}s`;
}

function say(text) {
  const t = $("toast");
  if (t) { t.textContent = text; t.hidden = false; clearTimeout(say.t); say.t = setTimeout(() => { t.hidden = true; }, 4000); }
  else if ($("log")) $("log").prepend(el("li", {}, text));
}

// ---------------------------------------------------------------- viewer
function myLine(drop) { return drop.lines.find((l) => l.market === cfg.market); }

function renderOffers() {
  const box = $("offers");
  if (!box) return;
  box.replaceChildren();
  for (const drop of state.drops.values()) {
    const line = isViewer ? myLine(drop) : null;
    if (isViewer && !line) continue;
    const open = drop.status === "live" && new Date(drop.starts_at) <= Date.now() && new Date(drop.ends_at) > Date.now();
    const counting = drop.status === "live" && new Date(drop.starts_at) > Date.now();
    if (isViewer) {
      box.append(el("div", { class: "offer drop", "data-drop": drop.id },
        el("strong", {}, drop.title),
        el("span", { class: "price" }, line.delivered ? line.delivered.total_display : money(line.price, line.currency)),
        line.delivered ? el("span", { class: "muted delivered-label" }, line.delivered.label) : null,
        el("span", { class: "muted", "data-remaining": line.id }, `${line.remaining} of ${line.quantity} left`),
        counting ? el("span", { class: "countdown" }, `starts in ${left(drop.starts_at)}`) : null,
        open ? el("span", { class: "muted" }, `ends in ${left(drop.ends_at)}`) : null,
        el("button", { type: "button", id: `buy-${drop.id}`, disabled: !open || line.remaining < 1 || !cfg.signedIn,
          onclick: () => buy(drop, line) }, line.remaining < 1 ? "Sold out" : (cfg.signedIn ? "Buy" : "Sign in to buy"))));
    } else {
      box.append(el("li", { "data-drop": drop.id }, `${drop.title} — ${drop.status} · `,
        drop.lines.map((l) => `${l.market} ${l.remaining}/${l.quantity}`).join(" · ")));
    }
  }
  for (const a of state.auctions.values()) {
    if (isViewer && a.market !== cfg.market) continue;
    const live = a.status === "live";
    if (isViewer) {
      box.append(el("div", { class: "offer auction", "data-auction": a.id },
        el("strong", {}, a.title),
        el("span", { class: "price", id: `price-${a.id}` }, a.delivered ? a.delivered.total_display : money(a.price || a.start_price, a.currency)),
        a.delivered ? el("span", { class: "muted delivered-label" }, `${a.delivered.label} · bid ${money(a.price || a.start_price, a.currency)}`) : null,
        el("span", { class: "muted" }, live ? `${a.bids} bids · ${left(a.ends_at)} left` : a.status === "won" ? `won by ${a.leader}${a.leader === cfg.you ? " (you!)" : ""}` : a.status),
        live ? el("button", { type: "button", id: `bid-${a.id}`, disabled: !cfg.signedIn, onclick: () => bid(a) },
          cfg.signedIn ? `Bid ${money(a.minimum_bid, a.currency)}` : "Sign in to bid") : null));
    } else {
      box.append(el("li", { "data-auction": a.id }, `${a.title} — ${a.status} · ${money(a.price || a.start_price, a.currency)} · ${a.bids} bids${a.leader ? " · leader " + a.leader : ""}${live ? " · " + left(a.ends_at) : ""}`));
    }
  }
}

async function buy(drop, line) {
  try {
    const res = await api("POST", `/api/drops/${drop.id}/reserve`, { line_id: line.id, quantity: 1, idempotency_key: key(), waitlist: true });
    await openCheckout(res);
  } catch (e) {
    say(e.code === "sold_out" && e.data.waitlist_position ? `Sold out — you are #${e.data.waitlist_position} on the waitlist` : e.message);
  }
}

async function bid(a) {
  try {
    const out = await api("POST", `/api/auctions/${a.id}/bids`, { amount: a.minimum_bid, idempotency_key: key() });
    cfg.you = out.you;
    state.auctions.set(out.auction.id, out.auction);
    renderOffers();
    say(out.leading ? "You lead!" : "Outbid by a higher maximum — try again");
  } catch (e) { say(e.message); }
}

// Duty, tax and fees as separate lines (DDP: all collected now), each naming its rule.
function landedLines(q) {
  const rows = [];
  for (const [key, label] of [["duty", "Import duty"], ["tax", "Import VAT / GST"], ["fees", "Border fees"]]) {
    if (Number(q[key]) > 0) {
      const rules = (q.landed?.charges || []).filter((c) => (key === "fees" ? "fee" : key) === c.kind).map((c) => c.rule);
      rows.push(el("p", { class: "landed", "data-kind": key, title: rules.join(", ") }, `${label}: ${money(q[key], q.currency)}`));
    }
  }
  return rows;
}

async function openCheckout(res) {
  state.reservation = res;
  const q = await api("GET", `/api/reservations/${res.id}/quote`);
  const sheet = $("checkout");
  sheet.hidden = false;
  $("co-summary").replaceChildren(
    el("p", {}, `${q.items[0].title} × ${q.items[0].quantity}: ${money(q.subtotal, q.currency)}`),
    el("p", {}, `Shipping from ${q.warehouse}: ${money(q.shipping, q.currency)} · arrives in ${q.delivery_min_days}–${q.delivery_max_days} days`),
    ...landedLines(q),
    el("p", { class: "muted" }, q.duties),
    el("p", {}, el("strong", {}, `Total ${money(q.total, q.currency)}`)));
  await renderAddressFields($("co-address"), res.market, "co");
  const saved = JSON.parse(localStorage.getItem(`chuhai-ship-${res.market}`) || "{}");
  for (const f of ["name", "phone"]) if (saved[f] && !$(`co-${f}`).value) $(`co-${f}`).value = saved[f];
  tickHold();
}

function tickHold() {
  const r = state.reservation;
  if (!r || $("checkout").hidden) return;
  $("co-hold").textContent = `Held for you: ${left(r.expires_at)}`;
  setTimeout(tickHold, 1000);
}

async function pay(ev) {
  ev.preventDefault();
  const r = state.reservation;
  const form = $("co-form");
  const ship = readAddress(form, r.market);
  showAddressErrors(form, "co", {});
  try {
    state.order = state.order && state.order.reservation_id === r.id ? state.order
      : await api("POST", "/api/checkout", { reservation_id: r.id, ship_to: ship, idempotency_key: `co-${r.id}` });
    const paid = await api("POST", `/api/orders/${state.order.id}/pay`, { card_number: $("co-card").value, idempotency_key: key() });
    const last = paid.payments[paid.payments.length - 1];
    if (paid.status === "paid") { $("checkout").hidden = true; say(`Paid — order ${paid.id}`); $("orders-link").hidden = false; }
    else if (last && last.action_url) location.href = last.action_url;
    else say(`Payment failed: ${last ? last.decline_code : "unknown"} — try another card`);
  } catch (e) { showAddressErrors(form, "co", e); say(e.message); }
}

// ---------------------------------------------------------------- host
// The console's line for a drop or auction shows its status as it changes (started,
// ended, won …) without a reload; once it is no longer scheduled its Start button goes.
function markLine(offer) {
  const line = document.querySelector(`[data-line="${offer.id}"]`);
  if (!line) return;
  const status = line.querySelector("[data-status]");
  if (status) status.textContent = offer.status;
  if (offer.status !== "scheduled") line.querySelector("[data-start]")?.remove();
}

async function hostStart(kind, id) {
  try {
    const out = await api("POST", `/api/${kind}/${id}/start`, kind === "drops" ? { countdown_s: Number(($("countdown") || {}).value || 10) } : undefined);
    (kind === "drops" ? state.drops : state.auctions).set(out.id, out);
    markLine(out);
    renderOffers();
    say(`${kind === "drops" ? "Drop" : "Auction"} started`);
  } catch (e) { say(e.message); }
}

// ---------------------------------------------------------------- wiring
window.addEventListener("chuhai:drop", (e) => { state.drops.set(e.detail.drop.id, e.detail.drop); markLine(e.detail.drop); renderOffers(); });
window.addEventListener("chuhai:auction", (e) => { state.auctions.set(e.detail.auction.id, e.detail.auction); markLine(e.detail.auction); renderOffers(); });
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-start]");
  if (b) hostStart(b.dataset.kind, b.dataset.start);
});
if ($("co-form")) $("co-form").addEventListener("submit", pay);
if ($("co-cancel")) $("co-cancel").addEventListener("click", async () => {
  $("checkout").hidden = true;
  if (state.reservation) await api("DELETE", `/api/me/reservations/${state.reservation.id}`).catch(() => {});
});
if (root && cfg.room) {
  api("GET", `/api/rooms/${cfg.room}/offers`).then((o) => {
    for (const d of o.drops) state.drops.set(d.id, d);
    for (const a of o.auctions) state.auctions.set(a.id, a);
    renderOffers();
  }).catch(() => {});
  setInterval(renderOffers, 1000);
}

document.querySelectorAll("form.js-create").forEach((form) => form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = Object.fromEntries(new FormData(form).entries());
  try {
    if (form.dataset.kind === "drop") {
      await api("POST", "/api/drops", { title: f.title, room_id: cfg.room, per_buyer_limit: Number(f.per_buyer_limit),
        lines: [{ sku_id: f.sku_id, market: f.market, quantity: Number(f.quantity), price: f.price }] });
    } else {
      await api("POST", "/api/auctions", { title: f.title, room_id: cfg.room, sku_id: f.sku_id, warehouse_id: f.warehouse_id,
        market: f.market, start_price: f.start_price, duration_s: Number(f.duration_s),
        anti_snipe_s: Number(f.anti_snipe_s), sudden_death: Number(f.anti_snipe_s) === 0 });
    }
    location.reload();
  } catch (err) {
    const details = err.data && err.data.errors ? ": " + err.data.errors.map((x) => `${x.field} ${x.reason}`).join("; ") : "";
    say(err.message + details);
  }
}));

async function orderTiles() {
  if (!$("orders-count")) return;
  try {
    const orders = (await api("GET", "/api/orders")).filter((o) => o.room_id === cfg.room && !["cancelled", "refunded", "pending_payment"].includes(o.status));
    $("orders-count").textContent = orders.length;
    const gmv = {};
    for (const o of orders) gmv[o.currency] = (gmv[o.currency] || 0) + Number(o.total);
    $("gmv").textContent = Object.entries(gmv).map(([c, v]) => money(v.toFixed(2), c)).join(" · ") || "—";
  } catch { /* no orders permission: the tile stays empty */ }
}
if (!isViewer) { orderTiles(); setInterval(orderTiles, 5000); }
window.chuhaiSellingReady = true;
