// Drops and auctions in the host console: create them, start them, watch stock, bids and
// orders move. Room events arrive as window events "chuhai:drop" / "chuhai:auction" from the
// console's live client. The console stays English this turn; its words are marked.
import { _ } from "./i18n.js";
import { api, cfg, left, loadOffers, money, say } from "./page-api.js";

const $ = (id) => document.getElementById(id);
const state = { drops: new Map(), auctions: new Map() };

function renderOffers() {
  const box = $("offers");
  if (!box) return;
  box.replaceChildren();
  for (const drop of state.drops.values()) {
    const li = document.createElement("li");
    li.dataset.drop = drop.id;
    li.textContent = _("%(title)s — %(status)s · %(lines)s", { title: drop.title, status: drop.status,
      lines: drop.lines.map((l) => `${l.market} ${l.remaining}/${l.quantity}`).join(" · ") });
    box.append(li);
  }
  for (const a of state.auctions.values()) {
    const li = document.createElement("li");
    li.dataset.auction = a.id;
    const parts = [_("%(title)s — %(status)s", { title: a.title, status: a.status }), money(a.price || a.start_price, a.currency),
      _("%(bids)s bids", { bids: a.bids })];
    if (a.leader) parts.push(_("leader %(name)s", { name: a.leader }));
    if (a.status === "live") parts.push(left(a.ends_at));
    li.textContent = parts.join(" · ");
    box.append(li);
  }
}

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
    say(kind === "drops" ? _("Drop started") : _("Auction started"));
  } catch (e) { say(e.message); }
}

async function create(form) {
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
}

// The room's sales as they happen (GET /api/rooms/{id}/sales): every second while live, the
// counters and a line per SKU with what is left in each warehouse.
async function orderTiles() {
  if (document.hidden) return;  // a console in a background tab does not ask
  try {
    const s = await api("GET", `/api/rooms/${cfg.room}/sales`);
    $("orders-count").textContent = s.net_orders;
    $("gmv").textContent = money(s.gmv_net, s.currency);
    const box = $("room-sales");
    if (!box) return;
    box.hidden = false;
    $("sku-sales").replaceChildren(...s.skus.map((k) => {
      const tr = document.createElement("tr");
      const left = k.stock.map((w) => `${w.warehouse} ${w.available}`).join(" · ") || "—";
      for (const [i, text] of [`${k.code} — ${k.title}`, k.orders, k.units, money(k.gmv_net, s.currency), left].entries()) {
        const td = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) td.scope = "row";
        td.textContent = text;
        tr.append(td);
      }
      tr.dataset.sku = k.sku_id;
      return tr;
    }));
    $("sales-buyers").textContent = s.aov_net === null ? "" : _("Average order %(aov)s · %(new)s new and %(returning)s returning buyers", {
      aov: money(s.aov_net, s.currency), new: s.buyers.new, returning: s.buyers.returning });
    $("sales-note").textContent = _("GMV is what buyers paid (delivery, duties and taxes included), net of cancellations, refunds and returns; gross %(gross)s. The SKU lines count the goods alone. In %(currency)s at the ECB reference rate of each payment date.", { gross: money(s.gmv_gross, s.currency), currency: s.currency });
  } catch { /* no orders permission: the tiles stay empty */ }
}

// Sell-out risk (GET /api/rooms/{id}/sellout) every 5 s while live: a pinned SKU likely to
// run out before the planned end is named with when, how likely, and what the host can do.
const OPTION_TEXT = {
  pause_pin: () => _("Pause the pin"),
  open_waitlist: () => _("Keep the drop open: buyers who miss out join its waitlist"),
};

async function sellout() {
  if (document.hidden) return;
  try {
    const s = await api("GET", `/api/rooms/${cfg.room}/sellout`);
    const risky = s.skus.filter((k) => k.alert);
    const box = $("sellout");
    box.hidden = risky.length === 0;
    $("sellout-list").replaceChildren(...risky.map((k) => {
      const li = document.createElement("li");
      li.dataset.sku = k.sku_id;
      const when = k.sellout_minute === null ? _("within %(n)s min", { n: k.horizon_minutes }) : _("in about %(n)s min", { n: Math.round(k.sellout_minute) });
      li.append(_("%(code)s from %(warehouse)s: %(left)s left, selling out %(when)s (%(p)s likely before the planned end).", {
        code: k.code, warehouse: k.warehouse, left: k.remaining, when, p: `${Math.round(k.p_sellout_in_slot * 100)} %` }), " ");
      if (k.with_viewers && k.audience_weight >= 0.5) li.append(_("Sales are following the audience."), " ");
      for (const o of k.options || []) {
        if (o === "pause_pin") {
          const b = document.createElement("button");
          b.type = "button"; b.className = "secondary"; b.textContent = OPTION_TEXT.pause_pin();
          b.addEventListener("click", () => window.chuhaiClient?.send({ type: "unpin", product_id: k.product_id }));
          li.append(b, " ");
        } else if (o === "open_waitlist") {
          li.append(OPTION_TEXT.open_waitlist(), ". ");
        } else if (o.startsWith("switch_warehouse:")) {
          li.append(_("%(warehouse)s has stock for a drop of its own.", { warehouse: o.split(":")[1] }), " ");
        }
      }
      return li;
    }));
    $("sellout-note").textContent = s.minutes_left === null
      ? _("The room has no planned end: the estimates cover the next hour.")
      : _("%(n)s min left of the planned run. From units taken per minute since each pin.", { n: Math.round(s.minutes_left) });
  } catch { /* no orders permission: no alert */ }
}

window.addEventListener("chuhai:drop", (e) => { state.drops.set(e.detail.drop.id, e.detail.drop); markLine(e.detail.drop); renderOffers(); });
window.addEventListener("chuhai:auction", (e) => { state.auctions.set(e.detail.auction.id, e.detail.auction); markLine(e.detail.auction); renderOffers(); });
document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-start]");
  if (b) hostStart(b.dataset.kind, b.dataset.start);
});
document.querySelectorAll("form.js-create").forEach((form) => form.addEventListener("submit", (e) => { e.preventDefault(); create(form); }));
if (cfg.room) loadOffers(cfg.room, state, renderOffers);
if ($("orders-count")) { orderTiles(); setInterval(orderTiles, $("room-sales")?.dataset.status === "live" ? 1000 : 5000); }
if ($("sellout") && $("room-sales")?.dataset.status === "live") { sellout(); setInterval(sellout, 5000); }
window.chuhaiSellingReady = true;
