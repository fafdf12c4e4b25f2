// The buyer's interest feed: one item a screen (videos, live or upcoming rooms, products),
// drawn from the page's first page of items and read on with the cursor as the buyer
// scrolls. Every item says why it is there. Engagement goes to /api/events (the server
// keeps it with the buyer's id only with analytics consent): an impression once at least
// half an item is on screen, a video view after 3 s of playing, complete at its end, an
// open, a cart add. Prices arrive formatted by the server; nothing here computes one.
import { el } from "./live-client.js";
import { _, num } from "./i18n.js";
import { api, cfg, newKey, say } from "./page-api.js";
import { addToGuestCart } from "./guest-cart.js";

const $ = (id) => document.getElementById(id);
const box = $("feed");
const REASONS = {
  popular: () => _("Popular"), live: () => _("Live now"), new: () => _("New"),
  followed: () => _("From a seller you follow"), similar: () => _("Similar to what you watched"),
  interest: () => _("Matches your interests"),
};
const pending = [];
let flushing = null;

function track(type, item) {
  const key = { video: "video_id", room: "room_id", product: "product_id" }[item.kind];
  pending.push({ type, [key]: item.id });
  flushing ||= setTimeout(flush, 1500);
}

function flush() {
  flushing = null;
  if (!pending.length) return;
  const events = pending.splice(0, 50);
  if (pending.length) flushing = setTimeout(flush, 1500);
  fetch("/api/events", { method: "POST", keepalive: true, credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": cfg.csrf || "" },
    body: JSON.stringify({ market: cfg.market, events }) }).catch(() => {});
}
addEventListener("pagehide", flush);

function why(item) {
  const words = item.reasons.filter((r) => REASONS[r]).map((r) => REASONS[r]());
  return words.length ? el("p", { class: "why" }, words.join(" · ")) : null;
}

function when(iso) {
  return new Intl.DateTimeFormat((cfg.locale || "").replace("_", "-") || undefined, { weekday: "short", hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

// Our own links say where the buyer's path began, so an order placed further on is
// attributed to the feed (analytics/attribution.py).
const via = (item) => `via=feed&via_item=${encodeURIComponent(item.id)}`;

async function buy(item, button) {
  const p = item.product;
  track("cart.add", item);
  const touch = { channel: "feed", item_id: item.id };  // the order's last touch
  if (!cfg.signedIn) {
    const n = addToGuestCart(item.shop, p.sku_id, item.id, touch);
    say(_("Added — %(n)s in your cart. Sign in to hold it.", { n: num(n) }));
    return;
  }
  button.disabled = true;
  try {
    const cart = await api("POST", `/api/shop/${item.shop}/cart/items`, { sku_id: p.sku_id, quantity: 1, idempotency_key: newKey(), touch });
    say(_("Added — %(n)s in your cart", { n: num(cart.lines.reduce((s, l) => s + l.quantity, 0)) }));
    $("toast")?.append(" ", el("a", { href: `/shop/${item.shop}/cart`, class: "tocart" }, _("Go to cart")));
  } catch (err) { say(err.message); } finally { button.disabled = false; }
}

function videoItem(item) {
  const v = item.video;
  const video = el("video", { muted: true, playsinline: true, loop: true, preload: "none", poster: v.poster_url, "data-master": v.master_url });
  video.muted = true;
  for (const c of v.captions) {
    video.append(el("track", { kind: "captions", srclang: c.lang, src: c.url, default: c.lang === document.documentElement.lang }));
  }
  let played = 0;
  let counted = false;
  let done = false;
  video.addEventListener("timeupdate", () => {
    if (!counted && video.currentTime - played >= 3) { counted = true; track("video.view", item); }
    if (!done && video.duration && video.currentTime >= video.duration - 0.3) { done = true; track("video.complete", item); }
  });
  video.addEventListener("playing", () => { played = video.currentTime; }, { once: true });
  const open = el("a", { class: "open", href: `/shop/${item.shop}/videos?market=${cfg.market}&v=${item.id}&${via(item)}` }, _("Shop this video"));
  open.addEventListener("click", () => { track("feed.click", item); flush(); });
  return [video, el("div", { class: "vtop" }, el("h2", { dir: "auto" }, item.title), why(item)), el("div", { class: "fcta" }, open)];
}

function roomItem(item) {
  const live = item.status === "live";
  const open = el("a", { class: "button", href: `/live/${item.id}?market=${cfg.market}&${via(item)}` }, live ? _("Watch") : _("See the room"));
  open.addEventListener("click", () => { track("feed.click", item); flush(); });
  return [el("div", { class: "fbody" },
    live ? el("span", { class: "badge live" }, _("LIVE")) : null,
    el("h2", { dir: "auto" }, item.title),
    live ? el("p", { class: "viewers" }, _("%(viewers)s watching", { viewers: num(item.viewers || 0) }))
      : el("p", {}, _("Starts %(time)s", { time: when(item.starts_at) })),
    why(item), open)];
}

function productItem(item) {
  const p = item.product;
  if (!p) return null;
  const b = el("button", { type: "button", class: "buy", disabled: !p.sku_id }, p.sku_id ? _("Buy") : _("out of stock"));
  b.addEventListener("click", () => buy(item, b));
  const open = el("a", { href: `${p.url}${p.url.includes("?") ? "&" : "?"}${via(item)}`, class: "ptitle", dir: "auto" }, p.title);
  open.addEventListener("click", () => { track("feed.click", item); flush(); });
  return [el("div", { class: "fbody" },
    p.image ? el("img", { src: p.image, alt: "" }) : null,
    el("h2", {}, open),
    el("p", { class: "vprice" }, el("bdi", {}, p.price.total_display)),
    el("p", { class: "muted vlabel" }, p.price.label),
    why(item), b)];
}

const seen = new Set();
const onScreen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const section = e.target;
    const video = section.querySelector("video");
    if (e.isIntersecting && e.intersectionRatio >= 0.5) {
      if (!seen.has(section.dataset.id)) { seen.add(section.dataset.id); track("feed.impression", section.item); }
      if (video) {
        if (!video.src) video.src = video.dataset.master;  // this Chromium and Safari play HLS natively
        video.play().catch(() => {});
      }
    } else if (video) video.pause();
  }
}, { threshold: [0, 0.5, 1] });

const drawn = new Set();
function draw(items) {
  for (const item of items) {
    if (drawn.has(item.id)) continue;  // the order moved between pages: never twice
    drawn.add(item.id);
    const parts = { video: videoItem, room: roomItem, product: productItem }[item.kind]?.(item);
    if (!parts) continue;
    const section = el("section", { class: `fitem ${item.kind}`, "data-id": item.id, "data-kind": item.kind, "aria-label": item.title }, ...parts);
    section.item = item;
    box.append(section);
    onScreen.observe(section);
  }
}

let loading = false;
async function more() {
  if (loading || !box.dataset.next) return;
  loading = true;
  try {
    const lang = encodeURIComponent(document.documentElement.lang);
    const next = await api("GET", `/api/feed?market=${cfg.market}&lang=${lang}&size=10&cursor=${encodeURIComponent(box.dataset.next)}`);
    box.dataset.next = next.restarted ? "" : next.next || "";
    draw(next.items);
  } catch (err) { say(err.message); } finally { loading = false; }
}

if (box) {
  const first = JSON.parse($("feed-first").textContent);
  draw(first.items);
  box.addEventListener("scroll", () => { if (box.scrollTop + box.clientHeight * 2 >= box.scrollHeight) more(); });
}
for (const b of document.querySelectorAll("#feed-choice button")) {
  b.addEventListener("click", async () => {
    if (b.getAttribute("aria-pressed") === "true") return;
    await api("POST", "/api/feed/choice", { mode: b.dataset.mode }).catch(() => {});
    location.reload();
  });
}
