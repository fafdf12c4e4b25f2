// Drops and auctions on the viewer page: Buy → hold → checkout → pay, and bids. Room events
// arrive as window events "chuhai:drop" / "chuhai:auction" from the page's live client;
// everything else is plain fetch against /api. Every word through the page's catalog.
import { readAddress, renderAddressFields, showAddressErrors } from "./address-form.js";
import { el } from "./live-client.js";
import { _, num } from "./i18n.js";
import { api, cfg, left, loadOffers, money, newKey, say } from "./page-api.js";

const $ = (id) => document.getElementById(id);
const state = { drops: new Map(), auctions: new Map(), reservation: null, order: null };

function myLine(drop) { return drop.lines.find((l) => l.market === cfg.market); }

function dropOffer(drop, line) {
  const open = drop.status === "live" && new Date(drop.starts_at) <= Date.now() && new Date(drop.ends_at) > Date.now();
  const counting = drop.status === "live" && new Date(drop.starts_at) > Date.now();
  const label = line.remaining < 1 ? _("Sold out") : (cfg.signedIn ? _("Buy") : _("Sign in to buy"));
  return el("div", { class: "offer drop", "data-drop": drop.id },
    el("strong", {}, el("bdi", {}, drop.title)),
    el("span", { class: "price" }, line.delivered ? line.delivered.total_display : money(line.price, line.currency)),
    line.delivered ? el("span", { class: "muted delivered-label" }, line.delivered.label) : null,
    el("span", { class: "muted", "data-remaining": line.id }, _("%(left)s of %(total)s left", { left: num(line.remaining), total: num(line.quantity) })),
    counting ? el("span", { class: "countdown" }, _("starts in %(time)s", { time: left(drop.starts_at) })) : null,
    open ? el("span", { class: "muted" }, _("ends in %(time)s", { time: left(drop.ends_at) })) : null,
    el("button", { type: "button", id: `buy-${drop.id}`, disabled: !open || line.remaining < 1 || !cfg.signedIn,
      onclick: () => buy(drop, line) }, label));
}

function auctionState(a) {
  if (a.status === "live") return _("%(bids)s bids · %(time)s left", { bids: num(a.bids), time: left(a.ends_at) });
  if (a.status === "won") return a.leader === cfg.you ? _("won by %(name)s (you!)", { name: a.leader }) : _("won by %(name)s", { name: a.leader });
  return a.status === "ended" ? _("ended") : a.status === "scheduled" ? _("starting soon") : _("cancelled");
}

function auctionOffer(a) {
  const live = a.status === "live";
  const current = money(a.price || a.start_price, a.currency);
  return el("div", { class: "offer auction", "data-auction": a.id },
    el("strong", {}, el("bdi", {}, a.title)),
    el("span", { class: "price", id: `price-${a.id}` }, a.delivered ? a.delivered.total_display : current),
    a.delivered ? el("span", { class: "muted delivered-label" }, _("%(label)s · bid %(amount)s", { label: a.delivered.label, amount: current })) : null,
    el("span", { class: "muted" }, auctionState(a)),
    live ? el("button", { type: "button", id: `bid-${a.id}`, disabled: !cfg.signedIn, onclick: () => bid(a) },
      cfg.signedIn ? _("Bid %(amount)s", { amount: money(a.minimum_bid, a.currency) }) : _("Sign in to bid")) : null);
}

function renderOffers() {
  const box = $("offers");
  if (!box) return;
  box.replaceChildren();
  for (const drop of state.drops.values()) {
    const line = myLine(drop);
    if (line) box.append(dropOffer(drop, line));
  }
  for (const a of state.auctions.values()) if (a.market === cfg.market) box.append(auctionOffer(a));
}

async function buy(drop, line) {
  try {
    const res = await api("POST", `/api/drops/${drop.id}/reserve`, { line_id: line.id, quantity: 1, idempotency_key: newKey(), waitlist: true });
    await openCheckout(res);
  } catch (e) {
    say(e.code === "sold_out" && e.data.waitlist_position
      ? _("Sold out — you are number %(position)s on the waitlist", { position: num(e.data.waitlist_position) }) : e.message);
  }
}

async function bid(a) {
  try {
    const out = await api("POST", `/api/auctions/${a.id}/bids`, { amount: a.minimum_bid, idempotency_key: newKey() });
    cfg.you = out.you;
    state.auctions.set(out.auction.id, out.auction);
    renderOffers();
    say(out.leading ? _("You lead!") : _("Outbid by a higher maximum — try again"));
  } catch (e) { say(e.message); }
}

// Duty, tax and fees as separate lines (DDP: all collected now), each naming its rule.
function landedLines(q) {
  const rows = [];
  for (const [kind, label] of [["duty", _("Import duty")], ["tax", _("Import VAT / GST")], ["fees", _("Border fees")]]) {
    if (Number(q[kind]) > 0) {
      const rules = (q.landed?.charges || []).filter((c) => (kind === "fees" ? "fee" : kind) === c.kind).map((c) => c.rule);
      rows.push(el("p", { class: "landed", "data-kind": kind, title: rules.join(", ") }, _("%(label)s: %(amount)s", { label, amount: money(q[kind], q.currency) })));
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
    el("p", {}, el("bdi", {}, q.items[0].title), ` × ${num(q.items[0].quantity)}: ${money(q.subtotal, q.currency)}`),
    el("p", {}, _("Shipping from %(warehouse)s: %(amount)s · arrives in %(min)s–%(max)s days", {
      warehouse: q.warehouse, amount: money(q.shipping, q.currency), min: num(q.delivery_min_days), max: num(q.delivery_max_days) })),
    ...landedLines(q),
    el("p", { class: "muted" }, q.landed ? _("Duties and taxes are included: nothing more to pay on delivery.")
      : _("Duties and taxes could not be calculated; they may be due on delivery.")),
    el("p", {}, el("strong", {}, _("Total %(amount)s", { amount: money(q.total, q.currency) }))));
  await renderAddressFields($("co-address"), res.market, "co");
  const saved = JSON.parse(localStorage.getItem(`chuhai-ship-${res.market}`) || "{}");
  for (const f of ["name", "phone"]) if (saved[f] && !$(`co-${f}`).value) $(`co-${f}`).value = saved[f];
  tickHold();
}

function tickHold() {
  const r = state.reservation;
  if (!r || $("checkout").hidden) return;
  $("co-hold").textContent = _("Held for you: %(left)s", { left: left(r.expires_at) });
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
    const paid = await api("POST", `/api/orders/${state.order.id}/pay`, { card_number: $("co-card").value, idempotency_key: newKey() });
    const last = paid.payments[paid.payments.length - 1];
    if (paid.status === "paid") { $("checkout").hidden = true; say(_("Paid — order %(order)s", { order: paid.id })); $("orders-link").hidden = false; }
    else if (last && last.action_url) location.href = last.action_url;
    else say(_("The card was declined (%(reason)s); try another card", { reason: last ? last.decline_code : "?" }));
  } catch (e) { showAddressErrors(form, "co", e); say(e.message); }
}

window.addEventListener("chuhai:drop", (e) => { state.drops.set(e.detail.drop.id, e.detail.drop); renderOffers(); });
window.addEventListener("chuhai:auction", (e) => { state.auctions.set(e.detail.auction.id, e.detail.auction); renderOffers(); });
$("co-form")?.addEventListener("submit", pay);
$("co-cancel")?.addEventListener("click", async () => {
  $("checkout").hidden = true;
  if (state.reservation) await api("DELETE", `/api/me/reservations/${state.reservation.id}`).catch(() => {});
});
if (cfg.room) loadOffers(cfg.room, state, renderOffers);
window.chuhaiSellingReady = true;
