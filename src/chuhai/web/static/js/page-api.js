// What the buyer pages' and the host console's scripts share: the JSON API call (a problem's
// detail arrives in the page's language from the server), money and countdowns in the page's
// locale, a toast (or the host's log line), fresh idempotency keys, a room's offers.
const $ = (id) => document.getElementById(id);
const root = $("viewer") || $("host") || $("main");
export const cfg = root ? root.dataset : {};

export async function api(method, url, body) {
  const resp = await fetch(url, {
    method, credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": cfg.csrf || "" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = resp.status === 204 ? {} : await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(data.detail || `HTTP ${resp.status}`), { code: data.code, data });
  return data;
}

export const newKey = () => `ui-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export function money(amount, currency) {
  try { return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency }).format(Number(amount)); }
  catch { return `${amount} ${currency}`; }
}

// Time left until `iso`: m:ss, or seconds under a minute (digits in the page's locale).
export function left(iso) {
  const s = Math.max(0, Math.round((new Date(iso) - Date.now()) / 1000));
  const n = (x, min = 1) => new Intl.NumberFormat(document.documentElement.lang || "en", { minimumIntegerDigits: min, useGrouping: false }).format(x);
  return s >= 60 ? `${n(Math.floor(s / 60))}:${n(s % 60, 2)}` : `${n(s)} s`;
}

export function say(text) {
  const t = $("toast");
  if (t) { t.textContent = text; t.hidden = false; clearTimeout(say.t); say.t = setTimeout(() => { t.hidden = true; }, 4000); }
  else if ($("log")) $("log").prepend(Object.assign(document.createElement("li"), { textContent: text }));
}

// A room's drops and auctions into `state` (then `render`), and `render` once a second for
// the countdowns.
export function loadOffers(room, state, render) {
  api("GET", `/api/rooms/${room}/offers`).then((o) => {
    for (const d of o.drops) state.drops.set(d.id, d);
    for (const a of o.auctions) state.auctions.set(a.id, a);
    render();
  }).catch(() => {});
  setInterval(render, 1000);
}
