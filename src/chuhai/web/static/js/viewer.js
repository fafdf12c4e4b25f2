// The viewer page: video, chat in the viewer's language, likes, questions, polls, the pinned
// product card in the viewer's market and currency, and a share link.
import { LiveClient, el, attachVideo } from "./live-client.js";
import { _, num } from "./i18n.js";

const root = document.getElementById("viewer");
const cfg = root.dataset;
const $ = (id) => document.getElementById(id);
const chat = $("chat");
const cards = $("cards");
let counters = {};
let poll = null;
let you = null;

function line(ev) {
  const d = ev.data;
  const item = el("li", { "data-seq": ev.seq, class: ev.type === "question" ? "q" : "" },
    el("b", {}, d.author, d.role === "host" ? " ★" : ""), " ",
    el("span", { class: "text" }, d.text));
  if (d.original !== undefined) markTranslated(item, d.text, d.original, d.machine);
  chat.append(item);
  while (chat.children.length > 200) chat.firstChild.remove();
  chat.scrollTop = chat.scrollHeight;
}

// A translated line shows the translation; a button flips to the original and back. Machine
// translation is labelled as such ("MT"); a reviewed memory translation as "Translated".
function markTranslated(item, text, original, machine) {
  // A later translation of the same line (a reviewed one after the machine's) keeps what
  // the viewer chose to see.
  let showingOriginal = item.querySelector(".orig")?.getAttribute("aria-pressed") === "true";
  item.querySelector(".orig")?.remove();
  const span = item.querySelector(".text");
  span.textContent = showingOriginal ? original : text;
  const label = machine ? _("MT") : _("Tr");
  const b = el("button", { class: "orig", type: "button", "aria-pressed": String(showingOriginal),
    title: machine ? _("Machine translated — show the original") : _("Translated — show the original"),
    onclick: () => {
      showingOriginal = !showingOriginal;
      span.textContent = showingOriginal ? original : text;
      b.setAttribute("aria-pressed", String(showingOriginal));
      b.textContent = showingOriginal ? _("Original") : label;
    } }, showingOriginal ? _("Original") : label);
  item.append(b);
}

function translated(d) {
  const item = chat.querySelector(`[data-seq="${d.seq}"]`);
  if (!item) return;
  const original = item.dataset.original ?? item.querySelector(".text").textContent;
  item.dataset.original = original;
  markTranslated(item, d.text, original, d.machine);
}

function renderCards(pinned) {
  cards.replaceChildren(...pinned.map((p) => {
    const l = p.listings[cfg.market] || Object.values(p.listings)[0];
    if (!l) return el("div", { class: "pcard" }, p.title);
    return el("div", { class: "pcard", "data-product": p.product_id },
      p.image ? el("img", { src: p.image, alt: "" }) : null,
      el("div", {}, el("div", { class: "ptitle" }, l.title),
        el("div", { class: "price" }, l.landed_display || l.price_display),
        el("div", { class: "landed-label muted" }, l.landed_label || "")),
      buyButton(p, l));
  }));
}

// The pinned card's Buy puts the market's first SKU in stock in the buyer's cart with this
// seller (one tap); the toast links to the cart. Signed out, it opens the sign-in form.
function buyButton(p, l) {
  const sku = (l.skus || []).find((k) => k.in_stock);
  if (l.restricted || l.deliverable === false || !sku) {
    return el("button", { type: "button", class: "buy", disabled: true }, sku ? l.landed_label : _("Sold out"));
  }
  if (cfg.signedIn !== "1") {
    return el("button", { type: "button", class: "buy", onclick: () => { const d = $("signin"); d.open = true; $("email")?.focus(); } }, _("Sign in to buy"));
  }
  return el("button", { type: "button", class: "buy", "data-sku": sku.id, onclick: async (e) => {
    const b = e.currentTarget;
    b.disabled = true;
    try {
      const resp = await fetch(`/api/shop/${p.shop}/cart/items`, { method: "POST", credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": cfg.csrf || "" },
        body: JSON.stringify({ sku_id: sku.id, quantity: 1, idempotency_key: `pin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` }) });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new Error(data.detail || `HTTP ${resp.status}`);
      const n = data.lines.reduce((s, x) => s + x.quantity, 0);
      const link = $("cart-link");
      link.href = `/shop/${p.shop}/cart`;
      link.textContent = _("Cart (%(count)s) — check out", { count: num(n) });
      link.parentElement.hidden = false;
      toast(n === 1 ? _("Added to your cart — 1 item") : _("Added to your cart — %(count)s items", { count: num(n) }));
    } catch (err) { toast(err.message); } finally { b.disabled = false; }
  } }, _("Buy"));
}

function renderPoll() {
  const box = $("poll");
  if (!poll) { box.hidden = true; return; }
  box.hidden = false;
  const total = poll.options.reduce((s, _o, i) => s + (counters[`poll:${poll.id}:${i}`] || 0), 0);
  box.replaceChildren(el("p", { class: "pq" }, poll.question, poll.open ? "" : " " + _("(closed)")),
    ...poll.options.map((o, i) => {
      const n = counters[`poll:${poll.id}:${i}`] || 0;
      return el("button", { type: "button", disabled: !poll.open || you?.kind !== "customer",
        onclick: () => client.send({ type: "vote", poll: poll.id, option: i }) },
        `${o} · ${pct(total ? n / total : 0)}`);
    }));
}

function renderAnswer(a) {
  const box = $("answer");
  if (!a) { box.hidden = true; return; }
  box.hidden = false;
  box.replaceChildren(el("small", {}, _("Q: %(text)s", { text: a.question_text })), el("div", {}, _("A: %(text)s", { text: a.text })));
}

function setCounters(c, viewers) {
  Object.assign(counters, c || {});
  if (viewers !== undefined) $("viewers").textContent = num(viewers);
  $("likes").textContent = num(counters.likes || 0);
  renderPoll();
}

function status(s) {
  $("status").textContent = s === "live" ? "" : s === "connecting" ? _("connecting…") : _("reconnecting…");
}

const client = new LiveClient(cfg.room, {
  lang: cfg.lang, market: cfg.market,
  onStatus: status,
  onHello(h) {
    you = h.you;
    document.body.dataset.role = h.you.role;
    if (h.reset) {
      chat.replaceChildren();
      h.messages.forEach(line);
    }
    client.pinned = h.state.pinned;
    renderCards(client.pinned);
    poll = h.state.poll;
    renderAnswer(h.state.answer);
    setCounters(h.counters, h.viewers);
    $("compose").hidden = !h.you.can_chat;
    $("signin").hidden = h.you.kind !== "guest";
    if (h.room.status !== "live") $("status").textContent = h.room.status === "scheduled" ? _("starting soon") : _("ended");
  },
  onEvent(ev) {
    const d = ev.data;
    switch (ev.type) {
      case "chat": case "question": line(ev); break;
      case "chat.translation": translated(d); break;
      case "chat.deleted": chat.querySelector(`[data-seq="${d.seq}"]`)?.remove(); break;
      case "pin": case "unpin": {
        if (ev.type === "pin") client.pinned = [...(client.pinned || []).filter((p) => p.product_id !== d.product_id), d].slice(-3);
        else client.pinned = (client.pinned || []).filter((p) => p.product_id !== d.product_id);
        renderCards(client.pinned);
        break;
      }
      case "poll.open": poll = { ...d, open: true }; renderPoll(); break;
      case "poll.close": if (poll && poll.id === d.poll) { poll.open = false; renderPoll(); } break;
      case "answer": renderAnswer(d); break;
      case "moderation":
        if (d.action === "mute" && you && d.subject === you.subject) toast(_("A moderator muted you for a while."));
        if (d.action === "slow") toast(d.seconds ? _("Slow mode: one message every %(seconds)s s", { seconds: num(d.seconds) }) : _("Slow mode is off"));
        break;
      case "room.status": if (d.status === "ended") location.href = `/replay/${cfg.room}`; break;
      case "drop": case "auction": window.dispatchEvent(new CustomEvent(`chuhai:${ev.type}`, { detail: d })); break;
    }
  },
  onAgg(a) { setCounters(a.counters, a.viewers); },
  onError(e) { toast(said(e)); },
});

// What the room's server refused, in the page's language (its code is stable; its English
// message is the fallback for a code this page does not know).
const REFUSALS = {
  muted: () => _("A moderator muted you for a while."),
  banned: () => _("You cannot take part in this room."),
  rate_limited: () => _("Slow down: too many messages. Try again in a moment."),
  slow_mode: () => _("Slow mode is on; wait a moment before the next message."),
  blocked: () => _("Not sent: the message breaks the rules of this room."),
  too_long: () => _("The message is too long."),
  sign_in_required: () => _("Sign in to chat, ask and buy"),
  followers_only: () => _("Only followers can chat right now."),
  invalid_characters: () => _("The message has characters that cannot be sent."),
  frame_too_large: () => _("The message is too long."),
  poll_closed: () => _("The poll is closed."),
  already_voted: () => _("You have already voted."),
  room_ended: () => _("The live has ended."),
  forbidden: () => _("You cannot do that here."),
};
function said(e) { return REFUSALS[e.code]?.() || e.message; }

function pct(share) {
  try { return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent" }).format(share); }
  catch (_e) { return `${Math.round(share * 100)}%`; }
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(t._h);
  t._h = setTimeout(() => { t.hidden = true; }, 4000);
}

window.chuhaiClient = client;
client.connect();
attachVideo($("video"), cfg.playback);

$("like").addEventListener("click", () => {
  client.send({ type: "like", n: 1 });
  counters.likes = (counters.likes || 0) + 1;
  $("likes").textContent = num(counters.likes);
});
$("compose").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  const type = $("ask").checked ? "question" : "chat";
  if (client.send({ type, text })) input.value = "";
});
$("share").addEventListener("click", async () => {
  const url = `${location.origin}/live/${cfg.room}`;
  if (navigator.share) { try { await navigator.share({ title: document.title, url }); return; } catch (_) { /* fall through */ } }
  try { await navigator.clipboard.writeText(url); toast(_("Link copied")); } catch (_) { toast(url); }
});
$("signin-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const resp = await fetch("/api/customers/session", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: f.email.value, password: f.password.value }) });
  if (resp.ok) location.reload();
  else toast((await resp.json().catch(() => ({}))).detail || _("Sign-in failed"));
});
