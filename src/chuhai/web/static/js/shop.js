// The buyer's shop pages: sign in, add to cart, the cart (change, remove, hold again), the
// destination's address form, checkout and payment. Amounts come from the server already
// formatted in the buyer's locale; nothing here computes a price.
import { el } from "./live-client.js";
import { _, num } from "./i18n.js";
import { readAddress, renderAddressFields, showAddressErrors } from "./address-form.js";
import { api, newKey, say } from "./page-api.js";
import { addToGuestCart as sharedAddToGuestCart, guestCart as sharedGuestCart, guestKey as sharedGuestKey } from "./guest-cart.js";

const $ = (id) => document.getElementById(id);
const cfg = $("main")?.dataset || {};
const key = newKey;

// ---------------------------------------------------------------- sign-in
$("signin-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const resp = await fetch("/api/customers/session", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: f.email.value, password: f.password.value }) });
  if (resp.ok) location.reload();
  else say((await resp.json().catch(() => ({}))).detail || _("Sign-in failed"));
});

// ---------------------------------------------------------------- guest cart
// A visitor who has not signed in keeps their cart in this browser (no stock is held for
// anonymous visitors); signing in moves it into their account's cart, where each line is
// held. Each line carries its own idempotency key, so a merge that is retried adds nothing.
const guestKey = () => sharedGuestKey(cfg.shop);
const guestCart = () => sharedGuestCart(cfg.shop);
// How the buyer came to this page (the server read it from the link: via=…, UTM, or
// nothing: direct); every add carries it, so the order knows its last touch.
const touch = cfg.touch ? JSON.parse(cfg.touch) : undefined;
const addToGuestCart = (sku, product) => sharedAddToGuestCart(cfg.shop, sku, product, touch);

async function mergeGuestCart() {
  const lines = guestCart();
  if (!lines.length || !cfg.signedIn || !cfg.shop) return;
  const left = [];
  for (const l of lines) {
    try { await api("POST", `/api/shop/${cfg.shop}/cart/items`, { sku_id: l.sku_id, quantity: l.quantity, idempotency_key: `guest-${l.key}`, touch: l.touch }); }
    catch (err) { say(err.message); if (err.code === "retry") left.push(l); }
  }
  if (left.length) localStorage.setItem(guestKey(), JSON.stringify(left));
  else localStorage.removeItem(guestKey());
}

async function renderGuestCart() {
  const box = $("guest-cart");
  const lines = guestCart();
  if (!box || !lines.length) return;
  const rows = [];
  for (const l of lines) {
    try {
      const p = await api("GET", `/api/shop/${cfg.shop}/products/${l.product_id}${cfg.market ? `?market=${cfg.market}` : ""}`);
      rows.push(el("li", { class: "cline", "data-sku": l.sku_id },
        el("a", { href: p.url, class: "ptitle", dir: "auto" }, p.title),
        el("span", {}, `${l.quantity} × ${p.price.total_display}`),
        el("span", { class: "muted" }, p.price.label)));
    } catch (_) { /* no longer sold here: left out */ }
  }
  box.replaceChildren(el("ul", { class: "clines" }, ...rows));
  const d = $("signin"); if (d) d.open = true;
}

// ---------------------------------------------------------------- product page
$("add-to-cart")?.addEventListener("click", async (e) => {
  const b = e.currentTarget;
  if (!cfg.signedIn) {
    const n = addToGuestCart($("sku").value, $("main").querySelector("[data-product]").dataset.product);
    say(_("Added — %(n)s in your cart. Sign in to hold it.", { n: num(n) }));
    $("added").hidden = false;
    $("cart-link").textContent = _("Cart (%(n)s)", { n: num(n) });
    return;
  }
  b.disabled = true;
  try {
    const cart = await api("POST", `/api/shop/${cfg.shop}/cart/items`, { sku_id: $("sku").value, quantity: 1, idempotency_key: key(), touch });
    const n = cart.lines.reduce((s, l) => s + l.quantity, 0);
    say(_("Added — %(n)s in your cart", { n: num(n) }));
    $("added").hidden = false;
    $("cart-link").textContent = _("Cart (%(n)s)", { n: num(n) });
  } catch (err) { say(err.message); } finally { b.disabled = false; }
});

// ---------------------------------------------------------------- cart page
let cart = null;

function holdText(line) {
  if (!line.held) return _("No longer held");
  const s = Math.max(0, Math.round((new Date(line.hold_expires_at) - Date.now()) / 1000));
  return _("Held for you: %(left)s", { left: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}` });
}

async function setQuantity(line, quantity) {
  try { cart = await api("PUT", `/api/shop/${cfg.shop}/cart/items/${line.sku_id}`, { quantity, idempotency_key: key() }); renderCart(); }
  catch (err) { say(err.message); }
}

function renderCart() {
  const box = $("cart");
  if (!box) return;
  if (!cart.lines.length) {
    box.replaceChildren(el("p", {}, _("Your cart is empty."), " ", el("a", { href: `/shop/${cfg.shop}` }, _("Keep shopping"))));
    $("checkout-form").hidden = true;
    return;
  }
  const rows = cart.lines.map((l) => el("li", { class: "cline", "data-sku": l.sku_id },
    el("a", { href: `/shop/${cfg.shop}/products/${l.product_id}`, class: "ptitle", dir: "auto" }, l.title),
    el("span", { class: "muted" }, Object.values(l.attributes).join(" · ")),
    el("span", {}, el("bdi", {}, `${num(l.quantity)} × ${l.unit_price_display}`)),
    el("span", { class: l.held ? "muted hold" : "error hold" }, holdText(l)),
    el("span", { class: "row" },
      el("button", { type: "button", class: "secondary", "aria-label": _("One less %(item)s", { item: l.title }), onclick: () => setQuantity(l, l.quantity - 1) }, "−"),
      el("button", { type: "button", class: "secondary", "aria-label": _("One more %(item)s", { item: l.title }), onclick: () => setQuantity(l, l.quantity + 1) }, "+"),
      l.held ? null : el("button", { type: "button", onclick: () => setQuantity(l, l.quantity) }, _("Hold again")),
      el("button", { type: "button", class: "link", onclick: () => setQuantity(l, 0) }, _("Remove")))));
  const t = cart.total;
  const parts = el("table", { class: "breakdown", id: "cart-breakdown" },
    ...[[_("Items"), t.goods_display], [_("Delivery"), t.delivery_display],
        ...(t.quoted ? [[_("Import duty"), t.duty_display], [_("Import VAT / GST"), t.tax_display], [_("Border fees"), t.fees_display]] : [])]
      .map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, el("bdi", {}, v)))),
    el("tr", { class: "total" }, el("th", { scope: "row" }, _("You pay")), el("td", { id: "cart-total" }, el("bdi", {}, t.total_display))));
  const why = cart.differs ? el("div", { class: "notice", id: "requote", role: "note" },
    el("p", {}, _("Bought together this costs %(total)s, not %(sum)s (the items' prices added up):", { total: t.total_display, sum: cart.sum_of_items_display })),
    el("ul", {}, ...cart.reasons.map((r) => el("li", { "data-reason": r.code }, r.text)))) : null;
  box.replaceChildren(el("ul", { class: "clines" }, ...rows), parts,
    el("p", { class: "muted" }, t.label),
    cart.delivery ? el("p", {}, _("Arrives in %(min)s–%(max)s days after dispatch.", { min: num(cart.delivery.min_days), max: num(cart.delivery.max_days) })) : null, why);
  $("checkout-form").hidden = false;
  $("pay-total").textContent = _("Total: %(total)s", { total: t.total_display });
  $("pay").disabled = !cart.all_held;
}

async function pay(e) {
  e.preventDefault();
  const f = e.target;
  const ship = readAddress(f, cart.market);
  showAddressErrors(f, "ship", {});
  $("pay").disabled = true;
  try {
    const coKey = sessionStorage.getItem("chuhai-co-key") || key();
    sessionStorage.setItem("chuhai-co-key", coKey);
    const order = await api("POST", `/api/shop/${cfg.shop}/checkout`, { ship_to: ship, idempotency_key: coKey });
    const paid = await api("POST", `/api/orders/${order.id}/pay`, { card_number: $("card").value, idempotency_key: key() });
    sessionStorage.removeItem("chuhai-co-key");
    const last = paid.payments[paid.payments.length - 1];
    if (paid.status === "paid") location.href = `/orders/${paid.id}`;
    else if (last && last.action_url) location.href = last.action_url;
    else { say(_("Payment failed (%(code)s) — try another card", { code: last ? last.decline_code : "?" })); $("pay").disabled = false; }
  } catch (err) {
    if (err.code === "idempotency_key_reused") sessionStorage.removeItem("chuhai-co-key");
    showAddressErrors(f, "ship", err);
    $("checkout-errors").textContent = err.message;
    $("pay").disabled = false;
  }
}

renderGuestCart();
if ($("cart") && cfg.signedIn) {
  mergeGuestCart().then(() => api("GET", `/api/shop/${cfg.shop}/cart`)).then(async (c) => {
    cart = c;
    renderCart();
    if (cart.market) await renderAddressFields($("address-fields"), cart.market, "ship");
    setInterval(() => { for (const l of cart.lines) { const h = document.querySelector(`[data-sku="${l.sku_id}"] .hold`); if (h) h.textContent = holdText(l); } }, 1000);
  }).catch((err) => { $("cart").replaceChildren(el("p", { class: "error" }, err.message)); });
  $("checkout-form").addEventListener("submit", pay);
}
if (!$("cart") && cfg.signedIn) mergeGuestCart().catch(() => {});
window.chuhaiShopReady = true;

// A result opened from a search is counted as search's (kept with the buyer's id only with
// analytics consent; the server decides): what attribution credits to search.
for (const a of document.querySelectorAll("#results .result a")) {
  a.addEventListener("click", () => {
    const product = a.closest("[data-product]")?.dataset.product;
    if (!product) return;
    fetch("/api/events", { method: "POST", keepalive: true, credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": cfg.csrf || "" },
      body: JSON.stringify({ market: cfg.market, events: [{ type: "search.click", product_id: product }] }) }).catch(() => {});
  });
}
