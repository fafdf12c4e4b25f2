// The buyer's short-video player: one clip per screen, swipe (scroll) to the next. A clip
// shows its poster first and loads its HLS ladder only when on screen (muted, inline, as
// phones require to autoplay); during a tagged product's range its card appears with the
// delivered price for the buyer's market, and Buy puts it in the cart. Prices arrive
// formatted by the server; nothing here computes one.
import { el } from "./live-client.js";
import { _, num } from "./i18n.js";
import { api, newKey, say } from "./page-api.js";
import { addToGuestCart } from "./guest-cart.js";

const $ = (id) => document.getElementById(id);
const cfg = $("main")?.dataset || {};
const clips = [...document.querySelectorAll(".clip")];
const players = new Map();
const seen = new Set();

// hls.js (624 KB) only for browsers that cannot play HLS themselves, fetched once, when a
// clip first needs it: the page paints its poster without waiting for it.
let hlsLoading = null;
function hlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  hlsLoading ||= new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = "/static/vendor/hls.js/hls.min.js";
    s.onload = () => resolve(window.Hls);
    s.onerror = reject;
    document.head.append(s);
  });
  return hlsLoading;
}

async function attach(video, url) {
  if (players.has(video)) return;
  players.set(video, null);
  if (video.canPlayType("application/vnd.apple.mpegurl")) { video.src = url; return; }
  const Hls = await hlsJs().catch(() => null);
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ capLevelToPlayerSize: true, startLevel: -1 });
    hls.loadSource(url);
    hls.attachMedia(video);
    players.set(video, hls);
    return;
  }
  video.src = url;
}

function start(clip) {
  const video = clip.querySelector("video");
  attach(video, clip.dataset.master).then(() => video.play()).catch(() => { /* autoplay refused: the poster stays, a tap plays */ });
}

function card(tag) {
  const p = tag.product;
  const sku = (p.skus.find((k) => k.available > 0) || p.skus[0] || {}).id;
  const buy = el("button", { type: "button", class: "buy", "data-buy": p.id, disabled: !p.in_stock || !sku }, p.in_stock ? _("Buy") : _("out of stock"));
  buy.addEventListener("click", () => addToCart(sku, p.id, buy));
  return el("div", { class: "vcard", "data-product": p.id },
    p.images && p.images[0] ? el("img", { src: p.images[0], alt: "" }) : null,
    el("div", { class: "vinfo" },
      el("a", { href: p.url, class: "vtitle", lang: p.language, dir: "auto" }, p.title),
      el("span", { class: "vprice" }, el("bdi", {}, p.price.total_display)),
      el("span", { class: "muted vlabel" }, p.price.label)),
    buy);
}

// The player is the video surface, unless a link brought the buyer here (via=feed …).
const opened = cfg.touch ? JSON.parse(cfg.touch) : { channel: "video" };

function touchFor(button) {
  if (opened.channel !== "video") return opened;
  const id = button.closest("[data-id]")?.dataset.id;
  return id ? { channel: "video", item_id: id } : { channel: "video" };
}

async function addToCart(sku, product, button) {
  const touch = touchFor(button);
  if (!cfg.signedIn) {
    const n = addToGuestCart(cfg.shop, sku, product, touch);
    say(_("Added — %(n)s in your cart. Sign in to hold it.", { n: num(n) }));
    return;
  }
  button.disabled = true;
  try {
    const cart = await api("POST", `/api/shop/${cfg.shop}/cart/items`, { sku_id: sku, quantity: 1, idempotency_key: newKey(), touch });
    say(_("Added — %(n)s in your cart", { n: num(cart.lines.reduce((s, l) => s + l.quantity, 0)) }));
  } catch (err) { say(err.message); } finally { button.disabled = false; }
}

for (const clip of clips) {
  const video = clip.querySelector("video");
  // counted once it plays, so the count never competes with the first segment
  video.addEventListener("playing", () => {
    if (seen.has(clip.dataset.id)) return;
    seen.add(clip.dataset.id);
    fetch(`/api/shop/videos/${clip.dataset.id}/view`, { method: "POST", credentials: "same-origin", keepalive: true }).catch(() => {});
  });
  const tags = JSON.parse(clip.querySelector("script[type='application/json']").textContent);
  const slot = clip.querySelector(".vslot");
  let shown = null;
  video.addEventListener("timeupdate", () => {
    const t = video.currentTime;
    const tag = tags.find((x) => t >= x.start_s && t < x.end_s) || null;
    if (tag === shown) return;
    shown = tag;
    slot.replaceChildren(...(tag ? [card(tag)] : []));
    placeCues();
  });
  // a caption never hides under the product card: while a card shows, cues sit above it
  // (set only when it changes: a changed cue can fire cuechange again)
  const placeCues = () => {
    const v = video.getBoundingClientRect();
    const s = slot.getBoundingClientRect();
    const top = shown && s.height && v.height ? Math.round(Math.max(10, Math.min(98, ((s.top - v.top) / v.height) * 100 - 5))) : "auto";
    for (const t of video.textTracks) {
      for (const c of t.activeCues || []) {
        if (c.line === top) continue;
        c.snapToLines = top === "auto";
        if (top !== "auto") c.lineAlign = "end";
        c.line = top;
      }
    }
  };
  for (const t of video.textTracks) t.addEventListener("cuechange", placeCues);
  clip.querySelector(".sound")?.addEventListener("click", (e) => {
    video.muted = !video.muted;
    e.currentTarget.textContent = video.muted ? _("Tap for sound") : _("Mute");
  });
  // captions in the buyer's language, the original one tap away
  const showCaptions = (lang) => {
    for (const t of video.textTracks) t.mode = t.language === lang ? "showing" : "disabled";
  };
  const cc = clip.querySelector(".cc");
  if (cc) {
    const mine = [...video.textTracks].some((t) => t.language === cc.dataset.lang) ? cc.dataset.lang : cc.dataset.original;
    showCaptions(mine);
    cc.addEventListener("click", () => {
      const original = cc.getAttribute("aria-pressed") !== "true";
      showCaptions(original ? cc.dataset.original : mine);
      cc.setAttribute("aria-pressed", String(original));
      cc.textContent = original ? _("Translated captions") : _("Original captions");
    });
  } else if (video.textTracks.length) {
    video.textTracks[0].mode = "showing";
  }
  clip.querySelector(".like")?.addEventListener("click", async (e) => {
    const b = e.currentTarget;
    if (b.getAttribute("aria-pressed") === "true") return;
    try {
      const r = await api("POST", `/api/shop/videos/${clip.dataset.id}/like`);
      b.setAttribute("aria-pressed", "true");
      b.querySelector(".n").textContent = num(r.likes);
      engaged("video.like", clip.dataset.id);
    } catch (err) { say(err.message); }
  });
  clip.querySelector(".share")?.addEventListener("click", async () => {
    const url = clip.dataset.url;
    try {
      if (navigator.share) await navigator.share({ url, title: clip.dataset.title });
      else { await navigator.clipboard.writeText(url); say(_("Link copied")); }
      engaged("video.share", clip.dataset.id);
    } catch (_err) { /* the buyer closed the share sheet */ }
  });
}

// A like or a share is also an engagement event (kept with the buyer's id only with
// analytics consent; the server decides): what the interest feed learns from.
function engaged(type, videoId) {
  fetch("/api/events", { method: "POST", keepalive: true, credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": cfg.csrf || "" },
    body: JSON.stringify({ market: cfg.market, events: [{ type, video_id: videoId }] }) }).catch(() => {});
}

const watch = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const clip = e.target;
    const video = clip.querySelector("video");
    if (e.isIntersecting && e.intersectionRatio >= 0.6) {
      start(clip);
    } else {
      video.pause();
    }
  }
}, { threshold: [0, 0.6, 1] });
const first = clips.find((c) => c.dataset.first);
if (first) start(first);  // on screen from the start: no need to wait for the observer
clips.forEach((c) => watch.observe(c));
